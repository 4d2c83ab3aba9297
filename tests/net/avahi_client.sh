#!/usr/bin/env bash
# avahi_client.sh: the Avahi module (reflector/avahi.c, through tests/net/avh_probe) on
# a gateway that runs its own avahi-daemon, with a LAN host running another:
#  (0) started while avahi-daemon is not running: one log line, and what is set
#      meanwhile is published when it comes;
#  (a) a remote service published through Avahi (instance, host, addresses, subtype,
#      TXT in order) is browsed and resolved on the LAN host and listed by
#      `avahi-browse -a` on the gateway itself; two services share one host's address
#      records; a change of TXT only is applied in place;
#  (b) a removed service is gone from the LAN host within 3 s;
#  (c) a name that collides on the LAN is published under Avahi's alternative name,
#      with a log line; so is a host name;
#  (d) avahi-daemon stopped and started again on the gateway: one log line while it is
#      missing, the probe keeps running, everything (also what was set meanwhile) is
#      published again;
#  (e) the browser reports a service published on the LAN host once per protocol with
#      its address, port and TXT (not again after the restart), and its removal; the
#      services published through the module itself are never reported.
set -u
. "$(dirname "$0")/lib.sh"

probe=${top_builddir:-$(dirname "$0")/../..}/tests/net/avh_probe
net_require_root_netns
net_require_python_dns
[ -x "$probe" ] || net_fail "$probe not built (make tests/net/avh_probe)"
probe=$(cd "$(dirname "$probe")" && pwd)/avh_probe
supp=$(cd "$(dirname "$0")/.." && pwd)/lsan.supp
[ -f "$supp" ] && export LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
out=$NET_TMP/probe.out
fifo=$NET_TMP/probe.ctl

net_site a 192.168.1 1
net_avahi_start a-h1 host1
net_avahi_start a-gw gw
net_avahi_wait a-h1
net_avahi_wait a-gw
# The gateway's D-Bus stays, its avahi-daemon goes: the probe starts without it.
net_avahi_stop a-gw
net_log "site a up: avahi-daemon on a-h1, D-Bus only on a-gw"

# ctl FIELD...: one command to the probe, fields joined by tabs.
ctl() {
	local IFS=$'\t'
	printf '%s\n' "$*" >"$fifo"
}
# pstat NAME: the counter from a fresh "stats" line of the probe.
more_stats() {
	[ "$(net_grep_count '^stats ' "$out")" -gt "$1" ]
}
pstat() {
	local n
	n=$(net_grep_count '^stats ' "$out")
	ctl stats
	net_wait 10 more_stats "$n" || net_fail "no stats from the probe"
	grep '^stats ' "$out" | tail -n 1 | sed -n "s/.* $1=\([0-9]*\).*/\1/p"
}
# pstat_at_least NAME N
pstat_at_least() {
	[ "$(pstat "$1")" -ge "$2" ]
}
# browse_has NODE TYPE REGEXP: avahi-browse on NODE resolves a service matching REGEXP.
browse_has() {
	net_in "$1" avahi-browse -rpkt "$2" 2>/dev/null | grep -qE "$3"
}
# txt_of NAME: the TXT strings of service NAME, in wire order, asked from a-h1.
txt_of() {
	net_in a-h1 "$NET_PYTHON" - "$1" <<-'EOF'
		import sys
		import dns.message, dns.query, dns.rdatatype
		q = dns.message.make_query(sys.argv[1], "TXT")
		r = dns.query.udp(q, "224.0.0.251", port=5353, timeout=3, ignore_unexpected=True)
		for rrset in r.answer:
		    if rrset.rdtype == dns.rdatatype.TXT:
		        for rd in rrset:
		            print(" ".join('"%s"' % s.decode() for s in rd.strings))
	EOF
}

A='Printer\\032A\\032\\040manhattan\\041'
S='Scanner\\032A\\032\\040manhattan\\041'
C='Printer\\032C\\032\\040manhattan\\041'
D='Printer\\032D\\032\\040manhattan\\041'
E='Printer\\032E\\032\\040manhattan\\041'

# --- (0) avahi-daemon not there at start
mkfifo "$fifo" || net_fail "mkfifo"
net_bg a-gw "$out" "$probe" -v -b -t 100 "$fifo"
probe_pid=$NET_LAST_PID
net_wait 5 grep -qs '^ready' "$out" || net_fail "avh_probe did not start"
net_wait 5 grep -q 'avahi-daemon is not running; will publish when it returns' "$out" ||
	net_fail "no log line for avahi-daemon missing at start"

# --- (a) publish: service, subtype, host address records, TXT
ctl set k1 "Printer A (manhattan)" _ipp._tcp printer-manhattan.local 631 10.101.1.10,fd65::10 \
	_universal "txtvers=1" "rp=ipp/print" "ty=Printer A"
ctl set k2 "Scanner A (manhattan)" _uscan._tcp printer-manhattan.local 8080 10.101.1.10,fd65::10 - \
	"rs=eSCL"
net_wait 5 grep -q '^set key=k2 rc=0' "$out" || net_fail "set without avahi-daemon failed"
net_avahi_start a-gw gw
net_avahi_wait a-gw
net_wait 10 grep -q '^running 1' "$out" || net_fail "avh_probe did not reach avahi-daemon when it came"
grep -q 'avahi-daemon is running; publishing 2 services' "$out" ||
	net_fail "no log line when avahi-daemon came"
net_pass "(0) started without avahi-daemon: logged, waited, connected when it came"
net_wait 10 browse_has a-h1 _ipp._tcp \
	"^=;eth0;IPv4;$A;_ipp._tcp;local;printer-manhattan\\.local;10\\.101\\.1\\.10;631;" ||
	net_fail "a-h1 does not resolve Printer A to printer-manhattan.local 10.101.1.10:631"
browse_has a-h1 _universal._sub._ipp._tcp \
	"^=;eth0;IPv4;$A;_ipp._tcp;local;printer-manhattan\\.local;10\\.101\\.1\\.10;631;" ||
	net_fail "subtype _universal of Printer A not browsable on a-h1"
net_wait 5 browse_has a-h1 _uscan._tcp \
	"^=;eth0;IPv4;$S;_uscan._tcp;local;printer-manhattan\\.local;10\\.101\\.1\\.10;8080;\"rs=eSCL\"" ||
	net_fail "a-h1 does not resolve Scanner A on the same host"
r=$(net_in a-h1 avahi-resolve -6 -n printer-manhattan.local 2>&1)
[ "$r" = "printer-manhattan.local	fd65::10" ] || net_fail "AAAA of printer-manhattan.local: '$r'"
txt=$(txt_of 'Printer\032A\032(manhattan)._ipp._tcp.local.')
[ "$txt" = '"txtvers=1" "rp=ipp/print" "ty=Printer A"' ] ||
	net_fail "TXT of Printer A on the wire: $txt"
net_in a-gw avahi-browse -a -t >"$NET_TMP/gw-browse.out" 2>&1
grep -qF 'Printer A (manhattan)' "$NET_TMP/gw-browse.out" ||
	net_fail "avahi-browse -a on the gateway does not list Printer A"
[ "$(pstat established)" = 2 ] && [ "$(pstat hosts)" = 1 ] ||
	net_fail "two services on one host: $(grep '^stats' "$out" | tail -n 1)"
if grep -iE 'collid|conflict' "$out" "$NET_TMP"/avahi-*.log; then
	net_fail "two services on one host collided"
fi
net_pass "(a) published; resolved on a-h1 (A, AAAA, subtype, TXT in order); listed on the gateway"

ctl set k1 "Printer A (manhattan)" _ipp._tcp printer-manhattan.local 631 10.101.1.10,fd65::10 \
	_universal "txtvers=1" "rp=ipp/print" "ty=Printer A" "note=3rd floor"
net_wait 5 browse_has a-h1 _ipp._tcp "^=;eth0;IPv4;$A;.*\"note=3rd floor\"" ||
	net_fail "TXT change of Printer A not seen on a-h1"
[ "$(pstat txt_updates)" = 1 ] && [ "$(pstat republished)" = 0 ] ||
	net_fail "TXT change not applied in place: $(grep '^stats' "$out" | tail -n 1)"
net_pass "(a) TXT change applied in place and seen on a-h1"

# --- (b) remove: gone at the host within 3 s; the shared host stays for Scanner A
# A browser left running on a-h1 sees the removal as it happens.
net_bg a-h1 "$NET_TMP/browse-h1.out" avahi-browse -pk _ipp._tcp
browser=$NET_LAST_PID
net_wait 5 grep -q "^+;eth0;IPv4;$A;" "$NET_TMP/browse-h1.out" || net_fail "a-h1 does not browse Printer A"
t0=$(_net_now_us)
ctl remove k1
net_wait 5 grep -q '^remove key=k1 rc=0' "$out" || net_fail "remove k1 failed"
net_wait 5 grep -q "^-;eth0;IPv4;$A;" "$NET_TMP/browse-h1.out" ||
	net_fail "Printer A still on a-h1 5 s after removal"
ms=$((($(_net_now_us) - t0) / 1000))
net_stop "$browser"
[ "$ms" -le 3000 ] || net_fail "Printer A gone from a-h1 only after $ms ms"
[ "$(pstat hosts)" = 1 ] || net_fail "host records dropped while Scanner A still uses them"
net_pass "(b) Printer A gone from a-h1 after $ms ms"

# --- (c) collision: the LAN host has the name first
net_bg a-h1 "$NET_TMP/publish-c.log" avahi-publish -s "Printer C (manhattan)" _ipp._tcp 631
net_wait 10 grep -q 'Established under name' "$NET_TMP/publish-c.log" ||
	net_fail "avahi-publish on a-h1 did not establish Printer C"
ctl set k3 "Printer C (manhattan)" _ipp._tcp printer-manhattan.local 631 10.101.1.10,fd65::10 -
net_wait 10 grep -qF 'service "Printer C (manhattan)" collides on the LAN; published as "Printer C (manhattan) #2"' \
	"$out" || net_fail "no collision logged for Printer C"
grep -q '^renamed key=k3 name=Printer C (manhattan) #2$' "$out" || net_fail "owner not told of the rename"
net_wait 10 browse_has a-h1 _ipp._tcp \
	"^=;eth0;IPv4;$C\\\\032\\\\0352;_ipp._tcp;local;printer-manhattan\\.local;10\\.101\\.1\\.10;631;" ||
	net_fail "Printer C (manhattan) #2 not resolved on a-h1"
browse_has a-h1 _ipp._tcp "^=;eth0;IPv4;$C;_ipp._tcp;local;host1\\.local;" ||
	net_fail "a-h1's own Printer C disturbed"
net_pass "(c) collision: published as \"Printer C (manhattan) #2\", logged"

# A host name the LAN host has: its address records collide, it is renamed, and the
# service follows.
ctl set k5 "Printer E (manhattan)" _ipp._tcp host1.local 631 10.101.1.20 -
net_wait 10 grep -qF 'host host1.local collides on the LAN; published as host1-2.local' "$out" ||
	net_fail "no collision logged for host host1.local"
grep -q '^hostrenamed host=host1.local name=host1-2.local$' "$out" || net_fail "owner not told of the host rename"
net_wait 10 browse_has a-h1 _ipp._tcp "^=;eth0;IPv4;$E;_ipp._tcp;local;host1-2\\.local;10\\.101\\.1\\.20;631;" ||
	net_fail "Printer E not resolved to host1-2.local 10.101.1.20 on a-h1"
ctl remove k5
net_pass "(c) host collision: host1.local published as host1-2.local, service follows"

# --- (e) browse: a service of the LAN host, reported once with address, port, TXT
net_bg a-h1 "$NET_TMP/publish-h.log" avahi-publish -s "Host Svc" _scthost._tcp 8080 k=v
host_pub=$NET_LAST_PID
found4='^found NEW if=lan0 af=4 name="Host Svc" type=_scthost._tcp domain=local host=host1\.local addr=192\.168\.1\.10 port=8080 local=0 txt="k=v"$'
net_wait 10 grep -qE "$found4" "$out" || net_fail "browser did not report Host Svc over IPv4"
net_pass "(e) Host Svc reported: $(grep -E "$found4" "$out" | head -n 1)"

# --- (d) avahi-daemon on the gateway stopped, then started again
net_avahi_stop a-gw
net_wait 5 grep -q 'avahi-daemon is not running; will publish when it returns' "$out" ||
	net_fail "no log line while avahi-daemon is missing"
net_wait 5 grep -q '^running 0' "$out" || net_fail "probe not told avahi-daemon went"
scanner_gone() { ! net_in a-h1 avahi-browse -pkt _uscan._tcp 2>/dev/null | grep -q ";$S;"; }
net_wait 5 scanner_gone || net_fail "Scanner A still on a-h1 after avahi-daemon stopped (no goodbye)"
ctl set k4 "Printer D (manhattan)" _ipp._tcp printer-manhattan.local 631 10.101.1.10,fd65::10 -
net_wait 5 grep -q '^set key=k4 rc=0' "$out" || net_fail "set while avahi-daemon is missing failed"
sleep 1
kill -0 "$probe_pid" 2>/dev/null || net_fail "avh_probe died without avahi-daemon"
net_avahi_start a-gw gw
net_avahi_wait a-gw
net_wait 10 grep -q 'avahi-daemon is running; publishing 3 services' "$out" ||
	net_fail "no log line when avahi-daemon returned"
net_wait 10 browse_has a-h1 _uscan._tcp \
	"^=;eth0;IPv4;$S;_uscan._tcp;local;printer-manhattan\\.local;10\\.101\\.1\\.10;8080;" ||
	net_fail "Scanner A not published again after the restart"
net_wait 10 browse_has a-h1 _ipp._tcp "^=;eth0;IPv4;$D;_ipp._tcp;local;printer-manhattan\\.local;" ||
	net_fail "Printer D, set while avahi-daemon was away, not published"
net_wait 10 browse_has a-h1 _ipp._tcp "^=;eth0;IPv4;$C\\\\032\\\\0352;" ||
	net_fail "Printer C (manhattan) #2 not published again after the restart"
n=$(net_grep_count 'avahi-daemon is not running' "$out")
[ "$n" -eq 2 ] || net_fail "missing avahi-daemon logged $n times, want 2 (once per absence)"
[ "$(pstat reconnects)" = 1 ] || net_fail "reconnection not counted"
net_pass "(d) avahi-daemon restart: logged once, probe kept running, all published again"

# --- (e) after the restart: nothing reported twice; removal reported
net_wait 10 pstat_at_least duplicates 1 || net_fail "browsers not started again after the restart"
n=$(net_grep_count "$found4" "$out")
[ "$n" -eq 1 ] || net_fail "Host Svc over IPv4 reported $n times, want 1"
n=$(net_grep_count '^found NEW if=lan0 af=6 name="Host Svc"' "$out")
[ "$n" -le 1 ] || net_fail "Host Svc over IPv6 reported $n times"
net_stop "$host_pub"
net_wait 10 grep -qE '^found REMOVED if=lan0 af=4 name="Host Svc" .* addr=192\.168\.1\.10 port=8080 ' "$out" ||
	net_fail "removal of Host Svc not reported"
if grep -E '^found .*host=printer-manhattan\.local' "$out"; then
	net_fail "a service published through the module was reported by its browser"
fi
grep -qE '^found NEW if=lan0 af=4 name="Printer C \(manhattan\)" .*host=host1\.local' "$out" ||
	net_fail "a-h1's Printer C (a LAN service) not reported"
net_pass "(e) reported once, removal reported; own services never reported"

# --- the end: the probe frees the module, avahi-daemon withdraws what it published
ctl quit
wait "$probe_pid"
rc=$?
[ "$rc" -eq 0 ] || net_fail "avh_probe exited with status $rc"
net_wait 5 scanner_gone || net_fail "Scanner A still on a-h1 after the probe exited"
net_pass "avh_probe exited cleanly; its services withdrawn"
exit 0
