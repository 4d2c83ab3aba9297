#!/usr/bin/env bash
# w_badkey.sh: a gateway the DNS server does not accept. With a wrong TSIG secret,
# Manhattan's gateway is refused by a real Knot DNS (NOTAUTH with a TSIG error): one log
# line names the domain, the server and the rcode, however often it retries; nothing
# is published; the daemon keeps running and sitecastctl status shows the error. A
# gateway that uses Brooklyn's key for Manhattan's domain may read the zone but its
# UPDATEs are refused (the key may change only Brooklyn's names): logged the same way,
# nothing of it in the zone.
set -u
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/dns.sh"

dns_require
sites_init manhattan
sites_host manhattan-h1
sites_avahi manhattan-h1 printer
sites_keys
dns_keys manhattan brooklyn
dns_server_node wan
dns_knotd wan manhattan brooklyn
M=manhattan.$DNS_ZONE
MR=${M//./\\.}

openssl rand -base64 32 >"$NET_TMP/wrong.secret" && chmod 0600 "$NET_TMP/wrong.secret"
SITES_PEERS=0
DNS_SECRET_OF[manhattan]=$NET_TMP/wrong.secret
dns_gw_config manhattan
sites_gw_start manhattan
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631
refused="dns: AXFR for $MR refused by ${DNS_ADDR//./\\.}:$DNS_PORT: NOTAUTH"
_logged() { sites_gw_alive manhattan; grep -qE -- "$refused" "${SITES_GW_LOG[manhattan]}"; }
net_wait 5 _logged || net_fail "no line /$refused/ in ${SITES_GW_LOG[manhattan]##*/}"
grep -E -- "$refused" "${SITES_GW_LOG[manhattan]}"
grep -qE -- "$refused.*TSIG (BADSIG|BADKEY)" "${SITES_GW_LOG[manhattan]}" ||
	net_fail "the line does not name the TSIG error"
# Retries go on (1 s, 2 s, 4 s...): still the one line.
sleep 4
sites_gw_alive manhattan
n=$(grep -c "refused by" "${SITES_GW_LOG[manhattan]}")
[ "$n" -eq 1 ] || net_fail "$n lines say refused, not one: $(grep "refused by" "${SITES_GW_LOG[manhattan]}")"
dns_zone_has manhattan "\sSOA\s" || net_fail "no transfer with the right key"
if grep -qiE "^([^ ]+\.)?$MR\.|PTR\s+$MR\.$" "$NET_TMP/axfr.out"; then
	net_fail "something of Manhattan is in the zone: $(cat "$NET_TMP/axfr.out")"
fi
status=$(sites_status_json manhattan)
[ "$(sites_json 'j["dns"]["state"]' <<<"$status")" = down ] || net_fail "status: dns not down: $status"
sites_json 'j["dns"]["last_error"]' <<<"$status" | grep -q "NOTAUTH" ||
	net_fail "status: last_error does not name NOTAUTH: $status"
"$SITECASTCTL" -s "$(sites_control manhattan)" status | grep -E "last error .*NOTAUTH" ||
	net_fail "sitecastctl status (text) shows no last error"
net_pass "wrong secret: refused (NOTAUTH), logged once, nothing published, still running, status shows it"
sites_gw_kill manhattan TERM || net_fail "sitecastd did not exit 0 on SIGTERM"

# Brooklyn's key for Manhattan's domain: transfer allowed, UPDATE refused.
DNS_SECRET_OF[manhattan]=
DNS_KEY_OF[manhattan]=brooklyn
dns_gw_config manhattan
sites_gw_start manhattan
dns_wait_gw_up manhattan
refused="dns: UPDATE for $MR refused by ${DNS_ADDR//./\\.}:$DNS_PORT: NOTAUTH"
net_wait 5 _logged || net_fail "no line /$refused/ in ${SITES_GW_LOG[manhattan]##*/}"
grep -E -- "$refused" "${SITES_GW_LOG[manhattan]}"
sleep 3
n=$(grep -c "refused by" "${SITES_GW_LOG[manhattan]}")
[ "$n" -eq 1 ] || net_fail "$n lines say refused, not one"
dns_zone_has manhattan "\sSOA\s" || net_fail "no transfer"
if grep -qiE "^([^ ]+\.)?$MR\.|PTR\s+$MR\.$" "$NET_TMP/axfr.out"; then
	net_fail "Brooklyn's key changed Manhattan's domain: $(cat "$NET_TMP/axfr.out")"
fi
status=$(sites_status_json manhattan)
[ "$(sites_json 'j["dns"]["updates_failed"] >= 2' <<<"$status")" = True ] ||
	net_fail "status: the refused UPDATE is not retried: $status"
net_pass "Brooklyn's key refused in Manhattan's domain: one line, retried, nothing published"
sites_done
