#!/usr/bin/env bash
# a3_collision.sh: Avahi mode (sites.sh SITES_AVAHI=1). A host of Brooklyn already
# publishes a service named "Printer A (manhattan)" when Manhattan's "Printer A"
# arrives, so the avahi-daemon of Brooklyn's gateway finds the name taken and
# publishes the imported printer as "Printer A (manhattan) #2". sitecastd follows:
#  1. Brooklyn's hosts resolve "Printer A (manhattan) #2" at printer-manhattan.local,
#     and the local service keeps its name, port and host.
#  2. Brooklyn's gateway avahi-daemon stops: sitecastd announces and answers for the
#     imported printer itself, under the new name: Brooklyn's hosts still resolve
#     "Printer A (manhattan) #2", and the local service is not disturbed (its
#     avahi-publish reports no collision, as it would if sitecastd announced the old
#     name).
#  3. "Printer A" is unpublished in Manhattan: "Printer A (manhattan) #2" leaves
#     Brooklyn (goodbyes by the new name); the local service stays.
set -u
. "$(dirname "$0")/sites.sh"

SITES_AVAHI=1
sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp
taken="Printer A (manhattan)"
renamed="Printer A (manhattan) #2"

# resolved_at KEY NAME HOST PORT: NAME resolved at KEY at HOST port PORT (a new browse).
resolved_at() {
	sites_resolved "$1" _ipp._tcp | awk -F'\t' -v n="$2" -v h="$3" -v p="$4" \
		'$4 == n && $7 == h && $9 == p' | grep -q .
}

sites_publish brooklyn-h1 "$taken" _ipp._tcp 9631 "txt=local"
local_log=$SITES_PUB_LAST_LOG
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"

# --- 1. renamed by Avahi at Brooklyn's gateway
log=${SITES_GW_LOG[brooklyn]}
net_wait 10 grep -qF "published as \"$renamed\"" "$log" ||
	net_fail "Brooklyn's gateway did not log the rename to '$renamed'"
grep -F "collides" "$log"
sites_wait_visible brooklyn-h1 _ipp._tcp "$renamed" 10 ||
	net_fail "'$renamed' not resolved in Brooklyn ($SITES_STATE)"
net_wait 10 resolved_at brooklyn-h1 "$renamed" printer-manhattan.local 631 ||
	net_fail "'$renamed' not resolved at printer-manhattan.local port 631 in Brooklyn"
resolved_at brooklyn-h1 "$taken" printer.local 9631 ||
	net_fail "the local '$taken' is not resolved at printer.local port 9631 any more"
net_pass "the imported printer is '$renamed' in Brooklyn; the local '$taken' keeps its name"
svc=$(timeout 10 "$SITECASTCTL" -s "$(sites_control brooklyn)" services --json) ||
	net_fail "sitecastctl services of Brooklyn failed: $svc"
lan_name=$(printf '%s' "$svc" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["remote"]:
    if s["origin_name"] == "Printer A":
        print(s["lan_name"])')
[ "$lan_name" = "$renamed" ] ||
	net_fail "sitecastctl services gives lan_name '$lan_name' for Manhattan's Printer A, not '$renamed'"
net_pass "sitecastctl services shows the name Avahi chose: '$lan_name'"

# --- 2. without Brooklyn's gateway Avahi, sitecastd speaks under the new name
net_avahi_stop brooklyn-gw
net_log "avahi-daemon of Brooklyn's gateway stopped"
net_wait 10 grep -q 'avahi-daemon is not running' "$log" ||
	net_fail "no line in Brooklyn's log saying avahi-daemon is missing"
sleep 3 # sitecastd's announcements (two, a second apart) reach the hosts
net_wait 10 resolved_at brooklyn-h1 "$renamed" printer-manhattan.local 631 ||
	net_fail "'$renamed' not resolved in Brooklyn while its gateway's Avahi is away"
resolved_at brooklyn-h1 "$taken" printer.local 9631 ||
	net_fail "the local '$taken' was disturbed while sitecastd announced the import"
if grep -iE 'collision|conflict' "$local_log"; then
	net_fail "the local '$taken' saw a name collision: sitecastd announced the name Avahi had given up"
fi
if grep -qF "Established under name '$taken'" "$local_log" &&
	grep -F "Established under name" "$local_log" | grep -vqF "'$taken'"; then
	net_fail "the local service was renamed: $(cat "$local_log")"
fi
net_pass "sitecastd announces and answers for '$renamed' itself; the local service is undisturbed"

# --- 3. withdrawn under the new name
sites_unpublish "Printer A"
sites_wait_gone brooklyn-h1 _ipp._tcp "$renamed" 10 ||
	net_fail "'$renamed' still in Brooklyn 10 s after it was unpublished ($SITES_STATE)"
resolved_at brooklyn-h1 "$taken" printer.local 9631 ||
	net_fail "the local '$taken' went away too"
net_pass "'$renamed' withdrawn from Brooklyn; the local service stays"
sites_done
exit 0
