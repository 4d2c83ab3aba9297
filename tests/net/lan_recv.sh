#!/usr/bin/env bash
# lan_recv.sh: the LAN module (reflector/lan.c, through tests/net/lan_probe) on a
# gateway, with real avahi-daemon on a LAN host and on the gateway itself:
#  - what a host publishes is received, over IPv4 and IPv6;
#  - Avahi on the same gateway keeps working beside it (both bound to port 5353),
#    whichever starts first, and another mDNS stack there keeps every packet of an
#    interface the probe does not serve;
#  - what the probe sends (a hand-built announcement) is cached by the host's Avahi,
#    and leaves from port 5353 with TTL / hop limit 255 and the interface's address,
#    never larger than the interface MTU allows;
#  - its own packets and the gateway's Avahi's are not received (counted as own);
#  - off-link sources, other interfaces and datagrams over 9000 bytes are dropped;
#  - addresses and prefixes are followed through netlink, even when it overflows;
#  - after lan0 goes down and up, and after it is re-created with a new ifindex,
#    packets are received again; send errors meanwhile are counted and logged once.
set -u
. "$(dirname "$0")/lib.sh"

probe=${top_builddir:-$(dirname "$0")/../..}/tests/net/lan_probe
net_require_root_netns
net_require_python_dns
[ -x "$probe" ] || net_fail "$probe not built (make tests/net/lan_probe)"
probe=$(cd "$(dirname "$probe")" && pwd)/lan_probe
out=$NET_TMP/probe.out

net_site a 192.168.1 2
net_wan a
net_avahi_start a-h1 host1

# --- another mDNS stack on the gateway still gets every packet of an interface the
# probe does not serve. The stand-in sets its socket up as avahi-daemon does (bind,
# then SO_REUSEADDR and SO_REUSEPORT; if the bind fails, both options, bind again)
# and is alone in joining the group on wan0: had the probe's socket joined it in a
# reuseport group, Linux would spread those packets over both.
cat >"$NET_TMP/stack.py" <<'EOF'
import select, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def reuse():
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind(("", 5353))
    reuse()
except OSError:
    reuse()
    s.bind(("", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack(
    "=4s4si", socket.inet_aton("224.0.0.251"), bytes(4), socket.if_nametoindex(sys.argv[1])))
print("ready", flush=True)
n, end = 0, time.monotonic() + 3
while n < int(sys.argv[2]):
    if not select.select([s], [], [], max(0, end - time.monotonic()))[0]:
        break
    n += s.recv(100).startswith(b"\xf0\x0d")
print("got %d" % n, flush=True)
EOF
net_bg a-gw "$NET_TMP/stack.out" "$NET_PYTHON" "$NET_TMP/stack.py" wan0 20
stack_pid=$NET_LAST_PID
net_wait 5 grep -qs '^ready' "$NET_TMP/stack.out" || net_fail "stand-in mDNS stack did not start"
# The probe bound after the stand-in, as when sitecastd starts after Avahi.
net_bg a-gw "$NET_TMP/probe2.out" "$probe" -t 10 lan0
probe2_pid=$NET_LAST_PID
net_wait 5 grep -qs '^ready' "$NET_TMP/probe2.out" || net_fail "lan_probe did not start"
net_udp_send wan -e w1 172.16.1.1 224.0.0.251 \
	$(for i in $(seq 20); do printf 'f00d%04x0000000000000000 ' "$i"; done)
wait "$stack_pid"
grep -q '^got 20$' "$NET_TMP/stack.out" ||
	net_fail "the other mDNS stack lost packets on wan0: $(tail -n 1 "$NET_TMP/stack.out")"
net_stop "$probe2_pid"
if grep -E '^recv .*head=f00d' "$NET_TMP/probe2.out"; then
	net_fail "a probe received wan0 traffic"
fi
net_pass "another mDNS stack on the gateway keeps all of wan0's packets"

net_avahi_start a-gw gw
net_avahi_wait a-h1
net_avahi_wait a-gw
net_sniff a-sw br0 "$NET_TMP/sniff.out"
net_log "site a up: avahi-daemon on a-h1 and a-gw"

# The announcement the probe sends: a DNS-SD service as a responder announces it,
# with a non-zero ID (ignored by receivers, RFC 6762 §18.1) to tell its packets apart.
"$NET_PYTHON" - "$NET_TMP/announce.bin" <<'EOF' || net_fail "cannot build the announcement"
import sys
import dns.flags, dns.message, dns.rrset
m = dns.message.Message(id=0xABCD)
m.flags = dns.flags.QR | dns.flags.AA
inst = r"Probe\032Test._sctest._tcp.local."
for name, rdtype, rdata in [
        ("_sctest._tcp.local.", "PTR", inst),
        (inst, "SRV", "0 0 9 sc-probe.local."),
        (inst, "TXT", '"from=lan_probe"'),
        ("sc-probe.local.", "A", "192.168.1.1"),
        ("sc-probe.local.", "AAAA", "fd00:1::1")]:
    m.answer.append(dns.rrset.from_text(name, 120, "IN", rdtype, rdata))
open(sys.argv[1], "wb").write(m.to_wire())
EOF

# --- an interface that does not exist is refused with a clear message
msg=$(net_in a-gw "$probe" -t 1 nosuch0 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q 'nosuch0: No such device' <<<"$msg" ||
	net_fail "lan_probe on a missing interface: exit $rc, '$msg'"
net_pass "missing interface refused: $msg"

# --- nothing larger than the interface MTU allows is sent (never IP fragments):
# 1453 bytes fit in IPv4 (1500 - 28) but not IPv6 (1500 - 48)
msg=$(net_in a-gw "$probe" -t 0.5 -x "$(printf '%02906d' 0)" lan0 2>&1)
grep -q '^sent if=lan0 af=4 len=1453 rc=0$' <<<"$msg" &&
	grep -q '^sent if=lan0 af=6 len=1453 rc=-90$' <<<"$msg" ||
	net_fail "MTU limits not applied: $msg"
net_pass "datagrams over the MTU refused with EMSGSIZE"

net_bg a-gw "$out" "$probe" -t 50 -f "$NET_TMP/announce.bin" -d 0.5 -r 1 lan0
probe_pid=$NET_LAST_PID
net_wait 5 grep -qs '^ready' "$out" || net_fail "lan_probe did not start"
index=$(sed -n 's/^iface lan0 index=\([0-9]*\) up=1 .*/\1/p' "$out")
gw_ll=$(net_ll a-gw)
[ -n "$index" ] || net_fail "lan0 not reported up"
grep -q "^iface lan0 index=$index up=1 mtu4=1472 mtu6=1452 addr4=192.168.1.1 addr6=$gw_ll\$" \
	"$out" || net_fail "interface description: $(grep '^iface' "$out")"
net_pass "lan0 index $index, MTU and addresses as expected"

last_stats() { grep '^stats ' "$out" | tail -n 1; }
stat_of() { last_stats | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
stat_at_least() { [ "$(stat_of "$1")" -ge "$2" ] 2>/dev/null; }

# --- a service published on the host is received over IPv4 and IPv6
net_bg a-h1 "$NET_TMP/publish.log" avahi-publish -s "Host Svc" _scthost._tcp 8080 k=v
net_wait 10 grep -qE '^recv if=lan0 af=4 src=192\.168\.1\.10:5353 dst=224\.0\.0\.251 mcast=1 ' \
	"$out" || net_fail "no IPv4 mDNS from a-h1 received"
net_wait 10 grep -qE '^recv if=lan0 af=6 src=\[(fd00:1::10|fe80:[0-9a-f:]*)\]:5353 dst=ff02::fb mcast=1 ' \
	"$out" || net_fail "no IPv6 mDNS from a-h1 received"
net_pass "host's announcements received over IPv4 and IPv6"

# --- Avahi on the gateway still sees the host's service while the probe runs
browse_has() { # node type regexp
	net_in "$1" avahi-browse -rpt "$2" 2>/dev/null | grep -qE "$3"
}
before=$(net_grep_count '^recv .*src=192\.168\.1\.10:' "$out")
net_wait 10 browse_has a-gw _scthost._tcp \
	'^=;lan0;IPv4;Host\\032Svc;_scthost._tcp;local;host1\.local;192\.168\.1\.10;8080;"k=v"' ||
	net_fail "avahi-browse on the gateway does not resolve the host's service over IPv4"
net_wait 10 browse_has a-gw _scthost._tcp \
	'^=;lan0;IPv6;Host\\032Svc;_scthost._tcp;local;host1\.local;[0-9a-f:]+;8080;' ||
	net_fail "avahi-browse on the gateway does not resolve the host's service over IPv6"
# Avahi's query from the gateway itself is dropped as own; the host's answer arrives.
net_wait 5 stat_at_least own 1 || net_fail "gateway's own Avahi packets not counted: $(last_stats)"
net_wait 5 test "$(net_grep_count '^recv .*src=192\.168\.1\.10:' "$out")" -gt "$before" ||
	net_fail "probe received nothing from a-h1 during the gateway's browse"
net_pass "Avahi on the gateway works beside the probe"

# --- and when it starts after the probe (it then warns of another mDNS stack)
net_avahi_stop a-gw
net_avahi_start a-gw gw
net_avahi_wait a-gw
net_wait 10 browse_has a-gw _scthost._tcp \
	'^=;lan0;IPv4;Host\\032Svc;_scthost._tcp;local;host1\.local;192\.168\.1\.10;8080;' ||
	net_fail "avahi-daemon started after the probe does not resolve the host's service"
net_udp_send a-h1 eth0 192.168.1.10 224.0.0.251 c4de00000000000000000000
net_wait 5 grep -qE '^recv if=lan0 af=4 src=192\.168\.1\.10:[0-9]+ .*head=c4de' "$out" ||
	net_fail "probe no longer receives after Avahi's restart"
net_pass "Avahi started after the probe works, the probe still receives"

# --- what the probe sends is cached by the host's Avahi, over IPv4 and IPv6
net_wait 10 browse_has a-h1 _sctest._tcp \
	'^=;eth0;IPv4;Probe\\032Test;_sctest._tcp;local;sc-probe\.local;[0-9a-f.:]+;9;"from=lan_probe"' ||
	net_fail "the probe's announcement did not reach a-h1's Avahi over IPv4"
net_wait 10 browse_has a-h1 _sctest._tcp \
	'^=;eth0;IPv6;Probe\\032Test;_sctest._tcp;local;sc-probe\.local;[0-9a-f.:]+;9;' ||
	net_fail "the probe's announcement did not reach a-h1's Avahi over IPv6"
net_pass "announcement from the probe browsed and resolved on a-h1 (IPv4, IPv6)"

grep -qE "^t=[0-9.]+ af=4 src=192\.168\.1\.1 sport=5353 dst=224\.0\.0\.251 dport=5353 ttl=255 len=[0-9]+ head=abcd8400" \
	"$NET_TMP/sniff.out" || net_fail "no IPv4 announcement on the wire from 192.168.1.1:5353 with TTL 255"
grep -qE "^t=[0-9.]+ af=6 src=$gw_ll sport=5353 dst=ff02::fb dport=5353 ttl=255 len=[0-9]+ head=abcd8400" \
	"$NET_TMP/sniff.out" || net_fail "no IPv6 announcement on the wire from [$gw_ll]:5353 with hop limit 255"
net_pass "sent from port 5353, own addresses, TTL and hop limit 255"

# --- nothing of the gateway's own is received
if grep -E '^recv .*head=abcd' "$out"; then net_fail "the probe received its own packets"; fi
if grep -E "^recv .*src=(192\.168\.1\.1:|\[fd00:1::1\]|\[$gw_ll\])" "$out"; then
	net_fail "a packet from the gateway's own address was passed on"
fi
net_pass "own packets not received"

# --- off-link sources are dropped, on-link ones from any port pass (from a-h2, which
# runs no Avahi, so that the counts are exact)
net_in a-h2 ip addr add 10.99.0.5/24 dev eth0
net_in a-h2 ip -6 addr add fd99::5/64 dev eth0
offlink0=$(stat_of offlink)
net_udp_send a-h2 eth0 10.99.0.5 224.0.0.251 c0de00000000000000000000
net_udp_send a-h2 eth0 fd99::5 ff02::fb c0de00000000000000000000
net_udp_send a-h2 eth0 192.168.1.11 224.0.0.251 c1de00000000000000000000
net_udp_send a-h2 eth0 fd00:1::11 ff02::fb c1de00000000000000000000
net_wait 5 grep -qE '^recv if=lan0 af=4 src=192\.168\.1\.11:[0-9]+ .*head=c1de' "$out" ||
	net_fail "on-link IPv4 datagram from another port not received"
net_wait 5 grep -qE '^recv if=lan0 af=6 src=\[fd00:1::11\]:[0-9]+ .*head=c1de' "$out" ||
	net_fail "on-link IPv6 datagram (ULA prefix of lan0) not received"
net_wait 5 stat_at_least offlink $((offlink0 + 2)) ||
	net_fail "off-link datagrams not counted: $(last_stats)"
if grep -E '^recv .*(head=c0de|src=10\.99\.0\.5|src=\[fd99::5\])' "$out"; then
	net_fail "an off-link datagram was passed on"
fi
net_pass "off-link sources dropped and counted ($(stat_of offlink))"

# --- addresses followed through netlink, even when notifications overflow: the
# gateway gets a link x0 with 10.200.0.1; then, while the probe is stopped, 4000 more
# addresses come to x0, lan0 gains 10.99.0.1/24 (a-h2's 10.99.0.5 is on-link then) and
# x0 goes, addresses and all. Only a new dump after the overflow tells the probe of
# the last two.
net_in a-gw ip link add x0 type veth peer name x1
net_in a-gw ip addr add 10.200.0.1/32 dev x0
net_in a-gw ip link set x0 up
sleep 0.3
{
	for i in $(seq 1 16); do for j in $(seq 1 250); do echo "addr add 10.200.$i.$j/32 dev x0"; done; done
	echo "addr add 10.99.0.1/24 dev lan0"
	echo "link del x0"
} >"$NET_TMP/batch"
kill -STOP "$probe_pid"
net_in a-gw ip -batch "$NET_TMP/batch" || net_fail "ip -batch"
kill -CONT "$probe_pid"
net_wait 5 grep -q 'netlink: notifications lost, reading interfaces again' "$out" ||
	net_fail "netlink overflow not noticed"
net_udp_send a-h2 eth0 10.99.0.5 224.0.0.251 c5de00000000000000000000
net_wait 5 grep -qE '^recv if=lan0 af=4 src=10\.99\.0\.5:[0-9]+ .*head=c5de' "$out" ||
	net_fail "a new on-link prefix of lan0 was not taken into account"
# 10.200.0.1 is no longer the gateway's: from a-h2 it is an off-link source, not own.
net_in a-h2 ip addr add 10.200.0.1/32 dev eth0
offlink0=$(stat_of offlink)
net_udp_send a-h2 eth0 10.200.0.1 224.0.0.251 c7de00000000000000000000 c7de00000000000000000000
net_wait 5 stat_at_least offlink $((offlink0 + 2)) ||
	net_fail "a removed address still counts as the gateway's own: $(last_stats)"
net_in a-gw ip addr del 10.99.0.1/24 dev lan0
offlink0=$(stat_of offlink)
sleep 0.2
net_udp_send a-h2 eth0 10.99.0.5 224.0.0.251 c6de00000000000000000000
net_wait 5 stat_at_least offlink $((offlink0 + 1)) ||
	net_fail "a removed prefix still counts as on-link: $(last_stats)"
if grep -E '^recv .*(head=c6de|head=c7de)' "$out"; then net_fail "off-link, yet passed on"; fi
net_pass "addresses and prefixes followed, through a netlink overflow too"

# --- 9000 bytes is the most a datagram may hold; longer ones are dropped and counted
big=$(printf 'b16d%017996d' 0)
net_udp_send a-h1 eth0 192.168.1.10 224.0.0.251 "$big" "${big}00"
net_wait 5 grep -qE '^recv if=lan0 af=4 .* len=9000 head=b16d' "$out" ||
	net_fail "a 9000-byte datagram was not received"
net_wait 5 stat_at_least truncated 1 || net_fail "a 9001-byte datagram was not counted: $(last_stats)"
[ "$(net_grep_count 'head=b16d' "$out")" -eq 1 ] || net_fail "a 9001-byte datagram was passed on"
net_pass "9000-byte datagram received, 9001-byte one dropped and counted"

# --- other interfaces of the gateway are not served
net_udp_send wan w1 172.16.1.1 224.0.0.251 c2de00000000000000000000
net_udp_send wan w1 fd10:1::1 ff02::fb c2de00000000000000000000
net_udp_send wan w1 172.16.1.1 172.16.1.2 c3de00000000000000000000
sleep 0.5
if grep -E '^recv .*(head=c2de|head=c3de|if=wan0)' "$out"; then
	net_fail "a datagram from wan0, not configured, was passed on"
fi
net_pass "nothing from the unconfigured WAN interface"

# --- lan0 down and up: received again; sends in between fail, counted, logged once
rejoins0=$(stat_of rejoins)
net_in a-gw ip link set lan0 down
net_wait 5 grep -q "^link if=lan0 index=$index up=0" "$out" || net_fail "lan0 down not seen"
net_wait 5 grep -qE '^sent if=lan0 af=[46] len=[0-9]+ rc=-' "$out" ||
	net_fail "no failed send while lan0 is down"
net_in a-gw ip link set lan0 up
net_wait 5 test "$(net_grep_count "^link if=lan0 index=$index up=1" "$out")" -ge 2 ||
	net_fail "lan0 up again not seen"
net_wait 5 _net_has_ll "$(net_ns a-gw)" lan0 || net_fail "no link-local on lan0"
for i in $(seq 20); do
	net_udp_send a-h1 eth0 192.168.1.10 224.0.0.251 d0d000000000000000000000
	net_udp_send a-h1 eth0 "" ff02::fb d0d000000000000000000000
	grep -qE '^recv if=lan0 af=4 .*head=d0d0' "$out" &&
		grep -qE '^recv if=lan0 af=6 .*head=d0d0' "$out" && break
	sleep 0.25
done
grep -qE '^recv if=lan0 af=4 .*head=d0d0' "$out" || net_fail "nothing received over IPv4 after lan0 down/up"
grep -qE '^recv if=lan0 af=6 .*head=d0d0' "$out" || net_fail "nothing received over IPv6 after lan0 down/up"
net_wait 2 stat_at_least rejoins $((rejoins0 + 2)) ||
	net_fail "groups not joined again: $(last_stats)"
net_wait 2 stat_at_least senderr 1 || net_fail "send errors not counted: $(last_stats)"
n=$(net_grep_count 'mDNS send \(IPv[46]\) failed' "$out")
[ "$n" -eq 1 ] || net_fail "send failures logged $n times, want 1 (rate-limited)"
net_pass "rejoined after down/up; send errors counted ($(stat_of senderr)), logged once"

# --- lan0 re-created (new ifindex): joined again on the new index
net_in a-gw ip link del lan0
net_wait 5 grep -q "^link if=lan0 index=$index up=0" "$out" || net_fail "lan0 removal not seen"
net_attach a-gw
last_link_up() { grep '^link' "$out" | tail -n 1 | grep -qE '^link if=lan0 index=[0-9]+ up=1$'; }
net_wait 5 last_link_up || net_fail "re-created lan0 not seen"
index2=$(grep '^link' "$out" | tail -n 1 | sed -n 's/.*index=\([0-9]*\).*/\1/p')
[ "$index2" != "$index" ] || net_fail "lan0 kept index $index"
for i in $(seq 20); do
	net_udp_send a-h1 eth0 192.168.1.10 224.0.0.251 e0e000000000000000000000
	net_udp_send a-h1 eth0 "" ff02::fb e0e000000000000000000000
	grep -qE "^recv if=lan0 af=4 .*head=e0e0" "$out" &&
		grep -qE "^recv if=lan0 af=6 .*head=e0e0" "$out" && break
	sleep 0.25
done
grep -qE '^recv if=lan0 af=4 .*head=e0e0' "$out" || net_fail "nothing received over IPv4 on the new lan0"
grep -qE '^recv if=lan0 af=6 .*head=e0e0' "$out" || net_fail "nothing received over IPv6 on the new lan0"
net_pass "rejoined on re-created lan0 (index $index -> $index2)"

net_stop "$probe_pid" || net_fail "lan_probe exited with status $?"
final=$(last_stats)
net_log "final: $final"
stat_at_least out 4 || net_fail "packets out not counted: $final"
[ "$(stat_of truncated)" -eq 1 ] && [ "$(stat_of overflow)" -eq 0 ] ||
	net_fail "unexpected drops: $final"
if grep -iE 'conflict' "$NET_TMP"/avahi-*.log; then net_fail "name conflict in an Avahi log"; fi
net_pass "lan_probe exited cleanly"
exit 0
