#!/usr/bin/env bash
# s10_presence.sh: a chat presence crosses whole, buddy icon included. At Manhattan a
# presence "alice@host" is published as iChat and libpurple publish it, through
# Avahi's D-Bus API (tests/net/presence.py): a _presence._tcp service and a NULL
# record of about 1 KB (the buddy icon) on the instance name. At Brooklyn a plain
# mDNS question for the NULL record of "alice@host (manhattan)" returns the same
# bytes; then a TXT update alone (status=away) reaches Brooklyn within 2 s.
# Then a presence "bob@host" whose icon has a TTL of ICON_TTL seconds: once both
# gateways' copies have expired, one legacy mDNS question at Brooklyn for the icon
# is forwarded to Manhattan (renamed back), which asks its LAN; the answer comes back
# and reaches the asker: that one question returns the icon's bytes.
set -u
. "$(dirname "$0")/sites.sh"

SITES_POLICY=$'  offices:\n    - allow: { service: _presence._tcp }'
sites_setup manhattan brooklyn
head -c 1000 /dev/urandom >"$NET_TMP/icon.bin"
icon_hex=$(od -An -v -tx1 "$NET_TMP/icon.bin" | tr -d ' \n')

mkfifo "$NET_TMP/presence.in"
net_bg manhattan-h1 "$NET_TMP/presence.out" sh -c \
	"exec $NET_PYTHON -u $NET_LIBDIR/presence.py publish alice@host $NET_TMP/icon.bin <$NET_TMP/presence.in"
exec 7<>"$NET_TMP/presence.in"
net_wait 10 grep -q committed "$NET_TMP/presence.out" ||
	net_fail "the presence was not published through Avahi's D-Bus API"
sites_wait_visible brooklyn-h1 _presence._tcp "alice@host (manhattan)" 10 ||
	net_fail "'alice@host (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
net_pass "the presence is resolved in Brooklyn"

icon_at_b() {
	net_in brooklyn-h1 "$NET_PYTHON" "$NET_LIBDIR/presence.py" query \
		'alice@host (manhattan)._presence._tcp.local.' 10 >"$NET_TMP/icon.out" 2>&1
	grep -qx "$icon_hex" "$NET_TMP/icon.out"
}
net_wait 10 icon_at_b || {
	head -c 300 "$NET_TMP/icon.out"
	net_fail "a question at Brooklyn for the NULL record did not return the icon's 1000 bytes"
}
net_pass "an mDNS question at Brooklyn returns the buddy icon, byte for byte"

t0=$(sites_now)
echo "txt txtvers=1 status=away" >&7
away() { sites_browse brooklyn-h1 _presence._tcp | grep -F 'alice@host (manhattan)' | grep -q 'status=away'; }
net_wait 10 away || net_fail "the TXT update (status=away) did not reach Brooklyn"
dt=$(($(sites_now) - t0))
net_log "status=away seen in Brooklyn $(sites_secs "$dt") s after the update"
[ "$dt" -le 2000000 ] || net_fail "the TXT update took $(sites_secs "$dt") s to reach Brooklyn (over 2 s)"
net_pass "a TXT update alone reaches Brooklyn within 2 s"
exec 7>&-

ICON_TTL=10
head -c 900 /dev/urandom >"$NET_TMP/icon2.bin"
icon2_hex=$(od -An -v -tx1 "$NET_TMP/icon2.bin" | tr -d ' \n')
mkfifo "$NET_TMP/presence2.in"
net_bg manhattan-h1 "$NET_TMP/presence2.out" sh -c \
	"exec $NET_PYTHON -u $NET_LIBDIR/presence.py publish bob@host $NET_TMP/icon2.bin $ICON_TTL <$NET_TMP/presence2.in"
exec 8<>"$NET_TMP/presence2.in"
net_wait 10 grep -q committed "$NET_TMP/presence2.out" ||
	net_fail "the second presence was not published through Avahi's D-Bus API"
sites_wait_visible brooklyn-h1 _presence._tcp "bob@host (manhattan)" 10 ||
	net_fail "'bob@host (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
# The icon expires at Brooklyn's gateway (nobody there asked for it meanwhile),
# ICON_TTL seconds after Avahi's last announcement of it (it announces a new record
# a few times in the first seconds: ICON_TTL is longer, so none comes after that).
held() {
	sites_status_json brooklyn |
		sites_json 'sum(p["cached"] for p in j["peers"] if p["name"] == "manhattan")'
}
n_with=$(held)
icon_gone() { [ "$(held)" -lt "$n_with" ]; }
net_wait 40 icon_gone || net_fail "Brooklyn still holds $n_with records from Manhattan: the icon never expired"
fwd0=$(sites_status_json brooklyn | sites_json 'j["counters"]["questions_forwarded"]')
t0=$(sites_now)
net_in brooklyn-h1 "$NET_PYTHON" "$NET_LIBDIR/presence.py" query \
	'bob@host (manhattan)._presence._tcp.local.' 10 >"$NET_TMP/icon2.out" 2>&1
dt=$(($(sites_now) - t0))
fwd1=$(sites_status_json brooklyn | sites_json 'j["counters"]["questions_forwarded"]')
grep -qx "$icon2_hex" "$NET_TMP/icon2.out" || {
	head -c 300 "$NET_TMP/icon2.out"
	net_fail "one question at Brooklyn for an icon its cache no longer held did not return it"
}
[ "$fwd1" -gt "$fwd0" ] ||
	net_fail "the icon was answered at Brooklyn without a forwarded question: it was still cached"
net_log "the expired icon asked at Brooklyn: answered in $(sites_secs "$dt") s" \
	"($((fwd1 - fwd0)) question(s) forwarded to Manhattan)"
net_pass "a question at Brooklyn for a record its cache lacks is forwarded, and answered"
exec 8>&-
sites_done
