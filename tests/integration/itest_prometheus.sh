#!/usr/bin/env bash
# The OpenMetrics export read back by the tools a team would use (run as root; $1 is the
# build/ directory): Debian's prometheus-pushgateway and prometheus on loopback, on free
# ports, with temporary storage. scripts/nightly.sh runs two nights of a small suite and
# pushes each; Prometheus scrapes the Pushgateway; its HTTP query API must then return
# both nights (the run timestamps of each, over time) and the latency per scenario, op
# and percentile; promtool must accept the exposition. Both servers are stopped at the
# end. Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_prometheus "$@"

repo=$(cd "$(dirname "$0")/../.." && pwd)
for b in prometheus prometheus-pushgateway promtool curl python3; do
	if ! command -v "$b" >/dev/null; then
		bad "$b is missing: scripts/install-deps.sh installs it"
		finish
	fi
done
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
wait_ready() { # URL NAME LOG
	for _ in $(seq 120); do
		curl -sf "$1" >/dev/null && return 0
		sleep 0.5
	done
	bad "$2 did not become ready: $(tail -n 5 "$3")"
	finish
}

pg_port=$(free_port)
prom_port=$(free_port)
pg=http://127.0.0.1:$pg_port
prom=http://127.0.0.1:$prom_port
prometheus-pushgateway --web.listen-address="127.0.0.1:$pg_port" \
	--persistence.file="$tmp/pushgateway.store" >"$tmp/pushgateway.log" 2>&1 &
pids+=($!)
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$pg_port']
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
wait_ready "$pg/-/ready" pushgateway "$tmp/pushgateway.log"
wait_ready "$prom/-/ready" prometheus "$tmp/prometheus.log"
ok "pushgateway on :$pg_port and prometheus on :$prom_port, storage in $tmp"

# two nights of a small suite through the nightly script itself
cat >"$tmp/small.suite" <<'EOF'
[run]
warmup = 20ms
duration = 100ms
[scenario channel-mode]
workload = channel
capacity = 1000
sweep mode/producers/consumers = spsc/1/1, mpmc/2/2
EOF
night() { # N
	OPSCOPE=$opscope bash "$repo/scripts/nightly.sh" --no-build --suite "$tmp/small.suite" \
		--reps 3 --out-root "$tmp/runs$1" --baseline-dir "$tmp/baselines" \
		--history "$tmp/history.jsonl" --machine itest --pushgateway "$pg" \
		>"$tmp/night$1.log" 2>&1
}
# scraped N: until Prometheus holds night N's run timestamp (it scrapes every second;
# waiting for the value itself, not for a fixed time, holds on a busy machine)
scraped() {
	python3 - "$prom" "$tmp/runs$1/latest/run/report.json" <<'PY'
import calendar, json, sys, time, urllib.parse, urllib.request
prom, report = sys.argv[1], sys.argv[2]
want = calendar.timegm(time.strptime(json.load(open(report))["created"], "%Y-%m-%dT%H:%M:%SZ"))
q = urllib.parse.urlencode({"query": 'opscope_run_timestamp_seconds{machine="itest"}'})
for _ in range(240):
    res = json.load(urllib.request.urlopen(prom + "/api/v1/query?" + q, timeout=10))
    if any(int(float(x["value"][1])) == want for x in res["data"]["result"]):
        sys.exit(0)
    time.sleep(0.5)
sys.exit("night's run timestamp %d not scraped in 2 minutes" % want)
PY
}
night 1
rc1=$?
scraped 1 || bad "night 1 never reached Prometheus"
night 2
rc2=$?
scraped 2 || bad "night 2 never reached Prometheus"
# the second night's verdict (0, 1, 3 or 4) is not what this test is about; 2 is a failed job
if [ "$rc1" -eq 0 ] && grep -q 'saving this run as the baseline' "$tmp/night1.log" &&
	{ [ "$rc2" -eq 0 ] || [ "$rc2" -eq 1 ] || [ "$rc2" -eq 3 ] || [ "$rc2" -eq 4 ]; } &&
	grep -q '== compare with baseline' "$tmp/night2.log"; then
	ok "two nights: the first saved the baseline, the second compared (exit $rc2)"
else
	bad "nights: exit $rc1 and $rc2: $(tail -n 5 "$tmp/night1.log" "$tmp/night2.log")"
fi
if grep -qi 'could not push' "$tmp/night1.log" "$tmp/night2.log"; then
	bad "a push failed: $(grep -i 'push' "$tmp"/night*.log)"
else
	ok "both nights pushed to the Pushgateway"
fi
prom_file=$tmp/runs2/latest/metrics.prom
if [ -n "$prom_file" ] && promtool check metrics <"$prom_file" >"$tmp/promtool.out" 2>&1; then
	ok "promtool check metrics accepts the exposition"
else
	bad "promtool: $(head -5 "$tmp/promtool.out" 2>/dev/null) ($prom_file)"
fi

# read both nights back through the query API
end=$(($(date +%s) + 1)) # past the last scrape: the range query ends at a whole second
python3 - "$prom" "$end" "$tmp/runs1/latest/run/report.json" "$tmp/runs2/latest/run/report.json" \
	>"$tmp/query.out" 2>&1 <<'PY'
import calendar, json, sys, time, urllib.parse, urllib.request
prom, end, r1, r2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def query(path, **args):
    url = prom + path + "?" + urllib.parse.urlencode(args)
    d = json.load(urllib.request.urlopen(url, timeout=10))
    assert d["status"] == "success", d
    return d["data"]["result"]

def ts(report):
    c = json.load(open(report))["created"]
    return calendar.timegm(time.strptime(c, "%Y-%m-%dT%H:%M:%SZ"))

t1, t2 = ts(r1), ts(r2)
sel = 'opscope_run_timestamp_seconds{machine="itest",suite="small"}'
res = query("/api/v1/query_range", query=sel, start=end - 600, end=end, step=1)
assert len(res) == 1, res
seen = {int(float(v)) for _, v in res[0]["values"]}
assert t1 != t2 and t1 in seen and t2 in seen, (t1, t2, seen)
print("both nights over time:", t1, t2)
lat = query("/api/v1/query", query='opscope_latency_seconds{machine="itest",'
            'op="chan.send",percentile="p99"}')
scen = sorted(x["metric"]["scenario"] for x in lat)
assert scen == ["channel-mode/mode=mpmc/producers=2/consumers=2",
                "channel-mode/mode=spsc/producers=1/consumers=1"], scen
assert all(0 < float(x["value"][1]) < 1 for x in lat), lat
print("p99 of chan.send per scenario:", [x["value"][1] for x in lat])
out = query("/api/v1/query", query='opscope_compare_outcome{machine="itest"} == 1')
assert len(out) == 1, out
print("night 2's verdict:", out[0]["metric"]["outcome"])
PY
if [ $? -eq 0 ]; then
	ok "prometheus returns both nights' timestamps, p99 per scenario and op, the verdict"
	sed 's/^/    /' "$tmp/query.out"
else
	bad "query API: $(cat "$tmp/query.out")"
fi
finish
