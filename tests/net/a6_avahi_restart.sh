#!/usr/bin/env bash
# a6_avahi_restart.sh: avahi.publish and avahi.browse on, each gateway with its own
# avahi-daemon (sites.sh SITES_AVAHI=1).
#  1. A printer of Manhattan is published at Brooklyn by the avahi-daemon of Brooklyn's
#     gateway: `avahi-browse -a` on that gateway itself lists and resolves it (as
#     sitecast named it, with Manhattan's mapped address), and so do Brooklyn's hosts.
#     A service of Manhattan's gateway itself, which only Avahi's browser can tell
#     sitecastd of (its LAN sockets drop the host's own packets), reaches Brooklyn too,
#     and leaves it when it goes.
#  2. The avahi-daemon of Brooklyn's gateway stops: sitecastd keeps running, logs that
#     avahi-daemon is missing, and announces the imported services itself meanwhile:
#     Brooklyn's hosts still resolve the printer, and one published in Manhattan while
#     Avahi is away.
#  3. avahi-daemon starts again: sitecastd logs its return and publishes everything
#     through it again: the gateway's own avahi-browse lists both printers, the hosts
#     resolve them, no name conflict anywhere, and a printer unpublished in Manhattan
#     then leaves Brooklyn.
set -u
. "$(dirname "$0")/sites.sh"

SITES_AVAHI=1
sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp

# resolved_at KEY TYPE NAME: the resolved lines of a new avahi-browse at KEY for NAME
# (TYPE -a: every type) that carry sitecast's host name and a mapped address.
resolved_at() {
	sites_browse "$1" "$2" | awk -F'\t' -v n="$3" '$1 == "=" && $4 == n &&
		$5 == "_ipp._tcp" && $7 == "printer-manhattan.local" &&
		($8 == "10.101.1.10" || $8 == "fd51:1::10")'
}

_resolved_at() {
	[ -n "$(resolved_at "$@")" ]
}

# answers SITE: how many records SITE's sitecastd has answered from its caches so far.
answers() {
	sites_status_json "$1" |
		sites_json 'j["counters"]["answers_multicast"] + j["counters"]["answers_unicast"]'
}

sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"

# --- 1. published by the gateway's avahi-daemon
net_wait 10 _resolved_at brooklyn-gw -a "Printer A (manhattan)" ||
	net_fail "avahi-browse -a on Brooklyn's gateway does not resolve 'Printer A (manhattan)'" \
		"at printer-manhattan.local: $(sites_browse brooklyn-gw -a)"
sites_browse brooklyn-gw -a
net_pass "avahi-browse -a on Brooklyn's gateway lists and resolves 'Printer A (manhattan)'"
n=$(answers brooklyn)
[ "$n" -eq 0 ] || net_fail "Brooklyn's sitecastd answered $n records itself while Avahi publishes"
net_pass "Brooklyn's sitecastd leaves the answers to Avahi"

_gw_service_seen() {
	sites_resolved brooklyn-h1 _ipp._tcp | awk -F'\t' '$4 == "Gateway Printer (manhattan)" &&
		$7 == "gw-manhattan-manhattan.local" && ($8 == "10.101.1.1" || $8 == "fd51:1::1")' |
		grep -q .
}
sites_publish manhattan-gw "Gateway Printer" _ipp._tcp 633 "txt=gw"
net_wait 10 _gw_service_seen ||
	net_fail "the service of Manhattan's gateway is not resolved in Brooklyn" \
		"at gw-manhattan-manhattan.local: $(sites_resolved brooklyn-h1 _ipp._tcp)"
net_pass "a service of Manhattan's gateway itself (found by Avahi's browser) reaches Brooklyn"
sites_unpublish "Gateway Printer"
sites_wait_gone brooklyn-h1 _ipp._tcp "Gateway Printer (manhattan)" 10 ||
	net_fail "the service of Manhattan's gateway still in Brooklyn 10 s after it went ($SITES_STATE)"
net_pass "and leaves Brooklyn when it goes"

# --- 2. Brooklyn's avahi-daemon goes away
log=${SITES_GW_LOG[brooklyn]}
net_avahi_stop brooklyn-gw
net_log "avahi-daemon of Brooklyn's gateway stopped"
net_wait 10 grep -q 'avahi-daemon is not running' "$log" ||
	net_fail "no line in Brooklyn's log saying avahi-daemon is missing"
grep 'avahi-daemon is not running\|announced by sitecastd' "$log"
sites_gw_alive brooklyn
net_wait 10 _resolved_at brooklyn-h1 _ipp._tcp "Printer A (manhattan)" ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn while its gateway's Avahi is away"
sites_publish manhattan-h1 "Printer B" _ipp._tcp 632 "txt=2"
net_wait 10 _resolved_at brooklyn-h1 _ipp._tcp "Printer B (manhattan)" ||
	net_fail "'Printer B (manhattan)', published while Brooklyn's Avahi is away, not resolved there"
sites_gw_alive brooklyn
n=$(answers brooklyn)
[ "$n" -gt 0 ] || net_fail "Brooklyn's sitecastd answered nothing itself while Avahi was away"
net_pass "without avahi-daemon, sitecastd runs on and Brooklyn still resolves Manhattan's printers"

# --- 3. it comes back
net_avahi brooklyn-gw gw-brooklyn
net_log "avahi-daemon of Brooklyn's gateway started again"
net_wait 15 grep -q 'avahi-daemon is running' "$log" ||
	net_fail "no line in Brooklyn's log saying avahi-daemon is back"
grep 'avahi-daemon is running' "$log"
for name in "Printer A (manhattan)" "Printer B (manhattan)"; do
	net_wait 10 _resolved_at brooklyn-gw -a "$name" ||
		net_fail "after its restart, avahi-browse -a on Brooklyn's gateway does not resolve '$name'"
	net_wait 10 _resolved_at brooklyn-h1 _ipp._tcp "$name" ||
		net_fail "'$name' not resolved in Brooklyn after the gateway's Avahi came back"
done
if sites_avahi_conflicts; then
	net_fail "name conflict in an Avahi log"
fi
sleep 1 # answers still queued when Avahi returned are dropped, not sent
n=$(answers brooklyn)
sites_resolved brooklyn-h1 _ipp._tcp >/dev/null
[ "$(answers brooklyn)" -eq "$n" ] ||
	net_fail "Brooklyn's sitecastd answers itself again although Avahi is back"
net_pass "avahi-daemon back: both printers published through it again, no conflict"

sites_unpublish "Printer A"
sites_wait_gone brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' still in Brooklyn 10 s after it was unpublished ($SITES_STATE)"
[ -z "$(resolved_at brooklyn-gw -a "Printer A (manhattan)")" ] ||
	net_fail "Brooklyn's avahi-daemon still publishes 'Printer A (manhattan)'"
[ -n "$(resolved_at brooklyn-h1 _ipp._tcp "Printer B (manhattan)")" ] ||
	net_fail "'Printer B (manhattan)' went away too"
net_pass "unpublished in Manhattan: withdrawn from Brooklyn's avahi-daemon"
sites_done
exit 0
