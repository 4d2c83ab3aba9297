#!/usr/bin/env bash
# s5_restart.sh: Manhattan's gateway dies and comes back; then it stays away.
#  1. Manhattan's sitecastd is killed with SIGKILL while two printers are seen in
#     Brooklyn, a third printer is published meanwhile, and sitecastd is started again
#     within the grace period. Once the link is back, Brooklyn shows all three, each
#     exactly once per interface and protocol as Avahi lists them, under the expected
#     names and no other (no duplicate, no "#2"), also after the grace period has passed
#     since the kill.
#  2. SIGKILL again, and no restart: the link is down for longer than the grace period
#     (limits.peer-grace: 5 s here). The printers are still seen in Brooklyn 3 s after
#     the kill, and withdrawn by Brooklyn's sitecastd (goodbyes) within 5 s after the
#     grace period ends.
set -u
. "$(dirname "$0")/sites.sh"

SITES_GRACE=5
sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp

want=("Printer A (manhattan)" "Printer B (manhattan)" "Printer C (manhattan)")
SITES_PUB_NOWAIT=1
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Printer B" _ipp._tcp 631 "txt=2"
sites_wait_published "Printer A"
sites_wait_published "Printer B"
for name in "${want[@]:0:2}"; do
	sites_wait_visible brooklyn-h1 _ipp._tcp "$name" 10 ||
		net_fail "'$name' not resolved in Brooklyn ($SITES_STATE)"
done
net_pass "two printers resolved in Brooklyn"

# --- 1. killed, a printer published meanwhile, restarted within the grace period
up_before=$(sites_peer_up_count brooklyn manhattan)
t_kill=$(sites_now)
sites_gw_kill manhattan KILL
sites_publish manhattan-h1 "Printer C" _ipp._tcp 631 "txt=3"
sites_wait_published "Printer C"
sites_gw_start manhattan
sites_wait_peer_up manhattan brooklyn 15
sites_wait_peer_up brooklyn manhattan 15 "$up_before"
net_log "link up again $(sites_secs $(($(sites_now) - t_kill))) s after the kill"
# Manhattan's first dial after its restart can find Brooklyn not yet ready, and the
# link Brooklyn lost has an error: with the link up, status calls either one an error
# from before the link came up, never a current one.
for site in manhattan brooklyn; do
	peer=brooklyn; [ "$site" = brooklyn ] && peer=manhattan
	v=$(sites_status_json "$site" | sites_json \
		"[(p['state'], bool(p['last_error']), p['last_error_before_up']) for p in j['peers'] if p['name'] == '$peer'][0]")
	case $v in
	"('up', True, True)" | "('up', False, False)") ;;
	*) net_fail "$site's status of $peer: (state, has last error, before up) = $v" ;;
	esac
	if "$SITECASTCTL" -s "$(sites_control "$site")" status | grep -E '^ +last error' | grep -qv 'last error before up:'; then
		net_fail "$site's status shows a current 'last error' for an up link"
	fi
done
net_pass "an up link's last error is labelled 'before up'"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer C (manhattan)" 10 ||
	net_fail "'Printer C (manhattan)', published while Manhattan's gateway was down," \
		"not resolved in Brooklyn after its restart ($SITES_STATE)"
net_pass "printer published during the restart resolved in Brooklyn"

# check_once: each wanted printer resolved exactly once per interface and protocol in a
# new avahi-browse at Brooklyn, and no other service of Manhattan there.
check_once() {
	local events resolved name n keys
	events=$(sites_browse brooklyn-h1 _ipp._tcp)
	printf '%s\n' "$events"
	resolved=$(awk -F'\t' '$1 == "="' <<<"$events")
	for name in "${want[@]}"; do
		n=$(awk -F'\t' -v n="$name" '$4 == n' <<<"$resolved" | wc -l)
		keys=$(awk -F'\t' -v n="$name" '$4 == n { print $2, $3 }' <<<"$resolved" | sort -u |
			wc -l)
		[ "$n" -ge 1 ] || net_fail "$1: '$name' not resolved in Brooklyn"
		[ "$n" -eq "$keys" ] ||
			net_fail "$1: '$name' resolved $n times on $keys interface/protocol pairs"
		awk -F'\t' -v n="$name" '$4 == n && ($7 != "printer-manhattan.local" ||
			($8 != "10.101.1.10" && $8 != "fd51:1::10"))' <<<"$resolved" | grep . &&
			net_fail "$1: '$name' resolved to another host or address"
	done
	if awk -F'\t' '$4 ~ /manhattan/ && $4 != "Printer A (manhattan)" &&
		$4 != "Printer B (manhattan)" && $4 != "Printer C (manhattan)"' <<<"$events" | grep .; then
		net_fail "$1: other services of Manhattan in Brooklyn (duplicates renamed?)"
	fi
	if sites_avahi_conflicts; then
		net_fail "$1: name conflict in an Avahi log"
	fi
}
check_once "after the restart"
net_pass "after the restart: each printer once in Brooklyn"
# Past the end of the grace period of the killed link: nothing withdrawn, still once.
rest=$((t_kill + (SITES_GRACE + 2) * 1000000 - $(sites_now)))
[ "$rest" -gt 0 ] && sleep "$(sites_secs "$rest")"
for name in "${want[@]}"; do
	[ "$(sites_state brooklyn-h1 _ipp._tcp "$name")" != gone ] ||
		net_fail "'$name' was withdrawn in Brooklyn although the link came back within the grace period"
done
check_once "grace period over"
net_pass "$((SITES_GRACE + 2)) s after the kill: each printer still once in Brooklyn"

# --- 2. killed, not restarted: withdrawn after the grace period
t_kill=$(sites_now)
sites_gw_kill manhattan KILL
sleep $((SITES_GRACE - 2))
for name in "${want[@]}"; do
	sites_state brooklyn-h1 _ipp._tcp "$name" | grep -q '^resolved' ||
		net_fail "'$name' withdrawn in Brooklyn $((SITES_GRACE - 2)) s after the link went down (grace: $SITES_GRACE s)"
done
net_pass "$((SITES_GRACE - 2)) s after the link went down, the printers are still in Brooklyn"
for name in "${want[@]}"; do
	sites_wait_gone brooklyn-h1 _ipp._tcp "$name" $((SITES_GRACE + 5)) ||
		net_fail "'$name' still in Brooklyn $((SITES_GRACE * 2 + 3)) s after the link went down (grace: $SITES_GRACE s)"
done
elapsed=$((SITES_SEEN_T - t_kill))
net_log "withdrawn in Brooklyn $(sites_secs "$elapsed") s after the link went down (grace $SITES_GRACE s)"
events=$(sites_browse brooklyn-h1 _ipp._tcp)
if awk -F'\t' '$4 ~ /manhattan/' <<<"$events" | grep .; then
	net_fail "a new avahi-browse in Brooklyn still lists Manhattan's printers"
fi
[ "$elapsed" -ge $((SITES_GRACE * 1000000)) ] ||
	net_fail "withdrawn after $(sites_secs "$elapsed") s, before the grace period of $SITES_GRACE s"
net_pass "withdrawn after the grace period ($(sites_secs "$elapsed") s)"
sites_done
exit 0
