#!/usr/bin/env bash
# f1_malformed.sh: the corpus of malformed mDNS datagrams (tests/data/malformed, the
# decoder's expected reason for each in expected.txt) replayed at a running sitecastd
# from a LAN host of Manhattan, over IPv4 (224.0.0.251) and IPv6 (ff02::fb), from port
# 5353 and, for some, from other ports:
#  - sitecastd stays alive and exits 0 on SIGTERM at the end;
#  - each malformed datagram is counted once under its drop reason (sitecastctl status
#    --json before and after), and the valid ones of the corpus under none. The one over
#    9000 bytes ("too-long" for the decoder) never reaches it: the LAN socket's
#    9000-byte buffer cuts it and counts it as "oversize";
#  - what Manhattan learned from Brooklyn before the replay is still there after it;
#  - legacy unicast queries (source port not 5353), sent to the group and to the
#    gateway's address, over IPv4 and IPv6, get a unicast answer from the gateway with
#    the query's ID and question, TTLs of at most 10 s and no cache-flush bit; a QU
#    question from port 5353 gets a unicast answer (RFC 6762 §5.4, §6.7);
#  - a printer published in Manhattan afterwards still crosses to Brooklyn.
set -u
. "$(dirname "$0")/sites.sh"

corpus=${top_srcdir:-$NET_LIBDIR/../..}/tests/data/malformed
[ -s "$corpus/expected.txt" ] || net_fail "no corpus in $corpus"
corpus=$(cd "$corpus" && pwd)

sites_init manhattan brooklyn
net_require_python_dns
sites_host manhattan-h1
sites_host manhattan-h2 # the sender: no Avahi, so that port 5353 is free there
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links

# Something Manhattan holds from Brooklyn, to answer queries from and to keep.
sites_publish brooklyn-h1 "Printer B" _ipp._tcp 631 "txt=b"
sites_wait_visible manhattan-h1 _ipp._tcp "Printer B (brooklyn)" 10 ||
	net_fail "'Printer B (brooklyn)' not resolved in Manhattan ($SITES_STATE)"
net_pass "'Printer B (brooklyn)' resolved in Manhattan"

# ---------------------------------------------------------------- replay
cat >"$NET_TMP/replay.py" <<'EOF'
# replay.py DIR IFACE: sends every datagram of DIR/expected.txt to the mDNS group over
# IPv4 and IPv6, 5 ms apart, from port 5353, every seventh malformed one from another
# port instead; prints what it sent: "sent FAMILY SPORT FILE REASON".
import os, socket, struct, sys, time

d, ifname = sys.argv[1], sys.argv[2]
idx = socket.if_nametoindex(ifname)
cases = [l.split() for l in open(os.path.join(d, "expected.txt")) if l.strip()]


def sock(af, port):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if af == socket.AF_INET:
        s.bind(("0.0.0.0", port))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     struct.pack("=4s4si", bytes(4), bytes(4), idx))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    else:
        s.bind(("::", port))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    return s


for af, fam, dst in ((socket.AF_INET, 4, ("224.0.0.251", 5353)),
                     (socket.AF_INET6, 6, ("ff02::fb", 5353, 0, idx))):
    mdns = sock(af, 5353)
    n = 0
    for name, reason in cases:
        data = open(os.path.join(d, name), "rb").read()
        s = mdns
        if reason != "ok":
            n += 1
            if n % 7 == 0:
                s = sock(af, 0)
        s.sendto(data, dst)
        print("sent", fam, s.getsockname()[1], name, reason, flush=True)
        if s is not mdns:
            s.close()
        time.sleep(0.005)
    mdns.close()
EOF

# The drop counters of a status (JSON on stdin), one "reason count" per line.
drops() {
	sites_json '"\n".join("%s %d" % kv for kv in j["dropped"].items())'
}

before=$(sites_status_json manhattan)
net_in manhattan-h2 "$NET_PYTHON" "$NET_TMP/replay.py" "$corpus" eth0 \
	>"$NET_TMP/replay.out" 2>&1 || net_fail "replay failed: $(tail -n 5 "$NET_TMP/replay.out")"
nsent=$(grep -c '^sent ' "$NET_TMP/replay.out")
nbad=$(grep '^sent ' "$NET_TMP/replay.out" | grep -vc ' ok$')
nother=$(awk '$1 == "sent" && $3 != 5353' "$NET_TMP/replay.out" | wc -l)
net_log "replayed $nsent datagrams ($nbad malformed, $nother of them from other ports than 5353)"
[ "$nsent" -eq $((2 * $(grep -c . "$corpus/expected.txt"))) ] || net_fail "not all datagrams sent"

# Expected per reason; "too-long" is counted by the LAN socket as "oversize".
awk '$1 == "sent" && $5 != "ok" { r = $5 == "too-long" ? "oversize" : $5; n[r]++ }
	END { for (r in n) print r, n[r] }' "$NET_TMP/replay.out" | sort >"$NET_TMP/expected-drops.txt"
# The LAN-level and decoder reasons: the only counters the corpus may raise.
decode_reasons="own off-link oversize other-interface receive-overflow short too-long opcode rcode truncated counts name pointer rdata trailing empty"

compare() {
	local after line r n want bad=0
	after=$(sites_status_json manhattan)
	: >"$NET_TMP/drops-delta.txt"
	for r in $decode_reasons; do
		n=$(($(drops <<<"$after" | awk -v r="$r" '$1 == r { print $2 }') -
			$(drops <<<"$before" | awk -v r="$r" '$1 == r { print $2 }')))
		want=$(awk -v r="$r" '$1 == r { print $2 }' "$NET_TMP/expected-drops.txt")
		want=${want:-0}
		printf '%-18s expected %3d counted %3d\n' "$r" "$want" "$n" >>"$NET_TMP/drops-delta.txt"
		[ "$n" -eq "$want" ] || bad=1
	done
	return $bad
}
# The daemon may still be reading its socket: give the counters a moment to settle.
if ! net_wait 5 compare; then
	cat "$NET_TMP/drops-delta.txt"
	net_fail "drop counters of Manhattan's sitecastd do not match the corpus' reasons"
fi
cat "$NET_TMP/drops-delta.txt"
sites_gw_alive manhattan
sites_gw_alive brooklyn
net_pass "each of the $nbad malformed datagrams counted once under its reason; sitecastd alive"

# What Manhattan held from Brooklyn is still there (not dropped or withdrawn).
st=$(sites_state manhattan-h1 _ipp._tcp "Printer B (brooklyn)")
[[ $st == resolved* ]] || net_fail "'Printer B (brooklyn)' in Manhattan after the replay: $st"
n=$(sites_status_json manhattan | sites_json 'j["cache"]["remote"]')
[ "$n" -gt 0 ] || net_fail "Manhattan's remote cache is empty after the replay"
net_pass "Manhattan still holds Brooklyn's printer ($n remote records)"

# ---------------------------------------------------------------- QU and legacy unicast
cat >"$NET_TMP/unicast.py" <<'EOF'
# unicast.py IFACE GW4 GW6 GW6LL: QU and legacy unicast queries to the gateway, checked;
# its IPv6 answers may come from its ULA or its link-local address.
import select, socket, struct, sys
import dns.flags, dns.message, dns.name, dns.rdataclass, dns.rdatatype

ifname, gw4, gw6, gw6ll = sys.argv[1:5]
idx = socket.if_nametoindex(ifname)
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's value, missing in some Pythons
PTR_OWNER = "_ipp._tcp.local."
INSTANCE = "Printer B (brooklyn)._ipp._tcp.local."
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    fails += not ok


def sock(af, port):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if af == socket.AF_INET:
        s.bind(("0.0.0.0", port))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     struct.pack("=4s4si", bytes(4), bytes(4), idx))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    else:
        s.bind(("::", port))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    return s


def answers_from(s, gw, secs=2.0):
    """Datagrams from the gateway's address within secs: (message, sport, dst)."""
    got = []
    end = secs
    while select.select([s], [], [], end)[0]:
        data, anc, _, src = s.recvmsg(9000, 256)
        end = 0.5
        dst = "?"
        for lvl, typ, val in anc:
            if s.family == socket.AF_INET and typ == IP_PKTINFO:
                dst = socket.inet_ntop(socket.AF_INET, val[8:12])
            elif s.family == socket.AF_INET6 and typ == socket.IPV6_PKTINFO:
                dst = socket.inet_ntop(socket.AF_INET6, val[:16])
        if src[0].split("%")[0] not in gw:
            continue
        got.append((dns.message.from_wire(data), src[1], dst))
    return got


def records(m):
    for sec in (m.answer, m.authority, m.additional):
        for rrset in sec:
            yield rrset


def legacy(af, gw, dst, qname, qtype, what):
    s = sock(af, 0)
    q = dns.message.make_query(qname, qtype)
    q.flags = 0
    q.id = 0x5ca5 + af
    s.sendto(q.to_wire(), dst)
    got = answers_from(s, gw)
    check(len(got) == 1, "%s: one answer from the gateway %s (got %d)" % (what, "/".join(gw),
                                                                         len(got)))
    for m, sport, to in got:
        print(m.to_text())
        check(sport == 5353, "%s: from port 5353 (%d)" % (what, sport))
        check(m.id == q.id, "%s: the query's ID %#x (%#x)" % (what, q.id, m.id))
        check(m.flags & dns.flags.QR != 0, "%s: a response" % what)
        check(len(m.question) == 1 and m.question[0].name == dns.name.from_text(qname)
              and m.question[0].rdtype == qtype, "%s: repeats the question" % what)
        check(any(r.rdtype == qtype and r.name == dns.name.from_text(qname)
                  for r in m.answer), "%s: answers it" % what)
        for r in records(m):
            check(r.ttl <= 10, "%s: TTL %d <= 10 for %s %s" % (
                what, r.ttl, r.name, dns.rdatatype.to_text(r.rdtype)))
            check(r.rdclass == dns.rdataclass.IN, "%s: class IN, no cache-flush bit (%d) for %s %s"
                  % (what, r.rdclass, r.name, dns.rdatatype.to_text(r.rdtype)))
    s.close()
    return got


# Legacy unicast, to the group and to the gateway's own address, both families.
legacy(socket.AF_INET, [gw4], ("224.0.0.251", 5353), PTR_OWNER, dns.rdatatype.PTR,
       "legacy PTR query to 224.0.0.251")
got = legacy(socket.AF_INET, [gw4], (gw4, 5353), "printer-brooklyn.local.", dns.rdatatype.A,
             "legacy A query to %s" % gw4)
check(any(str(rd) == "10.101.2.10" for m, _, _ in got for r in m.answer for rd in r),
      "legacy A query: the mapped address 10.101.2.10")
legacy(socket.AF_INET6, [gw6, gw6ll], ("ff02::fb", 5353, 0, idx), PTR_OWNER, dns.rdatatype.PTR,
       "legacy PTR query to ff02::fb")

# QU question from port 5353 (this host has not joined the group: only unicast arrives).
s = sock(socket.AF_INET, 5353)
q = dns.message.make_query(PTR_OWNER, dns.rdatatype.PTR)
q.flags = 0
q.id = 0
wire = bytearray(q.to_wire())
wire[-2] |= 0x80  # the QU bit: top bit of the question's class
s.sendto(bytes(wire), ("224.0.0.251", 5353))
got = answers_from(s, [gw4])
check(len(got) >= 1, "QU query: answered by the gateway (%d)" % len(got))
for m, sport, to in got:
    print(m.to_text())
    check(to != "224.0.0.251", "QU query: answer sent unicast (to %s)" % to)
    check(sport == 5353, "QU query: from port 5353 (%d)" % sport)
    check(any(r.rdtype == dns.rdatatype.PTR and
              any(str(rd.target) == INSTANCE.replace(" ", "\\032") or
                  rd.target == dns.name.from_text(INSTANCE.replace(" ", "\\032"))
                  for rd in r) for r in m.answer),
          "QU query: the PTR to %s" % INSTANCE)
sys.exit(1 if fails else 0)
EOF
net_in manhattan-h2 "$NET_PYTHON" "$NET_TMP/unicast.py" eth0 "${NET_ADDR4[manhattan-gw]}" \
	"${NET_ADDR6[manhattan-gw]}" "$(net_ll manhattan-gw)" >"$NET_TMP/unicast.out" 2>&1 ||
	{ cat "$NET_TMP/unicast.out"; net_fail "QU / legacy unicast answers"; }
grep -E '^(ok|FAIL)' "$NET_TMP/unicast.out"
net_pass "legacy unicast and QU queries answered by unicast as RFC 6762 says"

# ---------------------------------------------------------------- still working
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=a"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn after the replay ($SITES_STATE)"
net_pass "a printer published after the replay crossed to Brooklyn in" \
	"$(sites_secs $((SITES_SEEN_T - SITES_PUB_T["Printer A"]))) s"
sites_done
exit 0
