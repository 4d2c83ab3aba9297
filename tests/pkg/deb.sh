#!/usr/bin/env bash
# tests/pkg/deb.sh: the Debian package as an administrator gets it.
#
#   1. dpkg-buildpackage -us -uc -b from a clean copy of the source tree (the files
#      git knows, so no build directory leaks into the package)
#   2. lintian on the result: no errors
#   3. a clean Debian 12 (debootstrap --variant=minbase from the machine's apt
#      mirror) in a temporary directory; the package's dependencies installed there
#      by apt, then the package itself with apt-get install ./sitecast_*.deb
#   4. inside it: the user exists, the unit, the man pages and the example are
#      installed, the unit is not enabled; `sitecastd -n` validates the example
#      (with a key made by `sitecastctl keygen`)
#   5. apt-get purge sitecast: no file is left that was not there before it, and
#      the user is gone
#
# Run as root from the top of the source tree. SITECAST_DEB_MIRROR overrides the
# mirror (default: the first URIs of /etc/apt/sources.list.d/debian.sources).
# Prints how long each step took. Exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

t0=$(date +%s)
step() { echo "deb: $* ($(($(date +%s) - t0)) s)"; }
die() { echo "deb: FAIL: $*" >&2; exit 1; }

mirror=${SITECAST_DEB_MIRROR:-}
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources | head -1)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no apt mirror configured"

tmp=$(mktemp -d /tmp/sitecast-deb.XXXXXX)
root=$tmp/root
cleanup() {
	for m in proc dev/pts dev sys; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# 1. Build from a clean copy.
src=$tmp/src/sitecast
mkdir -p "$src"
git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$src"
step "building the package"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 || {
	tail -60 "$tmp/build.log"; die "dpkg-buildpackage failed"; }
deb=$(ls "$tmp"/src/sitecast_*.deb 2>/dev/null | grep -v dbgsym | head -1)
[ -n "$deb" ] || die "no sitecast_*.deb built"
changes=$(ls "$tmp"/src/sitecast_*.changes | head -1)
echo "deb: built $(basename "$deb")"

# 2. lintian.
step "lintian"
lintian --allow-root --fail-on error --info "$changes" >"$tmp/lintian.log" 2>&1 || {
	cat "$tmp/lintian.log"; die "lintian reports errors"; }
echo "deb: lintian summary: $(grep -c . "$tmp/lintian.log" || true) tags"
cat "$tmp/lintian.log"

# 3. A clean Debian 12 with the package's dependencies.
step "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
	tail -30 "$tmp/debootstrap.log"; die "debootstrap failed"; }
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

# The Depends field, alternatives reduced to their first, versions dropped.
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep .)
step "installing the dependencies: $(echo $deps)"
in_root apt-get update -qq >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; die "apt-get update"; }
# shellcheck disable=SC2086
in_root apt-get install -y -qq --no-install-recommends $deps >>"$tmp/apt.log" 2>&1 || {
	tail -30 "$tmp/apt.log"; die "installing the dependencies"; }

# What the system holds before the package (apt's and dpkg's own state, logs and
# caches aside, and the backups adduser/deluser make of the account files).
snapshot() {
	in_root find / -xdev \( -path /proc -o -path /dev -o -path /sys -o -path /tmp \
		-o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \
		-o -path /var/log -o -path /run \) -prune -o -print |
		grep -vE '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-$' | sort
}
snapshot >"$tmp/before"

step "installing $(basename "$deb")"
cp "$deb" "$root/tmp/"
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" \
	>>"$tmp/apt.log" 2>&1 || { tail -30 "$tmp/apt.log"; die "apt-get install of the package"; }

# 4. What the package installed.
failed=0
check() { # NAME COMMAND...
	local name=$1; shift
	if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; failed=1; fi
}
check "the user sitecast exists" bash -c "chroot '$root' getent passwd sitecast >/dev/null"
check "the unit is installed" test -f "$root/lib/systemd/system/sitecastd.service"
check "the unit waits for a configuration" \
	grep -q '^ConditionPathExists=/etc/sitecast/sitecast.yaml' \
	"$root/lib/systemd/system/sitecastd.service"
check "the unit is not enabled" \
	test -z "$(find "$root/etc/systemd/system" -name 'sitecastd.service' 2>/dev/null)"
for m in man8/sitecastd.8.gz man8/sitecastctl.8.gz man5/sitecast.yaml.5.gz; do
	check "man page $m" test -f "$root/usr/share/man/$m"
done
example=/usr/share/doc/sitecast/sitecast.example.yaml
check "the example configuration" test -f "$root$example"
check "sitecastctl keygen" bash -c "chroot '$root' sitecastctl keygen /tmp/node.pem >/dev/null"
sed 's|^key: .*|key: /tmp/node.pem|' "$root$example" >"$root/tmp/example.yaml"
if in_root sitecastd -n -c /tmp/example.yaml >"$tmp/n.out" 2>&1; then
	echo "PASS: sitecastd -n on the example"
else
	echo "FAIL: sitecastd -n on the example"; cat "$tmp/n.out"; failed=1
fi
rm -f "$root/tmp/node.pem" "$root/tmp/example.yaml" "$root/tmp/$(basename "$deb")"

# 5. Purge.
step "purging"
in_root apt-get purge -y -qq sitecast >>"$tmp/apt.log" 2>&1 || {
	tail -30 "$tmp/apt.log"; die "apt-get purge"; }
snapshot >"$tmp/after"
if diff -u "$tmp/before" "$tmp/after" >"$tmp/diff"; then
	echo "PASS: purge leaves no file behind"
else
	echo "FAIL: purge leaves no file behind"; cat "$tmp/diff"; failed=1
fi
check "purge removes the user" bash -c "! chroot '$root' getent passwd sitecast >/dev/null"
check "purge removes the group" bash -c "! chroot '$root' getent group sitecast >/dev/null"

step "done"
[ "$failed" -eq 0 ] || die "some checks failed"
echo "deb: all checks passed in $(($(date +%s) - t0)) s"
