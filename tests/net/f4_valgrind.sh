#!/usr/bin/env bash
# f4_valgrind.sh: both gateways of a two-site scenario run under valgrind memcheck:
# links up, printers published at each site cross to the other, one is unpublished
# and withdrawn, the malformed corpus (tests/data/malformed) is sent on Manhattan's
# LAN, Brooklyn's peer-link listener gets random bytes and a TLS client without a
# certificate, Brooklyn reloads its configuration (SIGHUP), each gateway answers
# sitecastctl status, Manhattan's link is cut by restarting Brooklyn, and both stop
# on SIGTERM. valgrind must report no error (invalid read or write, use of
# uninitialised memory, bad free...) and no definitely or indirectly lost block, in
# either daemon and in the configuration checks (sitecastd -n) run under it too.
# Blocks still reachable at exit (libraries' own caches) are not counted.
# Skipped (77) without valgrind, or when sitecastd is built with the sanitizers.
set -u
. "$(dirname "$0")/sites.sh"

command -v valgrind >/dev/null || net_skip "valgrind not found (install valgrind)"
sites_init manhattan brooklyn
if grep -qa '__asan_init' "$SITECASTD"; then
	net_skip "sitecastd is built with AddressSanitizer, which valgrind cannot run"
fi
real=$SITECASTD
SITECASTD=$NET_TMP/sitecastd-valgrind
cat >"$SITECASTD" <<EOF
#!/bin/sh
exec valgrind --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \\
	--log-file="$NET_TMP/valgrind-%p.log" "$real" "\$@"
EOF
chmod +x "$SITECASTD"

sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 printer
sites_keys
sites_gw_start_all
sites_wait_links 90
sites_watch brooklyn-h1 _ipp._tcp
sites_watch manhattan-h1 _ipp._tcp

SITES_PUB_NOWAIT=1
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=a"
sites_publish manhattan-h1 "Printer B" _ipp._tcp 631 "txt=b"
sites_publish brooklyn-h1 "Printer C" _ipp._tcp 631 "txt=c"
for name in "Printer A (manhattan)" "Printer B (manhattan)"; do
	sites_wait_visible brooklyn-h1 _ipp._tcp "$name" 60 ||
		net_fail "'$name' not resolved in Brooklyn ($SITES_STATE)"
done
sites_wait_visible manhattan-h1 _ipp._tcp "Printer C (brooklyn)" 60 ||
	net_fail "'Printer C (brooklyn)' not resolved in Manhattan ($SITES_STATE)"
net_pass "printers crossed both ways under valgrind"

sites_unpublish "Printer A"
sites_wait_gone brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 30 ||
	net_fail "'Printer A (manhattan)' not withdrawn in Brooklyn ($SITES_STATE)"
net_pass "unpublished printer withdrawn"

# The decoder's hard cases: the malformed corpus from a LAN host, both families.
corpus=$(cd "${top_srcdir:-$NET_LIBDIR/../..}/tests/data/malformed" && pwd) ||
	net_fail "no corpus of malformed datagrams"
cat >"$NET_TMP/replay.py" <<'EOF'
import glob, os, socket, struct, sys, time
idx = socket.if_nametoindex(sys.argv[2])
for af, dst in ((socket.AF_INET, ("224.0.0.251", 5353)), (socket.AF_INET6, ("ff02::fb", 5353, 0, idx))):
    s = socket.socket(af, socket.SOCK_DGRAM)
    if af == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("=4s4si", bytes(4), bytes(4), idx))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.bind(("0.0.0.0" if af == socket.AF_INET else "::", 5353))
    for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.bin"))):
        s.sendto(open(f, "rb").read(), dst)
        time.sleep(0.01)
EOF
sites_host manhattan-h2
net_in manhattan-h2 "$NET_PYTHON" "$NET_TMP/replay.py" "$corpus" eth0 ||
	net_fail "replay of the malformed corpus failed"
# And the peer-link listener's: random bytes, a TLS client with no certificate.
net_in wan "$NET_PYTHON" -c 'import os, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(os.urandom(3000))
s.settimeout(10)
try:
    while s.recv(4096):
        pass
except OSError:
    pass' "${NET_WAN4[brooklyn]}" "$SITES_PORT" || net_fail "random bytes to Brooklyn's listener"
net_in wan timeout 20 sh -c "sleep 2 | openssl s_client -connect ${NET_WAN4[brooklyn]}:$SITES_PORT \
	-tls1_3 -quiet -no_ign_eof" >"$NET_TMP/nocert.out" 2>&1
net_wait 30 grep -qF 'peer did not return a certificate' "${SITES_GW_LOG[brooklyn]}" ||
	net_fail "Brooklyn did not refuse the TLS client without a certificate"
sites_gw_alive manhattan
sites_gw_alive brooklyn
n=$(sites_status_json manhattan | sites_json 'sum(v for k, v in j["dropped"].items() if k in ("short", "too-long", "oversize", "opcode", "rcode", "truncated", "counts", "name", "pointer", "rdata", "trailing", "empty"))')
net_pass "malformed corpus replayed ($n datagrams dropped by Manhattan), hostile peer-link clients refused"

for site in manhattan brooklyn; do
	timeout 30 "$SITECASTCTL" -s "$(sites_control "$site")" status >"$NET_TMP/status-$site.out" ||
		net_fail "sitecastctl status of $site failed"
	sites_status_json "$site" >/dev/null
done
kill -HUP "${SITES_GW_PID[brooklyn]}"
net_wait 30 grep -qF 'configuration reloaded' "${SITES_GW_LOG[brooklyn]}" ||
	net_fail "no reload in Brooklyn's log after SIGHUP"
sites_gw_alive brooklyn

# Brooklyn goes away and comes back: Manhattan's link goes down and up again.
up_before=$(sites_peer_up_count manhattan brooklyn)
sites_gw_kill brooklyn TERM || net_fail "sitecastd of brooklyn exited with status $? on SIGTERM"
sites_gw_start brooklyn
sites_wait_peer_up manhattan brooklyn 90 "$up_before"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer B (manhattan)" 60 ||
	net_fail "'Printer B (manhattan)' not resolved in Brooklyn after its restart ($SITES_STATE)"
net_pass "Brooklyn restarted, link and printer back"

# sites_done also fails on an exit status other than 0 (valgrind's 99 for errors).
sites_done

# Every valgrind log (gateways and configuration checks) must end with its summaries,
# which say no error and nothing definitely or indirectly lost.
bad=0
n=0
for f in "$NET_TMP"/valgrind-*.log; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	if ! grep -qE '== ERROR SUMMARY: 0 errors' "$f" ||
		grep -qE '== +(definitely|indirectly) lost: [1-9]' "$f" ||
		! grep -qE '== (All heap blocks were freed|LEAK SUMMARY:)' "$f"; then
		echo "----- ${f##*/}"
		cat "$f"
		bad=1
	fi
done
for site in manhattan brooklyn; do
	[ -s "$NET_TMP/valgrind-${SITES_GW_PID[$site]}.log" ] ||
		net_fail "no valgrind log for the last sitecastd of $site (pid ${SITES_GW_PID[$site]})"
done
[ "$n" -ge 5 ] || net_fail "only $n valgrind logs (expected 3 gateways and their checks)"
[ "$bad" -eq 0 ] || net_fail "valgrind reported errors or leaks (above)"
for site in manhattan brooklyn; do
	net_log "$site: $(grep -hE 'ERROR SUMMARY|definitely lost|indirectly lost|still reachable|in use at exit' \
		"$NET_TMP/valgrind-${SITES_GW_PID[$site]}.log" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
done
net_pass "valgrind: no error and no leak in $n runs of sitecastd"
exit 0
