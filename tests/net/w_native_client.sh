#!/usr/bin/env bash
# w_native_client.sh: a client that browses wide-area itself finds a site's services
# in the zone, with no gateway in between (RFC 6763 §11). A printer of Manhattan is
# put into manhattan.sites.example.com on a real Knot DNS with knsupdate, as
# sitecastd publishes it (PTR, SRV, TXT, A, the _services enumeration and the b
# browse pointer); an avahi-daemon with enable-wide-area=yes, whose resolv.conf names
# the server, lists and resolves it with avahi-browse -d manhattan.sites.example.com.
# Avahi asks the nameservers of /etc/resolv.conf, on port 53 only, over IPv4 or IPv6.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"

net_require_root_netns
dns_require
dns_keys manhattan
M=manhattan.$DNS_ZONE

# The server and a client host on one link (192.0.2.0/24).
net_node srv
net_node cli
ip -n "$(net_ns srv)" link add eth0 type veth peer name eth0 netns "$(net_ns cli)" ||
	net_fail "veth"
ip -n "$(net_ns srv)" link set eth0 up
ip -n "$(net_ns cli)" link set eth0 up
ip -n "$(net_ns cli)" addr add 192.0.2.10/24 dev eth0
ip -n "$(net_ns srv)" addr add 192.0.2.1/24 dev eth0
dns_server_node srv
dns_knotd srv manhattan

out=$(dns_update manhattan \
	"update add _ipp._tcp.$M. 120 PTR Printer\\032A._ipp._tcp.$M." \
	"update add Printer\\032A._ipp._tcp.$M. 120 SRV 0 0 631 printer.$M." \
	"update add Printer\\032A._ipp._tcp.$M. 120 TXT \"rp=queue1\" \"note=3rd floor\"" \
	"update add printer.$M. 120 A 10.101.1.20" \
	"update add _services._dns-sd._udp.$M. 120 PTR _ipp._tcp.$M." \
	"update add b._dns-sd._udp.$DNS_ZONE. 120 PTR $M.") ||
	net_fail "knsupdate: $out"
net_pass "Manhattan's printer is in the zone"

printf 'nameserver %s\n' "$DNS_ADDR" >"$NET_TMP/resolv-cli.conf"
NET_RESOLV[cli]=$NET_TMP/resolv-cli.conf
NET_IF[cli]=eth0
cat >"$NET_TMP/avahi-cli.conf" <<CONF
[server]
host-name=client
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
[wide-area]
enable-wide-area=yes
[publish]
publish-hinfo=no
publish-workstation=no
CONF
net_avahi cli client "$NET_TMP/avahi-cli.conf"

found() {
	net_in cli timeout 5 avahi-browse -d "$M" -rptk _ipp._tcp >"$NET_TMP/browse.out" 2>&1
	# Knot folds names to lower case ("printer a"): compared without case.
	grep -qi "^=;n/a;n/a;Printer\\\\032A;_ipp\\._tcp;$M;printer\\.$M;10\\.101\\.1\\.20;631;" "$NET_TMP/browse.out"
}
net_wait 20 found || { cat "$NET_TMP/browse.out"; net_fail "avahi-browse -d $M did not resolve Printer A"; }
grep "^=" "$NET_TMP/browse.out"
grep -q '"note=3rd floor"' "$NET_TMP/browse.out" || net_fail "TXT not resolved: $(cat "$NET_TMP/browse.out")"
net_pass "a wide-area Avahi client lists and resolves Manhattan's printer from the zone"
