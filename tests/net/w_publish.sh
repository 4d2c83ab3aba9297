#!/usr/bin/env bash
# w_publish.sh: wide-area DNS-SD end to end through a real Knot DNS, no peer links.
# A printer published with avahi-publish on Manhattan's LAN appears in Manhattan's
# domain of the zone (PTR, SRV, TXT, the host's A with the mapped address, the
# _services enumeration and the b/lb browse pointers) within 2 s; Brooklyn's gateway,
# importing that domain, announces it on Brooklyn's LAN as "Printer A (manhattan)" on
# printer-manhattan.local; unpublished, it is deleted from the zone and goes from
# Brooklyn's LAN. Knot folds names to lower case: names are compared without case.
set -u
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/dns.sh"

dns_require
sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 laptop
sites_keys
dns_keys manhattan brooklyn
dns_server_node wan
dns_knotd wan manhattan brooklyn

SITES_PEERS=0
DNS_POLL=1
dns_gw_config manhattan brooklyn
dns_gw_config brooklyn manhattan
sites_gw_start manhattan
sites_gw_start brooklyn
dns_wait_gw_up manhattan
dns_wait_gw_up brooklyn
net_pass "both gateways reach the server and transferred the zone"

M=manhattan.$DNS_ZONE
Z=${DNS_ZONE//./\\.}
MR=${M//./\\.}
INST="printer\\\\032a\\._ipp\\._tcp\\.$MR\\."
TTL='[0-9]+\s+IN'

zone_line() { # ERE, on the last transfer
	grep -qiE -- "$1" "$NET_TMP/axfr.out"
}

in_zone() {
	dns_zone_has manhattan "^_ipp\._tcp\.$MR\.\s+$TTL\s+PTR\s+$INST$" &&
		zone_line "^$INST\s+$TTL\s+SRV\s+0 0 631 printer\.$MR\.$" &&
		zone_line "^$INST\s+$TTL\s+TXT\s+\"rp=queue1\"$" &&
		zone_line "^printer\.$MR\.\s+$TTL\s+A\s+10\.101\.1\.10$" &&
		zone_line "^_services\._dns-sd\._udp\.$MR\.\s+$TTL\s+PTR\s+_ipp\._tcp\.$MR\.$" &&
		zone_line "^b\._dns-sd\._udp\.$Z\.\s+$TTL\s+PTR\s+$MR\.$" &&
		zone_line "^lb\._dns-sd\._udp\.$Z\.\s+$TTL\s+PTR\s+$MR\.$"
}

sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 rp=queue1
t0=${SITES_PUB_T["Printer A"]}
net_wait 2 in_zone || {
	cat "$NET_TMP/axfr.out"
	net_fail "Printer A not in the zone (PTR, SRV, TXT, A 10.101.1.10, _services, b, lb) within 2 s"
}
t_zone=$(sites_now)
if zone_line "192\.168\.1\.|fe80:"; then
	net_fail "an unmapped or link-local address is in the zone: $(cat "$NET_TMP/axfr.out")"
fi
net_pass "Printer A in the zone with the mapped address $(sites_secs $((t_zone - t0)))s after Avahi established it"

# Knot DNS stores "Printer A" as "printer a": Brooklyn announces what the zone holds.
NAME_B="Printer A (manhattan)"
[ "$DNS_SERVER_KIND" = knot ] && NAME_B=${NAME_B,,}
sites_wait_visible brooklyn-h1 _ipp._tcp "$NAME_B" 10 '^10\.101\.1\.10$' ||
	net_fail "'$NAME_B' not resolved at Brooklyn's LAN host within 10 s (state: $SITES_STATE)"
t_far=$SITES_SEEN_T
grep -qF "$NAME_B" <<<"$(sites_browse brooklyn-h1 _ipp._tcp | awk -F'\t' '$1 == "=" && $7 == "printer-manhattan.local"')" ||
	net_fail "'$NAME_B' is not on printer-manhattan.local at Brooklyn"
net_pass "'$NAME_B' on printer-manhattan.local (10.101.1.10) at Brooklyn $(sites_secs $((t_far - t_zone)))s after it was in the zone (poll 1 s)"
grep -qiE "stores names in lower case" "${SITES_GW_LOG[manhattan]}" ||
	net_fail "Manhattan's log does not say that the server folds names to lower case"
[ "$(grep -ciE "stores names in lower case" "${SITES_GW_LOG[manhattan]}")" -eq 1 ] ||
	net_fail "the lower-case notice is logged more than once"
net_pass "Manhattan logged once that Knot shows instance names in lower case"

status=$(sites_status_json manhattan)
[ "$(sites_json 'j["dns"]["state"]' <<<"$status")" = up ] || net_fail "status: dns not up: $status"
[ "$(sites_json 'j["dns"]["records_published"] >= 7' <<<"$status")" = True ] ||
	net_fail "status: fewer than 7 records published: $status"
status=$(sites_status_json brooklyn)
[ "$(sites_json '[i["records_imported"] for i in j["dns"]["imports"] if i["site"] == "manhattan"][0] >= 4' <<<"$status")" = True ] ||
	net_fail "status: Brooklyn shows no records imported from Manhattan: $status"
net_pass "sitecastctl status shows the dns state (published, imported)"

# The same in sitecastctl metrics, read by a real Prometheus text parser when there is one.
dns_metric() { # SITE NAME [SITE-LABEL]
	"$SITECASTCTL" -s "$(sites_control "$1")" metrics >"$NET_TMP/metrics-$1.out" ||
		net_fail "sitecastctl metrics of $1 failed"
	"$NET_PYTHON" - "$NET_TMP/metrics-$1.out" "$2" "${3:-}" <<'PY'
import sys
text = open(sys.argv[1]).read()
try:
    from prometheus_client.parser import text_string_to_metric_families
    samples = [(s.name, s.labels, s.value) for fam in text_string_to_metric_families(text)
               for s in fam.samples]
except ImportError:
    import re
    samples = []
    for line in text.splitlines():
        m = re.match(r'^(\w+)(?:\{site="([^"]*)"\})? (\d+)$', line)
        if m:
            samples.append((m.group(1), {"site": m.group(2)} if m.group(2) else {},
                            float(m.group(3))))
for name, labels, value in samples:
    if name == sys.argv[2] and labels.get("site", "") == sys.argv[3]:
        print(int(value))
PY
}
[ "$(dns_metric manhattan sitecast_dns_up)" = 1 ] || net_fail "metrics: sitecast_dns_up is not 1"
[ "$(dns_metric manhattan sitecast_dns_records_published)" -ge 7 ] ||
	net_fail "metrics: sitecast_dns_records_published under 7"
[ "$(dns_metric brooklyn sitecast_dns_import_records manhattan)" -ge 4 ] ||
	net_fail "metrics: Brooklyn's sitecast_dns_import_records{site=\"manhattan\"} under 4"
net_pass "sitecastctl metrics has the dns counters"

# An instance name that needs escaping (a space, a dot, UTF-8) is published exactly
# (RFC 6763 §4.3) and comes back the same at Brooklyn.
sites_publish manhattan-h1 "Büro 2.OG" _ipp._tcp 632
BURO="b\\\\195\\\\188ro\\\\0322\\\\\.og\._ipp\._tcp\.$MR\."
net_wait 3 dns_zone_has manhattan "^$BURO\s+$TTL\s+SRV\s+0 0 632 printer\.$MR\.$" ||
	net_fail "'Büro 2.OG' not in the zone as b\\195\\188ro\\0322\\.og: $(cat "$NET_TMP/axfr.out")"
BURO_B="Büro 2.OG (manhattan)"
[ "$DNS_SERVER_KIND" = knot ] && BURO_B="büro 2.og (manhattan)"
sites_wait_visible brooklyn-h1 _ipp._tcp "$BURO_B" 10 '^10\.101\.1\.10$' ||
	net_fail "'$BURO_B' not at Brooklyn (state: $SITES_STATE)"
sites_unpublish "Büro 2.OG"
net_wait 3 eval '! dns_zone_has manhattan "^$BURO"' || net_fail "'Büro 2.OG' not deleted"
sites_wait_gone brooklyn-h1 _ipp._tcp "$BURO_B" 10 || net_fail "'$BURO_B' still at Brooklyn"
net_pass "'Büro 2.OG' published escaped exactly, shown at Brooklyn as '$BURO_B', deleted"

# SIGHUP: an import removed withdraws what it brought, added again it comes back; an
# export whose rules now refuse the printer deletes it from the zone.
reload() { # SITE [IMPORTED-SITE...]
	dns_gw_config "$@"
	sites_config "$1"
	kill -HUP "${SITES_GW_PID[$1]}"
}
reload brooklyn
sites_wait_gone brooklyn-h1 _ipp._tcp "$NAME_B" 5 ||
	net_fail "'$NAME_B' still at Brooklyn after its import was removed (state: $SITES_STATE)"
reload brooklyn manhattan
sites_wait_visible brooklyn-h1 _ipp._tcp "$NAME_B" 10 '^10\.101\.1\.10$' ||
	net_fail "'$NAME_B' not back at Brooklyn after the import was added again"
net_pass "reload: the import removed withdraws Manhattan's printer at Brooklyn, added again brings it back"
DNS_EXPORT[manhattan]=everything_but_printers
SITES_POLICY=$(printf '  offices:\n    - allow: { service: _ipp._tcp }\n  everything_but_printers:\n    - deny: { service: _ipp._tcp }\n    - allow: {}')
reload manhattan brooklyn
net_wait 3 eval '! dns_zone_has manhattan "^_ipp\._tcp\.$MR\."' ||
	net_fail "the printer is still in the zone after the export rules refused it"
DNS_EXPORT[manhattan]=offices
reload manhattan brooklyn
net_wait 3 in_zone || net_fail "the printer did not come back into the zone after the reload"
net_pass "reload: export rules that refuse the printer delete it from the zone, allowing it again publishes it"

sites_unpublish "Printer A"
t1=$(sites_now)
not_in_zone() {
	dns_axfr manhattan >"$NET_TMP/axfr.out" 2>&1 &&
		! grep -qiE "^(_ipp\._tcp\.$MR|$INST|_services\._dns-sd\._udp\.$MR)\.?\s" "$NET_TMP/axfr.out" &&
		! grep -qiE "^l?b\._dns-sd\._udp\.$Z\.\s+$TTL\s+PTR\s+$MR\.$" "$NET_TMP/axfr.out" &&
		grep -qiE "\sSOA\s" "$NET_TMP/axfr.out"
}
net_wait 5 not_in_zone || {
	cat "$NET_TMP/axfr.out"
	net_fail "Printer A's records (or the browse pointers) still in the zone 5 s after the goodbye"
}
net_pass "unpublished: deleted from the zone in $(sites_secs $(($(sites_now) - t1)))s"
sites_wait_gone brooklyn-h1 _ipp._tcp "$NAME_B" 10 ||
	net_fail "'$NAME_B' still at Brooklyn 10 s after it left the zone (state: $SITES_STATE)"
net_pass "'$NAME_B' gone from Brooklyn's LAN $(sites_secs $((SITES_SEEN_T - t1)))s after the goodbye"

sites_gw_alive manhattan
sites_gw_alive brooklyn
sites_done
