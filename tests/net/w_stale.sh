#!/usr/bin/env bash
# w_stale.sh: at start sitecastd transfers its domain and removes what it published
# before that no longer exists, and nothing else. Manhattan's gateway publishes "Printer
# A" and "Old Printer" into a real Knot DNS and is killed; "Old Printer" goes from the
# LAN while it is down. Restarted, it deletes "Old Printer" from the zone, keeps
# "Printer A" there the whole time (its LAN answers again before deletions go out), and
# leaves Brooklyn's records alone, among them Brooklyn's PTR in the b._dns-sd._udp RRset
# both sites share. Knot restarted on its zone file (the published records dropped):
# the next serial poll notices and publishes them again.
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
B=brooklyn.$DNS_ZONE
MR=${M//./\\.}
Z=${DNS_ZONE//./\\.}
A_PTR="^_ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+PTR\s+printer\\\\032a\._ipp\._tcp\.$MR\.$"
OLD_PTR="^_ipp\._tcp\.$MR\.\s+[0-9]+\s+IN\s+PTR\s+old\\\\032printer\._ipp\._tcp\.$MR\.$"

# Brooklyn's records, as its gateway would publish them.
out=$(dns_update brooklyn \
	"update add _ipp._tcp.$B. 120 PTR Scanner._ipp._tcp.$B." \
	"update add Scanner._ipp._tcp.$B. 120 SRV 0 0 631 scan.$B." \
	"update add scan.$B. 120 A 10.101.2.30" \
	"update add b._dns-sd._udp.$DNS_ZONE. 120 PTR $B.") || net_fail "Brooklyn's update: $out"

SITES_PEERS=0
DNS_POLL=1
dns_gw_config manhattan
sites_gw_start manhattan
dns_wait_gw_up manhattan
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631
sites_publish manhattan-h1 "Old Printer" _ipp._tcp 631
both() { dns_zone_has manhattan "$A_PTR" && grep -qiE -- "$OLD_PTR" "$NET_TMP/axfr.out"; }
net_wait 5 both || net_fail "the two printers not in the zone: $(cat "$NET_TMP/axfr.out")"
net_pass "Printer A and Old Printer published"

sites_gw_kill manhattan KILL
sites_unpublish "Old Printer"
sleep 1
dns_zone_has manhattan "$OLD_PTR" || net_fail "Old Printer left the zone without a gateway"

sites_gw_start manhattan
dns_wait_gw_up manhattan
t0=$(sites_now)
# Until Old Printer is gone, Printer A must stay: the first transfer must not make the
# gateway delete what its LAN has not answered again yet.
gone=
for _ in $(seq 1 100); do
	dns_zone_has manhattan "$A_PTR" ||
		net_fail "Printer A was deleted from the zone after the restart: $(cat "$NET_TMP/axfr.out")"
	if ! grep -qiE -- "$OLD_PTR" "$NET_TMP/axfr.out" &&
		! grep -qiE "^old\\\\032printer\." "$NET_TMP/axfr.out"; then
		gone=1
		break
	fi
	sleep 0.1
done
[ -n "$gone" ] || net_fail "Old Printer still in the zone after the restart: $(cat "$NET_TMP/axfr.out")"
net_pass "stale Old Printer deleted $(sites_secs $(($(sites_now) - t0)))s after the restart; Printer A stayed"

dns_zone_has manhattan "^_ipp\._tcp\.${B//./\\.}\.\s+120\s+IN\s+PTR\s+scanner\._ipp\._tcp\.${B//./\\.}\.$" &&
	zone=$(cat "$NET_TMP/axfr.out") || net_fail "Brooklyn's PTR is gone: $(cat "$NET_TMP/axfr.out")"
grep -qiE "^scanner\._ipp\._tcp\.${B//./\\.}\.\s+120\s+IN\s+SRV" <<<"$zone" &&
	grep -qiE "^scan\.${B//./\\.}\.\s+120\s+IN\s+A\s+10\.101\.2\.30$" <<<"$zone" ||
	net_fail "Brooklyn's SRV or A is gone: $zone"
[ "$(grep -ciE "^b\._dns-sd\._udp\.$Z\.\s+[0-9]+\s+IN\s+PTR\s+(${B//./\\.}|$MR)\.$" <<<"$zone")" -eq 2 ] ||
	net_fail "b._dns-sd._udp should hold both sites' pointers: $zone"
net_pass "Brooklyn's records and its browse pointer untouched"

# Knot restarted on its zone file drops what dynamic updates added (zonefile-load:
# difference-no-serial applies the file's difference to the journal's zone); restarted
# between two requests, sitecastd sees no outage, but the next serial poll does.
dns_server_stop
dns_server_start wan
dns_zone_has manhattan "$A_PTR" && net_log "note: knotd kept the records over its restart"
t0=$(sites_now)
net_wait 10 dns_zone_has manhattan "$A_PTR" ||
	net_fail "Printer A not back in the zone after knotd restarted: $(cat "$NET_TMP/axfr.out")"
net_pass "knotd restarted on its zone file: Printer A back in the zone in $(sites_secs $(($(sites_now) - t0)))s"

sites_done
