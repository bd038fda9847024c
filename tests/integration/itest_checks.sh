#!/usr/bin/env bash
# opscope run's checks end to end (run as root; $1 is the build/ directory), read back from
# report.json with python3:
#  1. --max-ops alone is not cut by the suite's duration: every repetition ends by
#     max-ops with exactly N ops, and the text says so;
#  2. leaks: the pool's leak knob (a descriptor, a thread or 64 KiB every 50th recorded
#     task, 5000 tasks a round, so the counts are exact) fails the matching no-growth and
#     residual targets (exit 1); the same run without the knob passes them all;
#  3. a limit broken on purpose (test_overshoot) fails inflight-limit; held, it passes;
#  4. pool mode=process has its worker processes' kernel breakdown (followed), counts
#     serialization and holds calls per worker to a range; the pipeline's per-stage
#     kinds and metrics, and CPU use, are in report.json.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_checks "$@"

# json FILE PYTHON-EXPRESSION-ON-r: exit 0 when it holds, else print what failed
json() {
	python3 - "$1" "$2" <<'EOF_PY'
import json, sys
r = json.load(open(sys.argv[1]))
def scen(i=0): return r["scenarios"][i]
def target(name): return next(t for t in r["targets"] if t["name"] == name)
def metric(s, mid): return next(m for m in s["metrics"] if m["id"] == mid)
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    print("does not hold: " + sys.argv[2], file=sys.stderr)
sys.exit(0 if ok else 1)
EOF_PY
}

# 1. --max-ops alone against a suite whose [run] sets a duration
printf '[run]\nreps = 2\nwarmup = 10ms\nduration = 20ms\n[scenario p]\nworkload = pool\n' \
	>"$tmp/short.suite"
printf 'workers = 2\nsleep = 100us\n' >>"$tmp/short.suite"
"$opscope" run --suite "$tmp/short.suite" --max-ops 2000 --no-kernel --out "$tmp/mo" \
	>"$tmp/mo.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && json "$tmp/mo/report.json" \
	'all(p["ended_by"] == "max-ops" and p["ops"] == 2000 for p in scen()["repetitions"])
	 and scen()["duration_ns"] == 0' &&
	grep -q '^p  *max-ops  *2.00k ' "$tmp/mo.out"; then
	ok "--max-ops alone: 2000 ops per repetition, ended by max-ops, not by the 20ms duration"
else
	bad "--max-ops alone: exit $rc: $(grep -A3 '^Runs' "$tmp/mo.out")"
fi

# 2. leaks, caught; and a clean run passing
leak_run() { # NAME KNOB
	"$opscope" run --workload pool -p workers=2 -p leak="$2" -p leak_every=50 \
		--max-ops 5000 --warmup 10ms --reps 4 --no-kernel --out "$tmp/$1" \
		>"$tmp/$1.out" 2>&1
}
leak_run clean none
rc=$?
if [ "$rc" -le 1 ] && json "$tmp/clean/report.json" \
	'all(target(t)["status"] == "pass" for t in ("leak-rss", "leak-heap", "leak-fds",
	 "leak-threads", "residual-fds", "residual-threads"))
	 and scen()["leaks"]["rounds"] == 4 and scen()["leaks"]["fds"]["residual"] == 0'; then
	ok "no leak: every leak and residual target passes over 4 rounds"
else
	bad "no leak: exit $rc: $(grep -E '^(leak|residual)' "$tmp/clean.out")"
fi
leak_run fd fd
rc=$?
if [ "$rc" -eq 1 ] && json "$tmp/fd/report.json" \
	'target("leak-fds")["status"] == "fail" and target("leak-fds")["value"] == 100
	 and target("residual-fds")["value"] == 400 and target("leak-threads")["status"] ==
	 "pass" and scen()["leaks"]["fds"]["se"] == 0'; then
	ok "leak=fd: 100 descriptors per round (95% bound 100), 400 left: leak-fds fails"
else
	bad "leak=fd: exit $rc: $(grep -E '^(leak|residual)' "$tmp/fd.out")"
fi
leak_run thread thread
rc=$?
if [ "$rc" -eq 1 ] && json "$tmp/thread/report.json" \
	'target("leak-threads")["value"] == 100 and target("residual-threads")["value"] == 400
	 and target("leak-fds")["status"] == "pass"'; then
	ok "leak=thread: 100 threads per round, 400 left: leak-threads and residual fail"
else
	bad "leak=thread: exit $rc: $(grep -E '^(leak|residual)' "$tmp/thread.out")"
fi
leak_run mem mem
rc=$?
if [ "$rc" -eq 1 ] && json "$tmp/mem/report.json" \
	'target("leak-heap")["status"] == "fail" and target("leak-heap")["value"] >= 100 * 65536
	 and target("leak-rss")["status"] == "fail" and target("leak-fds")["status"] == "pass"'
then
	ok "leak=mem: 100 x 64 KiB per round in the heap and in RSS: both fail"
else
	bad "leak=mem: exit $rc: $(grep -E '^(leak|residual)' "$tmp/mem.out")"
fi

# 3. a limit broken on purpose, and held
"$opscope" run --workload pool -p callers=1 -p inflight=4 -p test_overshoot=2 -p sleep=200us \
	--reps 1 --warmup 10ms --duration 50ms --no-kernel --out "$tmp/over" >"$tmp/over.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && json "$tmp/over/report.json" \
	'target("inflight-limit")["status"] == "fail" and target("inflight-limit")["value"] == 1.5
	 and scen()["repetitions"][0]["inflight"] == {"peak": 6, "limit": 4}'; then
	ok "test_overshoot=2: 6 calls in flight of 4 measured, inflight-limit fails (exit 1)"
else
	bad "test_overshoot: exit $rc: $(grep -E '^(inflight|busy)' "$tmp/over.out")"
fi
"$opscope" run --workload pool -p callers=1 -p inflight=4 -p sleep=200us \
	--reps 1 --warmup 10ms --duration 50ms --no-kernel --out "$tmp/held" >/dev/null 2>&1
if json "$tmp/held/report.json" \
	'target("inflight-limit")["status"] == "pass" and target("busy-limit")["status"] == "pass"'
then
	ok "the same without the knob: inflight-limit and busy-limit pass"
else
	bad "held limit: $(grep -E '^(inflight|busy)' "$tmp/held.out" 2>/dev/null)"
fi

# 4. worker processes and the pipeline, with the kernel collector
printf '[run]\nreps = 1\nwarmup = 20ms\nduration = 150ms\n' >"$tmp/mix.suite"
printf '[scenario proc]\nworkload = pool\nmode = process\nworkers = 2\ninflight = 4\n' \
	>>"$tmp/mix.suite"
printf 'spin = 250us\n[scenario pipe]\nworkload = pipeline\nstages = 3\ndrop_rate = 0.1\n' \
	>>"$tmp/mix.suite"
"$opscope" run --suite "$tmp/mix.suite" --out "$tmp/mix" >"$tmp/mix.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && json "$tmp/mix/report.json" \
	'scen(0)["kernel_note"] is None and scen(0)["kinds"][0]["total"]["on_ns"] > 0
	 and metric(scen(0), "pool.call/on_ns")["n"] == 1
	 and metric(scen(0), "serialize_ns")["mean"] > 0
	 and target("process-calls-per-worker")["op"] == "in"
	 and scen(1)["kernel_note"] is None
	 and [k["op"] for k in scen(1)["kinds"]] == ["pipe.packet", "pipe.s1_parse",
	     "pipe.s2_filter", "pipe.s3_aggregate"]
	 and scen(1)["kinds"][0]["total"]["queued_ns"] > 0
	 and metric(scen(1), "s1_occupancy")["n"] == 1 and metric(scen(1), "drops")["mean"] > 0
	 and all(metric(s, "cpu_util")["mean"] > 0 for s in r["scenarios"])
	 and scen(1)["repetitions"][0]["sent"] == scen(1)["repetitions"][0]["received"]' &&
	! grep -q 'not followed' "$tmp/mix.out"
then
	ok "process pool: the worker processes followed (a breakdown), serialization counted;" \
		"pipeline: per-stage kinds, drops, occupancy; CPU use in every scenario"
else
	bad "process pool and pipeline: exit $rc: $(tail -n 5 "$tmp/mix.out")"
fi
finish
