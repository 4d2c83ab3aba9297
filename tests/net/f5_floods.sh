#!/usr/bin/env bash
# f5_floods.sh: a LAN host floods Manhattan's gateway; sitecastd stays within its limits
# and a printer published meanwhile still crosses to Brooklyn.
#  1. Records: manhattan-h2 multicasts 2,000 datagrams a second for 10 s, each with 25
#     records never sent before (50,000 distinct records a second): complete services
#     (of type _flood._tcp, which the gateways' policy lets through), PTRs naming
#     instances nothing describes, and addresses of hosts nobody names
#     (tests/net/flood records).
#  2. The same flood sent to the gateway's address alone (unicast, which sitecastd
#     takes like multicast), while a printer is published at manhattan-h1: multicast,
#     the flood keeps Avahi on manhattan-h1 too busy to finish publishing (a cost every
#     host of the LAN bears, whatever the gateway does), so this is how the test shows
#     that the flooded gateway still carries a new service.
#  3. Query: manhattan-h2 multicasts the same question (PTR _ipp._tcp.local) 10,000
#     times a second for 10 s, while Brooklyn has a printer that Manhattan's gateway
#     answers for, and another printer is published at manhattan-h1.
# The printers are browsed in Brooklyn, not the flood's type, whose services would keep
# Avahi's resolvers busy there. A printer published during a flood must be resolved in
# Brooklyn within VISIBLE_S seconds. After each flood:
#  - both sitecastd are alive and the link is up;
#  - Brooklyn holds at most max-records-per-peer (the default 10,000) records from
#    Manhattan, and Manhattan's cache of its LAN at most LOCAL_MAX (sitecastd's bound);
#  - the peak resident memory (VmHWM) of each sitecastd is under MEM_CEILING_MIB (the
#    flood comes from one host, whose budget is 1,000 records a second);
#  - Manhattan's sitecastd used at most CPU_CEILING_PCT percent of one core (user +
#    system time) over the flood, and dropped most of it as "source-rate";
#  - during the query flood Manhattan's gateway sent fewer than MAX_ANSWERS datagrams
#    on its LAN (answers go out at most once a second per record, RFC 6762 §6).
# Peak memory and CPU are printed. Avahi runs on manhattan-h1 from step 2 on only: the
# multicast flood of step 1 would keep it (and a core) busy for nothing. With a
# sitecastd built with AddressSanitizer, the CPU ceiling is doubled and the memory
# ceiling not checked (its quarantine keeps freed memory).
set -u
. "$(dirname "$0")/sites.sh"

FLOOD_S=10
VISIBLE_S=5
LOCAL_MAX=65536
REMOTE_MAX=10000
MEM_CEILING_MIB=40
CPU_CEILING_PCT=25
MAX_ANSWERS=100

SITES_EXPORT[manhattan]=everything
SITES_IMPORT[brooklyn]=everything
sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host manhattan-h2
sites_host brooklyn-h1
sites_avahi brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links
SANITIZED=0
if ldd "$SITECASTD" 2>/dev/null | grep -q libasan; then
	SANITIZED=1
	CPU_CEILING_PCT=$((CPU_CEILING_PCT * 2))
fi
src=${NET_ADDR4[manhattan-h2]}
sites_watch brooklyn-h1 _ipp._tcp
pa=${SITES_GW_PID[manhattan]}
pb=${SITES_GW_PID[brooklyn]}

# check PHASE CPU0 T0: the assertions common to the three floods.
check() {
	local phase=$1 cpu0=$2 t0=$3 cpu dt pct st cached remote hwm_a hwm_b
	cpu=$(($(sites_cpu_us "$pa") - cpu0))
	dt=$(($(sites_now) - t0))
	pct=$((cpu * 100 / dt))
	sites_gw_alive manhattan
	sites_gw_alive brooklyn
	st=$(sites_status_json manhattan)
	cached=$(sites_json 'j["cache"]["local"]' <<<"$st")
	[ "$(sites_json '[p["state"] for p in j["peers"]][0]' <<<"$st")" = up ] ||
		net_fail "$phase: the link to Brooklyn is down after the flood"
	remote=$(sites_status_json brooklyn |
		sites_json 'sum(p["cached"] for p in j["peers"] if p["name"] == "manhattan")')
	hwm_a=$(sites_hwm_kb "$pa")
	hwm_b=$(sites_hwm_kb "$pb")
	net_log "$phase: Manhattan's sitecastd: CPU $((cpu / 1000)) ms in" \
		"$(sites_secs "$dt") s ($pct% of a core), peak RSS $((hwm_a / 1024)) MiB," \
		"$cached records cached; Brooklyn's: peak RSS $((hwm_b / 1024)) MiB," \
		"$remote records from Manhattan"
	net_log "$phase: Manhattan's drops: $(sites_json \
		'" ".join("%s=%d" % kv for kv in j["dropped"].items() if kv[1])' <<<"$st")"
	[ "$cached" -le "$LOCAL_MAX" ] ||
		net_fail "$phase: Manhattan caches $cached records of its LAN (bound $LOCAL_MAX)"
	[ "$remote" -le "$REMOTE_MAX" ] ||
		net_fail "$phase: Brooklyn holds $remote records from Manhattan (limit $REMOTE_MAX)"
	[ "$SANITIZED" = 1 ] ||
		{ [ "$hwm_a" -lt $((MEM_CEILING_MIB * 1024)) ] &&
			[ "$hwm_b" -lt $((MEM_CEILING_MIB * 1024)) ]; } ||
		net_fail "$phase: peak RSS over $MEM_CEILING_MIB MiB"
	[ "$pct" -le "$CPU_CEILING_PCT" ] ||
		net_fail "$phase: Manhattan's sitecastd used $pct% of a core (ceiling $CPU_CEILING_PCT%)"
	[ "$(sites_json 'j["dropped"]["source-rate"]' <<<"$st")" -gt "$SOURCE_DROPS" ] ||
		net_fail "$phase: no datagram dropped over its source's budget"
	SOURCE_DROPS=$(sites_json 'j["dropped"]["source-rate"]' <<<"$st")
	local mem="under $MEM_CEILING_MIB MiB"
	[ "$SANITIZED" = 1 ] && mem="memory not checked (AddressSanitizer)"
	net_pass "$phase: within the record limits, $mem, under $CPU_CEILING_PCT% CPU"
}

# publish_during NAME: publishes NAME at manhattan-h1 and waits for Brooklyn to resolve it.
publish_during() {
	local t0
	sites_publish manhattan-h1 "$1" _ipp._tcp 631 "txt=1"
	t0=${SITES_PUB_T[$1]}
	sites_wait_visible brooklyn-h1 _ipp._tcp "$1 (manhattan)" "$VISIBLE_S" ||
		net_fail "'$1 (manhattan)' not resolved in Brooklyn within $VISIBLE_S s during the flood ($SITES_STATE)"
	net_pass "'$1' resolved in Brooklyn during the flood, $(sites_secs $((SITES_SEEN_T - t0))) s after it was established"
}

SOURCE_DROPS=0

# --- 1. 50,000 distinct records a second
cpu0=$(sites_cpu_us "$pa")
t0=$(sites_now)
sites_flood manhattan-h2 -s "$src" -r 2000 -k 25 -d "$FLOOD_S" -t _flood._tcp records \
	>"$NET_TMP/flood-records.out"
net_log "record flood: $(cat "$NET_TMP/flood-records.out")"
check "record flood" "$cpu0" "$t0"

# --- 2. the same at the gateway alone, a printer published meanwhile
sites_avahi manhattan-h1 printer
cpu0=$(sites_cpu_us "$pa")
t0=$(sites_now)
sites_flood_bg manhattan-h2 "$NET_TMP/flood-unicast.out" -s "$src" -r 2000 -k 25 \
	-d "$FLOOD_S" -t _flood._tcp -b 1000000 -u "${NET_ADDR4[manhattan-gw]}" records
flood=$NET_LAST_PID
sleep 2
publish_during "Printer One"
wait "$flood" || net_fail "the unicast flood failed: $(cat "$NET_TMP/flood-unicast.out")"
net_log "unicast record flood: $(cat "$NET_TMP/flood-unicast.out")"
check "unicast record flood" "$cpu0" "$t0"

# --- 3. the same question 10,000 times a second
sites_publish brooklyn-h1 "Printer B" _ipp._tcp 631 "txt=1"
sites_watch manhattan-h1 _ipp._tcp
sites_wait_visible manhattan-h1 _ipp._tcp "Printer B (brooklyn)" 5 ||
	net_fail "'Printer B (brooklyn)' not resolved in Manhattan ($SITES_STATE)"
out0=$(sites_status_json manhattan | sites_json 'j["counters"]["packets_out"]')
cpu0=$(sites_cpu_us "$pa")
t0=$(sites_now)
sites_flood_bg manhattan-h2 "$NET_TMP/flood-query.out" -s "$src" -r 10000 \
	-d "$FLOOD_S" query
flood=$NET_LAST_PID
sleep 2
publish_during "Printer Two"
wait "$flood" || net_fail "the query flood failed: $(cat "$NET_TMP/flood-query.out")"
net_log "query flood: $(cat "$NET_TMP/flood-query.out")"
out=$(($(sites_status_json manhattan | sites_json 'j["counters"]["packets_out"]') - out0))
check "query flood" "$cpu0" "$t0"
net_log "query flood: Manhattan's gateway sent $out datagrams on its LAN"
[ "$out" -lt "$MAX_ANSWERS" ] ||
	net_fail "query flood: Manhattan's gateway sent $out datagrams on its LAN (limit $MAX_ANSWERS)"
net_pass "query flood: $out datagrams from Manhattan's gateway on its LAN"
sites_done
exit 0
