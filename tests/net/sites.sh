# tests/net/sites.sh: whole sites for the scenario tests: LAN hosts with real Avahi,
# a gateway running sitecastd, the gateways linked over the WAN of lib.sh.
#
#   . "$(dirname "$0")/sites.sh"
#   sites_setup                        # manhattan and brooklyn, one host each, links up
#   sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 txt=1
#   sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 5 || net_fail ...
#   sites_browse brooklyn-h1 _ipp._tcp  # what Brooklyn's browser resolves now
#
# sites_setup does, step by step (call the steps yourself for other layouts):
#   sites_init SITE...                 sites, their switches and gateways, the WAN
#   sites_host SITE-hI [dual|v6|ll]    a LAN host (both families, IPv6 ULA only, or
#                                      IPv6 link-local only)
#   sites_avahi SITE-hI HOSTNAME...    avahi-daemon on hosts (started together)
#   sites_keys                         sitecastctl keygen for each gateway
#   sites_gw_start_all                 sitecastd -c FILE -f -v on each gateway
#   sites_wait_links                   every gateway's log shows each peer up
#
# Sites have fixed numbers N, so that a site's addresses do not depend on which sites a
# test builds: manhattan 1, brooklyn 2, queens 3. Site N has the LAN 192.168.N.0/24 and
# fd00:N::/64 (gateway .1 / ::1 on lan0, host I at .(9+I) / ::(9+I) on eth0, as lib.sh
# lays them out) and WAN address 172.16.N.2 / fd10:N::2 (wan0), where sitecastd listens
# on port 5358. Site M dials site N when M < N; the other one only listens.
#
# Each site shows its peers its addresses mapped 1:1 (addresses.map): 192.168.N.0/24 as
# 10.101.N.0/24 and fd00:N::/64 as fd51:N::/64, so that a test can tell at the far site
# that the map was applied: Brooklyn's hosts would reach Manhattan's printer
# 192.168.1.10 as 10.101.1.10 through a NETMAP on the gateways. Only the advertised
# addresses are checked, so no NAT is set up.
#
# Knobs, set before sites_gw_start (or sites_setup):
#   SITES_EXPORT[SITE], SITES_IMPORT[SITE]  rule set for all of SITE's peers
#                          (default "offices"; "everything" allows all; see _sites_policy)
#   SITES_GRACE            limits.peer-grace in seconds (default: the daemon's)
#   SITES_MAX_RECORDS      limits.max-records-per-peer (default: the daemon's)
#   SITES_PEER_TIMEOUT     limits.peer-timeout in seconds (default: the daemon's)
#   SITES_LINK_LOCAL       addresses.link-local for every peer (default drop)
#   SITES_WAN_AF           4 (default) or 6: the family of the peer links' addresses
#   SITES_KEY[SITE]        the key file the gateway presents (default its own keygen'd)
#   SITES_USER[SITE]       `user:` of SITE's configuration (default: none)
#   SITES_CONTROL[SITE]    its control socket (default $NET_TMP/control-SITE.sock)
#   SITES_POLICY           the rule sets, YAML lines under policy: (default: see
#                          _sites_policy)
#   SITES_VERBOSE          sitecastd's verbosity flags (default -v)
#   SITES_PEER_UP_RE       what a log line that names a peer must also match to say the
#                          link to that peer is up (extended regexp, case-insensitive)
#   SITES_PEERS            0: no peer links (no listen, no peers; a site on dns alone)
#   SITES_DNS[SITE]        YAML lines added to SITE's configuration (the dns section:
#                          dns_gw_config of dns.sh writes it)
#   SITES_AVAHI            1: Avahi mode; each gateway runs its own avahi-daemon (host
#                          name gw-SITE, on lan0; started before its sitecastd) and
#                          sitecastd has avahi: {publish: true, browse: true}
# Programs: $SITECASTD and $SITECASTCTL, default $top_builddir/sitecastd and
# $top_builddir/sitecastctl ($top_builddir as make check exports it, else the
# source tree's root).
#
# Every file a test writes is in $NET_TMP; on failure lib.sh prints the last lines of
# each *.log (gateways: gw-SITE.RUN.log, Avahi: avahi-KEY.log, avahi-publish:
# publish-*.log) and *.out (avahi-browse: browse-KEY.out, watch-*.out; captures:
# sniff-SITE.out; sitecastctl status of each running gateway: status-SITE.out).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

top_builddir=${top_builddir:-$NET_LIBDIR/../..}
SITECASTD=${SITECASTD:-$top_builddir/sitecastd}
SITECASTCTL=${SITECASTCTL:-$top_builddir/sitecastctl}
SITES_VERBOSE=${SITES_VERBOSE:--v}
SITES_WAN_AF=${SITES_WAN_AF:-4}
SITES_GRACE=${SITES_GRACE:-}
SITES_PEER_TIMEOUT=${SITES_PEER_TIMEOUT:-}
SITES_MAX_RECORDS=${SITES_MAX_RECORDS:-}
SITES_LINK_LOCAL=${SITES_LINK_LOCAL:-drop}
SITES_PEER_UP_RE=${SITES_PEER_UP_RE:-'(^|[^[:alnum:]_-])up([^[:alnum:]_-]|$)'}
SITES_AVAHI=${SITES_AVAHI:-0}
SITES_PEERS=${SITES_PEERS:-1}
SITES_PORT=5358
SITES_MAP4=10.101  # 192.168.N.0/24 -> $SITES_MAP4.N.0/24
SITES_MAP6=fd51    # fd00:N::/64 -> $SITES_MAP6:N::/64

declare -A SITES_NUM=([manhattan]=1 [brooklyn]=2 [queens]=3)
SITES=()                       # the sites of this test, by number
declare -A SITES_EXPORT=()
declare -A SITES_IMPORT=()
declare -A SITES_KEY=()
declare -A SITES_USER=()
declare -A SITES_CONTROL=()
declare -A SITES_DNS=()
SITES_POLICY=${SITES_POLICY:-}
declare -A SITES_FP=()         # site -> fingerprint of its own key
declare -A SITES_CONF=()
declare -A SITES_GW_PID=()
declare -A SITES_GW_LOG=()
declare -A SITES_GW_RUN=()     # site -> how many times its sitecastd was started
declare -A SITES_PUB_PID=()    # instance name -> avahi-publish pid
declare -A SITES_PUB_LOG=()
declare -A SITES_PUB_T0=()     # instance name -> when avahi-publish was started (us)
declare -A SITES_PUB_T=()      # instance name -> when Avahi said it was established (us)
declare -A SITES_WATCH=()      # "KEY TYPE" -> output file of avahi-browse -rp
SITES_PUB_SEQ=0
SITES_PUB_LAST_LOG=            # output of the last avahi-publish started
SITES_SEEN_T=                  # set by sites_wait_visible / sites_wait_gone (us)
SITES_STATE=                   # the last state browse.py reported

# ---------------------------------------------------------------- time

sites_now() {
	echo "${EPOCHREALTIME/./}"
}

# sites_secs MICROSECONDS: prints them as seconds with two decimals.
sites_secs() {
	local us=$1
	printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

# ---------------------------------------------------------------- building sites

# sites_init SITE...: root and namespaces or skip (77); the programs or fail; then
# each site's switch and gateway, and the WAN between the gateways.
sites_init() {
	local site n=3
	net_require_root_netns stdbuf timeout
	[ -x "$NET_PYTHON" ] || net_skip "$NET_PYTHON not found (install python3)"
	# Cleaned up also when the terminal goes away or the output pipe closes (| head);
	# then SIGPIPE is ignored, so that the cleanup's own output cannot cut it short.
	trap 'exit 129' HUP
	trap 'trap "" PIPE; exit 141' PIPE
	trap _sites_exit EXIT
	[ -x "$SITECASTD" ] || net_fail "$SITECASTD not built (make sitecastd)"
	[ -x "$SITECASTCTL" ] || net_fail "$SITECASTCTL not built (make sitecastctl)"
	SITECASTD=$(cd "$(dirname "$SITECASTD")" && pwd)/${SITECASTD##*/}
	SITECASTCTL=$(cd "$(dirname "$SITECASTCTL")" && pwd)/${SITECASTCTL##*/}
	for site in "$@"; do
		[[ $site =~ ^[a-z0-9-]{1,32}$ ]] || net_fail "bad site name $site"
		[ -n "${SITES_NUM[$site]:-}" ] || SITES_NUM[$site]=$((++n))
	done
	# In site-number order, so that net_wan gives site N 172.16.N.0/24.
	mapfile -t SITES < <(for site in "$@"; do echo "${SITES_NUM[$site]} $site"; done |
		sort -n | awk '{ print $2 }')
	# net_wan numbers sites by position: keep numbers and positions equal.
	local i=0
	for site in "${SITES[@]}"; do
		i=$((i + 1))
		[ "${SITES_NUM[$site]}" -eq "$i" ] ||
			net_fail "sites must be numbered 1..N without gaps (have ${SITES[*]})"
	done
	for site in "${SITES[@]}"; do
		n=${SITES_NUM[$site]}
		net_site "$site" "192.168.$n" 0 "fd00:$n"
		: "${SITES_EXPORT[$site]:=offices}"
		: "${SITES_IMPORT[$site]:=offices}"
	done
	net_wan "${SITES[@]}"
}

# On failure, the gateways' own view (sitecastctl status) joins the logs that lib.sh's
# cleanup prints.
_sites_exit() {
	local rc=$? site
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$NET_TMP" ]; then
		for site in "${SITES[@]}"; do
			[ -n "${SITES_GW_PID[$site]:-}" ] && kill -0 "${SITES_GW_PID[$site]}" 2>/dev/null || continue
			timeout 3 "$SITECASTCTL" -s "$(sites_control "$site")" status \
				>"$NET_TMP/status-$site.out" 2>&1
		done
	fi
	(exit "$rc")
	_net_cleanup
}

# sites_control SITE: the path of SITE's control socket.
sites_control() {
	echo "${SITES_CONTROL[$1]:-$NET_TMP/control-$1.sock}"
}

# sites_host SITE-hI [MODE]: adds LAN host I to SITE (after sites_init). MODE: dual
# (default: 192.168.N.(9+I) and fd00:N::(9+I)), v6 (the IPv6 ULA address only), ll
# (no address but its IPv6 link-local one).
sites_host() {
	local key=$1 mode=${2:-dual} site i n ns
	[[ $key =~ ^(.+)-h([0-9]+)$ ]] || net_fail "host key $key is not SITE-hI"
	site=${BASH_REMATCH[1]} i=${BASH_REMATCH[2]}
	n=${SITES_NUM[$site]:-}
	[ -n "$n" ] && [ -n "${NET_NS[$site-sw]:-}" ] || net_fail "no site $site for $key"
	NET_IF[$key]=eth0
	NET_ADDR4[$key]=192.168.$n.$((9 + i))
	NET_ADDR6[$key]=fd00:$n::$((9 + i))
	NET_PLEN4[$key]=24
	NET_PLEN6[$key]=64
	NET_SITE_OF[$key]=$site
	net_node "$key"
	net_attach "$key"
	ns=${NET_NS[$key]}
	case $mode in
	dual)
		ip -n "$ns" route add default via "192.168.$n.1"
		ip -n "$ns" -6 route add default via "fd00:$n::1"
		;;
	v6)
		ip -n "$ns" -4 addr flush dev eth0
		ip -n "$ns" -6 route add default via "fd00:$n::1"
		NET_ADDR4[$key]=
		;;
	ll)
		ip -n "$ns" -4 addr flush dev eth0
		ip -n "$ns" -6 addr flush dev eth0 scope global
		NET_ADDR4[$key]=
		NET_ADDR6[$key]=
		;;
	*) net_fail "sites_host: unknown mode $mode" ;;
	esac
}

# sites_avahi KEY HOSTNAME [KEY HOSTNAME]...: avahi-daemon on these nodes, started
# together, returns once all have announced their host names.
sites_avahi() {
	local keys=() key
	while [ $# -ge 2 ]; do
		net_avahi_start "$1" "$2"
		keys+=("$1")
		shift 2
	done
	for key in "${keys[@]}"; do
		net_avahi_wait "$key"
	done
}

# sites_keys: a key pair per site (sitecastctl keygen); SITES_FP[site] as
# sitecastctl fingerprint reads it back, which must be what keygen printed.
sites_keys() {
	local site fp
	for site in "${SITES[@]}"; do
		sites_keygen "$NET_TMP/key-$site.pem"
		SITES_FP[$site]=$SITES_LAST_FP
		: "${SITES_KEY[$site]:=$NET_TMP/key-$site.pem}"
	done
}

# sites_keygen FILE: sitecastctl keygen FILE; its fingerprint in SITES_LAST_FP.
sites_keygen() {
	local file=$1 fp fp2
	fp=$("$SITECASTCTL" keygen "$file") || net_fail "sitecastctl keygen $file failed"
	fp2=$("$SITECASTCTL" fingerprint "$file") || net_fail "sitecastctl fingerprint $file failed"
	[[ $fp =~ ^sha256:[A-Za-z0-9+/]{43}=$ ]] || net_fail "keygen printed '$fp', not a fingerprint"
	[ "$fp" = "$fp2" ] || net_fail "keygen printed $fp, fingerprint reads $fp2"
	SITES_LAST_FP=$fp
}

# _sites_addr SITE: "ADDRESS:PORT" of SITE's peer-link listener, in the WAN family.
_sites_addr() {
	if [ "$SITES_WAN_AF" = 6 ]; then
		echo "[${NET_WAN6[$1]}]:$SITES_PORT"
	else
		echo "${NET_WAN4[$1]}:$SITES_PORT"
	fi
}

# The rule sets every gateway has; SITES_EXPORT / SITES_IMPORT pick among them.
#   offices     printers but those named "Secret*"; SSH explicitly refused; anything
#               else refused because no rule matches
#   everything  all services
# SITES_POLICY, when set, replaces them.
_sites_policy() {
	if [ -n "$SITES_POLICY" ]; then
		printf 'policy:\n%s\n' "$SITES_POLICY"
		return
	fi
	cat <<-'EOF'
		policy:
		  offices:
		    - deny:  { service: _ipp._tcp, instance: "Secret*" }
		    - allow: { service: _ipp._tcp }
		    - deny:  { service: _ssh._tcp }
		  everything:
		    - allow: {}
	EOF
}

# sites_config SITE: writes SITE's sitecast.yaml to $NET_TMP/SITE.yaml (SITES_CONF).
sites_config() {
	local site=$1 n=${SITES_NUM[$1]} peer m conf=$NET_TMP/$1.yaml
	{
		echo "# sitecastd of site $site (tests/net/sites.sh)"
		echo "site: $site"
		echo "interfaces: [lan0]"
		[ "$SITES_PEERS" = 1 ] && echo "listen: \"$(_sites_addr "$site")\""
		echo "key: \"${SITES_KEY[$site]}\""
		echo "control: \"$(sites_control "$site")\""
		[ -n "${SITES_USER[$site]:-}" ] && echo "user: ${SITES_USER[$site]}"
		[ "$SITES_PEERS" = 1 ] && echo "peers:"
		for peer in "${SITES[@]}"; do
			[ "$peer" = "$site" ] || [ "$SITES_PEERS" != 1 ] && continue
			m=${SITES_NUM[$peer]}
			echo "  - name: $peer"
			[ "$n" -lt "$m" ] && echo "    connect: \"$(_sites_addr "$peer")\""
			# Several fingerprints (separated by spaces) are written as a list.
			if [[ ${SITES_FP[$peer]} == *" "* ]]; then
				echo "    fingerprint: [\"${SITES_FP[$peer]// /\", \"}\"]"
			else
				echo "    fingerprint: \"${SITES_FP[$peer]}\""
			fi
			echo "    export: ${SITES_EXPORT[$site]}"
			echo "    import: ${SITES_IMPORT[$site]}"
			echo "    addresses:"
			echo "      map:"
			echo "        - { from: 192.168.$n.0/24, to: $SITES_MAP4.$n.0/24 }"
			echo "        - { from: \"fd00:$n::/64\", to: \"$SITES_MAP6:$n::/64\" }"
			echo "      link-local: $SITES_LINK_LOCAL"
		done
		_sites_policy
		if [ -n "$SITES_GRACE" ] || [ -n "$SITES_MAX_RECORDS" ] || [ -n "$SITES_PEER_TIMEOUT" ]; then
			echo "limits:"
			if [ -n "$SITES_PEER_TIMEOUT" ]; then
				echo "  peer-timeout: $SITES_PEER_TIMEOUT"
			fi
			if [ -n "$SITES_GRACE" ]; then
				echo "  peer-grace: $SITES_GRACE"
			fi
			if [ -n "$SITES_MAX_RECORDS" ]; then
				echo "  max-records-per-peer: $SITES_MAX_RECORDS"
			fi
		fi
		if [ "$SITES_AVAHI" = 1 ]; then
			echo "avahi:"
			echo "  publish: true"
			echo "  browse: true"
		fi
		[ -n "${SITES_DNS[$site]:-}" ] && printf '%s\n' "${SITES_DNS[$site]}"
	} >"$conf"
	SITES_CONF[$site]=$conf
	local err
	err=$("$SITECASTD" -n -c "$conf" 2>&1) ||
		net_fail "sitecastd -n rejects the configuration of $site: $err"
}

# sites_gw_start SITE: writes SITE's configuration and starts its sitecastd in the
# foreground, logging to $NET_TMP/gw-SITE.RUN.log (SITES_GW_LOG), RUN counting starts.
sites_gw_start() {
	local site=$1 run
	sites_config "$site"
	if [ "$SITES_AVAHI" = 1 ] && ! { [ -n "${NET_AVAHI_PID[$site-gw]:-}" ] &&
		kill -0 "${NET_AVAHI_PID[$site-gw]}" 2>/dev/null; }; then
		net_avahi "$site-gw" "gw-$site"
	fi
	run=$((${SITES_GW_RUN[$site]:-0} + 1))
	SITES_GW_RUN[$site]=$run
	SITES_GW_LOG[$site]=$NET_TMP/gw-$site.$run.log
	net_bg "$site-gw" "${SITES_GW_LOG[$site]}" \
		"$SITECASTD" -c "${SITES_CONF[$site]}" -f $SITES_VERBOSE
	SITES_GW_PID[$site]=$NET_LAST_PID
	net_log "sitecastd of $site started (pid $NET_LAST_PID, log ${SITES_GW_LOG[$site]##*/})"
}

# sites_gw_start_all: sites_gw_start for every site, listeners (higher numbers) first so
# that the dialers' first attempt finds them.
sites_gw_start_all() {
	local i
	for ((i = ${#SITES[@]} - 1; i >= 0; i--)); do
		sites_gw_start "${SITES[$i]}"
	done
}

# sites_gw_kill SITE [SIGNAL]: signals SITE's sitecastd (default KILL) and waits for it;
# returns its exit status.
sites_gw_kill() {
	local site=$1 sig=${2:-KILL} rc
	net_stop "${SITES_GW_PID[$site]}" "$sig"
	rc=$?
	net_log "sitecastd of $site stopped by SIG$sig (status $rc)"
	return "$rc"
}

# sites_done: the end of a scenario that passed: each running sitecastd gets SIGTERM
# and must exit 0, and no gateway log may hold a sanitizer report.
sites_done() {
	local site rc
	for site in "${SITES[@]}"; do
		# (kill -0 0 would succeed: a site whose gateway was never started is skipped.)
		[ -n "${SITES_GW_PID[$site]:-}" ] && kill -0 "${SITES_GW_PID[$site]}" 2>/dev/null || continue
		sites_gw_kill "$site" TERM
		rc=$?
		[ "$rc" -eq 0 ] || net_fail "sitecastd of $site exited with status $rc on SIGTERM"
	done
	if grep -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' \
		"$NET_TMP"/gw-*.log; then
		net_fail "sanitizer report in a gateway log"
	fi
	net_pass "gateways stopped cleanly"
}

# sites_gw_alive SITE: fails the test if SITE's sitecastd has exited.
sites_gw_alive() {
	local pid=${SITES_GW_PID[$1]} rc
	kill -0 "$pid" 2>/dev/null && return 0
	wait "$pid" 2>/dev/null
	rc=$?
	net_fail "sitecastd of $1 exited with status $rc: $(tail -n 5 "${SITES_GW_LOG[$1]}")"
}

# sites_peer_up_count SITE PEER: lines of SITE's current log saying PEER is up.
sites_peer_up_count() {
	local n
	n=$(grep -iwF -- "$2" "${SITES_GW_LOG[$1]}" 2>/dev/null | grep -ciE -- "$SITES_PEER_UP_RE")
	echo "${n:-0}"
}

_sites_peer_up() {
	sites_gw_alive "$1"
	[ "$(sites_peer_up_count "$1" "$2")" -gt "$3" ]
}

# sites_wait_peer_up SITE PEER [SECONDS [BEFORE]]: waits until SITE's log has more than
# BEFORE (default 0) lines saying PEER is up.
sites_wait_peer_up() {
	local site=$1 peer=$2 secs=${3:-15} before=${4:-0}
	net_wait "$secs" _sites_peer_up "$site" "$peer" "$before" ||
		net_fail "$site: no line for peer $peer matching /$SITES_PEER_UP_RE/" \
			"within ${secs}s in ${SITES_GW_LOG[$site]##*/}"
}

# sites_wait_links [SECONDS]: waits until every gateway has logged each peer up.
sites_wait_links() {
	local site peer secs=${1:-15} t0
	t0=$(sites_now)
	for site in "${SITES[@]}"; do
		for peer in "${SITES[@]}"; do
			[ "$peer" = "$site" ] || sites_wait_peer_up "$site" "$peer" "$secs"
		done
	done
	net_log "peer links up ($(sites_secs $(($(sites_now) - t0)))s)"
}

# sites_setup [SITE...]: SITEs (default manhattan brooklyn), each with host h1
# (both families, avahi host name "printer": each office has its printer.local) and
# a gateway; links up.
sites_setup() {
	local sites=("$@") site args=()
	[ ${#sites[@]} -gt 0 ] || sites=(manhattan brooklyn)
	sites_init "${sites[@]}"
	for site in "${SITES[@]}"; do
		sites_host "$site-h1"
		args+=("$site-h1" printer)
	done
	sites_avahi "${args[@]}"
	sites_keys
	sites_gw_start_all
	sites_wait_links
}

# ---------------------------------------------------------------- services

# sites_publish KEY NAME TYPE PORT [TXT...]: avahi-publish -s at node KEY, in the
# background; returns once Avahi has established it under NAME (SITES_PUB_T[NAME] is
# when that was seen) unless SITES_PUB_NOWAIT=1. The SITES_PUB_* arrays are keyed by
# NAME: a test that publishes one name at several sites uses SITES_PUB_LAST_LOG.
sites_publish() {
	local key=$1 name=$2 log
	shift 2
	SITES_PUB_SEQ=$((SITES_PUB_SEQ + 1))
	log=$NET_TMP/publish-$key-$SITES_PUB_SEQ.log
	SITES_PUB_LAST_LOG=$log
	SITES_PUB_T0[$name]=$(sites_now)
	net_bg "$key" "$log" avahi-publish -s "$name" "$@"
	SITES_PUB_PID[$name]=$NET_LAST_PID
	SITES_PUB_LOG[$name]=$log
	[ "${SITES_PUB_NOWAIT:-0}" = 1 ] && return 0
	sites_wait_published "$name"
}

_sites_established() {
	kill -0 "${SITES_PUB_PID[$1]}" 2>/dev/null || net_fail "avahi-publish of '$1' exited"
	grep -qF "Established under name '$1'" "${SITES_PUB_LOG[$1]}"
}

# sites_wait_published NAME: waits until avahi-publish says NAME is established.
sites_wait_published() {
	net_wait 10 _sites_established "$1" ||
		net_fail "'$1' not established by Avahi: $(cat "${SITES_PUB_LOG[$1]}")"
	SITES_PUB_T[$1]=$(sites_now)
	net_log "published '$1'"
}

# sites_unpublish NAME: stops the avahi-publish of NAME (Avahi sends goodbyes).
sites_unpublish() {
	net_stop "${SITES_PUB_PID[$1]}" TERM
	unset "SITES_PUB_PID[$1]"
	net_log "unpublished '$1'"
}

# sites_browse KEY TYPE: runs avahi-browse -rpt TYPE at node KEY and prints its events
# decoded, one per line, tab-separated (browse.py table):
#   EVENT IFACE PROTO NAME TYPE DOMAIN [HOST ADDRESS PORT TXT]
# EVENT "+" is a service listed, "=" one resolved. The raw output is appended to
# $NET_TMP/browse-KEY.out.
sites_browse() {
	local key=$1 type=$2 raw=$NET_TMP/browse-$1.raw
	net_in "$key" timeout 30 avahi-browse -krpt "$type" >"$raw" 2>&1
	{
		echo "# $(date +%T.%N | cut -c1-12) avahi-browse -krpt $type at $key"
		cat "$raw"
	} >>"$NET_TMP/browse-$key.out"
	"$NET_PYTHON" "$NET_LIBDIR/browse.py" table "$raw"
}

# sites_resolved KEY TYPE: the resolved ("=") lines of sites_browse.
sites_resolved() {
	sites_browse "$1" "$2" | awk -F'\t' '$1 == "="'
}

# sites_resolve KEY HOST 4|6: the address avahi-resolve finds for HOST at node KEY in
# that family (empty if none).
sites_resolve() {
	net_in "$1" timeout 10 avahi-resolve -"$3" -n "$2" 2>>"$NET_TMP/resolve-$1.out" |
		awk -F'\t' -v h="$2" '$1 == h { print $2 }'
}

# sites_watch KEY TYPE: a running avahi-browse -rp TYPE at node KEY (once per KEY and
# TYPE), its output in $NET_TMP/watch-KEY-TYPE.out.
sites_watch() {
	local key=$1 type=$2 out
	[ -n "${SITES_WATCH[$key $type]:-}" ] && return 0
	out=$NET_TMP/watch-$key-${type//[^a-z0-9]/}.out
	net_bg "$key" "$out" stdbuf -oL avahi-browse -krp "$type"
	SITES_WATCH[$key $type]=$out
}

# sites_state KEY TYPE NAME [ADDRESS-REGEXP]: what the watcher (sites_watch) at KEY says
# of NAME now (browse.py state: "resolved ADDR,...", "listed", "gone" or "absent").
sites_state() {
	[ -n "${SITES_WATCH[$1 $2]:-}" ] || net_fail "sites_state: no sites_watch $1 $2"
	"$NET_PYTHON" "$NET_LIBDIR/browse.py" state "${SITES_WATCH[$1 $2]}" "$3" ${4:+"$4"}
}

_sites_state_is() {
	SITES_STATE=$(sites_state "$2" "$3" "$4" ${5:+"$5"})
	[[ $SITES_STATE =~ ^($1) ]]
}

# sites_wait_visible KEY TYPE NAME SECONDS [ADDRESS-REGEXP]: waits until NAME is
# resolved at KEY (to an address matching the regexp); SITES_SEEN_T is when it was
# seen, SITES_STATE the addresses. Returns 1 on timeout.
sites_wait_visible() {
	local rc
	sites_watch "$1" "$2"
	net_wait "$4" _sites_state_is resolved "$1" "$2" "$3" "${5:-}"
	rc=$?
	SITES_SEEN_T=$(sites_now)
	return $rc
}

# sites_wait_gone KEY TYPE NAME SECONDS: waits until NAME, once listed at KEY, is
# removed (or was never there); SITES_SEEN_T is when. Returns 1 on timeout.
sites_wait_gone() {
	local rc
	sites_watch "$1" "$2"
	net_wait "$4" _sites_state_is 'gone|absent' "$1" "$2" "$3"
	rc=$?
	SITES_SEEN_T=$(sites_now)
	return $rc
}

# ---------------------------------------------------------------- packets, logs

# sites_sniff_start SITE: captures the mDNS packets of SITE's LAN (its switch's bridge
# sees every port) into $NET_TMP/sniff-SITE.out.
sites_sniff_start() {
	: >"$NET_TMP/sniff-$1.out"
	net_sniff "$1-sw" br0 "$NET_TMP/sniff-$1.out"
}

# sites_sniff_count SITE: mDNS packets (IPv4 and IPv6) seen on SITE's LAN so far.
sites_sniff_count() {
	net_grep_count '^t=' "$NET_TMP/sniff-$1.out"
}

# sites_avahi_conflicts: prints the lines of every Avahi log and avahi-publish output
# that tell of a name conflict; returns 0 if there were any.
sites_avahi_conflicts() {
	grep -HiE 'conflict|collision' "$NET_TMP"/avahi-*.log "$NET_TMP"/publish-*.log \
		2>/dev/null
}

# ---------------------------------------------------------------- fault scenarios
# Added for the f*_*.sh scenarios (faults, hostile input); nothing above uses them.

# sites_status_json SITE: prints sitecastctl status --json of SITE's running sitecastd
# (one line); a copy goes to $NET_TMP/status-SITE.json.out for the failure report.
sites_status_json() {
	local out
	out=$(timeout 10 "$SITECASTCTL" -s "$(sites_control "$1")" status --json) ||
		net_fail "sitecastctl status --json of $1 failed: $out"
	printf '%s\n' "$out" | tee -a "$NET_TMP/status-$1.json.out"
}

# sites_json EXPR < JSON: the value of the Python expression EXPR over the parsed
# status j, such as 'j["counters"]["connections_overflow"]'.
sites_json() {
	"$NET_PYTHON" -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# sites_peer_since SITE PEER: the "since" of PEER in SITE's status (when the link last
# came up or went down) and its state, as "STATE SINCE".
sites_peer_since() {
	sites_status_json "$1" | sites_json \
		"' '.join([p['state'] + ' ' + p['since'] for p in j['peers'] if p['name'] == '$2'])"
}

# sites_fd_count SITE: open file descriptors of SITE's sitecastd.
sites_fd_count() {
	ls "/proc/${SITES_GW_PID[$1]}/fd" 2>/dev/null | wc -l
}

# sites_wan_faults: prepares the WAN between the gateways (after sites_init) for
# sites_wan_set: tc netem on the router's interfaces where the kernel has it; else every
# packet the router forwards crosses tests/net/wan_emu.py (a TUN device in the router
# and policy routing into it), which delays and drops as netem would.
sites_wan_faults() {
	local site rtif=${NET_WAN_RTIF[${SITES[0]}]}
	: >"$NET_TMP/wan-params"
	if net_in wan tc qdisc replace dev "$rtif" root netem delay 0ms 2>/dev/null; then
		net_in wan tc qdisc del dev "$rtif" root
		SITES_WAN_EMU=netem
		net_log "WAN faults: tc netem"
		return 0
	fi
	SITES_WAN_EMU=tun
	echo "0 0" >"$NET_TMP/wan-params"
	net_bg wan "$NET_TMP/wan-emu.log" "$NET_PYTHON" -u "$NET_LIBDIR/wan_emu.py" emu0 \
		"$NET_TMP/wan-params"
	net_wait 5 grep -q '^ready' "$NET_TMP/wan-emu.log" || net_fail "wan_emu.py did not start"
	net_in wan ip link set emu0 up || net_fail "emu0 up"
	for site in "${SITES[@]}"; do
		net_in wan ip rule add iif "${NET_WAN_RTIF[$site]}" lookup 100 pref 100 &&
			net_in wan ip -6 rule add iif "${NET_WAN_RTIF[$site]}" lookup 100 pref 100 ||
			net_fail "policy routing into emu0"
	done
	net_in wan ip route add default dev emu0 table 100 &&
		net_in wan ip -6 route add default dev emu0 table 100 || net_fail "routes into emu0"
	net_log "WAN faults: no tc netem in this kernel; tests/net/wan_emu.py in the router"
}

# sites_wan_set DELAY_MS LOSS_PERCENT: from now on every packet between the gateways is
# lost with that probability and else delayed that long, in each direction ("0 100" cuts
# the WAN, "0 0" restores it).
sites_wan_set() {
	local d=$1 l=$2 site
	case ${SITES_WAN_EMU:-} in
	netem)
		for site in "${SITES[@]}"; do
			if [ "$d" = 0 ] && [ "$l" = 0 ]; then
				net_in wan tc qdisc del dev "${NET_WAN_RTIF[$site]}" root 2>/dev/null
			else
				net_in wan tc qdisc replace dev "${NET_WAN_RTIF[$site]}" root netem \
					delay "${d}ms" loss "${l}%" || net_fail "tc netem on ${NET_WAN_RTIF[$site]}"
			fi
		done
		;;
	tun)
		echo "$d $l" >"$NET_TMP/wan-params.new" && mv "$NET_TMP/wan-params.new" "$NET_TMP/wan-params"
		# wan_emu.py looks at the file every 50 ms.
		sleep 0.1
		;;
	*) net_fail "sites_wan_set without sites_wan_faults" ;;
	esac
	net_log "WAN: delay $d ms, loss $l%"
}

# ---------------------------------------------------------------- load and measurement
# Added for the floods (f5_floods.sh) and the benchmark runner (tests/bench/run);
# nothing above uses them.

SITES_FLOOD=${SITES_FLOOD:-$top_builddir/tests/net/flood}
SITES_CLK_TCK=$(getconf CLK_TCK)

# sites_cpu_us PID: CPU time the process has used (user + system, from
# /proc/PID/stat), in microseconds.
sites_cpu_us() {
	local stat f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || net_fail "sites_cpu_us: no process $1"
	# The fields after "(comm)": state is 3, utime 14, stime 15.
	read -r -a f <<<"${stat##*) }"
	echo $(((f[11] + f[12]) * 1000000 / SITES_CLK_TCK))
}

# sites_hwm_kb PID: the process's peak resident set size (VmHWM), in KiB.
sites_hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# sites_rss_kb PID: its resident set size now (VmRSS), in KiB.
sites_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# sites_link_bytes KEY IFACE: bytes received plus bytes sent on IFACE of node KEY so
# far (the kernel's counters, Ethernet headers included).
sites_link_bytes() {
	local rx tx
	rx=$(net_in "$1" cat "/sys/class/net/$2/statistics/rx_bytes") || return 1
	tx=$(net_in "$1" cat "/sys/class/net/$2/statistics/tx_bytes") || return 1
	echo $((rx + tx))
}

# sites_add_sources KEY N: N more IPv4 addresses on the LAN interface of host KEY of
# site S, 192.168.S.100 onwards, for tests/net/flood to send from; prints flood's
# -s argument for them.
sites_add_sources() {
	local key=$1 n=$2 site ns i
	site=${NET_SITE_OF[$key]}
	ns=$(net_ns "$key")
	for ((i = 0; i < n; i++)); do
		ip -n "$ns" addr add "192.168.${SITES_NUM[$site]}.$((100 + i))/24" \
			dev "${NET_IF[$key]}" || net_fail "address $i on $key"
	done
	echo "192.168.${SITES_NUM[$site]}.100+$n"
}

# sites_flood KEY ARGS...: runs tests/net/flood ARGS at node KEY in the foreground
# (its LAN interface unless ARGS say otherwise) and prints its summary line:
#   sent packets=N bytes=B records=R questions=Q seconds=S
sites_flood() {
	local key=$1
	shift
	[ -x "$SITES_FLOOD" ] || net_fail "$SITES_FLOOD not built (make tests/net/flood)"
	net_in "$key" "$SITES_FLOOD" -i "${NET_IF[$key]}" "$@" ||
		net_fail "flood at $key failed"
}

# sites_flood_bg KEY OUTFILE ARGS...: the same in the background, its output in
# OUTFILE, its pid in NET_LAST_PID.
sites_flood_bg() {
	local key=$1 out=$2
	shift 2
	[ -x "$SITES_FLOOD" ] || net_fail "$SITES_FLOOD not built (make tests/net/flood)"
	net_bg "$key" "$out" "$SITES_FLOOD" -i "${NET_IF[$key]}" "$@"
}

# sites_field NAME LINE: the value of NAME=VALUE in a line such as flood's summary.
sites_field() {
	sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2"
}
