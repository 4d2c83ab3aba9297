#!/usr/bin/env bash
# w_rrset_limit.sh: an RRset over BIND's max-records-per-type. BIND refuses a whole
# UPDATE that would put more records in one RRset than the limit (SERVFAIL, "too many
# records"); sitecastd splits the failed batch until only the records that cannot go
# in are left, publishes everything else, and logs once which RRset and which zone
# option. With the limit at 3 and five printers on Manhattan's LAN, the
# zone (named 9.18) holds three PTRs of _ipp._tcp and the SRV and TXT of all five.
set -u
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/dns.sh"

dns_require
sites_init manhattan
sites_host manhattan-h1
sites_avahi manhattan-h1 printer
sites_keys
dns_keys manhattan
dns_server_node wan
DNS_NAMED_OPTIONS="max-records-per-type 3;"
dns_named wan manhattan
M=manhattan.$DNS_ZONE
MR=${M//./\\.}

SITES_PEERS=0
dns_gw_config manhattan
sites_gw_start manhattan
dns_wait_gw_up manhattan
for i in 1 2 3 4 5; do
	SITES_PUB_NOWAIT=1 sites_publish manhattan-h1 "Printer $i" _ipp._tcp 631
done
for i in 1 2 3 4 5; do sites_wait_published "Printer $i"; done

settled() {
	dns_zone_has manhattan "\sSOA\s" &&
		[ "$(grep -cE "^_ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+PTR\s" "$NET_TMP/axfr.out")" -eq 3 ] &&
		[ "$(grep -cE "^Printer\\\\032[1-5]\._ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+SRV\s" "$NET_TMP/axfr.out")" -eq 5 ] &&
		[ "$(grep -cE "^Printer\\\\032[1-5]\._ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+TXT\s" "$NET_TMP/axfr.out")" -eq 5 ] &&
		grep -qE "^printer\.$MR\.\s+[0-9]+\s+IN\s+A\s+10\.101\.1\.10$" "$NET_TMP/axfr.out" &&
		[ "$(grep -c "refuses a record of the RRset" "${SITES_GW_LOG[manhattan]}")" -eq 1 ]
}
net_wait 10 settled || {
	cat "$NET_TMP/axfr.out"
	grep "dns:" "${SITES_GW_LOG[manhattan]}"
	net_fail "the zone should hold 3 PTRs, 5 SRV, 5 TXT and the A, with one line for the RRset"
}
grep "refuses a record" "${SITES_GW_LOG[manhattan]}"
grep -q "too many records" "$NET_TMP/named.log" || net_fail "named.log does not say 'too many records'"
grep -qE "RRset _ipp\._tcp\.$MR\. PTR .*max-records-per-type" "${SITES_GW_LOG[manhattan]}" ||
	net_fail "the log line does not name the RRset and max-records-per-type"
# BIND keeps the case of names: "Printer 1" stays "Printer 1" (checked above, with case).
net_pass "BIND's RRset limit: 3 of 5 PTRs in, every SRV and TXT in, one line names the RRset"
status=$(sites_status_json manhattan)
[ "$(sites_json 'j["dns"]["records_rejected"]' <<<"$status")" = 2 ] ||
	net_fail "status: records_rejected is not 2: $status"
# Nothing is retried in a loop: the UPDATE count stays put.
n1=$(sites_json 'j["dns"]["updates_sent"]' <<<"$status")
sleep 3
n2=$(sites_status_json manhattan | sites_json 'j["dns"]["updates_sent"]')
[ "$n1" = "$n2" ] || net_fail "UPDATEs go on after the split ($n1, then $n2)"
net_pass "status shows the 2 refused records; no UPDATE is repeated ($n1 sent)"

# A printer in the RRset goes: its room is taken by one that was refused.
dns_zone_has manhattan "\sSOA\s"
gone=$(grep -oE "^_ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+PTR\s+Printer\\\\032[1-5]" "$NET_TMP/axfr.out" |
	head -n 1 | grep -oE "[1-5]$")
[ -n "$gone" ] || net_fail "no printer PTR in the zone"
sites_unpublish "Printer $gone"
room() {
	dns_zone_has manhattan "\sSOA\s" &&
		[ "$(grep -cE "^_ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+PTR\s" "$NET_TMP/axfr.out")" -eq 3 ] &&
		! grep -qE "PTR\s+Printer\\\\032$gone\." "$NET_TMP/axfr.out" &&
		[ "$(grep -cE "^Printer\\\\032[1-5]\._ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+SRV\s" "$NET_TMP/axfr.out")" -eq 4 ]
}
net_wait 5 room || net_fail "Printer $gone's place in the RRset was not taken: $(cat "$NET_TMP/axfr.out")"
[ "$(sites_status_json manhattan | sites_json 'j["dns"]["records_rejected"]')" = 1 ] ||
	net_fail "status: records_rejected is not 1 after the retry"
net_pass "Printer $gone unpublished: a refused printer took its place, one still refused"
sites_done
