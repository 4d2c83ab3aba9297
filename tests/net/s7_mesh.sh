#!/usr/bin/env bash
# s7_mesh.sh: three sites in a full mesh (each gateway linked to the two others), each
# with a host "printer.local" publishing a printer named "Printer" (the same names at
# every site, as in real offices). Every site sees exactly the other two, renamed
# ("Printer (brooklyn)", "Printer (queens)" in Manhattan...), next to its own, and
# nothing else (no record that went round the mesh, no "#2"); no Avahi log tells of a
# name conflict; and there is no packet storm: each LAN carries fewer than
# MAX_PACKETS mDNS packets (IPv4 and IPv6, every sender, counted on the site's
# switch) during the 30 s that start when the printers are published.
set -u
. "$(dirname "$0")/sites.sh"

MAX_PACKETS=300
WINDOW=30
sites_setup manhattan brooklyn queens
for site in "${SITES[@]}"; do
	sites_sniff_start "$site"
	sites_watch "$site-h1" _ipp._tcp
done
t0=$(sites_now)

SITES_PUB_NOWAIT=1
declare -A publog=()
for site in "${SITES[@]}"; do
	sites_publish "$site-h1" "Printer" _ipp._tcp 631 "site=$site"
	publog[$site]=$SITES_PUB_LAST_LOG
done
# All three are called "Printer": sites_wait_published would not tell them apart.
for site in "${SITES[@]}"; do
	net_wait 10 grep -qF "Established under name 'Printer'" "${publog[$site]}" ||
		net_fail "'Printer' not established in $site: $(cat "${publog[$site]}")"
done
net_log "published 'Printer' at the three sites"

for site in "${SITES[@]}"; do
	for other in "${SITES[@]}"; do
		[ "$other" = "$site" ] && continue
		sites_wait_visible "$site-h1" _ipp._tcp "Printer ($other)" 10 ||
			net_fail "'Printer ($other)' not resolved in $site ($SITES_STATE)"
	done
done
net_log "every site sees the two others ($(sites_secs $(($(sites_now) - t0))) s)"

rest=$((t0 + WINDOW * 1000000 - $(sites_now)))
[ "$rest" -gt 0 ] && sleep "$(sites_secs "$rest")"
counts=()
for site in "${SITES[@]}"; do
	counts+=("$site $(sites_sniff_count "$site")")
done
net_log "mDNS packets in ${WINDOW} s: ${counts[*]}"

for site in "${SITES[@]}"; do
	sites_gw_alive "$site"
	lines=$(sites_resolved "$site-h1" _ipp._tcp)
	printf '%s\n' "$lines" | awk -F'\t' '{ print "  '"$site"':", $3, $4, $7, $8, $10 }'
	names=$(awk -F'\t' '{ print $4 }' <<<"$lines" | sort -u | tr '\n' '|')
	want=$(for other in "${SITES[@]}"; do
		[ "$other" = "$site" ] && echo "Printer" || echo "Printer ($other)"
	done | sort | tr '\n' '|')
	[ "$names" = "$want" ] || net_fail "$site sees '$names', want '$want'"
	for other in "${SITES[@]}"; do
		[ "$other" = "$site" ] && continue
		n=${SITES_NUM[$other]}
		awk -F'\t' -v name="Printer ($other)" -v host="printer-$other.local" \
			-v a4="10.101.$n.10" -v a6="fd51:$n::10" -v txt="\"site=$other\"" \
			'$4 == name && ($7 != host || ($8 != a4 && $8 != a6) || $10 != txt)' \
			<<<"$lines" | grep . && net_fail "$site resolves 'Printer ($other)' wrongly"
	done
done
net_pass "each site sees its own printer and the two others, renamed, nothing more"

if sites_avahi_conflicts; then
	net_fail "name conflicts in the Avahi logs"
fi
net_pass "no name conflict in any Avahi log"

for c in "${counts[@]}"; do
	[ "${c#* }" -lt "$MAX_PACKETS" ] ||
		net_fail "packet storm: ${c#* } mDNS packets on the LAN of ${c% *} in $WINDOW s (limit $MAX_PACKETS)"
done
net_pass "no packet storm: ${counts[*]} mDNS packets per LAN in $WINDOW s (limit $MAX_PACKETS)"
sites_done
exit 0
