#!/usr/bin/env bash
# check_config.sh: `sitecastd -n` accepts doc/sitecast.example.yaml and rejects
# broken variants of it with the exact FILE:LINE:COLUMN line, exit status 1.
#
# Uses $top_builddir/sitecastd and $top_srcdir (exported by `make check`).
# Exit 0 when every case passes, 1 otherwise.
set -u

: "${top_builddir:?top_builddir is not set}"
: "${top_srcdir:?top_srcdir is not set}"
sitecastd=$top_builddir/sitecastd
example=$top_srcdir/doc/sitecast.example.yaml
if [ ! -x "$sitecastd" ] || [ ! -f "$example" ]; then
	echo "check_config: missing $sitecastd or $example"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The example names /etc/sitecast/node.pem: point it at a key file that exists.
key=$tmp/node.pem
printf -- '-----BEGIN PRIVATE KEY-----\n' >"$key"
good=$tmp/sitecast.yaml
sed "s|^key: .*|key: $key|" "$example" >"$good"

failed=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failed=1
}

# Line number of the first line of the valid file matching an extended regex.
line_of() {
	grep -nE -m1 -- "$1" "$good" | cut -d: -f1
}

# run NAME FILE STATUS EXPECTED: sitecastd -n -c FILE must exit STATUS and print
# exactly EXPECTED (newline-separated lines) on stderr and nothing on stdout.
run() {
	local name=$1 file=$2 status=$3 want=$4 out err rc
	out=$("$sitecastd" -n -c "$file" 2>"$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
	if [ "$rc" -ne "$status" ]; then
		fail "$name: exit status $rc, expected $status"
	elif [ -n "$out" ]; then
		fail "$name: unexpected output on stdout: $out"
	elif [ "$err" != "$want" ]; then
		fail "$name: stderr differs"
		printf '  expected: %s\n' "$want"
		printf '  got:      %s\n' "$err"
	else
		pass "$name"
	fi
}

# broken NAME SED-SCRIPT EXPECTED: the valid file edited by SED-SCRIPT must fail
# with EXPECTED, where FILE stands for the edited file's path.
broken() {
	local name=$1 script=$2 want=$3 f=$tmp/$1.yaml
	sed "$script" "$good" >"$f"
	if cmp -s "$f" "$good"; then
		fail "$name: the sed script changed nothing"
		return
	fi
	run "$name" "$f" 1 "${want//FILE/$f}"
}

run "example is valid" "$good" 0 ""

n=$(line_of '^site:')
broken bad-site 's/^site: manhattan/site: Manhattan/' \
	"FILE:$n:7: invalid site name 'Manhattan': use 1 to 32 lowercase letters, digits and '-'"

n=$(line_of '^interfaces:')
s=$(line_of '^site:')
broken unknown-key 's/^interfaces:/interface:/' \
	"FILE:$s:1: missing required key 'interfaces'
FILE:$n:1: unknown key 'interface' (did you mean 'interfaces'?)"

n=$(line_of '^listen:')
broken bad-port 's/^listen: .*/listen: "172.16.1.12:99999"/' \
	"FILE:$n:9: invalid listen address '172.16.1.12:99999': the port must be a number from 1 to 65535"

n=$(line_of '^key:')
broken missing-key "s|^key: .*|key: $tmp/missing.pem|" \
	"FILE:$n:6: cannot read key file $tmp/missing.pem: No such file or directory"

n=$(line_of '^    fingerprint:')
broken bad-fingerprint 's/^    fingerprint: .*/    fingerprint: "sha256:abc"/' \
	"FILE:$n:18: invalid fingerprint 'sha256:abc': expected sha256: and 44 base64 characters"

n=$(line_of '^    export:')
broken missing-rule-set 's/^    export: .*/    export: shared-with-office/' \
	"FILE:$n:13: unknown rule set 'shared-with-office' (did you mean 'shared-with-offices'?)"

n=$(line_of 'from: 192.168.1.0/24, to:')
broken map-prefix-lengths 's|to: 10.101.1.0/24|to: 10.101.0.0/16|' \
	"FILE:$n:39: 'from' and 'to' must have the same prefix length (/24 and /16)"

n=$(line_of '^      link-local:')
first=$(line_of '^    name:')
broken duplicate-peer "/^      link-local:/a\\
  - name: brooklyn\\
    fingerprint: \"sha256:jk8w8OeC30KXwOuHV1YEcu7IKJfq6OsRFC7Tg+uiFYI=\"" \
	"FILE:$((n + 1)):11: duplicate peer 'brooklyn' (first at line $first)"

n=$(line_of '^site:')
broken anchor 's/^site: manhattan/site: \&s manhattan/' \
	"FILE:$n:7: anchors and aliases are not supported"

n=$(($(wc -l <"$good") + 1))
broken two-documents '$a\
---' \
	"FILE:$n:1: only one YAML document is allowed"

n=$(line_of '^  publish:')
broken boolean 's/^  publish: false/  publish: yes/' \
	"FILE:$n:12: expected true or false for 'publish'"

n=$(line_of '^  peer-grace:')
broken bounds 's/^  peer-grace: 60/  peer-grace: 86401/' \
	"FILE:$n:15: expected an integer from 0 to 86400 for 'peer-grace'"

n=$(line_of '_ipps._tcp')
broken rule-key 's/{ service: _ipps._tcp }/{ servise: _ipps._tcp }/' \
	"FILE:$n:16: unknown key 'servise' (did you mean 'service'?)"

n=$(line_of '^names:')
broken tab 's/^names:/\tnames:/' \
	"FILE:$n:1: syntax error: found character that cannot start any token (while scanning for the next token at line $n)"

n=$(line_of '^site:')
broken not-utf8 's/^site: manhattan/site: manh\xe9ttan/' \
	"FILE:$n:11: the file is not valid UTF-8"

# Every error of a file at once, in file order.
k=$(line_of '^key:')
p=$(line_of '^    name:')
f=$(line_of '^    fingerprint:')
broken several-errors "s/^site: manhattan/site: brooklyn/; s|^key: .*|key: $tmp|; s/^    fingerprint: .*/    fingerprint: \"sha256:\"/" \
	"FILE:$k:6: cannot read key file $tmp: not a regular file
FILE:$p:11: peer 'brooklyn' has the name of this site
FILE:$f:18: invalid fingerprint 'sha256:': expected sha256: and 44 base64 characters"

: >"$tmp/empty.yaml"
run "empty file" "$tmp/empty.yaml" 1 "$tmp/empty.yaml:1:1: the configuration is empty"
run "missing file" "$tmp/none.yaml" 1 \
	"$tmp/none.yaml:1:1: cannot read the file: No such file or directory"
run "directory" "$tmp" 1 "$tmp:1:1: cannot read the file: not a regular file"

# Usage errors: exit 1 with the usage line.
usage="usage: sitecastd [-c FILE] [-n] [-f] [-v]..."
for args in "-x" "-c" "-n extra"; do
	# shellcheck disable=SC2086
	err=$("$sitecastd" $args 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qxF -- "$usage" <<<"$err"; then
		pass "usage error: sitecastd $args"
	else
		fail "usage error: sitecastd $args: exit $rc, stderr: $err"
	fi
done

exit $failed
