#!/usr/bin/env bash
# w_server_restart.sh: the DNS server goes away for 20 s and comes back. Manhattan
# exports into manhattan.sites.example.com on a real Knot DNS, Brooklyn imports it
# (limits.peer-grace 60 s, longer than the outage). knotd is stopped (its journal
# stays); meanwhile "Printer B" is published at Manhattan and "Printer C" withdrawn.
# Both gateways keep running and log the outage a few times at most, not per retry;
# Brooklyn keeps "Printer A (manhattan)" all along. Once knotd is back the zone holds
# what Manhattan has, each record once: A and B, not C, and Brooklyn shows the same.
# Then knotd is away once more, comes back without its journal (its data lost), and
# Printer D was published meanwhile: Manhattan publishes all again, each record once,
# and Brooklyn shows A, B and D.
# Knot folds names to lower case: names are compared without case.
set -u
. "$(dirname "$0")/sites.sh"
. "$(dirname "$0")/dns.sh"

dns_require
SITES_GRACE=60
DNS_POLL=2
OUTAGE=${W_OUTAGE:-20}
sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_dns_server knot
dns_gw_config manhattan
dns_gw_config brooklyn manhattan
sites_gw_start_all
dns_wait_gw_up manhattan
dns_wait_gw_up brooklyn
M=manhattan.$DNS_ZONE

# srv NAME: the zone's SRV line pattern for instance NAME of Manhattan (without case).
srv() { echo "^${1// /\\\\032}\._ipp\._tcp\.$M\.\s+[0-9]+\s+IN\s+SRV\s"; }
# listed KEY NAME: KEY's watcher lists NAME (without case), resolved.
listed() { sites_names "$1" _ipp._tcp | grep -qiE "^$2"$'\t'"resolved "; }
unlisted() { ! sites_names "$1" _ipp._tcp | grep -qiF "$2"$'\t'; }
# removals NAME: how often Brooklyn's watcher saw NAME (without case) removed.
removals() {
	"$NET_PYTHON" "$NET_LIBDIR/browse.py" table "${SITES_WATCH[brooklyn-h1 _ipp._tcp]}" |
		awk -F'\t' -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" '$1 == "-" && tolower($4) == n' | wc -l
}
# manhattan_records: the zone's records that name Manhattan's domain (owner or data).
manhattan_records() { dns_axfr manhattan | grep -iF "$M." | grep -v 'SOA' | sort; }

sites_watch brooklyn-h1 _ipp._tcp
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 rp=a
sites_publish manhattan-h1 "Printer C" _ipp._tcp 631 rp=c
net_wait 10 dns_zone_has manhattan "$(srv "Printer A")" ||
	net_fail "Printer A not in the zone: $(dns_axfr manhattan)"
net_wait 10 dns_zone_has manhattan "$(srv "Printer C")" || net_fail "Printer C not in the zone"
net_wait 15 listed brooklyn-h1 "Printer A \(manhattan\)" || net_fail "Brooklyn does not show Printer A"
net_wait 15 listed brooklyn-h1 "Printer C \(manhattan\)" || net_fail "Brooklyn does not show Printer C"
before=$(manhattan_records)
net_pass "Printers A and C in the zone ($(wc -l <<<"$before") records of Manhattan) and at Brooklyn"

# The outage. The log lines each gateway writes meanwhile are counted.
declare -A LINES=()
for site in manhattan brooklyn; do LINES[$site]=$(wc -l <"${SITES_GW_LOG[$site]}"); done
dns_server_stop
t_stop=$(sites_now)
net_log "knotd stopped"
sleep 2
sites_publish manhattan-h1 "Printer B" _ipp._tcp 631 rp=b
sites_unpublish "Printer C"
while [ $(($(sites_now) - t_stop)) -lt $((OUTAGE * 1000000)) ]; do
	sites_gw_alive manhattan
	sites_gw_alive brooklyn
	sleep 1
done
listed brooklyn-h1 "Printer A \(manhattan\)" ||
	net_fail "Brooklyn lost Printer A during the ${OUTAGE}s outage (grace 60 s)"
for site in manhattan brooklyn; do
	outage_log=$(tail -n +"$((LINES[$site] + 1))" "${SITES_GW_LOG[$site]}" | grep -iE 'dns|192\.0\.2\.53')
	n=$(grep -c . <<<"$outage_log")
	net_log "$site logged during the outage ($n lines):"
	printf '    %s\n' "$outage_log" | head -n 10
	[ "$n" -ge 1 ] || net_fail "$site logged nothing about the DNS server being away"
	[ "$n" -le 4 ] || net_fail "$site logged the outage $n times in ${OUTAGE}s (once, with backoff, is enough)"
done
net_pass "both gateways ran through the ${OUTAGE}s outage, each logging it once or a few times; Brooklyn kept Printer A"

dns_server_start wan
t_back=$(sites_now)
net_log "knotd started again"
net_wait 60 dns_zone_has manhattan "$(srv "Printer B")" ||
	net_fail "Printer B, published during the outage, not in the zone 60 s after knotd came back"
net_wait 30 eval '! dns_zone_has manhattan "$(srv "Printer C")"' ||
	net_fail "Printer C, withdrawn during the outage, still in the zone"
net_pass "the zone caught up $(sites_secs $(($(sites_now) - t_back)))s after knotd came back: B in, C out"
after=$(manhattan_records)
dups=$(uniq -di <<<"$after")
[ -z "$dups" ] || net_fail "records twice in the zone: $dups"
for name in "Printer A" "Printer B"; do
	[ "$(sites_zone_count manhattan "$(srv "$name")")" -eq 1 ] || net_fail "$name's SRV is not in the zone exactly once"
	[ "$(sites_zone_count manhattan "^_ipp\._tcp\.$M\.\s+[0-9]+\s+IN\s+PTR\s+${name// /\\\\032}\._ipp")" -eq 1 ] ||
		net_fail "$name's PTR is not in the zone exactly once"
done
[ "$(sites_zone_count manhattan "^printer\.$M\.\s+[0-9]+\s+IN\s+A\s")" -eq 1 ] || net_fail "the host's A record is not there once"
# Same records as before but for C's PTR, SRV and TXT, which are B's now.
[ "$(wc -l <<<"$after")" -eq "$(wc -l <<<"$before")" ] ||
	net_fail "Manhattan had $(wc -l <<<"$before") records before the outage, $(wc -l <<<"$after") after:
$(diff <(echo "$before") <(echo "$after"))"
net_pass "each record once ($(wc -l <<<"$after") records of Manhattan, as before with B in place of C)"

net_wait 20 listed brooklyn-h1 "Printer B \(manhattan\)" || net_fail "Brooklyn does not show Printer B"
net_wait 20 unlisted brooklyn-h1 "Printer C (manhattan)" || net_fail "Brooklyn still shows Printer C"
listed brooklyn-h1 "Printer A \(manhattan\)" || net_fail "Brooklyn lost Printer A"
[ "$(removals "Printer A (manhattan)")" -eq 0 ] ||
	net_fail "Printer A (manhattan) disappeared at Brooklyn at some point"
net_pass "Brooklyn shows A and B, not C; A never disappeared"

# A server that comes back without its data (restored from the zone file alone: the
# journal lost), after an outage that Manhattan noticed (Printer D was published
# meanwhile): everything is published again, each record once.
unreachable() { grep -c 'unreachable' "${SITES_GW_LOG[manhattan]}"; }
u0=$(unreachable)
dns_server_stop
rm -rf "$DNS_DIR/journal" "$DNS_DIR/timers"
sites_publish manhattan-h1 "Printer D" _ipp._tcp 631 rp=d
net_wait 15 eval '[ "$(unreachable)" -gt "$u0" ]' || net_fail "Manhattan did not notice the server away"
dns_server_start wan
t_back=$(sites_now)
net_log "knotd started again without its journal"
# D's records are B's with another name and TXT.
want=$({
	echo "$after"
	grep -i 'printer\\032b' <<<"$after" | sed 's/printer\\032b/printer\\032d/I; s/"rp=b"/"rp=d"/'
} | sort)
net_wait 60 eval '[ "$(manhattan_records)" = "$want" ]' ||
	net_fail "Manhattan's records not all published again 60 s after knotd came back empty:
$(diff <(echo "$want") <(manhattan_records))"
net_pass "all $(wc -l <<<"$want") records of Manhattan published again (D added), each once, $(sites_secs $(($(sites_now) - t_back)))s after knotd came back empty"
net_wait 30 listed brooklyn-h1 "Printer A \(manhattan\)" || net_fail "Brooklyn does not show Printer A again"
net_wait 30 listed brooklyn-h1 "Printer B \(manhattan\)" || net_fail "Brooklyn does not show Printer B again"
net_wait 30 listed brooklyn-h1 "Printer D \(manhattan\)" || net_fail "Brooklyn does not show Printer D"
sites_gw_alive manhattan
sites_gw_alive brooklyn
net_pass "Brooklyn shows A, B and D"
sites_done
