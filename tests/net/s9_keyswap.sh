#!/usr/bin/env bash
# s9_keyswap.sh: a gateway's key is replaced under a running link and the services it
# carries never disappear at the far site. Brooklyn first lists both Manhattan's old and
# new fingerprints and reloads (SIGHUP): the link stays up. Manhattan's gateway then
# restarts with its new key (killed, so that Brooklyn keeps its records through the
# grace period rather than receiving goodbyes); the new link is accepted by the second
# fingerprint. Brooklyn then drops the old fingerprint and reloads: the link with the
# new key stays up. Throughout, Brooklyn's avahi-browse must never see Manhattan's
# printer removed, and at the end a fresh browse resolves it.
set -u
. "$(dirname "$0")/sites.sh"

sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
old_fp=${SITES_FP[manhattan]}
sites_keygen "$NET_TMP/key-manhattan-new.pem"
new_fp=$SITES_LAST_FP
sites_gw_start_all
sites_wait_links 15
sites_watch brooklyn-h1 _ipp._tcp
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 15 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
net_pass "the printer crosses with the old key"

never_removed() {
	if "$NET_PYTHON" "$NET_LIBDIR/browse.py" table "${SITES_WATCH[brooklyn-h1 _ipp._tcp]}" |
		awk -F'\t' '$1 == "-" && $4 == "Printer A (manhattan)"' | grep .; then
		net_fail "Brooklyn saw 'Printer A (manhattan)' removed $1"
	fi
}

# reload SITE WHAT: rewrites SITE's configuration, SIGHUP, waits for the reload line.
reload() {
	local n
	n=$(grep -cF 'configuration reloaded' "${SITES_GW_LOG[$1]}")
	sites_config "$1"
	kill -HUP "${SITES_GW_PID[$1]}"
	net_wait 15 eval "[ \$(grep -cF 'configuration reloaded' '${SITES_GW_LOG[$1]}') -gt $n ]" ||
		net_fail "no reload in $1's log after SIGHUP ($2)"
	sites_gw_alive "$1"
}

# Step 1: Brooklyn accepts both keys; its link made with the old one stays.
SITES_FP[manhattan]="$old_fp $new_fp"
reload brooklyn "both fingerprints"
grep -qF "fingerprint: [\"$old_fp\", \"$new_fp\"]" "${SITES_CONF[brooklyn]}" ||
	net_fail "Brooklyn's configuration does not list both fingerprints"
sleep 2
n=$(sites_peer_up_count brooklyn manhattan)
[ "$n" -eq 1 ] || net_fail "the link went down and up on the reload with both keys ($n ups)"
grep -F 'link settings changed' "${SITES_GW_LOG[brooklyn]}" &&
	net_fail "Brooklyn reconnected although the key in use is still listed"
never_removed "on the reload with both keys"
net_pass "Brooklyn lists both keys; the link stays up"

# Step 2: Manhattan moves to its new key.
sites_gw_kill manhattan KILL
SITES_KEY[manhattan]=$NET_TMP/key-manhattan-new.pem
sites_gw_start manhattan
sites_wait_peer_up brooklyn manhattan 20 1
grep -F 'refused' "${SITES_GW_LOG[brooklyn]}" | grep -F -- "$new_fp" &&
	net_fail "Brooklyn refused Manhattan's new key although it is listed"
sleep 3
never_removed "while Manhattan changed its key"
st=$(sites_state brooklyn-h1 _ipp._tcp "Printer A (manhattan)")
[[ $st == resolved* ]] || net_fail "'Printer A (manhattan)' not resolved after the key change: $st"
net_pass "Manhattan's new key is accepted; the printer stayed"

# Step 3: Brooklyn drops the old key; the link with the new key stays.
SITES_FP[manhattan]=$new_fp
reload brooklyn "new fingerprint only"
sleep 2
n=$(sites_peer_up_count brooklyn manhattan)
[ "$n" -eq 2 ] || net_fail "the link went down and up when the old key was dropped ($n ups)"
sites_publish manhattan-h1 "Printer B" _ipp._tcp 631 "txt=2"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer B (manhattan)" 15 ||
	net_fail "a printer published after the rotation did not cross ($SITES_STATE)"
never_removed "after the old key was dropped"
events=$(sites_browse brooklyn-h1 _ipp._tcp)
awk -F'\t' '$1 == "=" && $4 == "Printer A (manhattan)"' <<<"$events" | grep -q . ||
	net_fail "a fresh avahi-browse in Brooklyn does not list 'Printer A (manhattan)'"
net_pass "the old key is gone, the link with the new one is up and services cross"
sites_done
exit 0
