#!/usr/bin/env bash
# s2_policy.sh: only what the policy allows crosses, in both directions. The rule set
# "offices" (sites.sh) allows _ipp._tcp but instances named "Secret*", denies _ssh._tcp
# by a rule and _http._tcp by default (no rule matches). Brooklyn applies it to what it
# imports and to what it exports; Manhattan exports and imports everything. So:
#  - Manhattan -> Brooklyn tests the import side: only "Printer A" is seen in Brooklyn,
#    not "Secret Printer" (same type, instance glob), "Shell A" nor "Web A" (types);
#  - Brooklyn -> Manhattan tests the export side, the same way with "Printer B".
# The denied ones are published with the allowed one; the test waits until the allowed
# one appears, then 3 s more, and then looks for any trace of the denied ones.
set -u
. "$(dirname "$0")/sites.sh"

SITES_EXPORT[manhattan]=everything
SITES_IMPORT[manhattan]=everything
SITES_EXPORT[brooklyn]=offices
SITES_IMPORT[brooklyn]=offices
sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp
sites_watch manhattan-h1 _ipp._tcp

SITES_PUB_NOWAIT=1
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Secret Printer" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Shell A" _ssh._tcp 22
sites_publish manhattan-h1 "Web A" _http._tcp 80
sites_publish brooklyn-h1 "Printer B" _ipp._tcp 631 "txt=1"
sites_publish brooklyn-h1 "Secret Plotter" _ipp._tcp 631 "txt=1"
sites_publish brooklyn-h1 "Shell B" _ssh._tcp 22
sites_publish brooklyn-h1 "Web B" _http._tcp 80
for name in "Printer A" "Secret Printer" "Shell A" "Web A" "Printer B" "Secret Plotter" \
	"Shell B" "Web B"; do
	sites_wait_published "$name"
done

sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "allowed 'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"
sites_wait_visible manhattan-h1 _ipp._tcp "Printer B (brooklyn)" 10 ||
	net_fail "allowed 'Printer B (brooklyn)' not resolved in Manhattan ($SITES_STATE)"
net_pass "the allowed printers crossed both ways"
sleep 3

# check_none KEY DIRECTION NAME...: no service of the three types at KEY has a name
# that starts with one of NAMEs (renamed or not), listed or resolved.
check_none() {
	local key=$1 what=$2 type name events
	shift 2
	for type in _ipp._tcp _ssh._tcp _http._tcp; do
		events=$(sites_browse "$key" "$type")
		printf '%s\n' "$events" | awk -F'\t' '$1 == "=" { print "  " $3, $4, $7, $8 }'
		for name in "$@"; do
			if awk -F'\t' -v n="$name" 'index($4, n) == 1' <<<"$events" | grep .; then
				net_fail "$what: denied '$name' ($type) is seen at $key"
			fi
		done
	done
}
check_none brooklyn-h1 "import policy" "Secret Printer" "Shell A" "Web A"
net_pass "import policy: 'Secret Printer' (instance), _ssh._tcp (rule), _http._tcp (default) not in Brooklyn"
check_none manhattan-h1 "export policy" "Secret Plotter" "Shell B" "Web B"
net_pass "export policy: 'Secret Plotter' (instance), _ssh._tcp (rule), _http._tcp (default) not in Manhattan"

# The allowed ones are still there (the denied ones did not disturb them).
[ "$(sites_resolved brooklyn-h1 _ipp._tcp | awk -F'\t' '$4 == "Printer A (manhattan)"' |
	wc -l)" -ge 1 ] || net_fail "'Printer A (manhattan)' no longer resolved in Brooklyn"
sites_done
exit 0
