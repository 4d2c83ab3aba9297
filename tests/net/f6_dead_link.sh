#!/usr/bin/env bash
# f6_dead_link.sh: limits.peer-timeout decides when a silent link is dead. With
# peer-timeout 6 (keepalives every 2 s) the WAN is cut silently (every packet dropped,
# no reset, no FIN): both gateways must declare the link down within about 6 s of the
# last traffic, so well within 10 s of the cut, and not after a mere 3 s. While it is
# down, status names why ("last error"); once the WAN is back the link comes up again,
# and status then shows the old error only as "last error before up" (JSON:
# last_error_before_up true), never as the peer's current error. The grace period is long, so the printer stays throughout.
set -u
. "$(dirname "$0")/sites.sh"

SITES_GRACE=60
SITES_PEER_TIMEOUT=6
sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links
grep -qF 'peer-timeout: 6' "${SITES_CONF[brooklyn]}" || net_fail "no peer-timeout in the configuration"
sites_wan_faults
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 15 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"

# An idle link with keepalives every 2 s is not taken for dead.
sleep 8
for site in manhattan brooklyn; do
	if grep -F 'silent' "${SITES_GW_LOG[$site]}"; then
		net_fail "$site took an idle, working link for dead"
	fi
done
net_pass "an idle link stays up past peer-timeout (keepalives)"

down_count() { grep -cE "peer $2 down" "${SITES_GW_LOG[$1]}"; }
both_down() {
	[ "$(down_count brooklyn manhattan)" -gt 0 ] && [ "$(down_count manhattan brooklyn)" -gt 0 ]
}
t_cut=$(sites_now)
sites_wan_set 0 100
net_wait 3 both_down && net_fail "the link was declared down less than 3 s after the cut"
net_wait 8 both_down || net_fail "the link was not declared down within 11 s of the cut (peer-timeout 6)"
t_down=$(sites_now)
net_log "link declared down $(sites_secs $((t_down - t_cut))) s after the cut:" \
	"$(grep 'peer manhattan down' "${SITES_GW_LOG[brooklyn]}" | tail -n 1)"
grep 'peer manhattan down' "${SITES_GW_LOG[brooklyn]}" | grep -qF 'silent for 6000 ms' ||
	net_fail "Brooklyn's down line does not say the peer was silent for the peer-timeout"
j=$(sites_status_json brooklyn)
st=$(sites_json '[p["state"] for p in j["peers"] if p["name"] == "manhattan"][0]' <<<"$j")
err=$(sites_json '[p["last_error"] for p in j["peers"] if p["name"] == "manhattan"][0]' <<<"$j")
before=$(sites_json '[p["last_error_before_up"] for p in j["peers"] if p["name"] == "manhattan"][0]' <<<"$j")
[ "$st" != up ] || net_fail "status says manhattan is up during the cut"
[[ $err == *silent* ]] || net_fail "status shows last_error '$err' while the link is down, not why"
[ "$before" = False ] || net_fail "status --json labels the current error of a down link 'before up'"
net_pass "a silent WAN: link declared dead after peer-timeout; status says why"

sites_wan_set 0 0
sites_wait_peer_up brooklyn manhattan 30 1
sites_wait_peer_up manhattan brooklyn 30 1
net_pass "the link comes back after the cut"

j=$(sites_status_json brooklyn)
err=$(sites_json '[p["last_error"] for p in j["peers"] if p["name"] == "manhattan"][0]' <<<"$j")
before=$(sites_json '[p["last_error_before_up"] for p in j["peers"] if p["name"] == "manhattan"][0]' <<<"$j")
[ "$before" = True ] || net_fail "status --json does not mark last_error '$err' of an up link as from before it came up"
[[ $err == *silent* ]] || net_fail "status --json lost the error from before the link came up: '$err'"
text=$(timeout 10 "$SITECASTCTL" -s "$(sites_control brooklyn)" status) ||
	net_fail "sitecastctl status failed"
if grep -E 'last error:' <<<"$text"; then
	net_fail "text status shows a 'last error' for an up link"
fi
grep -qF 'last error before up:' <<<"$text" ||
	net_fail "text status does not label the old error 'last error before up': $text"
st=$(sites_state brooklyn-h1 _ipp._tcp "Printer A (manhattan)")
[[ $st == resolved* ]] || net_fail "'Printer A (manhattan)' lost during the cut (grace 60 s): $st"
net_pass "status of an up link: no current error, the old one labelled 'before up'"
sites_done
exit 0
