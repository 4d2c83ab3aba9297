#!/usr/bin/env bash
# w_scale.sh: wide-area DNS-SD at scale. 20 sites (W_SCALE_SITES), each a gateway and
# one LAN host with avahi-daemon, no peer links, one Knot DNS on the WAN router. Each
# LAN host publishes "Printer" (_ipp._tcp) with avahi-publish; every gateway exports
# into its own domain and imports the other 19 domains. Every LAN host then lists
# exactly its own "Printer" and "Printer (SITE)" of each other site (compared without
# case: Knot DNS folds names), resolved to that site's mapped address 10.101.N.10:
# nothing missing, nothing duplicated; the zone holds each site's SRV once.
set -u
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/dns.sh"

N=${W_SCALE_SITES:-20}
DNS_POLL=${DNS_POLL:-2}
dns_require

t0=$(sites_now)
sites_many "$N"
net_log "$N sites, $N avahi-daemons, knotd and $N gateways up in $(sites_secs $(($(sites_now) - t0)))s"

# Watchers first, so that every event from now on is in their output.
for site in "${SITES[@]}"; do
	sites_watch "$site-h1" _ipp._tcp
done
declare -A PUBLOG=()
for site in "${SITES[@]}"; do
	SITES_PUB_NOWAIT=1 sites_publish "$site-h1" Printer _ipp._tcp 631 "site=$site"
	PUBLOG[$site]=$SITES_PUB_LAST_LOG
done
established() {
	local site
	for site in "${SITES[@]}"; do
		grep -qF "Established under name 'Printer'" "${PUBLOG[$site]}" || return 1
	done
}
net_wait 20 established || net_fail "not every site's Printer was established by Avahi"
t1=$(sites_now)
net_pass "$N printers published, one per site"

# expected SITE: what SITE's host should list, as browse.py names prints the names,
# in lower case (Knot DNS folds names: the far ones arrive as "printer (SITE)").
expected() {
	local site=$1 other
	{
		printf 'printer\n'
		for other in "${SITES[@]}"; do
			[ "$other" = "$site" ] || printf 'printer (%s)\n' "$other"
		done
	} | sort
}
# converged: every host lists the expected names, all resolved, remote ones to
# their site's mapped IPv4 address; LAGGING names the sites that do not yet.
LAGGING=
converged() {
	local site other names rc=0 line
	LAGGING=
	for site in "${SITES[@]}"; do
		names=$(sites_names "$site-h1" _ipp._tcp)
		if [ "$(cut -f1 <<<"$names" | tr '[:upper:]' '[:lower:]' | sort)" != "$(expected "$site")" ] ||
			grep -qv $'\tresolved ' <<<"$names"; then
			LAGGING+=" $site"
			rc=1
			continue
		fi
		for other in "${SITES[@]}"; do
			[ "$other" = "$site" ] && continue
			line=$(grep -iF "Printer ($other)"$'\t' <<<"$names")
			[[ $line =~ resolved.*(^|[ ,])10\.101\.${SITES_NUM[$other]}\.10(,|$) ]] || {
				LAGGING+=" $site($other)"
				rc=1
			}
		done
	done
	return $rc
}
if ! net_wait 60 converged; then
	for site in $LAGGING; do
		site=${site%%(*}
		echo "--- $site-h1 lists:"
		sites_names "$site-h1" _ipp._tcp
	done
	net_fail "after 60 s, not every LAN host lists exactly the other sites' printers:$LAGGING"
fi
net_pass "every one of $N LAN hosts lists its own Printer and the other $((N - 1)) sites' (Printer (SITE), mapped addresses), nothing missing or extra, $(sites_secs $(($(sites_now) - t1)))s after publishing"

zone=$(dns_axfr manhattan) || net_fail "AXFR failed"
for site in "${SITES[@]}"; do
	n=$(grep -ciE "^printer\._ipp\._tcp\.$site\.$DNS_ZONE\.\s+[0-9]+\s+IN\s+SRV\s" <<<"$zone")
	[ "$n" -eq 1 ] || net_fail "the zone holds $n SRV records of $site's Printer: $(grep -i "$site" <<<"$zone")"
	n=$(grep -ciE "^_ipp\._tcp\.$site\.$DNS_ZONE\.\s+[0-9]+\s+IN\s+PTR\s" <<<"$zone")
	[ "$n" -eq 1 ] || net_fail "the zone holds $n PTR records in _ipp._tcp.$site"
done
net_pass "the zone holds each site's printer once ($(wc -l <<<"$zone") records)"

# Nothing changed meanwhile: a second look a few polls later lists the same.
sleep $((2 * DNS_POLL))
converged || net_fail "the listings changed after convergence:$LAGGING"
if sites_avahi_conflicts; then net_fail "name conflicts at the LAN hosts"; fi
net_pass "still the same $((2 * DNS_POLL))s later, no name conflict"
# (sites_done passes over a gateway that is not running: each must still be.)
for site in "${SITES[@]}"; do sites_gw_alive "$site"; done
sites_done
