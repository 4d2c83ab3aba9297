#!/usr/bin/env bash
# f7_big_responder.sh: one LAN host announces 2,000 services in one second, more than
# its budget of records a second (limits.lan-records-per-source, 4,000 by default: a
# service is a datagram of 4 records), so Manhattan's sitecastd sheds part of the
# burst; all 2,000 must still be at Brooklyn's gateway within VISIBLE_S seconds of the
# first announcement. What was shed comes back because Manhattan's gateway asks the
# LAN again for the service types (with what it holds as known answers) once the host
# is back within its budget; the host (tests/net/flood services -a) answers questions
# as a responder does, with the services the question did not list.
# Brooklyn's gateway holds each service as 4 records (PTR, SRV, TXT, the host's A
# record); the count of records from Manhattan in its status is compared with
# 4 x SERVICES. Printed: the time until all were there, the datagrams shed, the
# recovery questions and the records they brought in.
# Then the same number from a real responder: an avahi-daemon at manhattan-h1 with
# 2,000 services in one entry group (tests/net/bulk_publish.py over D-Bus). Avahi
# probes the names first and paces what it sends (about 20 s for 2,000), so it sheds
# little; all must be at Brooklyn within VISIBLE_S seconds of Avahi saying the group
# is established (3 records each: the host's addresses are shared).
set -u
. "$(dirname "$0")/sites.sh"

SERVICES=2000
RATE=2000
VISIBLE_S=10
ANSWER_S=$((VISIBLE_S + 5))

# Brooklyn holds the services of both steps: more than the default 10,000 records
SITES_MAX_RECORDS=40000
SITES_EXPORT[manhattan]=everything
SITES_IMPORT[brooklyn]=everything
sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host manhattan-h2
sites_keys
sites_gw_start_all
sites_wait_links

want=$((SERVICES * 4))
src=${NET_ADDR4[manhattan-h2]}
t0=$(sites_now)
sites_flood_bg manhattan-h2 "$NET_TMP/flood-services.out" -s "$src" -r "$RATE" \
	-n "$SERVICES" -t _ipp._tcp -a "$ANSWER_S" services
flood=$NET_LAST_PID

have=0
seen_t=
while :; do
	have=$(sites_status_json brooklyn |
		sites_json 'sum(p["cached"] for p in j["peers"] if p["name"] == "manhattan")')
	if [ "$have" -ge "$want" ]; then
		seen_t=$(sites_now)
		break
	fi
	[ $(($(sites_now) - t0)) -lt $((VISIBLE_S * 1000000)) ] || break
	sleep 0.2
done
st=$(sites_status_json manhattan)
shed=$(sites_json 'j["dropped"]["source-rate"]' <<<"$st")
asked=$(sites_json 'j["counters"]["shed_questions"]' <<<"$st")
recovered=$(sites_json 'j["counters"]["shed_recovered"]' <<<"$st")
net_log "Manhattan's gateway: $shed datagrams shed, $asked questions asked again," \
	"$recovered records recovered; $(sites_json 'j["cache"]["local"]' <<<"$st") records cached"
[ -n "$seen_t" ] ||
	net_fail "Brooklyn holds $have of the $want records of $SERVICES services after $VISIBLE_S s"
net_log "all $SERVICES services at Brooklyn's gateway $(sites_secs $((seen_t - t0))) s after the first announcement"
[ "$shed" -gt 0 ] ||
	net_fail "nothing was shed: the burst did not exceed the source's budget, so nothing was tested"
[ "$recovered" -gt 0 ] || net_fail "shed records reached Brooklyn, but none was counted as recovered"
net_pass "$SERVICES services announced in one second, $shed datagrams shed, all at Brooklyn within $VISIBLE_S s"

wait "$flood" || net_fail "the responder failed: $(cat "$NET_TMP/flood-services.out")"
net_log "responder: $(tail -1 "$NET_TMP/flood-services.out")"

# --- 2. the same from a real responder: avahi-daemon on another host, 2,000 services
# in one entry group (tests/net/bulk_publish.py), its limits raised for that many.
cat >"$NET_TMP/avahi-bulk.conf" <<-EOF2
	[server]
	host-name=spool
	domain-name=local
	use-ipv4=yes
	use-ipv6=yes
	allow-interfaces=${NET_IF[manhattan-h1]}
	enable-dbus=yes
	objects-per-client-max=$((SERVICES + 100))
	entries-per-entry-group-max=$((SERVICES * 4))
	[wide-area]
	enable-wide-area=no
	[publish]
	publish-hinfo=no
	publish-workstation=no
	[reflector]
	enable-reflector=no
EOF2
net_avahi manhattan-h1 spool "$NET_TMP/avahi-bulk.conf"
before=$(sites_status_json brooklyn |
	sites_json 'sum(p["cached"] for p in j["peers"] if p["name"] == "manhattan")')
st0=$(sites_status_json manhattan)
shed0=$(sites_json 'j["dropped"]["source-rate"]' <<<"$st0")
rec0=$(sites_json 'j["counters"]["shed_recovered"]' <<<"$st0")
# PTR, SRV and TXT of each service (the host's addresses are shared)
want=$((before + SERVICES * 3))
mkfifo "$NET_TMP/bulk.in"
t_pub=$(sites_now)
net_bg manhattan-h1 "$NET_TMP/bulk.out" sh -c \
	"exec $NET_PYTHON -u $NET_LIBDIR/bulk_publish.py $SERVICES _ipp._tcp 631 <$NET_TMP/bulk.in"
exec 9<>"$NET_TMP/bulk.in"
# Avahi probes the 2,000 names before it announces them (some 20 s): the time runs
# from when it says the group is established, its announcements then under way.
net_wait 120 grep -q established "$NET_TMP/bulk.out" ||
	net_fail "Avahi did not establish the 2,000 services: $(cat "$NET_TMP/bulk.out")"
net_log "Avahi established the group $(sites_secs $(($(sites_now) - t_pub))) s after bulk_publish.py started"
t0=$(sites_now)
seen_t=
while :; do
	have=$(sites_status_json brooklyn |
		sites_json 'sum(p["cached"] for p in j["peers"] if p["name"] == "manhattan")')
	if [ "$have" -ge "$want" ]; then
		seen_t=$(sites_now)
		break
	fi
	[ $(($(sites_now) - t0)) -lt $((VISIBLE_S * 1000000)) ] || break
	sleep 0.2
done
st=$(sites_status_json manhattan)
shed=$(($(sites_json 'j["dropped"]["source-rate"]' <<<"$st") - shed0))
recovered=$(($(sites_json 'j["counters"]["shed_recovered"]' <<<"$st") - rec0))
net_log "Avahi: Manhattan's gateway: $shed datagrams shed, $recovered records recovered;" \
	"Brooklyn holds $((have - before)) new records"
[ -n "$seen_t" ] ||
	net_fail "Brooklyn holds $((have - before)) of the $((SERVICES * 3)) records of Avahi's $SERVICES services after $VISIBLE_S s"
net_pass "$SERVICES services published at once through Avahi all at Brooklyn" \
	"$(sites_secs $((seen_t - t0))) s after Avahi established them ($shed datagrams shed)"
exec 9>&-
sites_done
exit 0
