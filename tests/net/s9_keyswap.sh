#!/usr/bin/env bash
# s9_keyswap.sh: Manhattan's gateway key is replaced without downtime, using a
# fingerprint list (peers[].fingerprint may be a list: any of them is accepted).
#  1. Brooklyn lists Manhattan's old and new fingerprints and reloads (SIGHUP): the
#     link stays up (no reconnection) and the log says the link's key is still accepted.
#  2. Manhattan's gateway moves to its new key (restarted with it): the link comes up
#     again with the new key, and Brooklyn accepts it.
#  3. Brooklyn drops the old fingerprint and reloads: the link stays up.
# Throughout, Manhattan's printer stays visible at Brooklyn: Brooklyn's avahi-browse
# never reports it removed. Finally a gateway presenting the old key is refused.
set -u
. "$(dirname "$0")/sites.sh"

sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
net_pass "Printer A resolved in Brooklyn"

old_fp=${SITES_FP[manhattan]}
old_key=${SITES_KEY[manhattan]}
sites_keygen "$NET_TMP/manhattan-new.pem"
new_fp=$SITES_LAST_FP

# reload SITE: SIGHUP and wait until the log says the configuration was taken.
reload() {
	local n
	n=$(grep -ciE 'reload|configuration' "${SITES_GW_LOG[$1]}")
	sites_config "$1"
	kill -HUP "${SITES_GW_PID[$1]}"
	net_wait 10 eval '[ "$(grep -ciE "reload|configuration" "${SITES_GW_LOG['"$1"']}")" -gt '"$n"' ]' ||
		net_fail "$1 did not log the reload"
	sleep 1
	sites_gw_alive "$1"
}

# --- 1. both fingerprints at Brooklyn
up0=$(sites_peer_up_count brooklyn manhattan)
SITES_FP[manhattan]="$old_fp $new_fp"
reload brooklyn
grep -qF "fingerprints changed; the link's key" "${SITES_GW_LOG[brooklyn]}" ||
	net_fail "Brooklyn's log does not say the link stays up after the fingerprint change"
[ "$(sites_peer_up_count brooklyn manhattan)" -eq "$up0" ] ||
	net_fail "the link with Manhattan went down and up again on Brooklyn's reload"
net_pass "Brooklyn accepts both keys; the link stayed up through the reload"

# --- 2. Manhattan moves to its new key
SITES_KEY[manhattan]=$NET_TMP/manhattan-new.pem
sites_gw_kill manhattan TERM
sites_gw_start manhattan
sites_wait_peer_up brooklyn manhattan 15 "$up0"
grep -F "$new_fp" "${SITES_GW_LOG[brooklyn]}" | grep -qiF refused &&
	net_fail "Brooklyn refused Manhattan's new key"
net_pass "the link is up again with Manhattan's new key"

# --- 3. the old fingerprint goes
up1=$(sites_peer_up_count brooklyn manhattan)
SITES_FP[manhattan]=$new_fp
reload brooklyn
[ "$(sites_peer_up_count brooklyn manhattan)" -eq "$up1" ] ||
	net_fail "the link with Manhattan went down and up again when the old fingerprint went"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 5 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn at the end ($SITES_STATE)"
if grep -E '^-;' "${SITES_WATCH[brooklyn-h1 _ipp._tcp]}" | grep -qF 'Printer A (manhattan)'; then
	grep -E '^-;' "${SITES_WATCH[brooklyn-h1 _ipp._tcp]}"
	net_fail "Brooklyn's browser saw Printer A (manhattan) removed during the key change"
fi
net_pass "Printer A never disappeared from Brooklyn during the key change"

# The old key is no longer accepted.
SITES_KEY[manhattan]=$old_key
sites_gw_kill manhattan TERM
sites_gw_start manhattan
refused() { grep -iF refused "${SITES_GW_LOG[brooklyn]}" | grep -qF -- "$old_fp"; }
net_wait 10 refused || net_fail "Brooklyn did not refuse Manhattan's old key"
net_pass "the old key is refused once its fingerprint is gone"
sites_done
