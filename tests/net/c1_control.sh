#!/usr/bin/env bash
# c1_control.sh: the control socket as an administrator's tools use it.
#
# Manhattan and Brooklyn, one printer published in Manhattan and seen in Brooklyn.
# `sitecastctl metrics` of both gateways is parsed with prometheus_client's parser of
# the text exposition format: each metric has HELP and TYPE, counters end in _total,
# sitecast_peer_up{peer=...} is 1 for the live link, Manhattan's
# sitecast_peer_records_out_total{peer="brooklyn"} and Brooklyn's records_in from
# manhattan are > 0, and the cache gauges agree with `status --json`. Then
# tests/net/ctl_probe.py sends malformed and oversized requests to Manhattan's
# socket: each gets a one-line error, and afterwards the daemon still runs and still
# answers status. The socket is mode 0600.
set -u
. "$(dirname "$0")/sites.sh"

"$NET_PYTHON" -c 'import prometheus_client' 2>/dev/null ||
	net_skip "python3-prometheus-client is not installed"

sites_setup manhattan brooklyn
sites_watch brooklyn-h1 _ipp._tcp
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn within 10 s ($SITES_STATE)"

# metrics SITE: checks SITE's metrics and prints "records_out records_in" for its peer.
check_metrics() { # SITE PEER
	local out
	out=$(timeout 10 "$SITECASTCTL" -s "$(sites_control "$1")" metrics) ||
		net_fail "sitecastctl metrics of $1 failed: $out"
	printf '%s\n' "$out" >"$NET_TMP/metrics-$1.out"
	local json
	json=$(sites_status_json "$1")
	"$NET_PYTHON" - "$NET_TMP/metrics-$1.out" "$2" "$json" <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
peer = sys.argv[2]
status = json.loads(sys.argv[3])
fam = {}
for f in text_string_to_metric_families(text):
    fam[f.name] = f
bad = []
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ", 3)
        if not name.startswith("sitecast_"):
            bad.append("name without sitecast_: " + name)
        if typ == "counter" and not name.endswith("_total"):
            bad.append("counter without _total: " + name)
for f in fam.values():
    if not f.documentation:
        bad.append("no HELP for " + f.name)


def value(name, **labels):
    # prometheus_client strips _total from a counter family's name.
    f = fam.get(name) or fam.get(name[:-6] if name.endswith("_total") else name)
    if f is None:
        bad.append("no metric " + name)
        return None
    for s in f.samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    bad.append("no sample %s%s" % (name, labels))
    return None


def want(cond, what):
    if not cond:
        bad.append(what)


up = value("sitecast_peer_up", peer=peer)
want(up == 1, "sitecast_peer_up{peer=%s} is %s, want 1" % (peer, up))
want(fam["sitecast_peer_up"].type == "gauge", "sitecast_peer_up is not a gauge")
want(fam["sitecast_peer_records_out"].type == "counter",
     "sitecast_peer_records_out_total is not a counter")
out_ = value("sitecast_peer_records_out_total", peer=peer)
in_ = value("sitecast_peer_records_in_total", peer=peer)
sp = [p for p in status["peers"] if p["name"] == peer][0]
want(out_ == sp["records_out"] or out_ is None or out_ <= sp["records_out"],
     "records out %s, status says %s" % (out_, sp["records_out"]))
loc = value("sitecast_cache_records", origin="local")
rem = value("sitecast_cache_records", origin="remote")
want(loc == status["cache"]["local"], "local cache %s, status %s" % (loc, status["cache"]["local"]))
want(rem == status["cache"]["remote"], "remote cache %s, status %s" % (rem, status["cache"]["remote"]))
value("sitecast_lan_packets_in_total")
value("sitecast_dropped_total", reason="own")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("%d %d" % (out_, in_))
PY
}

m=$(check_metrics manhattan brooklyn) || net_fail "Manhattan's metrics: $m"
b=$(check_metrics brooklyn manhattan) || net_fail "Brooklyn's metrics: $b"
net_log "records out/in: Manhattan to Brooklyn $m, Brooklyn from Manhattan $b"
[ "${m%% *}" -gt 0 ] || net_fail "Manhattan's records out to brooklyn is ${m%% *}"
[ "${b##* }" -gt 0 ] || net_fail "Brooklyn's records in from manhattan is ${b##* }"
net_pass "metrics parse as Prometheus text: peer up 1, records crossed ($m / $b)"

sock=$(sites_control manhattan)
mode=$(stat -c %a "$sock")
[ "$mode" = 600 ] || net_fail "the control socket has mode $mode, want 600"
"$NET_PYTHON" "$(dirname "$0")/ctl_probe.py" "$sock" >"$NET_TMP/probe.out" 2>&1
rc=$?
cat "$NET_TMP/probe.out"
[ $rc -eq 0 ] || net_fail "a malformed request did not get a one-line error"
sites_gw_alive manhattan || net_fail "sitecastd of Manhattan died on a malformed request"
st=$(timeout 10 "$SITECASTCTL" -s "$sock" status) ||
	net_fail "sitecastd of Manhattan no longer answers status: $st"
grep -q '^site manhattan' <<<"$st" || net_fail "status after the probes: $st"
net_pass "malformed and oversized requests get an error; status still answers"
sites_done
exit 0
