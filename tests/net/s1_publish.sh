#!/usr/bin/env bash
# s1_publish.sh: a printer published with avahi-publish in Manhattan is browsed and
# resolved by Avahi in Brooklyn within 2 seconds: renamed "Printer A (manhattan)" on
# host printer-manhattan.local, with the addresses Manhattan's map gives Brooklyn
# (192.168.1.10 -> 10.101.1.10, fd00:1::10 -> fd51:1::10), its port and TXT record
# unchanged. The time is measured from the moment avahi-publish says the service is
# established (announced on Manhattan's LAN); the time since avahi-publish started,
# which includes Avahi's probing, is printed too.
set -u
. "$(dirname "$0")/sites.sh"

sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp

sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn within 10 s ($SITES_STATE)"
elapsed=$((SITES_SEEN_T - ${SITES_PUB_T[Printer A]}))
net_log "resolved in Brooklyn $(sites_secs "$elapsed") s after Avahi established it in Manhattan," \
	"$(sites_secs $((SITES_SEEN_T - ${SITES_PUB_T0[Printer A]}))) s after avahi-publish started ($SITES_STATE)"

lines=$(sites_resolved brooklyn-h1 _ipp._tcp)
printf '%s\n' "$lines"
# Avahi resolves each line to an A or an AAAA record: either mapped address will do.
want=$'Printer A \\(manhattan\\)\t_ipp\\._tcp\tlocal\tprinter-manhattan\\.local\t'
want+=$'(10\\.101\\.1\\.10|fd51:1::10)\t631\t"txt=1"$'
grep -qE -- "$want" <<<"$lines" ||
	net_fail "no resolved line: Printer A (manhattan), printer-manhattan.local, 10.101.1.10 or fd51:1::10, 631, \"txt=1\""
if grep -E $'\t(192\\.168\\.1\\.|fd00:1:|fe80:)' <<<"$lines"; then
	net_fail "an address of Manhattan's LAN reached Brooklyn unmapped"
fi
if awk -F'\t' '$4 != "Printer A (manhattan)"' <<<"$lines" | grep .; then
	net_fail "other services than 'Printer A (manhattan)' in Brooklyn"
fi
a=$(sites_resolve brooklyn-h1 printer-manhattan.local 4)
aaaa=$(sites_resolve brooklyn-h1 printer-manhattan.local 6)
net_log "avahi-resolve in Brooklyn: printer-manhattan.local A '$a' AAAA '$aaaa'"
[ "$a" = 10.101.1.10 ] || net_fail "printer-manhattan.local resolves to '$a' in Brooklyn, want 10.101.1.10"
[ "$aaaa" = fd51:1::10 ] || net_fail "printer-manhattan.local resolves to '$aaaa' (IPv6) in Brooklyn, want fd51:1::10"
net_pass "Brooklyn resolves 'Printer A (manhattan)' at printer-manhattan.local (10.101.1.10, fd51:1::10) port 631"

[ "$elapsed" -le 2000000 ] ||
	net_fail "'Printer A (manhattan)' took $(sites_secs "$elapsed") s to appear in Brooklyn (limit 2 s)"
net_pass "visible in Brooklyn within 2 s ($(sites_secs "$elapsed") s)"
sites_done
exit 0
