#!/usr/bin/env bash
# tests/bench/wide_area.sh [BUILDDIR]: figures of wide-area DNS-SD (the dns key of
# sitecast.yaml), measured against a real Knot DNS in network namespaces: Manhattan's
# gateway exports into manhattan.sites.example.com, Brooklyn's imports. Needs root;
# takes about four minutes (IDLE_S, SERVICES and DOMAINS make it shorter). Build
# without sanitizers for figures worth quoting. tests/bench/run calls it when
# BENCH_WIDE_AREA=1; it runs alone too.
#
# Rows:
#  (f) time for a service published with avahi-publish at Manhattan to be in the
#      zone (kdig asks the server for its SRV every 10 ms) and to be resolved by
#      avahi-browse at Brooklyn's LAN host, from the moment avahi-publish says it is
#      established; median and max of 5 services published one after another.
#  (g) UPDATE messages and their bytes to publish SERVICES (10,000) services
#      announced on Manhattan's LAN (tests/net/flood, from 40 addresses, at
#      LOAD_RATE packets/s): as knotd counts them (mod-stats: update operations and
#      request bytes), and the time from the first announcement until the zone holds
#      all their SRV records; beside it, what Manhattan's LAN input shed or dropped
#      (status --json "dropped": a figure with shed input is not the figure).
#  (h) DNS traffic of an importing gateway that has nothing new to read, per
#      imported domain per minute, over IDLE_S seconds (dns.poll 10): packets and
#      bytes on the wire (Brooklyn's WAN interface, which carries nothing else: the
#      kernel's counters, IP headers and all), and the queries knotd counted by type.
#      With one imported domain, then with DOMAINS (200).
#  (i) CPU time (user + system, /proc/PID/stat) and RSS of Brooklyn's gateway
#      importing DOMAINS domains (each with 3 printers, put in with knsupdate), over
#      the same IDLE_S seconds; and the time it took to import them all at start.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=$(cd "${1:-${top_builddir:-.}}" && pwd) || exit 1
export top_builddir
[ -f "$top_builddir/Makefile" ] || {
	echo "usage: tests/bench/wide_area.sh [BUILDDIR]  (a configured build tree)" >&2
	exit 2
}
make -C "$top_builddir" -s sitecastd sitecastctl tests/net/flood >/dev/null || exit 1

SERVICES=${SERVICES:-10000}
LOAD_RATE=${LOAD_RATE:-2500}
IDLE_S=${IDLE_S:-60}
DOMAINS=${DOMAINS:-200}
POLL=10

. "$src/tests/net/sites.sh"
. "$src/tests/net/dns.sh"
dns_require

declare -A ROW=()
M=manhattan.$DNS_ZONE

# knot_stat NAME: one of knotd's counters ("server-operation[update]"), 0 if unset.
knot_stat() {
	local v
	v=$(dns_knot_stats | awk -v k="mod-stats.$1" '$2 == k { print $4 }')
	echo "${v:-0}"
}
# wire KEY IFACE: "PACKETS BYTES" received plus sent on IFACE of node KEY.
wire() {
	local d=/sys/class/net/$2/statistics
	net_in "$1" sh -c "echo \$((\$(cat $d/rx_packets) + \$(cat $d/tx_packets))) \
		\$((\$(cat $d/rx_bytes) + \$(cat $d/tx_bytes)))"
}
# median / max of numbers, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
max() { sort -n | tail -n 1; }
drops() {
	sites_status_json "$1" | sites_json \
		'" ".join("%s=%d" % kv for kv in sorted(j["dropped"].items()) if kv[1])' 2>/dev/null
}

# ---------------------------------------------------------------- set-up
SITES_VERBOSE=
DNS_POLL=$POLL
SITES_MAX_RECORDS=$((SERVICES * 5 + 1000))
DNS_EXPORT[manhattan]=everything
sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host manhattan-h2
sites_host brooklyn-h1
SOURCES=$(sites_add_sources manhattan-h2 40)
sites_avahi manhattan-h1 printer brooklyn-h1 laptop
sites_keys
DOMS=()
for ((i = 1; i <= DOMAINS; i++)); do DOMS+=("d$i"); done
SITES_PEERS=0
DNS_KNOT_STATS=1
dns_keys manhattan brooklyn "${DOMS[@]}"
dns_server_node wan
dns_knotd wan manhattan brooklyn "${DOMS[@]}"
dns_gw_config manhattan
dns_gw_config brooklyn manhattan
sites_gw_start_all
dns_wait_gw_up manhattan
dns_wait_gw_up brooklyn

# ---------------------------------------------------------------- (f)
STAMP='while IFS= read -r l; do printf "%s %s\n" "$EPOCHREALTIME" "$l"; done'
_stamp_of() {
	STAMP_T=$(grep -iF -m 1 -- "$1" "$2" 2>/dev/null | cut -d' ' -f1)
	[ -n "$STAMP_T" ]
}
_wait_stamp() {
	local end=$(($(sites_now) + $1 * 1000000))
	while ! _stamp_of "$2" "$3"; do
		[ "$(sites_now)" -gt "$end" ] && return 1
		sleep 0.01
	done
}
appear() {
	local i name lab pub zw watch=$NET_TMP/appear-watch.out tz=() tb=()
	net_bg brooklyn-h1 "$watch" bash -c "stdbuf -oL avahi-browse -krp _ipp._tcp > >($STAMP) &
		echo \$! >'$NET_TMP/appear-watch.pid'; wait"
	sleep 1
	for i in 1 2 3 4 5; do
		name="Bench Printer $i"
		lab="Bench\\032Printer\\032$i"
		zw=$NET_TMP/appear-zone-$i.out
		# The zone, asked every 10 ms from the server's node.
		net_bg wan "$zw" bash -c "while :; do
			if kdig +short +time=1 +retry=0 @$DNS_ADDR SRV '$lab._ipp._tcp.$M' | grep -q .; then
				echo \"\$EPOCHREALTIME in the zone\"; exit 0; fi; sleep 0.01; done"
		pub=$NET_TMP/appear-publish-$i.out
		net_bg manhattan-h1 "$pub" bash -c \
			"stdbuf -oL avahi-publish -s \"\$0\" _ipp._tcp 631 n=$i 2>&1 | $STAMP" "$name"
		_wait_stamp 10 "Established under name '$name'" "$pub" ||
			net_fail "'$name' not established by Avahi: $(cat "$pub")"
		local est=$STAMP_T
		net_wait 10 grep -q 'in the zone' "$zw" || net_fail "'$name' not in the zone within 10 s"
		tz+=("$(awk -v a="$est" -v b="$(cut -d' ' -f1 "$zw")" 'BEGIN { printf "%.3f", b - a }')")
		# Knot folds names to lower case: the far name is compared without case.
		_wait_stamp 20 "=;eth0;IPv4;$lab\\032\\040manhattan\\041;" "$watch" ||
			net_fail "'$name (manhattan)' not resolved (IPv4) at Brooklyn within 20 s"
		tb+=("$(awk -v a="$est" -v b="$STAMP_T" 'BEGIN { printf "%.3f", b - a }')")
		net_log "'$name': in the zone ${tz[-1]} s, at Brooklyn ${tb[-1]} s after Avahi established it"
	done
	kill "$(cat "$NET_TMP/appear-watch.pid")" 2>/dev/null
	ROW[f_zone]=$(printf '%s\n' "${tz[@]}" | median)
	ROW[f_zone_max]=$(printf '%s\n' "${tz[@]}" | max)
	ROW[f_far]=$(printf '%s\n' "${tb[@]}" | median)
	ROW[f_far_max]=$(printf '%s\n' "${tb[@]}" | max)
	ROW[f_all]="zone ${tz[*]}; Brooklyn ${tb[*]}"
}

# ---------------------------------------------------------------- (h), (i)
# idle NAME: IDLE_S seconds of Brooklyn's gateway with nothing new to read.
idle() {
	local name=$1 n=$2 w0 w1 q0 q1 b0 b1 c0 c1 pid=${SITES_GW_PID[brooklyn]} soa0 soa1 ax0 ax1 ix0 ix1
	w0=$(wire brooklyn-gw wan0)
	q0=$(knot_stat 'server-operation[query]')
	soa0=$(knot_stat 'query-type[SOA]')
	ax0=$(knot_stat 'server-operation[axfr]')
	ix0=$(knot_stat 'server-operation[ixfr]')
	b0=$(knot_stat 'request-bytes[query]')
	c0=$(sites_cpu_us "$pid")
	sleep "$IDLE_S"
	c1=$(sites_cpu_us "$pid")
	w1=$(wire brooklyn-gw wan0)
	q1=$(knot_stat 'server-operation[query]')
	soa1=$(knot_stat 'query-type[SOA]')
	ax1=$(knot_stat 'server-operation[axfr]')
	ix1=$(knot_stat 'server-operation[ixfr]')
	b1=$(knot_stat 'request-bytes[query]')
	read -r p0 y0 <<<"$w0"
	read -r p1 y1 <<<"$w1"
	local per="60 / $IDLE_S / $n"
	ROW[h_pk_$name]=$(awk "BEGIN { printf \"%.1f\", ($p1 - $p0) * $per }")
	ROW[h_by_$name]=$(awk "BEGIN { printf \"%.0f\", ($y1 - $y0) * $per }")
	ROW[h_q_$name]=$(awk "BEGIN { printf \"%.1f\", ($q1 - $q0) * $per }")
	ROW[h_soa_$name]=$(awk "BEGIN { printf \"%.1f\", ($soa1 - $soa0) * $per }")
	ROW[h_xfr_$name]="$((ax1 - ax0)) AXFR, $((ix1 - ix0)) IXFR"
	ROW[h_qb_$name]=$(awk "BEGIN { printf \"%.0f\", ($b1 - $b0) * $per }")
	ROW[i_cpu_$name]=$(awk "BEGIN { printf \"%.2f\", ($c1 - $c0) / 10000 / $IDLE_S }")
	ROW[i_rss_$name]=$(sites_rss_kb "$pid")
	net_log "idle $name ($n domains, ${IDLE_S}s): wire $((p1 - p0)) packets $((y1 - y0)) bytes;" \
		"knotd: $((q1 - q0)) queries ($((soa1 - soa0)) SOA), ${ROW[h_xfr_$name]};" \
		"CPU $((c1 - c0)) us; RSS ${ROW[i_rss_$name]} KiB"
}

# Brooklyn lists N services of DOMAINS on its LAN (its cache of the imported domains).
_imported() {
	local n
	n=$(net_in brooklyn-h1 timeout 20 avahi-browse -kpt _ipp._tcp 2>/dev/null |
		grep -c '^+;eth0;IPv4;')
	IMPORTED=$n
	[ "$n" -ge "$1" ]
}

populate() {
	local d i lines
	for d in "${DOMS[@]}"; do
		lines=()
		for i in 1 2 3; do
			lines+=("update add _ipp._tcp.$d.$DNS_ZONE. 120 PTR Printer\\032$i._ipp._tcp.$d.$DNS_ZONE."
				"update add Printer\\032$i._ipp._tcp.$d.$DNS_ZONE. 120 SRV 0 0 631 printer$i.$d.$DNS_ZONE."
				"update add Printer\\032$i._ipp._tcp.$d.$DNS_ZONE. 120 TXT \"rp=q$i\" \"note=floor $i\""
				"update add printer$i.$d.$DNS_ZONE. 120 A 10.200.${d#d}.$i")
		done
		lines+=("update add _services._dns-sd._udp.$d.$DNS_ZONE. 120 PTR _ipp._tcp.$d.$DNS_ZONE."
			"update add b._dns-sd._udp.$DNS_ZONE. 120 PTR $d.$DNS_ZONE.")
		dns_update "$d" "${lines[@]}" >/dev/null || net_fail "knsupdate for $d failed"
	done
}

# ---------------------------------------------------------------- (g)
# own_counters: "UPDATES BYTES" Manhattan's status says it sent (all requests' bytes).
own_counters() {
	sites_status_json manhattan | sites_json '"%d %d" % (j["dns"]["updates_sent"], j["dns"]["bytes_out"])'
}
publish_many() {
	local u0 b0 u1 b1 t0 t1 t2 line d0 s0 su0 sb0 su1 sb1 pub
	u0=$(knot_stat 'server-operation[update]')
	b0=$(knot_stat 'request-bytes[update]')
	d0=$(drops manhattan)
	s0=$(own_counters)
	t0=$(sites_now)
	line=$(sites_flood manhattan-h2 -s "$SOURCES" -r "$LOAD_RATE" -n "$SERVICES" services)
	t1=$(sites_now)
	net_log "flood: $line ($(sites_secs $((t1 - t0)))s)"
	# Done when Manhattan says the server holds all 4 records of each (PTR, SRV, TXT,
	# A) and its UPDATEs were answered; the zone is counted once that is so.
	while :; do
		pub=$(sites_status_json manhattan | sites_json '"%d %d" % (j["dns"]["records_published"], j["dns"]["updates_sent"])')
		[ "${pub%% *}" -ge $((SERVICES * 4)) ] && break
		[ $(($(sites_now) - t0)) -gt 120000000 ] && break
		sleep 0.2
	done
	t2=$(sites_now)
	sites_gw_alive manhattan
	u1=$(knot_stat 'server-operation[update]')
	b1=$(knot_stat 'request-bytes[update]')
	# Counted in the server's own copy (knotd does not send a transfer this big in
	# the time kdig waits).
	ROW[g_have]=$(dns_in knotc -c "$DNS_DIR/knot.conf" zone-read "$DNS_ZONE" 2>/dev/null |
		grep -cE "^\[[^]]*\] service\\\\032[0-9]+\._ipp\._tcp\.$M\. [0-9]+ SRV ")
	[ "${pub%% *}" -ge $((SERVICES * 4)) ] || net_log "Manhattan's last status: $(sites_status_json manhattan)"
	ROW[g_t]=$(sites_secs $((t2 - t0)))
	ROW[g_send]=$(sites_secs $((t1 - t0)))
	ROW[g_upd]=$((u1 - u0))
	ROW[g_bytes]=$((b1 - b0))
	ROW[g_shed]="before: ${d0:-none}; after: $(drops manhattan)"
	read -r su0 sb0 <<<"$s0"
	read -r su1 sb1 <<<"$(own_counters)"
	ROW[g_own]="$((su1 - su0)) UPDATEs sent, $((sb1 - sb0)) bytes out"
	net_log "$SERVICES services: published ${pub%% *} records after ${ROW[g_t]} s, ${ROW[g_have]} SRV in" \
		"the zone; $((u1 - u0)) UPDATEs, $((b1 - b0)) bytes; Manhattan dropped: ${ROW[g_shed]}"
}

# ---------------------------------------------------------------- the run
appear
idle one 1
sites_gw_kill brooklyn TERM
populate
net_log "$DOMAINS domains of 3 printers each in the zone ($(dns_axfr brooklyn | grep -c .) records)"
dns_gw_config brooklyn "${DOMS[@]}"
sites_gw_start brooklyn
t0=$(sites_now)
net_wait 120 _imported $((DOMAINS * 3)) ||
	net_fail "Brooklyn lists $IMPORTED services of $((DOMAINS * 3)) after 120 s"
ROW[i_start]=$(sites_secs $(($(sites_now) - t0)))
net_log "Brooklyn lists the $((DOMAINS * 3)) services of $DOMAINS domains ${ROW[i_start]}s after its start"
sleep 5
idle many "$DOMAINS"
ROW[i_hwm]=$(sites_hwm_kb "${SITES_GW_PID[brooklyn]}")
sites_gw_kill brooklyn TERM
publish_many
sites_done

# ---------------------------------------------------------------- the table
row() { printf '%-66s %14s %s\n' "$@"; }
echo
row "figure" "value" "target"
row "(f) new service in the zone, median / max of 5 (s)" "${ROW[f_zone]} / ${ROW[f_zone_max]}" "< 1 (changes within a second)"
row "    ... resolved at Brooklyn's LAN host, median / max (s)" "${ROW[f_far]} / ${ROW[f_far_max]}" "< poll ($POLL s) + 1"
row "(g) $SERVICES services announced: all published after (s)" "${ROW[g_t]}" "< 10"
row "    SRV records in the zone" "${ROW[g_have]}" "$SERVICES"
row "    UPDATE messages (knotd's count)" "${ROW[g_upd]}" "batched: far fewer than $SERVICES"
row "    UPDATE bytes (knotd's count)" "${ROW[g_bytes]}" ""
row "    announcements sent in (s), at $LOAD_RATE packets/s" "${ROW[g_send]}" ""
row "(h) idle, 1 imported domain: packets / bytes per minute on the wire" "${ROW[h_pk_one]} / ${ROW[h_by_one]}" ""
row "    queries per minute (knotd), of them SOA" "${ROW[h_q_one]} / ${ROW[h_soa_one]}" "60/poll = $((60 / POLL)) SOA"
row "    query bytes per minute (knotd); transfers" "${ROW[h_qb_one]}; ${ROW[h_xfr_one]}" "no transfer"
row "    idle, $DOMAINS domains: packets / bytes per domain per minute" "${ROW[h_pk_many]} / ${ROW[h_by_many]}" ""
row "    queries per domain per minute (knotd), of them SOA" "${ROW[h_q_many]} / ${ROW[h_soa_many]}" "<= $((60 / POLL)) SOA"
row "    query bytes per domain per minute (knotd); transfers" "${ROW[h_qb_many]}; ${ROW[h_xfr_many]}" "no transfer"
row "(i) $DOMAINS domains imported: CPU of Brooklyn's gateway (%)" "${ROW[i_cpu_many]}" ""
row "    RSS now / peak (KiB)" "${ROW[i_rss_many]} / ${ROW[i_hwm]}" ""
row "    the same gateway with 1 domain: CPU (%), RSS (KiB)" "${ROW[i_cpu_one]} / ${ROW[i_rss_one]}" ""
row "    all $((DOMAINS * 3)) services listed at Brooklyn after its start (s)" "${ROW[i_start]}" ""
echo
echo "(f) each: ${ROW[f_all]}"
echo "(g) Manhattan's LAN drop counters (non-zero ones): ${ROW[g_shed]}"
echo "(g) Manhattan's own counters (status --json dns): ${ROW[g_own]}"
exit 0
