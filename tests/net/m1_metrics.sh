#!/usr/bin/env bash
# m1_metrics.sh: `sitecastctl metrics` is valid Prometheus text exposition format, read
# with a real parser of it (python3-prometheus-client), and says what status says: with
# a printer crossed from Manhattan, Brooklyn's gateway reports the peer up (1), records
# in from it (> 0) and cached from it, counters as *_total with peer labels, and every
# drop reason. A malformed or oversized control request gets an error, not a crash.
set -u
. "$(dirname "$0")/sites.sh"

"$NET_PYTHON" -c 'import prometheus_client.parser' 2>/dev/null ||
	net_skip "python3-prometheus-client not installed"
sites_setup manhattan brooklyn
sites_publish manhattan-h1 "Printer A" _ipp._tcp 631 "txt=1"
sites_wait_visible brooklyn-h1 _ipp._tcp "Printer A (manhattan)" 10 ||
	net_fail "'Printer A (manhattan)' not resolved in Brooklyn ($SITES_STATE)"

"$SITECASTCTL" -s "$(sites_control brooklyn)" metrics >"$NET_TMP/metrics.out" ||
	net_fail "sitecastctl metrics failed: $(cat "$NET_TMP/metrics.out")"
"$NET_PYTHON" - "$NET_TMP/metrics.out" <<'PY' || net_fail "metrics check failed"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
def sample(name, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise SystemExit(f"no sample {name} {labels}")
assert all(n.startswith("sitecast_") for n in fams), sorted(fams)
# The parser names counter families without _total; their samples keep it.
assert fams["sitecast_peer_records_in"].type == "counter"
assert sample("sitecast_info", site="brooklyn") == 1
assert sample("sitecast_peer_up", peer="manhattan") == 1, "peer not up"
assert sample("sitecast_peer_records_in_total", peer="manhattan") > 0
assert sample("sitecast_peer_cached_records", peer="manhattan") > 0
assert sample("sitecast_cache_records", cache="remote") > 0
assert sample("sitecast_dropped_total", reason="source-rate") == 0
assert sample("sitecast_lan_packets_in_total") > 0
print(f"{len(fams)} metric families parsed; manhattan up, "
      f"{int(sample('sitecast_peer_records_in_total', peer='manhattan'))} records in")
PY
net_pass "metrics parse as Prometheus text and agree with what crossed"

# Malformed and oversized requests: an error each, and the daemon still answers.
sock=$(sites_control brooklyn)
for req in 'bogus' "$(head -c 5000 /dev/zero | tr '\0' x)" $'\x01\x02\xff' ''; do
	printf '%s\n' "$req" | timeout 5 "$NET_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
sys.stdout.write(s.recv(4096).decode(errors="replace"))' "$sock" >>"$NET_TMP/bad.out" 2>&1
	sites_gw_alive brooklyn
done
"$SITECASTCTL" -s "$sock" status >/dev/null || net_fail "status after malformed requests failed"
grep -q '^error' "$NET_TMP/bad.out" || net_fail "malformed requests got no error: $(cat "$NET_TMP/bad.out")"
net_pass "malformed and oversized control requests get an error; the daemon still answers"
sites_done
