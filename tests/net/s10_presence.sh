#!/usr/bin/env bash
# s10_presence.sh: a chat presence crosses whole, buddy icon included. At Manhattan a
# presence "alice@host" is published as iChat and libpurple publish it, through
# Avahi's D-Bus API (tests/net/presence.py): a _presence._tcp service and a NULL
# record of about 1 KB (the buddy icon) on the instance name. At Brooklyn a plain
# mDNS question for the NULL record of "alice@host (manhattan)" returns the same
# bytes; then a TXT update alone (status=away) reaches Brooklyn within 2 s.
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
sites_done
