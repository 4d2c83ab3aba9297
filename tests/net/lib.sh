# tests/net/lib.sh: sites in network namespaces with real Avahi, for the net tests.
#
# Source it from a bash test, then call net_require_root_netns first:
#
#   . "$(dirname "$0")/lib.sh"
#   net_require_root_netns            # exit 77 (skip) where namespaces are impossible
#   net_site a 192.168.1 2            # site a: a-gw (lan0), a-h1, a-h2 (eth0), a-sw
#   net_site b 192.168.2 1
#   net_wan a b                       # a-gw and b-gw routed through namespace "wan"
#   net_avahi a-h1 printer            # avahi-daemon in a-h1, host name printer.local
#   net_in a-h1 avahi-browse -rpt _ipp._tcp
#   net_bg a-gw "$NET_TMP/probe.out" ./lan_probe lan0; pid=$NET_LAST_PID
#   net_wait 5 grep -q pattern "$NET_TMP/probe.out" || net_fail "..."
#
# Nodes are named by keys ("a-gw", "a-h1", "wan"...); each is a network namespace
# whose real name starts with $NET_ID, unique per run, so that tests can run in
# parallel. Everything a test makes (namespaces, processes, mounts, the temporary
# directory $NET_TMP) is removed on exit, success or not; on failure the logs in
# $NET_TMP are printed first (unless NET_LOGS_ON_FAILURE=0). NET_KEEP=1 keeps
# $NET_TMP for a post-mortem.
#
# Addresses of site S built with prefix P (e.g. 192.168.1) and IPv6 prefix Q
# (default fd00:<last octet of P>, e.g. fd00:1):
#   S-gw   lan0  P.1/24   Q::1/64            (WAN side: wan0, see net_wan)
#   S-hI   eth0  P.(9+I)/24  Q::(9+I)/64     default routes via S-gw
#   S-sw   the site's switch: bridge br0 with one port per node
# IPv6 duplicate address detection is off, so addresses (link-local included) are
# usable at once. Reverse-path filtering is off, so that tests can send from
# unexpected sources and see what the receiving program makes of them.

NET_ID="sc$$"
NET_TMP=
NET_LAST_PID=
NET_PYTHON=${NET_PYTHON:-/usr/bin/python3}
NET_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -A NET_NS=()      # key -> namespace name
declare -A NET_IF=()      # key -> its LAN interface
declare -A NET_ADDR4=()   # key -> LAN IPv4 address
declare -A NET_ADDR6=()   # key -> LAN IPv6 address (ULA)
declare -A NET_PLEN4=()   # key -> prefix lengths
declare -A NET_PLEN6=()
declare -A NET_SITE_OF=() # key -> site
declare -A NET_WAN4=()    # site -> gateway's WAN IPv4 address
declare -A NET_WAN6=()    # site -> gateway's WAN IPv6 address
declare -A NET_WAN_RTIF=() # site -> the router's interface towards that site (for tc)
declare -A NET_HOLDER=()  # key -> pid holding the node's private mount namespace
declare -A NET_AVAHI_PID=()
declare -A NET_RESOLV=()    # key -> a resolv.conf for the node's mount namespace (Avahi's wide-area DNS)
NET_PIDS=()               # every process started, killed on exit
NET_KEYS=()               # nodes in creation order
NET_T0=${EPOCHREALTIME/./}

# ---------------------------------------------------------------- messages

# Microseconds since the epoch.
_net_now_us() {
	echo "${EPOCHREALTIME/./}"
}

net_log() {
	local t=$(($(_net_now_us) - NET_T0))
	printf '[%3d.%02d] %s\n' $((t / 1000000)) $((t % 1000000 / 10000)) "$*"
}

net_skip() {
	echo "SKIP: $*"
	exit 77
}

net_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

net_pass() {
	net_log "ok: $*"
}

# ---------------------------------------------------------------- setup, cleanup

# Skips the test (exit 77) unless it runs as root on a system that can create
# network namespaces and has the programs the scenarios need (plus any named), or
# when SITECAST_SKIP_NET=1 is in the environment (as in `SITECAST_SKIP_NET=1 make
# distcheck`, whose make check would run them a second time).
net_require_root_netns() {
	local c
	[ "${SITECAST_SKIP_NET:-0}" != 1 ] || net_skip "SITECAST_SKIP_NET=1: network scenarios not run"
	[ "$(id -u)" -eq 0 ] || net_skip "network tests need root (namespaces, port 5353)"
	for c in ip nsenter unshare avahi-daemon dbus-daemon avahi-browse avahi-publish \
		avahi-resolve "$@"; do
		command -v "$c" >/dev/null 2>&1 || net_skip "$c not found (install iproute2, util-linux, avahi-daemon, avahi-utils, dbus)"
	done
	ip netns add "$NET_ID-check" 2>/dev/null ||
		net_skip "cannot create network namespaces here (ip netns add failed)"
	ip netns del "$NET_ID-check"
	_net_init
}

# Skips unless python3 with dnspython (Debian python3-dnspython) is there.
net_require_python_dns() {
	"$NET_PYTHON" -c 'import dns.message, dns.rrset' 2>/dev/null ||
		net_skip "$NET_PYTHON with dnspython not found (install python3-dnspython)"
}

_net_init() {
	NET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sitecast-net.XXXXXX") || net_fail "mktemp"
	trap _net_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

_net_cleanup() {
	local rc=$? key ns pid f pids
	set +e
	# A Ctrl-C (or another signal) during the cleanup must not cut it short.
	trap - EXIT
	trap '' INT TERM HUP
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$NET_TMP" ] &&
		[ "${NET_LOGS_ON_FAILURE:-1}" = 1 ]; then
		for f in "$NET_TMP"/*.log "$NET_TMP"/*.out; do
			[ -s "$f" ] || continue
			echo "----- ${f##*/} (last 40 lines)"
			tail -n 40 "$f"
		done
	fi
	for pid in "${NET_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	# Whatever else runs in our namespaces (daemons that forked, strays).
	for key in "${NET_KEYS[@]}"; do
		ns=${NET_NS[$key]}
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
	done
	for _ in $(seq 30); do
		pids=
		for key in "${NET_KEYS[@]}"; do
			pids+=$(ip netns pids "${NET_NS[$key]}" 2>/dev/null)
		done
		for pid in "${NET_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && pids+=" $pid"
		done
		[ -z "${pids// /}" ] && break
		sleep 0.1
	done
	for key in "${NET_KEYS[@]}"; do
		pids=$(ip netns pids "${NET_NS[$key]}" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	done
	for pid in "${NET_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# The private mount namespaces (with their tmpfs) go with their last process.
	for key in "${NET_KEYS[@]}"; do
		ip netns del "${NET_NS[$key]}" 2>/dev/null
	done
	if [ -n "$NET_TMP" ]; then
		if [ "${NET_KEEP:-0}" = 1 ]; then
			echo "kept $NET_TMP"
		else
			rm -rf "$NET_TMP"
		fi
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- nodes and links

# net_node KEY: a new namespace with lo up, no DAD, no reverse-path filter.
net_node() {
	local key=$1 ns="$NET_ID-$1"
	[ -z "${NET_NS[$key]:-}" ] || net_fail "node $key exists"
	ip netns add "$ns" || net_fail "ip netns add $ns"
	NET_NS[$key]=$ns
	NET_KEYS+=("$key")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null ||
		net_fail "sysctl in $ns"
}

# net_ns KEY: prints the namespace name of a node.
net_ns() {
	[ -n "${NET_NS[$1]:-}" ] || net_fail "no node $1"
	echo "${NET_NS[$1]}"
}

# net_attach KEY: (re)connects node KEY to its site's switch with its LAN addresses
# (after the test deleted the link, for instance, to get a new ifindex).
net_attach() {
	local key=$1 site=${NET_SITE_OF[$1]} ifname=${NET_IF[$1]}
	local sw=${NET_NS[$site-sw]} ns=${NET_NS[$1]} port="p-${1#*-}"
	ip -n "$sw" link del "$port" 2>/dev/null || true
	ip -n "$sw" link add "$port" type veth peer name "$ifname" netns "$ns" ||
		net_fail "veth $key"
	ip -n "$sw" link set "$port" master br0 up
	ip -n "$ns" addr add "${NET_ADDR4[$key]}/${NET_PLEN4[$key]}" dev "$ifname"
	ip -n "$ns" -6 addr add "${NET_ADDR6[$key]}/${NET_PLEN6[$key]}" dev "$ifname"
	ip -n "$ns" link set "$ifname" up
	net_wait 5 _net_has_ll "$ns" "$ifname" || net_fail "no IPv6 link-local on $key $ifname"
}

_net_has_ll() {
	ip -n "$1" -6 addr show dev "$2" scope link 2>/dev/null | grep -q 'inet6 fe80' &&
		! ip -n "$1" -6 addr show dev "$2" 2>/dev/null | grep -q tentative
}

# net_ll KEY [IFACE]: prints the node's IPv6 link-local address on its LAN interface.
net_ll() {
	local ifname=${2:-${NET_IF[$1]}}
	ip -n "$(net_ns "$1")" -6 addr show dev "$ifname" scope link |
		sed -n 's/.*inet6 \(fe80[^/]*\)\/.*/\1/p' | head -n 1
}

# net_site NAME V4PREFIX [NHOSTS [V6PREFIX]]: a site's switch, gateway and hosts.
net_site() {
	local site=$1 p4=$2 nhosts=${3:-1} p6=${4:-fd00:${2##*.}} i key
	net_node "$site-sw"
	local sw=${NET_NS[$site-sw]}
	ip -n "$sw" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 ||
		net_fail "bridge in $sw"
	ip -n "$sw" link set br0 up
	for ((i = 0; i <= nhosts; i++)); do
		if [ "$i" -eq 0 ]; then
			key=$site-gw
			NET_IF[$key]=lan0
			NET_ADDR4[$key]=$p4.1
			NET_ADDR6[$key]=$p6::1
		else
			key=$site-h$i
			NET_IF[$key]=eth0
			NET_ADDR4[$key]=$p4.$((9 + i))
			NET_ADDR6[$key]=$p6::$((9 + i))
		fi
		NET_PLEN4[$key]=24
		NET_PLEN6[$key]=64
		NET_SITE_OF[$key]=$site
		net_node "$key"
		net_attach "$key"
		if [ "$i" -gt 0 ]; then
			ip -n "${NET_NS[$key]}" route add default via "$p4.1"
			ip -n "${NET_NS[$key]}" -6 route add default via "$p6::1"
		fi
	done
}

# net_wan SITE...: a router namespace "wan" with one link per site gateway (wan0 on
# the gateway), each site on its own subnets: site number N (argument order) gets
# 172.16.N.0/24 and fd10:N::/64, the router .1 / ::1, the gateway .2 / ::2, as two
# offices behind one WAN. Forwarding is on in the router; tc netem can go on
# ${NET_WAN_RTIF[site]} in node "wan".
net_wan() {
	local n=0 site gw rt
	net_node wan
	rt=${NET_NS[wan]}
	ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		>/dev/null
	for site in "$@"; do
		n=$((n + 1))
		gw=$(net_ns "$site-gw")
		ip -n "$rt" link add "w$n" type veth peer name wan0 netns "$gw" || net_fail "wan veth $site"
		ip -n "$rt" addr add "172.16.$n.1/24" dev "w$n"
		ip -n "$rt" -6 addr add "fd10:$n::1/64" dev "w$n"
		ip -n "$rt" link set "w$n" up
		ip -n "$gw" addr add "172.16.$n.2/24" dev wan0
		ip -n "$gw" -6 addr add "fd10:$n::2/64" dev wan0
		ip -n "$gw" link set wan0 up
		ip -n "$gw" route add default via "172.16.$n.1"
		ip -n "$gw" -6 route add default via "fd10:$n::1"
		NET_WAN4[$site]=172.16.$n.2
		NET_WAN6[$site]=fd10:$n::2
		NET_WAN_RTIF[$site]=w$n
	done
}

# ---------------------------------------------------------------- running things

# Sets _NET_PREFIX to the command that enters node KEY: its private mount
# namespace once net_avahi made one, else just its network namespace.
_net_prefix() {
	local key=$1
	[ -n "${NET_NS[$key]:-}" ] || net_fail "no node $key"
	if [ -n "${NET_HOLDER[$key]:-}" ]; then
		_NET_PREFIX=(nsenter --target "${NET_HOLDER[$key]}" --mount --net)
	else
		_NET_PREFIX=(ip netns exec "${NET_NS[$key]}")
	fi
}

# net_in KEY CMD...: runs CMD inside node KEY and returns its status.
net_in() {
	local key=$1
	shift
	_net_prefix "$key"
	"${_NET_PREFIX[@]}" "$@"
}

# net_bg KEY OUTFILE CMD...: starts CMD inside node KEY in the background, stdout and
# stderr to OUTFILE; its pid (CMD's own: nothing forks in between) in NET_LAST_PID.
net_bg() {
	local key=$1 out=$2
	shift 2
	_net_prefix "$key"
	(exec "${_NET_PREFIX[@]}" "$@") >"$out" 2>&1 &
	NET_LAST_PID=$!
	NET_PIDS+=("$NET_LAST_PID")
}

# net_stop PID [SIGNAL]: signals a process started by net_bg and waits for it;
# returns its exit status.
net_stop() {
	local pid=$1 sig=${2:-TERM}
	kill -"$sig" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
}

# net_wait SECONDS CMD...: runs CMD every 0.1 s until it succeeds (0) or time is up (1).
net_wait() {
	local end
	end=$(($(_net_now_us) + ${1%.*} * 1000000))
	shift
	while :; do
		"$@" && return 0
		[ "$(_net_now_us)" -gt "$end" ] && return 1
		sleep 0.1
	done
}

# net_grep_count PATTERN FILE: number of lines matching the extended regexp.
net_grep_count() {
	grep -cE -- "$1" "$2" 2>/dev/null || true
}

# ---------------------------------------------------------------- Avahi

# net_avahi_start KEY HOSTNAME [CONF]: starts dbus-daemon and avahi-daemon in node KEY
# inside a private mount namespace (tmpfs on /run, so that each node has its own
# /run/dbus, /run/avahi-daemon and /run/sitecast; an empty /etc/avahi/services; and
# /etc/resolv.conf replaced by the file NET_RESOLV[KEY] names, if set).
# The generated configuration serves the node's LAN interface only, with host name
# HOSTNAME; CONF replaces it. The daemon's log: $NET_TMP/avahi-KEY.log.
net_avahi_start() {
	local key=$1 name=$2 conf=${3:-} ns holder i
	ns=$(net_ns "$key")
	if [ -z "$conf" ]; then
		conf=$NET_TMP/avahi-$key.conf
		cat >"$conf" <<-EOF
			[server]
			host-name=$name
			domain-name=local
			use-ipv4=yes
			use-ipv6=yes
			allow-interfaces=${NET_IF[$key]}
			enable-dbus=yes
			ratelimit-interval-usec=1000000
			ratelimit-burst=1000
			[wide-area]
			enable-wide-area=no
			[publish]
			publish-hinfo=no
			publish-workstation=no
			[reflector]
			enable-reflector=no
		EOF
	fi
	if [ -z "${NET_HOLDER[$key]:-}" ]; then
		# The mount namespace lives as long as a process holds it: a sleeping holder,
		# entered by every later command of this node (net_in, net_bg).
		(exec ip netns exec "$ns" unshare --mount --propagation private sleep infinity) &
		holder=$!
		NET_PIDS+=("$holder")
		for i in $(seq 50); do
			[ "$(cat /proc/$holder/comm 2>/dev/null)" = sleep ] && break
			sleep 0.1
		done
		[ "$(cat /proc/$holder/comm 2>/dev/null)" = sleep ] ||
			net_fail "mount namespace holder for $key did not start"
		nsenter --target "$holder" --mount --net sh -ec '
			mount --make-rprivate /
			mount -t tmpfs -o mode=0755 tmpfs /run
			mkdir -p /run/dbus /run/avahi-daemon /run/sitecast
			mount -t tmpfs -o mode=0755 tmpfs /etc/avahi/services
			[ -z "$1" ] || mount --bind "$1" /etc/resolv.conf' sh "${NET_RESOLV[$key]:-}" ||
			net_fail "mounts for $key"
		NET_HOLDER[$key]=$holder
	fi
	if [ ! -s "$NET_TMP/dbus-$key.pid" ]; then
		net_in "$key" dbus-daemon --system --fork --print-pid >"$NET_TMP/dbus-$key.pid" ||
			net_fail "dbus-daemon in $key"
		NET_PIDS+=("$(cat "$NET_TMP/dbus-$key.pid")")
	fi
	# A restarted daemon's earlier log stays, for the tests that read all logs.
	[ -e "$NET_TMP/avahi-$key.log" ] &&
		mv "$NET_TMP/avahi-$key.log" "$NET_TMP/avahi-$key.$(_net_now_us).log"
	# In the foreground (no -D) Avahi logs to stderr: the log file is for tests.
	net_bg "$key" "$NET_TMP/avahi-$key.log" avahi-daemon -f "$conf" --no-chroot --no-drop-root
	NET_AVAHI_PID[$key]=$NET_LAST_PID
}

# net_avahi_wait KEY: waits until the node's avahi-daemon has finished starting
# (its host name probed and announced).
net_avahi_wait() {
	local key=$1 pid=${NET_AVAHI_PID[$1]}
	net_wait 15 _net_avahi_ready "$key" "$pid" ||
		net_fail "avahi-daemon in $key did not start (see avahi-$key.log)"
}

_net_avahi_ready() {
	kill -0 "$2" 2>/dev/null || net_fail "avahi-daemon in $1 exited"
	grep -q 'Server startup complete' "$NET_TMP/avahi-$1.log"
}

# net_avahi KEY HOSTNAME [CONF]: both of the above.
net_avahi() {
	net_avahi_start "$@"
	net_avahi_wait "$1"
}

# net_avahi_stop KEY: stops the node's avahi-daemon (dbus and the mount namespace stay,
# so net_avahi_start KEY can start it again).
net_avahi_stop() {
	net_stop "${NET_AVAHI_PID[$1]}"
}

# ---------------------------------------------------------------- capture

# net_sniff KEY IFACE OUTFILE: one line per mDNS (UDP 5353) packet seen on IFACE of node
# KEY (promiscuous), with addresses, ports, TTL / hop limit and length; the switch's
# br0 sees the whole site LAN. The sniffer's pid in NET_LAST_PID.
net_sniff() {
	net_bg "$1" "$3" "$NET_PYTHON" -u "$NET_LIBDIR/mdns_sniff.py" "$2"
	net_wait 5 grep -q '^listening' "$3" || net_fail "sniffer on $1 $2 did not start"
}

# net_udp_send KEY [-p PORT] [-s SPORT] [-t TTL] [-e] IFACE SRC DST HEX...: from node KEY,
# one UDP datagram per HEX payload, from address SRC ("" for any) to DST (port 5353
# unless -p), out of IFACE for multicast; -e: each from a new source port
# (tests/net/udp_send.py).
net_udp_send() {
	local key=$1
	shift
	net_in "$key" "$NET_PYTHON" "$NET_LIBDIR/udp_send.py" "$@"
}
