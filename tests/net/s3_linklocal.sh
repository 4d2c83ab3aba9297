#!/usr/bin/env bash
# s3_linklocal.sh: a host whose only address is link-local is not offered at the other
# site. In Manhattan, host "lonely" has no IPv4 address and no IPv6 address but its
# fe80:: one; Avahi publishes its AAAA fe80:: record and its "Lonely Printer". Link-local
# addresses are dropped on export (DESIGN.md), so nothing at Brooklyn can resolve that
# printer: Brooklyn's Avahi must not list it resolved, nor any fe80:: address.
# "Printer A" on a normal host of Manhattan is the control: once it is resolved in
# Brooklyn, the test waits 3 s more before looking.
set -u
. "$(dirname "$0")/sites.sh"

sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host manhattan-h2 ll
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer manhattan-h2 lonely brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links
sites_watch brooklyn-h1 _ipp._tcp

SITES_PUB_NOWAIT=1
sites_publish manhattan-h2 "Lonely Printer" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_published "Lonely Printer"
sites_wait_published "Printer A"

# On its own LAN the printer is there, with its link-local address only.
sites_wait_visible manhattan-h1 _ipp._tcp "Lonely Printer" 10 'fe80:' ||
	net_fail "'Lonely Printer' not resolved to a link-local address in Manhattan ($SITES_STATE)"
net_pass "Manhattan resolves 'Lonely Printer' at its link-local address (${SITES_STATE#resolved })"

sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "control 'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
net_pass "control 'Printer A (manhattan)' resolved in Brooklyn"
sleep 3

events=$(sites_browse brooklyn-h1 _ipp._tcp)
printf '%s\n' "$events"
if awk -F'\t' '$1 == "=" && ($4 ~ /^Lonely Printer/ || $7 ~ /^lonely/)' <<<"$events" | grep .; then
	net_fail "the link-local-only host's printer is resolved in Brooklyn"
fi
if awk -F'\t' '$1 == "=" && $8 ~ /^fe80:/' <<<"$events" | grep .; then
	net_fail "a link-local address from Manhattan is offered in Brooklyn"
fi
if awk -F'\t' '$1 == "+" && $4 ~ /^Lonely Printer/' <<<"$events" | grep -q .; then
	net_log "note: 'Lonely Printer' is listed in Brooklyn but cannot be resolved"
fi
net_pass "'Lonely Printer' (link-local only) not offered in Brooklyn"
sites_done
exit 0
