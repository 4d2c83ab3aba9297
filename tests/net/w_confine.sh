#!/usr/bin/env bash
# w_confine.sh: each site's TSIG key may change only its own domain and its own
# browse pointers, on both real servers, configured as doc/wide-area.md says.
# Manhattan's key adds a service to manhattan.sites.example.com and its PTR in
# b._dns-sd._udp.sites.example.com (accepted); Brooklyn's key trying to add to or
# delete from Manhattan's domain is refused (Knot: NOTAUTH, BIND: REFUSED) and the
# zone is unchanged; Brooklyn adding its own b PTR leaves Manhattan's in place.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"

net_require_root_netns
dns_require
dns_keys manhattan brooklyn

M=manhattan.$DNS_ZONE
B=brooklyn.$DNS_ZONE

confine() { # kind refused-rcode
	local kind=$1 refused=$2 out zone
	net_log "--- $kind"
	net_node "srv-$kind"
	dns_server_node "srv-$kind"
	if [ "$kind" = knot ]; then dns_knotd "srv-$kind" manhattan brooklyn
	else dns_named "srv-$kind" manhattan brooklyn; fi

	out=$(dns_update manhattan \
		"update add Printer\\032A._ipp._tcp.$M. 120 SRV 0 0 631 printer.$M." \
		"update add printer.$M. 120 A 10.101.1.20" \
		"update add _ipp._tcp.$M. 120 PTR Printer\\032A._ipp._tcp.$M." \
		"update add b._dns-sd._udp.$DNS_ZONE. 120 PTR $M.") ||
		net_fail "$kind: Manhattan's own update refused: $out"
	zone=$(dns_axfr manhattan)
	grep -qiE "^_ipp\._tcp\.$M\.\s+120\s+IN\s+PTR\s+printer\\\\032a\._ipp\._tcp\.$M\.$" <<<"$zone" ||
		net_fail "$kind: Manhattan's PTR not in the zone: $zone"
	grep -qiE "^b\._dns-sd\._udp\.$DNS_ZONE\.\s+120\s+IN\s+PTR\s+$M\.$" <<<"$zone" ||
		net_fail "$kind: Manhattan's browse pointer not in the zone"
	net_pass "$kind: Manhattan's key publishes in its own domain and its browse pointer"

	out=$(dns_update brooklyn "update add evil.$M. 120 A 10.0.0.66")
	grep -q "$refused" <<<"$out" ||
		net_fail "$kind: Brooklyn adding to Manhattan's domain was not refused with $refused: $out"
	out=$(dns_update brooklyn "update delete _ipp._tcp.$M. PTR")
	grep -q "$refused" <<<"$out" ||
		net_fail "$kind: Brooklyn deleting in Manhattan's domain was not refused with $refused: $out"
	zone=$(dns_axfr manhattan)
	! grep -qi "^evil\.$M" <<<"$zone" || net_fail "$kind: Brooklyn's record is in Manhattan's domain"
	grep -qiE "^_ipp\._tcp\.$M\..*PTR" <<<"$zone" || net_fail "$kind: Brooklyn deleted Manhattan's PTR"
	net_pass "$kind: Brooklyn's key refused in Manhattan's domain ($refused), zone unchanged"

	out=$(dns_update brooklyn "update add b._dns-sd._udp.$DNS_ZONE. 120 PTR $B." \
		"update add printer.$B. 120 A 10.102.1.20") ||
		net_fail "$kind: Brooklyn's own update refused: $out"
	zone=$(dns_axfr brooklyn)
	[ "$(grep -ciE "^b\._dns-sd\._udp\.$DNS_ZONE\.\s+120\s+IN\s+PTR\s+($M|$B)\.$" <<<"$zone")" -eq 2 ] ||
		net_fail "$kind: b._dns-sd._udp should hold both sites' pointers: $zone"
	net_pass "$kind: Brooklyn's pointer added beside Manhattan's"
	[ "$kind" = bind ] && rrset_limit
	dns_server_stop
}

# BIND 9.18 holds at most max-records-per-type (100) records in one RRset: an UPDATE
# that would make the 101st fails whole with SERVFAIL; one that stays within passes.
rrset_limit() {
	local i lines=() out
	for i in $(seq 2 101); do
		lines+=("update add _ipp._tcp.$M. 120 PTR P$i._ipp._tcp.$M.")
	done
	out=$(dns_update manhattan "${lines[@]}")
	grep -q SERVFAIL <<<"$out" || net_fail "bind: the 101st PTR was not refused with SERVFAIL: $out"
	grep -q "too many records" "$NET_TMP/named.log" ||
		net_fail "bind: named.log does not say 'too many records'"
	[ "$(dns_axfr manhattan | grep -c "^_ipp\._tcp\.$M\..*PTR")" -eq 1 ] ||
		net_fail "bind: part of the refused UPDATE went in"
	out=$(dns_update manhattan "${lines[@]:0:99}") || net_fail "bind: 100 PTRs refused: $out"
	net_pass "bind: 100 PTRs in one RRset go in, the 101st makes the UPDATE fail (SERVFAIL, 'too many records')"
}

confine knot "NOTAUTH\|BADKEY"
confine bind REFUSED
