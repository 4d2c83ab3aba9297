#!/usr/bin/env bash
# ctl_keys.sh: `sitecastctl keygen` and `sitecastctl fingerprint` as sitecastctl(8)
# says: a new key and certificate in one file of mode 0600, never overwriting; the
# fingerprint in the sha256:BASE64 form, the same for the key and the certificate,
# and the digest of the public key's DER SubjectPublicKeyInfo; one-line errors, exit 1.
#
# Uses $top_builddir/sitecastctl (exported by `make check`).
set -u

: "${top_builddir:?top_builddir is not set}"
ctl=$top_builddir/sitecastctl
if [ ! -x "$ctl" ]; then
	echo "ctl_keys: missing $ctl"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failed=1
}
check() { # check NAME COMMAND...: the command must succeed
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_error NAME NEEDLE ARGS...: exit 1, nothing on stdout, one stderr line with NEEDLE
expect_error() {
	local name=$1 needle=$2 out err rc
	shift 2
	out=$("$ctl" "$@" 2>"$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
	if [ "$rc" -ne 1 ]; then
		fail "$name: exit status $rc, expected 1"
	elif [ -n "$out" ]; then
		fail "$name: unexpected stdout: $out"
	elif ! grep -qF -- "$needle" "$tmp/stderr"; then
		fail "$name: stderr lacks '$needle': $err"
	else
		pass "$name"
	fi
}

fp_re='^sha256:[A-Za-z0-9+/]{43}=$'
key=$tmp/node.pem

fp=$(umask 000 && "$ctl" keygen "$key")
check "keygen exits 0" test $? -eq 0
check "keygen prints a fingerprint" grep -qE "$fp_re" <<<"$fp"
check "key file has mode 0600 whatever the umask" test "$(stat -c %a "$key")" = 600
check "key file holds a private key" grep -q -- '-----BEGIN PRIVATE KEY-----' "$key"
check "key file holds a certificate" grep -q -- '-----BEGIN CERTIFICATE-----' "$key"

check "fingerprint of the key file matches keygen" test "$("$ctl" fingerprint "$key")" = "$fp"
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$key" >"$tmp/cert.pem"
check "fingerprint of the certificate alone is the same" \
	test "$("$ctl" fingerprint "$tmp/cert.pem")" = "$fp"

if command -v openssl >/dev/null; then
	want=sha256:$(openssl pkey -in "$key" -pubout -outform DER | openssl dgst -sha256 -binary |
		base64 -w0)
	check "fingerprint is SHA-256 of the DER SubjectPublicKeyInfo" test "$want" = "$fp"
	openssl pkey -in "$key" -pubout -out "$tmp/pub.pem" 2>/dev/null
	check "fingerprint of a public key file is the same" \
		test "$("$ctl" fingerprint "$tmp/pub.pem")" = "$fp"
else
	echo "SKIP: openssl command not installed: no independent fingerprint check"
fi

fp2=$("$ctl" keygen "$tmp/other.pem")
check "a second key has another fingerprint" test "$fp2" != "$fp"

sum=$(sha256sum "$key")
expect_error "keygen refuses an existing file" "$key: already exists" keygen "$key"
check "the existing file is untouched" test "$(sha256sum "$key")" = "$sum"
expect_error "keygen into a missing directory" "$tmp/no/such.pem: No such file or directory" \
	keygen "$tmp/no/such.pem"
check "a failed keygen leaves no file" test ! -e "$tmp/no/such.pem"

expect_error "fingerprint of a missing file" "$tmp/missing.pem: No such file or directory" \
	fingerprint "$tmp/missing.pem"
echo "not a key" >"$tmp/junk"
expect_error "fingerprint of a file with no key" "$tmp/junk: no private key" fingerprint "$tmp/junk"
expect_error "unknown command" "unknown command 'frobnicate'" frobnicate
expect_error "no command" "usage:"
expect_error "keygen without a file" "usage:" keygen

exit $failed
