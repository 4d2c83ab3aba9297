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
set -u
. "$(dirname "$0")/sites.sh"

SERVICES=2000
RATE=2000
VISIBLE_S=10
ANSWER_S=$((VISIBLE_S + 5))

SITES_EXPORT[manhattan]=everything
SITES_IMPORT[brooklyn]=everything
sites_init manhattan brooklyn
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
sites_done
exit 0
