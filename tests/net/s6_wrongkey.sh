#!/usr/bin/env bash
# s6_wrongkey.sh: a peer presenting the wrong key is refused and nothing it sends
# appears. Manhattan's gateway dials Brooklyn with a key of its own making (an impostor
# of Manhattan, or Manhattan after a key change Brooklyn was not told of); Brooklyn
# expects the fingerprint of Manhattan's real key. Brooklyn's log must show the link
# refused with the presented fingerprint, exactly as `sitecastctl fingerprint` prints
# it (so that an administrator can copy it), and no link up with Manhattan; the printer
# published in Manhattan must not appear in Brooklyn. Then Manhattan's gateway is
# started again with the right key, and the printer appears: the control that shows
# the test could have seen it.
set -u
. "$(dirname "$0")/sites.sh"

sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_keygen "$NET_TMP/impostor.pem"
impostor_fp=$SITES_LAST_FP
net_log "Brooklyn expects Manhattan's ${SITES_FP[manhattan]}; Manhattan presents $impostor_fp"
SITES_KEY[manhattan]=$NET_TMP/impostor.pem
sites_gw_start brooklyn
sites_gw_start manhattan
sites_watch brooklyn-h1 _ipp._tcp
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"

refused() {
	sites_gw_alive brooklyn
	grep -iF refused "${SITES_GW_LOG[brooklyn]}" | grep -qF -- "$impostor_fp"
}
net_wait 10 refused ||
	net_fail "Brooklyn's log has no line with 'refused' and the presented fingerprint $impostor_fp"
grep -iF refused "${SITES_GW_LOG[brooklyn]}" | head -n 3
net_pass "Brooklyn refused the impostor and logged its fingerprint"

# A few more attempts of the dialer, and time for anything that slipped through.
sleep 4
sites_gw_alive brooklyn
sites_gw_alive manhattan
n=$(sites_peer_up_count brooklyn manhattan)
[ "$n" -eq 0 ] || net_fail "Brooklyn logged the link with Manhattan up $n times"
n=$(sites_peer_up_count manhattan brooklyn)
[ "$n" -eq 0 ] || net_fail "Manhattan logged the link with Brooklyn up $n times"
st=$(sites_state brooklyn-h1 _ipp._tcp "Printer A (manhattan)")
[ "$st" = absent ] || net_fail "'Printer A (manhattan)' seen in Brooklyn from the refused peer: $st"
events=$(sites_browse brooklyn-h1 _ipp._tcp)
if awk -F'\t' '$4 ~ /Printer A/ || $7 ~ /manhattan/' <<<"$events" | grep .; then
	net_fail "a new avahi-browse in Brooklyn lists Manhattan's printer"
fi
net_pass "nothing from the refused peer in Brooklyn"

# Control: with its real key, Manhattan's printer crosses.
sites_gw_kill manhattan TERM
SITES_KEY[manhattan]=$NET_TMP/key-manhattan.pem
sites_gw_start manhattan
sites_wait_peer_up brooklyn manhattan 15
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "control: 'Printer A (manhattan)' not resolved in Brooklyn with the right key ($SITES_STATE)"
net_pass "control: with the right key the link comes up and the printer crosses"
sites_done
exit 0
