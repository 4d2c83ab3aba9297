#!/usr/bin/env bash
# w_bind.sh: the export scenario against BIND 9 (named), the standard rather than one
# server's dialect. "Printer A" published with avahi-publish at Manhattan appears in
# manhattan.sites.example.com within 3 s with PTR, SRV, TXT and the host's A record
# holding the mapped address (10.101.1.10, no 192.168.1.x), the _services and b/lb
# browse pointers, in its own case ("Printer A": BIND keeps case); unpublished, it is
# deleted. Then 101 instances of one type (tests/net/flood) against BIND's
# max-records-per-type of 100: 100 PTRs go in, and one log line names the RRset and
# the zone option.
set -u
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/dns.sh"

dns_require
DNS_EXPORT[manhattan]=everything
sites_init manhattan
sites_host manhattan-h1
sites_avahi manhattan-h1 printer
sites_keys
sites_dns_server bind
dns_gw_config manhattan
sites_gw_start manhattan
dns_wait_gw_up manhattan
M=manhattan.$DNS_ZONE
Mre=${M//./\\.}

sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 rp=queue1
srv_line="^Printer\\\\032A\._ipp\._tcp\.$Mre\.\s+[0-9]+\s+IN\s+SRV\s+0 0 631 printer\.$Mre\.$"
has() { dns_axfr manhattan 2>/dev/null | grep -qE -- "$1"; }
net_wait 10 has "$srv_line" || net_fail "Printer A's SRV not in the zone: $(dns_axfr manhattan)"
d=$(($(sites_now) - SITES_PUB_T[Printer A]))
zone=$(dns_axfr manhattan)
printf '%s\n' "$zone" | grep -iF "$M"
[ "$d" -le 3000000 ] || net_fail "Printer A reached the zone $(sites_secs "$d")s after it was established (want 3 s)"
net_pass "Printer A in BIND's zone $(sites_secs "$d")s after Avahi established it"

for re in \
	"^_ipp\._tcp\.$Mre\.\s+[0-9]+\s+IN\s+PTR\s+Printer\\\\032A\._ipp\._tcp\.$Mre\.$" \
	"$srv_line" \
	"^Printer\\\\032A\._ipp\._tcp\.$Mre\.\s+[0-9]+\s+IN\s+TXT\s+\"rp=queue1\"$" \
	"^printer\.$Mre\.\s+[0-9]+\s+IN\s+A\s+10\.101\.1\.10$" \
	"^_services\._dns-sd\._udp\.$Mre\.\s+[0-9]+\s+IN\s+PTR\s+_ipp\._tcp\.$Mre\.$" \
	"^b\._dns-sd\._udp\.${DNS_ZONE//./\\.}\.\s+[0-9]+\s+IN\s+PTR\s+$Mre\.$" \
	"^lb\._dns-sd\._udp\.${DNS_ZONE//./\\.}\.\s+[0-9]+\s+IN\s+PTR\s+$Mre\.$"; do
	grep -qE -- "$re" <<<"$zone" || net_fail "no record matching $re in the zone"
done
! grep -qE '192\.168\.|fd00:|fe80:' <<<"$zone" || net_fail "an unmapped or link-local address in the zone"
net_pass "PTR, SRV, TXT, A (mapped), _services and b/lb pointers, 'Printer A' in its own case"

sites_unpublish "Printer A"
net_wait 10 eval '! has "Printer\\\\032A"' || net_fail "Printer A still in the zone after unpublish"
zone=$(dns_axfr manhattan)
! grep -qE "^_ipp\._tcp\.$Mre\..*PTR" <<<"$zone" || net_fail "a PTR left in _ipp._tcp: $zone"
net_pass "unpublished: PTR, SRV and TXT deleted from the zone"

# BIND's RRset limit: 101 instances of _ipp._tcp announced on the LAN at once.
src=$(sites_add_sources manhattan-h1 1)
out=$(sites_flood manhattan-h1 -s "$src" -r 200 -n 101 services)
net_log "flood: $out"
ptrs() { dns_axfr manhattan 2>/dev/null | grep -cE "^_ipp\._tcp\.$Mre\.\s+[0-9]+\s+IN\s+PTR\s"; }
limit_lines() { grep -F "_ipp._tcp.$M" "${SITES_GW_LOG[manhattan]}" | grep -c 'max-records-per-type'; }
net_wait 30 eval '[ "$(ptrs)" -eq 100 ]' || net_fail "the zone holds $(ptrs) PTRs of _ipp._tcp, want 100"
net_wait 10 eval '[ "$(limit_lines)" -ge 1 ]' ||
	net_fail "no log line names _ipp._tcp.$M and max-records-per-type: $(tail -n 20 "${SITES_GW_LOG[manhattan]}")"
sleep 5
[ "$(ptrs)" -eq 100 ] || net_fail "the zone holds $(ptrs) PTRs 5 s later"
[ "$(limit_lines)" -eq 1 ] || net_fail "$(limit_lines) log lines name the RRset limit, want one"
grep -F 'max-records-per-type' "${SITES_GW_LOG[manhattan]}"
grep -q 'too many records' "$NET_TMP/named.log" || net_fail "named.log does not say 'too many records'"
sites_gw_alive manhattan
net_pass "101 instances: 100 PTRs in the zone, one log line naming the RRset and max-records-per-type"
sites_done
