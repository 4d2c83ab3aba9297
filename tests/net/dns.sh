# tests/net/dns.sh: real authoritative DNS servers (Knot DNS, BIND) for the
# wide-area scenarios. Source it after lib.sh (or sites.sh):
#
#   . "$(dirname "$0")/sites.sh"; . "$(dirname "$0")/dns.sh"
#   dns_require                       # skip (77) without knotd/named/kdig/knsupdate
#   dns_keys manhattan brooklyn       # a TSIG key per site: DNS_KEY_NAME/SECRET/FILE
#   dns_server_node wan               # the server's address 192.0.2.53 on node "wan"
#   dns_knotd wan manhattan brooklyn  # or dns_named: the zone, each key confined
#   dns_update manhattan "update add x.manhattan.sites.example.com. 60 TXT a"
#   dns_axfr manhattan                # the zone as kdig prints it
#
# The zone is $DNS_ZONE (sites.example.com). Each site's key may change its own
# domain <site>.$DNS_ZONE and the b/lb._dns-sd._udp.$DNS_ZONE browse pointers,
# and transfer the zone. The server configurations are those of doc/wide-area.md
# with the secrets, paths and address filled in.

DNS_ZONE=sites.example.com
DNS_ADDR=192.0.2.53
DNS_PORT=53
DNS_ALG=${DNS_ALG:-hmac-sha256}
DNS_SERVER_KIND=
DNS_SERVER_PID=
DNS_DIR=
declare -A DNS_KEY_NAME=()   # site -> TSIG key name (<site>-key)
declare -A DNS_SECRET=()     # site -> base64 secret
declare -A DNS_SECRET_FILE=() # site -> file holding the secret alone (DESIGN.md)

# dns_require: skips unless the servers and tools are installed.
dns_require() {
	local c
	for c in knotd knotc kdig knsupdate named openssl; do
		command -v "$c" >/dev/null 2>&1 ||
			net_skip "$c not found (install knot, knot-dnsutils, bind9, openssl)"
	done
}

# dns_keys SITE...: a random TSIG secret per site, written alone to
# $NET_TMP/tsig-SITE.secret (the form of dns.tsig.secret-file).
dns_keys() {
	local site
	for site in "$@"; do
		DNS_KEY_NAME[$site]=$site-key
		DNS_SECRET[$site]=$(openssl rand -base64 32) || net_fail "openssl rand"
		DNS_SECRET_FILE[$site]=$NET_TMP/tsig-$site.secret
		printf '%s\n' "${DNS_SECRET[$site]}" >"${DNS_SECRET_FILE[$site]}"
		chmod 0600 "${DNS_SECRET_FILE[$site]}"
	done
}

# dns_server_node KEY: gives node KEY the server's address (on lo, reachable through
# the node's routes: the WAN router "wan" routes it to every gateway).
dns_server_node() {
	local ns
	ns=$(net_ns "$1")
	ip -n "$ns" addr add "$DNS_ADDR/32" dev lo || net_fail "address $DNS_ADDR on $1"
	DNS_NODE=$1
}

# The zone file both servers load: SOA, NS and the NS host's address.
_dns_zonefile() {
	cat <<-EOF
		\$ORIGIN $DNS_ZONE.
		\$TTL 60
		@	SOA	ns.$DNS_ZONE. hostmaster.$DNS_ZONE. 1 60 30 3600 5
		@	NS	ns.$DNS_ZONE.
		ns	A	$DNS_ADDR
	EOF
}

# The Knot DNS configuration for SITEs (doc/wide-area.md, "Knot DNS").
_dns_knot_conf() {
	local dir=$1 site
	shift
	cat <<-EOF
		server:
		    rundir: "$dir"
		    listen: $DNS_ADDR@$DNS_PORT
		log:
		  - target: stderr
		    any: info
		database:
		    storage: "$dir"
		key:
	EOF
	for site in "$@"; do
		cat <<-EOF
			  - id: ${DNS_KEY_NAME[$site]}
			    algorithm: $DNS_ALG
			    secret: ${DNS_SECRET[$site]}
		EOF
	done
	echo "acl:"
	for site in "$@"; do
		cat <<-EOF
			  - id: $site
			    key: ${DNS_KEY_NAME[$site]}
			    action: [update, transfer]
			    update-owner: name
			    update-owner-match: sub-or-equal
			    update-owner-name: [$site.$DNS_ZONE., b._dns-sd._udp.$DNS_ZONE., lb._dns-sd._udp.$DNS_ZONE.]
		EOF
	done
	cat <<-EOF
		zone:
		  - domain: $DNS_ZONE
		    storage: "$dir"
		    file: $DNS_ZONE.zone
		    zonefile-sync: -1
		    zonefile-load: difference-no-serial
		    journal-content: all
		    acl: [$(IFS=,; echo "$*" | sed 's/,/, /g')]
	EOF
}

# The BIND configuration for SITEs (doc/wide-area.md, "BIND").
_dns_named_conf() {
	local dir=$1 site
	shift
	cat <<-EOF
		options {
		    directory "$dir";
		    pid-file "$dir/named.pid";
		    session-keyfile "$dir/session.key";
		    listen-on port $DNS_PORT { $DNS_ADDR; };
		    listen-on-v6 { none; };
		    recursion no;
		    dnssec-validation no;
		    ${DNS_NAMED_OPTIONS:-}
		};
		controls { };
	EOF
	for site in "$@"; do
		cat <<-EOF
			key "${DNS_KEY_NAME[$site]}" {
			    algorithm $DNS_ALG;
			    secret "${DNS_SECRET[$site]}";
			};
		EOF
	done
	echo "zone \"$DNS_ZONE\" {"
	echo "    type primary;"
	echo "    file \"$dir/$DNS_ZONE.zone\";"
	echo "    update-policy {"
	for site in "$@"; do
		cat <<-EOF
			        grant ${DNS_KEY_NAME[$site]} subdomain $site.$DNS_ZONE. ANY;
			        grant ${DNS_KEY_NAME[$site]} name b._dns-sd._udp.$DNS_ZONE. PTR;
			        grant ${DNS_KEY_NAME[$site]} name lb._dns-sd._udp.$DNS_ZONE. PTR;
		EOF
	done
	echo "    };"
	printf '    allow-transfer {'
	for site in "$@"; do printf ' key %s;' "${DNS_KEY_NAME[$site]}"; done
	echo ' };'
	echo "};"
}

# dns_knotd KEY SITE...: knotd on node KEY (after dns_server_node KEY) serving the
# zone, with the keys of SITEs (after dns_keys). Log: $NET_TMP/knotd.log.
dns_knotd() {
	local key=$1
	shift
	DNS_DIR=$NET_TMP/knot
	mkdir -p "$DNS_DIR"
	_dns_zonefile >"$DNS_DIR/$DNS_ZONE.zone"
	_dns_knot_conf "$DNS_DIR" "$@" >"$DNS_DIR/knot.conf"
	DNS_SERVER_KIND=knot
	dns_server_start "$key"
}

# dns_named KEY SITE...: the same with BIND's named. Log: $NET_TMP/named.log.
# DNS_NAMED_OPTIONS: more statements for its options block (such as
# "max-records-per-type 3;").
dns_named() {
	local key=$1
	shift
	DNS_DIR=$NET_TMP/bind
	mkdir -p "$DNS_DIR"
	_dns_zonefile >"$DNS_DIR/$DNS_ZONE.zone"
	_dns_named_conf "$DNS_DIR" "$@" >"$DNS_DIR/named.conf"
	DNS_SERVER_KIND=bind
	dns_server_start "$key"
}

# dns_server_start KEY: (re)starts the server configured by dns_knotd/dns_named, on
# the journal and zone it had, and waits until it answers for the zone.
dns_server_start() {
	local key=$1
	DNS_NODE=$key
	case $DNS_SERVER_KIND in
	knot) net_bg "$key" "$NET_TMP/knotd.log" knotd -c "$DNS_DIR/knot.conf" ;;
	bind) net_bg "$key" "$NET_TMP/named.log" named -g -c "$DNS_DIR/named.conf" ;;
	*) net_fail "dns_server_start: no server configured" ;;
	esac
	DNS_SERVER_PID=$NET_LAST_PID
	net_wait 15 dns_serial >/dev/null ||
		net_fail "$DNS_SERVER_KIND did not answer for $DNS_ZONE (see ${DNS_SERVER_KIND}d.log / named.log)"
}

# dns_server_stop: stops the server (its zone and journal stay for a restart).
dns_server_stop() {
	[ -n "$DNS_SERVER_PID" ] || return 0
	net_stop "$DNS_SERVER_PID" TERM
	DNS_SERVER_PID=
}

# dns_in CMD...: runs CMD in the server's node (kdig, knsupdate reach it from there).
dns_in() {
	net_in "${DNS_NODE:?dns_server_node first}" "$@"
}

# dns_serial [ZONE]: prints the SOA serial the server answers with (fails if none).
dns_serial() {
	local s
	s=$(dns_in kdig +short +time=1 +retry=0 @"$DNS_ADDR" -p "$DNS_PORT" SOA "${1:-$DNS_ZONE}" 2>/dev/null |
		awk 'NF >= 7 { print $3 }')
	[ -n "$s" ] && echo "$s"
}

# dns_axfr SITE [ZONE]: the zone transferred with SITE's key, one record a line
# (kdig's presentation, no comments).
dns_axfr() {
	dns_in kdig +nocomments +nostats +time=2 +retry=0 -y "$DNS_ALG:${DNS_KEY_NAME[$1]}:${DNS_SECRET[$1]}" \
		@"$DNS_ADDR" -p "$DNS_PORT" AXFR "${2:-$DNS_ZONE}"
}

# dns_query TYPE NAME: kdig +short for NAME (no key).
dns_query() {
	dns_in kdig +short +time=2 +retry=0 @"$DNS_ADDR" -p "$DNS_PORT" "$1" "$2"
}

# dns_update SITE LINE...: one RFC 2136 UPDATE signed with SITE's key, the LINEs
# being knsupdate commands ("update add NAME TTL TYPE DATA", "update delete ...").
# Prints knsupdate's output; its status is knsupdate's (non-zero when refused).
dns_update() {
	local site=$1 line
	shift
	{
		echo "server $DNS_ADDR $DNS_PORT"
		echo "zone $DNS_ZONE."
		echo "key $DNS_ALG:${DNS_KEY_NAME[$site]} ${DNS_SECRET[$site]}"
		for line in "$@"; do echo "$line"; done
		echo "send"
		echo "answer"
	} | dns_in knsupdate -t 3 -r 0 2>&1
}

# ---------------------------------------------------------------- gateways on dns
# With sites.sh: gateways that publish into the zone and import from it.
#
#   SITES_PEERS=0                        # dns alone, no peer links
#   dns_gw_config manhattan brooklyn     # Manhattan publishes, imports Brooklyn's domain
#   sites_gw_start manhattan
#   dns_wait_gw_up manhattan             # its log says the server is up
#
# Knobs: DNS_EXPORT[SITE] / DNS_IMPORT[SITE] (rule sets, default offices), DNS_TTL,
# DNS_POLL (dns.ttl, dns.poll; default the daemon's), DNS_SECRET_OF[SITE] (the secret
# file SITE's gateway is given, default its own), DNS_KEY_OF[SITE] (the site whose key
# name and secret SITE's gateway uses, default its own), DNS_DOMAIN[SITE] (dns.domain,
# default the daemon's {site}.{zone}).
declare -A DNS_KEY_OF=()
declare -A DNS_DOMAIN=()
declare -A DNS_EXPORT=()
declare -A DNS_IMPORT=()
declare -A DNS_SECRET_OF=()
DNS_TTL=${DNS_TTL:-}
DNS_POLL=${DNS_POLL:-}

# dns_gw_config SITE [IMPORTED-SITE...]: SITES_DNS[SITE], the dns section of SITE's
# sitecast.yaml: this server and zone, SITE's key, its addresses mapped as for its
# peers (192.168.N.0/24 as 10.101.N.0/24), the domains of IMPORTED-SITEs imported.
dns_gw_config() {
	local site=$1 n=${SITES_NUM[$1]} im k=${DNS_KEY_OF[$1]:-$1}
	shift
	SITES_DNS[$site]=$(
		echo "dns:"
		echo "  server: \"$DNS_ADDR:$DNS_PORT\""
		echo "  zone: $DNS_ZONE"
		[ -n "${DNS_DOMAIN[$site]:-}" ] && echo "  domain: ${DNS_DOMAIN[$site]}"
		echo "  tsig:"
		echo "    name: ${DNS_KEY_NAME[$k]}"
		echo "    algorithm: $DNS_ALG"
		echo "    secret-file: \"${DNS_SECRET_OF[$site]:-${DNS_SECRET_FILE[$k]}}\""
		echo "  export: ${DNS_EXPORT[$site]:-offices}"
		echo "  addresses:"
		echo "    map:"
		echo "      - { from: 192.168.$n.0/24, to: $SITES_MAP4.$n.0/24 }"
		echo "      - { from: \"fd00:$n::/64\", to: \"$SITES_MAP6:$n::/64\" }"
		echo "    link-local: drop"
		[ -n "$DNS_TTL" ] && echo "  ttl: $DNS_TTL"
		[ -n "$DNS_POLL" ] && echo "  poll: $DNS_POLL"
		if [ $# -gt 0 ]; then
			echo "  import:"
			for im in "$@"; do
				echo "    - { site: $im, domain: $im.$DNS_ZONE, import: ${DNS_IMPORT[$site]:-offices} }"
			done
		fi
	)
}

_dns_gw_up() {
	sites_gw_alive "$1"
	grep -qE "dns: [^ ]+ up: " "${SITES_GW_LOG[$1]}"
}

# dns_wait_gw_up SITE [SECONDS]: waits until SITE's current log says the server is up
# (the domain transferred, publishing under way).
dns_wait_gw_up() {
	net_wait "${2:-10}" _dns_gw_up "$1" ||
		net_fail "$1: the DNS server did not come up in ${SITES_GW_LOG[$1]##*/}"
}

# dns_zone_has SITE ERE: whether the zone (transferred with SITE's key) has a line
# matching ERE, compared without case (Knot folds names).
dns_zone_has() {
	dns_axfr "$1" >"$NET_TMP/axfr.out" 2>&1 && grep -qiE -- "$2" "$NET_TMP/axfr.out"
}
