#!/usr/bin/env bash
# privdrop.sh: started as root outside systemd with `user: nobody`, Manhattan's
# sitecastd binds its sockets, reads its key and then runs as nobody:nogroup for
# good (/proc/PID/status: every uid and gid, no other group). It still works: the
# link comes up, a printer crosses to Brooklyn, root reads its status over the
# control socket, which (with the directory the daemon made for it) belongs to
# nobody so that the daemon removes it at exit. SIGHUP reloads as nobody: with the
# configuration and key readable by nobody a policy change takes effect; with the
# configuration unreadable the reload is refused with a line naming the file, and
# the daemon goes on with the configuration it has. A user that does not exist
# stops the start with exit 1 and a line naming the user, before any socket opens.
set -u
. "$(dirname "$0")/sites.sh"

command -v getent >/dev/null || net_skip "getent not found"
getent passwd nobody >/dev/null || net_skip "no user nobody here"
uid=$(getent passwd nobody | cut -d: -f3)
gid=$(getent passwd nobody | cut -d: -f4)
group=$(getent group "$gid" | cut -d: -f1)

sites_init manhattan brooklyn
sites_host manhattan-h1
sites_host brooklyn-h1
sites_avahi manhattan-h1 printer brooklyn-h1 laptop
sites_keys

# What nobody must read: the configuration (0644 in a directory it may cross) and
# the key (0640, group nogroup); what it may not: the rest of $NET_TMP.
chmod 0711 "$NET_TMP"
chgrp "$group" "${SITES_KEY[manhattan]}"
chmod 0640 "${SITES_KEY[manhattan]}"
SITES_USER[manhattan]=nobody
SITES_CONTROL[manhattan]=$NET_TMP/run-manhattan/control.sock
SITES_IMPORT[brooklyn]=everything
sites_gw_start_all
sites_wait_links
pid=${SITES_GW_PID[manhattan]}
conf=${SITES_CONF[manhattan]}
chmod 0644 "$conf"

# ---------------------------------------------------------------- identity
ids=$(awk '/^(Uid|Gid):/ { $1 = $1; print }' "/proc/$pid/status" | tr '\n' ' ')
[ "$ids" = "Uid: $uid $uid $uid $uid Gid: $gid $gid $gid $gid " ] ||
	net_fail "sitecastd runs with '$ids', want uid $uid and gid $gid (nobody) everywhere"
groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$pid/status" | tr -s ' ')
[[ "$groups" =~ ^\ *($gid)?\ *$ ]] ||
	net_fail "sitecastd kept supplementary groups:$groups"
grep -q "running as user nobody (uid $uid, gid $gid)" "${SITES_GW_LOG[manhattan]}" ||
	net_fail "no 'running as user nobody' line in Manhattan's log"
net_pass "sitecastd runs as nobody:$group (uid $uid, gid $gid), no other group"

# ---------------------------------------------------------------- control socket
sock=${SITES_CONTROL[manhattan]}
own=$(stat -c '%U:%G %a' "$sock" "${sock%/*}" | tr '\n' ' ')
[ "$own" = "nobody:$group 600 nobody:$group 750 " ] ||
	net_fail "control socket and its directory are '$own', want nobody:$group 600 and 750"
st=$(timeout 5 "$SITECASTCTL" -s "$sock" status) || net_fail "sitecastctl status as root: $st"
grep -q '^site manhattan' <<<"$st" || net_fail "status does not name the site: $st"
net_pass "root reads the status; the socket (0600) and its directory belong to nobody"

# ---------------------------------------------------------------- a service crosses
sites_watch brooklyn-h1 _ipp._tcp
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
net_pass "the printer crosses from the unprivileged gateway"

# ---------------------------------------------------------------- reload as nobody
# "Files" (SMB) is not in Manhattan's export rule set (offices); after a reload
# with export: everything it crosses too.
sites_watch brooklyn-h1 _smb._tcp
sites_publish manhattan-h1 "Files" _smb._tcp 445
sleep 2
[ "$(sites_state brooklyn-h1 _smb._tcp "Files (manhattan)")" = absent ] ||
	net_fail "'Files' crossed before the policy allowed it"
SITES_EXPORT[manhattan]=everything
sites_config manhattan
chmod 0644 "$conf"
kill -HUP "$pid"
net_wait 5 grep -q 'configuration reloaded from' "${SITES_GW_LOG[manhattan]}" ||
	net_fail "no 'configuration reloaded' line after SIGHUP: $(tail -n 5 "${SITES_GW_LOG[manhattan]}")"
sites_wait_visible brooklyn-h1 _smb._tcp "Files (manhattan)" 10 ||
	net_fail "'Files (manhattan)' not in Brooklyn after the reload ($SITES_STATE)"
net_pass "SIGHUP as nobody: the new export policy is in force"

# An unreadable configuration: refused with a line naming it; nothing changes.
chmod 0600 "$conf"
kill -HUP "$pid"
refused() {
	grep -qF "$conf:1:1: cannot read the file: Permission denied" \
		"${SITES_GW_LOG[manhattan]}" &&
		grep -q 'configuration reload refused: user nobody may not read' \
			"${SITES_GW_LOG[manhattan]}"
}
net_wait 5 refused ||
	net_fail "no clear refusal of the unreadable configuration: $(tail -n 5 "${SITES_GW_LOG[manhattan]}")"
grep -E 'Permission denied|reload refused' "${SITES_GW_LOG[manhattan]}"
sleep 1
sites_gw_alive manhattan
st=$(timeout 5 "$SITECASTCTL" -s "$sock" status) || net_fail "no status after the refused reload"
grep -qE '^  brooklyn +up ' <<<"$st" || net_fail "link not up after the refused reload: $st"
[[ $(sites_state brooklyn-h1 _ipp._tcp "Printer A (manhattan)") =~ ^resolved ]] ||
	net_fail "the printer left Brooklyn after the refused reload"
net_pass "an unreadable configuration is refused with a clear line; the running one stays"

# ---------------------------------------------------------------- clean exit
sites_gw_kill manhattan TERM || net_fail "sitecastd (as nobody) did not exit 0 on SIGTERM"
[ ! -e "$sock" ] || net_fail "control socket $sock left behind at exit"
net_pass "SIGTERM: exit 0, control socket removed by the unprivileged daemon"

# ---------------------------------------------------------------- no such user
bad=$NET_TMP/nosuchuser.yaml
sed 's/^user: nobody$/user: sc-no-such-user/' "$conf" >"$bad"
grep -q '^user: sc-no-such-user$' "$bad" || net_fail "could not write $bad"
net_in manhattan-gw timeout 10 "$SITECASTD" -f -c "$bad" >"$NET_TMP/nosuchuser.out" 2>&1
rc=$?
cat "$NET_TMP/nosuchuser.out"
[ "$rc" -eq 1 ] || net_fail "with a user that does not exist: exit status $rc, want 1"
grep -q "no user 'sc-no-such-user'" "$NET_TMP/nosuchuser.out" ||
	net_fail "no line naming the missing user"
[ "$(wc -l <"$NET_TMP/nosuchuser.out")" -eq 1 ] ||
	net_fail "more than one line (something was opened before the user was checked)"
net_pass "a user that does not exist: exit 1, one line naming it"
sites_done
exit 0
