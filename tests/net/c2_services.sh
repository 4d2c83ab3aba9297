#!/usr/bin/env bash
# c2_services.sh: `sitecastctl services` and `explain` answer "why does Brooklyn (not)
# see it?" down to the rule of the configuration that decided.
#
# Manhattan and Brooklyn with the rule set "offices" of sites.sh both ways:
#   - deny:  { service: _ipp._tcp, instance: "Secret*" }   rule 1
#   - allow: { service: _ipp._tcp }                        rule 2
#   - deny:  { service: _ssh._tcp }                        rule 3
# Manhattan publishes "Printer A" (allowed by rule 2), "Secret Printer" (denied by rule
# 1) and "Web A" (_http._tcp: no rule matches). Checked, with each rule's line computed
# from the YAML file itself (grep -n):
#   - Manhattan's services --json (parsed with python3's json): Printer A exported to
#     brooklyn by rule 2 at manhattan.yaml:LINE, Secret Printer not exported by rule 1
#     at its line, Web A not exported, no rule matched; the text table lists them;
#   - Brooklyn's services --json: "Printer A (manhattan)" from origin manhattan, named
#     "Printer A" there, at the mapped address 10.101.1.10 (no unmapped one), imported by rule 2 of
#     brooklyn.yaml, seen a few seconds ago; nothing of Secret Printer or Web A;
#   - explain of the local form at Manhattan and of the renamed form at Brooklyn (exit
#     0, the rule and FILE:LINE), of the denied one (the deny rule's FILE:LINE), and of
#     names no cache holds (exit 1, "no service named" on stderr, what the rules would
#     decide on stdout).
set -u
. "$(dirname "$0")/sites.sh"

sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp
SITES_PUB_NOWAIT=1
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Secret Printer" _ipp._tcp 631 "txt=1"
sites_publish manhattan-h1 "Web A" _http._tcp 80
for name in "Printer A" "Secret Printer" "Web A"; do
	sites_wait_published "$name"
done
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn within 10 s ($SITES_STATE)"

mconf=${SITES_CONF[manhattan]}
bconf=${SITES_CONF[brooklyn]}
# line FILE TEXT: the line number of the one line of FILE holding TEXT.
line() {
	local n
	n=$(grep -nF -- "$2" "$1" | cut -d: -f1)
	[[ $n =~ ^[0-9]+$ ]] || net_fail "no single line '$2' in $1: '$n'"
	echo "$n"
}
deny_line=$(line "$mconf" 'deny:  { service: _ipp._tcp, instance: "Secret*" }')
allow_line=$(line "$mconf" 'allow: { service: _ipp._tcp }')
ballow_line=$(line "$bconf" 'allow: { service: _ipp._tcp }')
net_log "rule lines: Manhattan deny $deny_line allow $allow_line, Brooklyn allow $ballow_line"

ctl() { # SITE ARGS...: sitecastctl -s SITE's socket ARGS, output to stdout
	local site=$1
	shift
	timeout 10 "$SITECASTCTL" -s "$(sites_control "$site")" "$@"
}

# Manhattan's LAN cache holds all three once their announcements were heard; the
# denied ones are not waited for anywhere else, so poll for them here.
has_all() {
	ctl manhattan services --json >"$NET_TMP/services-manhattan.json" 2>&1 &&
		"$NET_PYTHON" -c '
import json, sys
j = json.load(open(sys.argv[1]))
names = {s["name"] for s in j["local"]}
sys.exit(0 if {"Printer A", "Secret Printer", "Web A"} <= names else 1)' \
			"$NET_TMP/services-manhattan.json"
}
net_wait 10 has_all || net_fail "Manhattan's services do not list all three: $(cat "$NET_TMP/services-manhattan.json")"

"$NET_PYTHON" - "$NET_TMP/services-manhattan.json" "$mconf" "$allow_line" "$deny_line" <<'PY' ||
import json, sys
j = json.load(open(sys.argv[1]))
conf, allow_line, deny_line = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bad = []
def want(c, what):
    if not c:
        bad.append(what)
want(j["site"] == "manhattan", "site %r" % j.get("site"))
loc = {s["name"]: s for s in j["local"]}
def export(name):
    e = [d for d in loc[name]["exports"] if d["remote"] == "brooklyn"]
    want(len(e) == 1, "%s: exports to brooklyn %r" % (name, e))
    return e[0] if e else {}
p = loc["Printer A"]
want(p["type"] == "_ipp._tcp" and p["port"] == 631, "Printer A type/port %r" % p)
want(p["host"].endswith(".local") and "192.168.1.10" in p["addresses"],
     "Printer A host/addresses %r %r" % (p["host"], p["addresses"]))
e = export("Printer A")
want(e.get("kind") == "peer" and e.get("up") is True, "Printer A: brooklyn %r" % e)
want(e.get("decision") == "allow" and e.get("exported") is True, "Printer A not exported: %r" % e)
want(e.get("rule_set") == "offices" and e.get("rule") == 2, "Printer A: rule %r" % e)
want(e.get("file") == conf and e.get("line") == allow_line,
     "Printer A: %s:%s, want %s:%d" % (e.get("file"), e.get("line"), conf, allow_line))
e = export("Secret Printer")
want(e.get("decision") == "deny" and e.get("exported") is False, "Secret Printer exported: %r" % e)
want(e.get("rule") == 1 and e.get("file") == conf and e.get("line") == deny_line,
     "Secret Printer: rule %s at %s:%s, want 1 at %s:%d" % (e.get("rule"), e.get("file"),
                                                        e.get("line"), conf, deny_line))
e = export("Web A")
want(e.get("decision") == "deny" and e.get("rule") is None and e.get("line") is None,
     "Web A: %r" % e)
want("no rule matched" in e.get("why", ""), "Web A why: %r" % e.get("why"))
want(j["remote"] == [], "Manhattan holds remote services: %r" % j["remote"])
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
	net_fail "Manhattan's services --json (above)"
net_pass "Manhattan: Printer A exported by rule 2 at line $allow_line, Secret Printer denied by rule 1 at line $deny_line, Web A by no rule"

txt=$(ctl manhattan services) || net_fail "sitecastctl services of Manhattan failed: $txt"
printf '%s\n' "$txt" >"$NET_TMP/services-manhattan.out"
net_log "Manhattan's services:"
printf '%s\n' "$txt" | sed 's/^/    /' >&2
grep -qE "^  Printer A +_ipp\._tcp +[^ ]+\.local +631 +192\.168\.1\.10" <<<"$txt" ||
	net_fail "the text table has no row for Printer A"
grep -qF "to brooklyn (peer, up): not exported; deny: rule 1 of rule set offices at $mconf:$deny_line" <<<"$txt" ||
	net_fail "the text table does not show Secret Printer's deny rule"

out=$(ctl brooklyn services --json) || net_fail "sitecastctl services --json of Brooklyn failed: $out"
printf '%s\n' "$out" >"$NET_TMP/services-brooklyn.json"
"$NET_PYTHON" - "$NET_TMP/services-brooklyn.json" "$bconf" "$ballow_line" <<'PY' ||
import json, sys
j = json.load(open(sys.argv[1]))
conf, allow_line = sys.argv[2], int(sys.argv[3])
bad = []
def want(c, what):
    if not c:
        bad.append(what)
rem = {s["name"]: s for s in j["remote"]}
want(set(rem) == {"Printer A (manhattan)"}, "Brooklyn's remote services: %r" % sorted(rem))
r = rem.get("Printer A (manhattan)", {})
want(r.get("origin") == "manhattan" and r.get("origin_name") == "Printer A",
     "origin %r name there %r" % (r.get("origin"), r.get("origin_name")))
want(r.get("host", "").endswith("-manhattan.local"), "host %r" % r.get("host"))
want(r.get("port") == 631 and "10.101.1.10" in r.get("addresses", []) and
     not [a for a in r.get("addresses", []) if a.startswith("192.168.") or a.startswith("fd00:")],
     "port %r addresses %r" % (r.get("port"), r.get("addresses")))
want(isinstance(r.get("last_seen_s"), int) and 0 <= r["last_seen_s"] < 120,
     "last seen %r" % r.get("last_seen_s"))
i = r.get("import") or {}
want(i.get("remote") == "manhattan" and i.get("decision") == "allow" and
     i.get("imported") is True, "import %r" % i)
want(i.get("rule") == 2 and i.get("file") == conf and i.get("line") == allow_line,
     "import rule %r, want 2 at %s:%d" % (i, conf, allow_line))
want(j["local"] == [], "Brooklyn holds local services: %r" % j["local"])
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
	net_fail "Brooklyn's services --json (above)"
txt=$(ctl brooklyn services) || net_fail "sitecastctl services of Brooklyn failed: $txt"
printf '%s\n' "$txt" >"$NET_TMP/services-brooklyn.out"
net_log "Brooklyn's services:"
printf '%s\n' "$txt" | sed 's/^/    /' >&2
grep -qE "^  Printer A \(manhattan\) +_ipp\._tcp +printer-manhattan\.local +631 +10\.101\.1\.10[^ ]* +manhattan +Printer A +[0-9]+ s ago" <<<"$txt" ||
	net_fail "Brooklyn's text table has no row for Printer A (manhattan)"
net_pass "Brooklyn: Printer A (manhattan) from manhattan at 10.101.1.10, imported by rule 2 at line $ballow_line"

# explain SITE NAME WANT_RC: sitecastctl explain; stdout in EXPLAIN, stderr in EXPLAIN_ERR.
explain() {
	local rc
	EXPLAIN=$(ctl "$1" explain "$2" 2>"$NET_TMP/explain.err")
	rc=$?
	EXPLAIN_ERR=$(cat "$NET_TMP/explain.err")
	printf '$ sitecastctl explain "%s"   (at %s, exit %d)\n%s\n%s\n' "$2" "$1" "$rc" \
		"$EXPLAIN_ERR" "$EXPLAIN" >>"$NET_TMP/explain.out"
	[ "$rc" = "$3" ] || net_fail "explain '$2' at $1: exit $rc, want $3: $EXPLAIN_ERR $EXPLAIN"
}
explain manhattan "Secret Printer._ipp._tcp.local" 0
grep -qF "export to brooklyn (peer, up): deny: rule 1 of rule set offices at $mconf:$deny_line" <<<"$EXPLAIN" ||
	net_fail "explain of Secret Printer: $EXPLAIN"
explain manhattan "printer a._ipp._tcp.local." 0
grep -qF "export to brooklyn (peer, up): allow: rule 2 of rule set offices at $mconf:$allow_line" <<<"$EXPLAIN" ||
	net_fail "explain of Printer A (any case, final dot): $EXPLAIN"
explain brooklyn "Printer A (manhattan)._ipp._tcp.local" 0
grep -qF 'from manhattan (peer, up), named "Printer A._ipp._tcp.local" there' <<<"$EXPLAIN" &&
	grep -qF "import from manhattan (peer, up): allow: rule 2 of rule set offices at $bconf:$ballow_line" <<<"$EXPLAIN" ||
	net_fail "explain of the renamed form: $EXPLAIN"
net_pass "explain: the local form, the renamed form, the denied one, by FILE:LINE"

explain brooklyn "Secret Printer (manhattan)._ipp._tcp.local" 1
grep -q "no service named" <<<"$EXPLAIN_ERR" || net_fail "explain of an unknown name: stderr $EXPLAIN_ERR"
grep -qF "import from manhattan (peer, up): deny: rule 1 of rule set offices at $bconf:" <<<"$EXPLAIN" ||
	net_fail "explain of a name not held: $EXPLAIN"
explain manhattan "Web A._http._tcp" 0
grep -qF "export to brooklyn (peer, up): deny: no rule matched (rule set offices)" <<<"$EXPLAIN" ||
	net_fail "explain of Web A: $EXPLAIN"
explain manhattan "Fax._ipp._tcp.local" 1
grep -qF "export to brooklyn (peer, up): allow: rule 2 of rule set offices at $mconf:$allow_line" <<<"$EXPLAIN" ||
	net_fail "explain of a name no cache holds: $EXPLAIN"
explain manhattan "not a service name" 1
grep -q "not a service instance name" <<<"$EXPLAIN_ERR" || net_fail "explain of a bad name: $EXPLAIN_ERR"
out=$(ctl brooklyn explain "Printer A (manhattan)._ipp._tcp.local" --json) ||
	net_fail "explain --json failed: $out"
"$NET_PYTHON" -c '
import json, sys
j = json.loads(sys.argv[1])
s = j["services"][0]
assert j["known"] and not s["local"], j
assert s["service"]["origin_name"] == "Printer A", s
assert s["service"]["import"]["decision"] == "allow", s' "$out" ||
	net_fail "explain --json: $out"
cat "$NET_TMP/explain.out" >&2
net_pass "explain of names not held says what the rules would decide (exit 1); --json parses"
sites_done
exit 0
