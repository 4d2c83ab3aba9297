#!/usr/bin/env bash
# start_errors.sh: what sitecastd(8) promises about starting: anything wrong at
# start (a missing key file, a key file that holds no key, an interface that does
# not exist, a peer port in use) ends it with exit status 1 and one clear line
# naming the cause, with its priority when stderr is the journal; and a start with nothing wrong keeps running, tells systemd
# READY=1 only once its sockets are bound, and exits 0 on SIGTERM.
#
# Every daemon runs in a network namespace of its own with only lo and a veth pair
# (never on the host's network: it would send mDNS there). Needs root and
# `ip netns`; skips (77) otherwise. Uses $top_builddir/sitecastd and sitecastctl.
set -u

: "${top_builddir:?top_builddir is not set}"
sitecastd=$top_builddir/sitecastd
ctl=$top_builddir/sitecastctl
for f in "$sitecastd" "$ctl"; do
	if [ ! -x "$f" ]; then
		echo "FAIL: $f not built"
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: starting sitecastd needs root (a network namespace of its own)"
	exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
ns=sc-start-$$
if ! ip netns add "$ns" 2>/dev/null; then
	echo "SKIP: cannot create network namespaces here (ip netns add failed)"
	exit 77
fi
tmp=$(mktemp -d)
cleanup() {
	local pids
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip -n "$ns" link set lo up
ip -n "$ns" link add lan0 type veth peer name lan1
ip -n "$ns" addr add 10.99.0.1/24 dev lan0
ip -n "$ns" link set lan0 up
ip -n "$ns" link set lan1 up

failed=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failed=1
}

"$ctl" keygen "$tmp/node.pem" >/dev/null || { echo "FAIL: keygen"; exit 1; }
fp=$("$ctl" fingerprint "$tmp/node.pem")
: >"$tmp/empty.pem"

# config FILE KEY IFACE: a configuration listening on 127.0.0.1:5358.
config() {
	cat >"$1" <<-EOF
		site: start-test
		interfaces: [$3]
		listen: "127.0.0.1:5358"
		key: "$2"
		control: "$tmp/control.sock"
		peers:
		  - name: far
		    fingerprint: "$fp"
	EOF
}

# refused NAME CONFIG LINE [PRE-COMMAND]: sitecastd -f -c CONFIG in the namespace must
# exit 1 within 10 s and its output must hold LINE (a fixed string) exactly once and
# no other warning about the start. PRE-COMMAND, if any, runs in the namespace and
# starts sitecastd itself (with the arguments appended).
refused() {
	local name=$1 conf=$2 line=$3 rc out n
	shift 3
	timeout 10 ip netns exec "$ns" "$@" "$sitecastd" -f -c "$conf" >"$tmp/out" 2>&1
	rc=$?
	out=$(cat "$tmp/out")
	n=$(grep -cF -- "$line" "$tmp/out")
	if [ "$rc" -ne 1 ]; then
		fail "$name: exit status $rc, expected 1; output: $out"
	elif [ "$n" -ne 1 ]; then
		fail "$name: expected one line with '$line', got $n; output: $out"
	elif grep -vF -- "$line" "$tmp/out" | grep -qiE 'cannot|error|fail|not '; then
		fail "$name: more than one line of complaint: $out"
	else
		pass "$name: exit 1 with '$(grep -F -- "$line" "$tmp/out" | sed 's/^\[[0-9.]*\] //')'"
	fi
}

config "$tmp/missing.yaml" "$tmp/nosuch.pem" lan0
refused "missing key file" "$tmp/missing.yaml" \
	"cannot read key file $tmp/nosuch.pem: No such file or directory"
# journal NAME CONFIG REGEX: under systemd stderr is the journal's stream
# (JOURNAL_STREAM names its device and inode): each line then starts with its
# priority, for journalctl -p, and no time stamp; the line about the failed start,
# REGEX (extended, after the priority), is at most a warning.
journal() {
	local name=$1 conf=$2 re=$3
	: >"$tmp/journal.out"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/journal.out") timeout 10 ip netns exec "$ns" \
		"$sitecastd" -f -c "$conf" >/dev/null 2>>"$tmp/journal.out"
	if grep -qE "^<[0-4]>$re" "$tmp/journal.out" && ! grep -qv '^<[0-7]>' "$tmp/journal.out"
	then
		pass "journal, $name: $(grep -E "^<[0-4]>$re" "$tmp/journal.out")"
	else
		fail "journal, $name: expected every line to start with <priority>: $(cat \
			"$tmp/journal.out")"
	fi
}
journal "configuration error" "$tmp/missing.yaml" ".*cannot read key file $tmp/nosuch.pem"
config "$tmp/empty.yaml" "$tmp/empty.pem" lan0
refused "key file that is not a key" "$tmp/empty.yaml" "cannot load key $tmp/empty.pem:"
config "$tmp/iface.yaml" "$tmp/node.pem" nosuch0
refused "interface that does not exist" "$tmp/iface.yaml" "interface nosuch0 does not exist"
journal "log line" "$tmp/iface.yaml" "interface nosuch0 does not exist"

# The port taken by another program first: a python3 listener that execs sitecastd
# while it holds the socket (inherited across exec, so it stays bound).
config "$tmp/good.yaml" "$tmp/node.pem" lan0
refused "peer port in use" "$tmp/good.yaml" \
	"cannot listen on 127.0.0.1:5358: Address already in use" \
	python3 -c 'import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 5358))
s.listen()
os.set_inheritable(s.fileno(), True)
os.execv(sys.argv[1], sys.argv[1:])'

# Control: nothing wrong. READY=1 reaches NOTIFY_SOCKET (when built with libsystemd)
# once the peer port and the control socket answer; SIGTERM ends it with status 0.
cat >"$tmp/notify.py" <<'EOF'
import os, socket, sys
path, control, out = sys.argv[1:4]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(path)
n.settimeout(10)
try:
    msg = n.recv(4096).decode()
except socket.timeout:
    msg = "(nothing)"
state = []
for addr, fam in ((("127.0.0.1", 5358), socket.AF_INET), (control, socket.AF_UNIX)):
    c = socket.socket(fam, socket.SOCK_STREAM)
    try:
        c.connect(addr)
        state.append("bound")
    except OSError as e:
        state.append("not bound (%s)" % e.strerror)
    c.close()
open(out, "w").write("%s|peer port %s|control socket %s\n" % (msg.strip(), state[0], state[1]))
EOF
ip netns exec "$ns" python3 "$tmp/notify.py" "$tmp/notify.sock" "$tmp/control.sock" \
	"$tmp/notify.out" &
npid=$!
for _ in $(seq 50); do
	[ -S "$tmp/notify.sock" ] && break
	sleep 0.1
done
NOTIFY_SOCKET=$tmp/notify.sock ip netns exec "$ns" "$sitecastd" -f -c "$tmp/good.yaml" \
	>"$tmp/good.out" 2>&1 &
dpid=$!
wait "$npid"
sleep 0.5
if ! kill -0 "$dpid" 2>/dev/null; then
	fail "good configuration: sitecastd exited: $(cat "$tmp/good.out")"
else
	pass "good configuration: sitecastd keeps running"
	if st=$(timeout 5 "$ctl" -s "$tmp/control.sock" status) &&
		grep -q '^site start-test' <<<"$st"; then
		pass "sitecastctl status answers"
	else
		fail "sitecastctl status: $st"
	fi
fi
note=$(cat "$tmp/notify.out" 2>/dev/null)
if grep -q '^#define HAVE_SYSTEMD 1' "$top_builddir/config.h" 2>/dev/null; then
	if [ "$note" = "READY=1|peer port bound|control socket bound" ]; then
		pass "READY=1 sent once the sockets are bound"
	else
		fail "sd_notify: expected READY=1 with the sockets bound, got: $note"
	fi
else
	echo "SKIP: built without libsystemd: no READY=1 to check"
fi
kill -TERM "$dpid" 2>/dev/null
wait "$dpid"
rc=$?
if [ "$rc" -eq 0 ]; then
	pass "SIGTERM: exit 0"
else
	fail "SIGTERM: exit status $rc: $(tail -n 3 "$tmp/good.out")"
fi
[ -e "$tmp/control.sock" ] && fail "control socket left behind after exit"
exit "$failed"
