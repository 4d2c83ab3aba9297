#!/usr/bin/env bash
# s4_unpublish.sh: a service unpublished in Manhattan (its avahi-publish stopped, so
# Avahi sends goodbyes) is gone from Brooklyn's Avahi within 3 seconds, while another
# printer of the same host stays.
set -u
. "$(dirname "$0")/sites.sh"

sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp

SITES_PUB_NOWAIT=1
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Printer B" _ipp._tcp 631 "txt=2"
sites_wait_published "Printer A"
sites_wait_published "Printer B"
for name in "Printer A (manhattan)" "Printer B (manhattan)"; do
	sites_wait_visible brooklyn-h1 _ipp._tcp "$name" 10 ||
		net_fail "'$name' not resolved in Brooklyn ($SITES_STATE)"
done
net_pass "both printers resolved in Brooklyn"

t0=$(sites_now)
sites_unpublish "Printer A"
sites_wait_gone brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' still in Brooklyn 10 s after it was unpublished ($SITES_STATE)"
elapsed=$((SITES_SEEN_T - t0))
net_log "'Printer A (manhattan)' removed in Brooklyn $(sites_secs "$elapsed") s after unpublishing"

# A fresh browse agrees (not only the running browser's view), and Printer B stays.
events=$(sites_browse brooklyn-h1 _ipp._tcp)
printf '%s\n' "$events"
if awk -F'\t' '$4 == "Printer A (manhattan)"' <<<"$events" | grep -q .; then
	net_fail "a new avahi-browse in Brooklyn still lists 'Printer A (manhattan)'"
fi
awk -F'\t' '$1 == "=" && $4 == "Printer B (manhattan)"' <<<"$events" | grep -q . ||
	net_fail "'Printer B (manhattan)' went away too"
[ "$(sites_state brooklyn-h1 _ipp._tcp "Printer B (manhattan)")" != gone ] ||
	net_fail "'Printer B (manhattan)' was removed in Brooklyn at some point"
net_pass "'Printer A (manhattan)' gone in Brooklyn, 'Printer B (manhattan)' still there"

[ "$elapsed" -le 3000000 ] ||
	net_fail "'Printer A (manhattan)' took $(sites_secs "$elapsed") s to go away in Brooklyn (limit 3 s)"
net_pass "gone within 3 s ($(sites_secs "$elapsed") s)"
sites_done
exit 0
