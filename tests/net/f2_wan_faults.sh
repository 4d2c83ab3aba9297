#!/usr/bin/env bash
# f2_wan_faults.sh: the WAN between Manhattan and Brooklyn misbehaves, in both
# directions (sites_wan_faults: tc netem on the WAN router's interfaces towards the
# gateways, or where the kernel has no netem, tests/net/wan_emu.py in the router):
#  1. 20% loss and 200 ms delay each way: services published at either site still
#     cross; the time each takes to appear at the far site is printed, and the time
#     without faults for comparison.
#  2. A cut (100% loss) of 4 s, shorter than the grace period (limits.peer-grace 8 s):
#     nothing is withdrawn at either site (the printers stay listed throughout, the
#     link is not even taken down), and a printer published during the cut arrives
#     once the WAN is back.
#  3. A cut that lasts until the far site withdraws: the link is taken as dead after
#     limits.peer-timeout (12 s here: after the 10 s check below) of silence, within 14 s of the cut, then, after the grace period, the printers
#     are withdrawn with goodbyes (TTL 0 from the gateway, seen on the LAN).
#  4. The WAN restored: the link comes back, everything is sent again (resync) and
#     each printer is listed exactly once per interface and protocol, with no renamed
#     duplicate and no name conflict in any Avahi log.
set -u
. "$(dirname "$0")/sites.sh"

SITES_GRACE=8
# A dead link is noticed within limits.peer-timeout (keepalives every third of it).
SITES_PEER_TIMEOUT=12
sites_init manhattan brooklyn
net_require_python_dns
sites_host manhattan-h1
sites_host brooklyn-h1
sites_host brooklyn-h2 # listens to Brooklyn's LAN for goodbyes (no Avahi)
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links
sites_watch brooklyn-h1 _ipp._tcp
sites_watch manhattan-h1 _ipp._tcp
sites_wan_faults

# What a LAN host of Brooklyn hears: one line per record, "t=SECONDS src=ADDR ttl=TTL
# NAME TYPE [TARGET]" (t since the listener started; names unescaped; TARGET for PTR,
# SRV and other types with a target).
cat >"$NET_TMP/listen.py" <<'EOF'
import socket, struct, sys, time
import dns.message, dns.rdatatype
idx = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("=4s4si", socket.inet_aton("224.0.0.251"), bytes(4), idx))
print("listening", flush=True)


def text(name):
    return "".join(l.decode("utf-8", "replace") + "." for l in name.labels if l)


t0 = time.monotonic()
while True:
    data, src = s.recvfrom(9000)
    try:
        m = dns.message.from_wire(data)
    except Exception as e:
        print("t=%.2f src=%s undecodable: %s" % (time.monotonic() - t0, src[0], e), flush=True)
        continue
    for sec in (m.answer, m.authority, m.additional):
        for r in sec:
            for rd in r:
                target = text(rd.target) if hasattr(rd, "target") else ""
                print("t=%.2f src=%s ttl=%d %s %s %s" % (
                    time.monotonic() - t0, src[0], r.ttl, text(r.name),
                    dns.rdatatype.to_text(r.rdtype), target), flush=True)
EOF
net_bg brooklyn-h2 "$NET_TMP/lan-brooklyn.out" "$NET_PYTHON" -u "$NET_TMP/listen.py" eth0
net_wait 5 grep -q '^listening' "$NET_TMP/lan-brooklyn.out" || net_fail "listener did not start"

# publish_and_time KEY NAME FAR-KEY FAR-NAME LIMIT: publishes, waits until resolved at the
# far host, prints the time it took from the start of avahi-publish (Avahi probes for
# about a second before it announces); sets APPEAR_US.
publish_and_time() {
	SITES_PUB_NOWAIT=1 sites_publish "$1" "$2" _ipp._tcp 631 "txt=$2"
	sites_wait_visible "$3" _ipp._tcp "$4" "$5" ||
		net_fail "'$4' not resolved at $3 within $5 s ($SITES_STATE)"
	APPEAR_US=$((SITES_SEEN_T - SITES_PUB_T0[$2]))
	net_log "'$4' resolved at $3 $(sites_secs "$APPEAR_US") s after avahi-publish started"
	sites_wait_published "$2"
}


# ---------------------------------------------------------------- 1. loss and delay
since_b=$(sites_peer_since brooklyn manhattan)
since_m=$(sites_peer_since manhattan brooklyn)
publish_and_time manhattan-h1 "Printer A0" brooklyn-h1 "Printer A0 (manhattan)" 10
base=$(sites_secs "$APPEAR_US")
sites_wan_set 200 20
times=()
for i in 1 2 3; do
	publish_and_time manhattan-h1 "Printer A$i" brooklyn-h1 "Printer A$i (manhattan)" 20
	times+=("$(sites_secs "$APPEAR_US")")
done
publish_and_time brooklyn-h1 "Printer B" manhattan-h1 "Printer B (brooklyn)" 20
times+=("$(sites_secs "$APPEAR_US")")
sites_wan_set 0 0
net_pass "with 20% loss and 200 ms delay each way, printers crossed in ${times[*]} s" \
	"(Manhattan to Brooklyn x3, Brooklyn to Manhattan; $base s without faults)," \
	"counted from the start of avahi-publish"
[ "$(sites_peer_since brooklyn manhattan)" = "$since_b" ] ||
	net_fail "the link went down under loss and delay: $(sites_peer_since brooklyn manhattan), was $since_b"

# never_gone KEY NAME...: fails if any NAME was removed at KEY at some point.
never_gone() {
	local key=$1 name
	shift
	for name in "$@"; do
		[ "$(sites_state "$key" _ipp._tcp "$name")" != gone ] ||
			net_fail "'$name' was withdrawn at $key: $(grep -F "${name%% *}" "${SITES_WATCH[$key _ipp._tcp]}")"
	done
}
far_b=("Printer A0 (manhattan)" "Printer A1 (manhattan)" "Printer A2 (manhattan)" "Printer A3 (manhattan)")
far_m=("Printer B (brooklyn)")

# ---------------------------------------------------------------- 2. short cut
t_cut=$(sites_now)
sites_wan_set 0 100
SITES_PUB_NOWAIT=1 sites_publish manhattan-h1 "Printer C" _ipp._tcp 631 "txt=C"
sleep 4
sites_wan_set 0 0
sites_wait_published "Printer C"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer C (manhattan)" 20 ||
	net_fail "'Printer C (manhattan)', published during the cut, not resolved in Brooklyn ($SITES_STATE)"
net_log "'Printer C (manhattan)' resolved in Brooklyn $(sites_secs $((SITES_SEEN_T - t_cut - 4000000))) s after the WAN came back"
# Past the grace period counted from the start of the cut: nothing was withdrawn.
rest=$((t_cut + (SITES_GRACE + 2) * 1000000 - $(sites_now)))
[ "$rest" -gt 0 ] && sleep "$(sites_secs "$rest")"
never_gone brooklyn-h1 "${far_b[@]}"
never_gone manhattan-h1 "${far_m[@]}"
[ "$(sites_peer_since brooklyn manhattan)" = "$since_b" ] && [ "$(sites_peer_since manhattan brooklyn)" = "$since_m" ] ||
	net_fail "a 4 s cut took the link down: brooklyn: $(sites_peer_since brooklyn manhattan)," \
		"manhattan: $(sites_peer_since manhattan brooklyn) (were $since_b, $since_m)"
net_pass "a 4 s cut (grace ${SITES_GRACE} s): nothing withdrawn, link kept, published meanwhile arrived"
far_b+=("Printer C (manhattan)")

# ---------------------------------------------------------------- 3. long cut
down_before=$(grep -c 'peer manhattan down' "${SITES_GW_LOG[brooklyn]}")
up_before=$(sites_peer_up_count brooklyn manhattan)
t_cut=$(sites_now)
lan_t0=$(awk -F'[= ]' '/^t=/ { t = $2 } END { print t + 0 }' "$NET_TMP/lan-brooklyn.out")
sites_wan_set 0 100
# The grace period alone must not withdraw anything: the link is not known dead yet.
sleep $((SITES_GRACE + 2))
never_gone brooklyn-h1 "${far_b[@]}"
net_log "after $((SITES_GRACE + 2)) s of cut: still listed in Brooklyn"

link_down() {
	sites_gw_alive brooklyn
	[ "$(grep -c 'peer manhattan down' "${SITES_GW_LOG[brooklyn]}")" -gt "$down_before" ]
}
net_wait 45 link_down || net_fail "Brooklyn did not take the link down within 45 s of the cut"
t_down=$(sites_now)
[ $((t_down - t_cut)) -le 14000000 ] ||
	net_fail "the link was taken down $(sites_secs $((t_down - t_cut))) s after the cut, not within peer-timeout ($SITES_PEER_TIMEOUT s) + 2 s"
net_log "Brooklyn took the link down $(sites_secs $((t_down - t_cut))) s after the cut:" \
	"$(grep 'peer manhattan down' "${SITES_GW_LOG[brooklyn]}" | tail -n 1)"
for name in "${far_b[@]}"; do
	sites_wait_gone brooklyn-h1 _ipp._tcp "$name" $((SITES_GRACE + 6)) ||
		net_fail "'$name' not withdrawn in Brooklyn within $((SITES_GRACE + 6)) s of the link going down ($SITES_STATE)"
done
t_gone=$SITES_SEEN_T
gone_after=$((t_gone - t_down))
net_log "withdrawn in Brooklyn $(sites_secs "$gone_after") s after the link went down" \
	"($(sites_secs $((t_gone - t_cut))) s after the cut)"
[ "$gone_after" -ge $(((SITES_GRACE - 1) * 1000000)) ] ||
	net_fail "withdrawn $(sites_secs "$gone_after") s after the link went down, before the grace period of $SITES_GRACE s"
sites_wait_gone manhattan-h1 _ipp._tcp "Printer B (brooklyn)" 15 ||
	net_fail "'Printer B (brooklyn)' not withdrawn in Manhattan ($SITES_STATE)"
# Goodbyes: TTL 0 PTR records for the printers from Brooklyn's gateway, after the cut.
gw4=${NET_ADDR4[brooklyn-gw]}
for name in "${far_b[@]}"; do
	awk -v t0="$lan_t0" -v head="src=$gw4 ttl=0 _ipp._tcp.local. PTR $name._ipp._tcp.local." '
		{ t = substr($1, 3) + 0 }
		t > t0 && substr($0, index($0, " ") + 1) == head { found = 1 }
		END { exit !found }' "$NET_TMP/lan-brooklyn.out" ||
		net_fail "no goodbye (TTL 0 PTR) for '$name' from Brooklyn's gateway on its LAN"
done
grep -F "src=$gw4 ttl=0 _ipp._tcp.local. PTR" "$NET_TMP/lan-brooklyn.out"
net_pass "a long cut: link down after $(sites_secs $((t_down - t_cut))) s, printers withdrawn" \
	"with goodbyes $(sites_secs "$gone_after") s later (grace $SITES_GRACE s)"

# ---------------------------------------------------------------- 4. restored
t_restore=$(sites_now)
sites_wan_set 0 0
sites_wait_peer_up brooklyn manhattan 40 "$up_before"
net_log "link up again $(sites_secs $(($(sites_now) - t_restore))) s after the WAN came back"
for name in "${far_b[@]}"; do
	sites_wait_visible brooklyn-h1 _ipp._tcp "$name" 15 ||
		net_fail "'$name' not resolved in Brooklyn after the WAN came back ($SITES_STATE)"
done
sites_wait_visible manhattan-h1 _ipp._tcp "Printer B (brooklyn)" 15 ||
	net_fail "'Printer B (brooklyn)' not resolved in Manhattan after the WAN came back ($SITES_STATE)"
net_log "all printers back $(sites_secs $(($(sites_now) - t_restore))) s after the WAN came back"

# once KEY NAME...: each NAME resolved exactly once per interface and protocol in a new
# avahi-browse at KEY, and no other service from the far site (no renamed duplicate).
once() {
	local key=$1 events resolved name n keys site
	shift
	events=$(sites_browse "$key" _ipp._tcp)
	resolved=$(awk -F'\t' '$1 == "="' <<<"$events")
	for name in "$@"; do
		n=$(awk -F'\t' -v n="$name" '$4 == n' <<<"$resolved" | wc -l)
		keys=$(awk -F'\t' -v n="$name" '$4 == n { print $2, $3 }' <<<"$resolved" | sort -u | wc -l)
		[ "$n" -ge 1 ] && [ "$n" -eq "$keys" ] || {
			printf '%s\n' "$events"
			net_fail "'$name' resolved $n times on $keys interface/protocol pairs at $key"
		}
	done
	site=${1##*(}
	n=$(awk -F'\t' -v s="($site" '$1 == "=" && index($4, s)' <<<"$events" | wc -l)
	keys=$(awk -F'\t' '$1 == "=" { print $2, $3 }' <<<"$events" | sort -u | wc -l)
	[ "$n" -eq $(($# * keys)) ] || {
		printf '%s\n' "$events"
		net_fail "$n services of ($site at $key, expected $# on each of $keys interface/protocol pairs"
	}
}
once brooklyn-h1 "${far_b[@]}"
once manhattan-h1 "${far_m[@]}"
if sites_avahi_conflicts; then
	net_fail "name conflict in an Avahi log"
fi
net_pass "after the WAN came back: resync, each printer once per interface and protocol"
sites_done
exit 0
