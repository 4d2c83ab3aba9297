#!/usr/bin/env bash
# s8_ipv6.sh: IPv6 works like IPv4. The LAN hosts of both sites have IPv6 addresses
# only (ULA fd00:N::/64 and link-local), so their Avahi speaks mDNS on ff02::fb alone
# and publishes AAAA records only; the gateways also link over IPv6 (listen and connect
# on "[fd10:N::2]:5358"). A printer published in Manhattan is resolved in Brooklyn,
# renamed, at the address Manhattan's map gives Brooklyn (fd00:1::10 -> fd51:1::10),
# never at an unmapped or link-local address. It goes away again when unpublished.
set -u
. "$(dirname "$0")/sites.sh"

SITES_WAN_AF=6
sites_init manhattan brooklyn
sites_host manhattan-h1 v6
sites_host brooklyn-h1 v6
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links
grep -h -iF -- " up" "${SITES_GW_LOG[@]}" | grep -iE 'manhattan|brooklyn' | head -n 2
sites_watch brooklyn-h1 _ipp._tcp

sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible manhattan-h1 _ipp._tcp "Printer A" 10 '^fd00:1::10$' ||
	net_fail "'Printer A' not resolved at fd00:1::10 in Manhattan ($SITES_STATE)"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
elapsed=$((SITES_SEEN_T - ${SITES_PUB_T[Printer A]}))
net_log "resolved in Brooklyn $(sites_secs "$elapsed") s after Avahi established it ($SITES_STATE)"

lines=$(sites_resolved brooklyn-h1 _ipp._tcp)
printf '%s\n' "$lines"
awk -F'\t' '$3 == "IPv6" && $4 == "Printer A (manhattan)" && $7 == "printer-manhattan.local" &&
	$8 == "fd51:1::10" && $9 == 631 && $10 == "\"txt=1\""' <<<"$lines" | grep -q . ||
	net_fail "no IPv6 line: Printer A (manhattan), printer-manhattan.local, fd51:1::10, 631, \"txt=1\""
if awk -F'\t' '$4 == "Printer A (manhattan)" && $8 != "fd51:1::10"' <<<"$lines" | grep .; then
	net_fail "'Printer A (manhattan)' resolved in Brooklyn at another address than fd51:1::10"
fi
aaaa=$(sites_resolve brooklyn-h1 printer-manhattan.local 6)
[ "$aaaa" = fd51:1::10 ] ||
	net_fail "printer-manhattan.local resolves to '$aaaa' (IPv6) in Brooklyn, want fd51:1::10"
net_pass "Brooklyn resolves 'Printer A (manhattan)' at printer-manhattan.local fd51:1::10 port 631 over IPv6"

sites_unpublish "Printer A"
sites_wait_gone brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' still in Brooklyn 10 s after it was unpublished ($SITES_STATE)"
net_pass "unpublished: gone in Brooklyn"
sites_done
exit 0
