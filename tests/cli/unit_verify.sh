#!/usr/bin/env bash
# unit_verify.sh: the generated systemd/sitecastd.service is a unit systemd accepts
# (`systemd-analyze verify`) and runs sitecastd the way sitecastd(8) says it must run
# under systemd: Type=notify, the configuration checked first (-n), no fork (-f),
# reload by SIGHUP, a dedicated user. The sysusers file that creates that user is
# generated under the name systemd-sysusers reads.
#
# The unit names the installed programs, which make check has not installed: the
# copy that is verified points ExecStartPre and ExecStart at the built sitecastd.
# Skips (77) where systemd-analyze is not installed (Debian package systemd).
set -u

: "${top_builddir:?top_builddir is not set}"
unit=$top_builddir/systemd/sitecastd.service
sysusers=$top_builddir/systemd/sitecast.conf
sitecastd=$(cd "$top_builddir" && pwd)/sitecastd
for f in "$unit" "$sysusers" "$sitecastd"; do
	if [ ! -e "$f" ]; then
		echo "FAIL: $f not built (make)"
		exit 1
	fi
done

failed=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failed=1
}

# has NAME REGEX: a line of the unit matches the extended regex.
has() {
	if grep -qE -- "$2" "$unit"; then pass "$1"; else fail "$1: no line /$2/ in the unit"; fi
}

has "Type=notify" '^Type=notify$'
has "configuration checked before start" '^ExecStartPre=/[^ ]*/sitecastd -n -c /[^ ]*/sitecast\.yaml$'
has "no fork, logs on stderr" '^ExecStart=/[^ ]*/sitecastd -f -c /[^ ]*/sitecast\.yaml$'
has "reload by SIGHUP" '^ExecReload=/bin/kill -HUP \$MAINPID$'
has "dedicated user" '^User=sitecast$'
has "no capabilities" '^CapabilityBoundingSet=$'
if grep -q '@[a-z]*@' "$unit"; then
	fail "unsubstituted @variables@ in the unit: $(grep '@[a-z]*@' "$unit")"
fi
if grep -qE '^u sitecast ' "$sysusers"; then
	pass "sysusers file creates user sitecast"
else
	fail "sysusers file does not create user sitecast"
fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found (install the Debian package systemd)"
	[ "$failed" -eq 0 ] && exit 77
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -E "s|^(ExecStart(Pre)?=)[^ ]*/sitecastd |\\1$sitecastd |" "$unit" >"$tmp/sitecastd.service"
# --man=no: the man pages named in Documentation= are not installed yet. A warning
# about the unit (an unknown or misspelled setting) counts as a failure too.
if out=$(systemd-analyze verify --man=no "$tmp/sitecastd.service" 2>&1) &&
	! grep -q 'sitecastd\.service' <<<"$out"; then
	pass "systemd-analyze verify accepts the unit"
else
	fail "systemd-analyze verify: $out"
fi
exit "$failed"
