#!/usr/bin/env bash
# End-to-end proof of opscope run (run as root; $1 is the build/ directory):
#  1. bad input (unknown workload or parameter, out of range, malformed or missing suite
#     file, bad option values): exit 2, one line on stderr (file:line for suites), and no
#     output directory or temp directory left behind;
#  2. a short sweep writes report.json (read back by compare), report.txt within 100
#     columns, and one Go benchmark line per repetition and op kind;
#  3. an earlier output directory is replaced; a directory that is not one is refused;
#  4. a stuck scenario ends with status timeout (exit 2) instead of hanging;
#  5. SIGINT ends the run early with a report marked interrupted (exit 2);
#  6. --no-kernel runs without a collector; suite [targets] override the defaults;
#  7. --bpf-stats reports what opscope's own programs cost, in report.json and the text;
#     --hooks-only attaches them doing nothing and reports no breakdown.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_run "$@"

# 1. bad input: exit 2, a single line naming the problem, nothing written
printf '[run]\nreps = 2\n[scenario a]\nworkload = pool\nsweep workers = 1, 0\n' >"$tmp/bad.suite"
printf '[scenario a]\nworkload = pool\nworkers 4\n' >"$tmp/bad2.suite"
check_bad() { # NEEDLE ARGS...
	local needle=$1; shift
	"$opscope" run --out "$tmp/out-bad" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	local rc=$? lines; lines=$(wc -l <"$tmp/stderr")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$needle" "$tmp/stderr" &&
		[ ! -e "$tmp/out-bad" ] && [ -z "$(ls -A "$tmp" | grep '\.tmp-')" ] &&
		[ ! -s "$tmp/stdout" ]; then
		ok "bad input '$*': exit 2, '$needle'"
	else
		bad "bad input '$*': exit $rc, $lines lines: $(cat "$tmp/stderr")"
	fi
}
check_bad "unknown workload 'poool'" --workload poool
check_bad "unknown parameter 'wrk'" --workload pool --param wrk=3
check_bad "workers: 0 is out of range; use 1 to 256" --workload pool --param workers=0
check_bad "capacity: 0 is out of range" --workload channel --param capacity=0
check_bad "sizes cannot be negative" --workload pool --param payload=-4k
check_bad "'12abc' is not an integer" --workload pool --param workers=12abc
check_bad "[scenario channel]: mode=spsc needs producers=1" --workload channel -p mode=spsc \
	-p producers=4
check_bad "$tmp/bad.suite:5: workers: 0 is out of range" --suite "$tmp/bad.suite"
check_bad "$tmp/bad2.suite:3: expected 'name = value'" --suite "$tmp/bad2.suite"
check_bad "--hooks-only measures the bare hooks" --hooks-only --stacks
check_bad "cannot read suite file $tmp/none.suite" --suite "$tmp/none.suite"
check_bad "--reps: '0'" --reps 0
check_bad "unknown target 'p50'" --target p50=1ms
check_bad "no metric 'p77' of op kind pool.call" --target 'pool.call p77 < 1ms'
check_bad "--scenario 'nope*' matches none of the suite's" --scenario 'nope*'
check_bad "--param needs --workload" --param workers=2
check_bad "parent of --out" --out "$tmp/no/such/dir"

# 2. a short sweep: the three files, read back
out=$tmp/out
"$opscope" run --workload channel --param capacity=10,100 --reps 2 --duration 100ms \
	--warmup 20ms --out "$out" >"$tmp/run.stdout" 2>"$tmp/run.stderr"
rc=$?
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; } && [ -s "$out/report.json" ] &&
	[ -s "$out/report.txt" ] && [ -s "$out/bench.txt" ]; then
	ok "sweep run: exit $rc, report.json, report.txt, bench.txt"
else
	bad "sweep run: exit $rc: $(tail -n 3 "$tmp/run.stderr")"
fi
if "$opscope" compare --no-targets "$out" "$out" >"$tmp/cmp.out" 2>&1; then
	ok "compare reads the report back (same run: exit 0)"
else
	bad "compare of a report with itself: $(tail -n 3 "$tmp/cmp.out")"
fi
n=$(grep -c '^BenchmarkChan\(Send\|Recv\)/capacity=\(10\|100\)-[0-9]*	[0-9]*	[0-9.]* ns/op	' \
	"$out/bench.txt")
if [ "$n" -eq 8 ]; then
	ok "bench.txt: 2 scenarios x 2 reps x 2 op kinds = 8 benchmark lines"
else
	bad "bench.txt: $n benchmark lines, want 8: $(head -n 10 "$out/bench.txt")"
fi
wide=$(awk 'length($0) > 100' "$out/report.txt" | wc -l)
if [ "$wide" -eq 0 ] && cmp -s "$out/report.txt" "$tmp/run.stdout"; then
	ok "report.txt: within 100 columns, the same text as stdout"
else
	bad "report.txt: $wide lines wider than 100 columns, or differs from stdout"
fi
if grep -q '"schema": "opscope-report"' "$out/report.json" &&
	grep -q '"id": "channel/capacity=100"' "$out/report.json" &&
	grep -q '"id": "chan.send/p99_ns"' "$out/report.json"; then
	ok "report.json: schema, scenario ids and per-op metric ids"
else
	bad "report.json lacks the schema, scenario or metric ids"
fi

# 3. replacing an earlier output; refusing a directory that is not one
"$opscope" run --workload pool --quick --out "$out" >/dev/null 2>&1
rc=$?
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; } && grep -q '"id": "pool"' "$out/report.json" &&
	! grep -q 'channel/capacity' "$out/report.json" && [ -z "$(ls -A "$tmp" | grep '\.tmp-')" ]
then
	ok "an earlier output directory is replaced whole"
else
	bad "replacing $out: exit $rc"
fi
mkdir -p "$tmp/mine" && echo keep >"$tmp/mine/notes.txt"
"$opscope" run --workload pool --quick --out "$tmp/mine" >/dev/null 2>"$tmp/stderr"
rc=$?
if [ "$rc" -eq 2 ] && [ -f "$tmp/mine/notes.txt" ] && [ ! -e "$tmp/mine/report.json" ]; then
	ok "a directory without report.json is refused and left alone"
else
	bad "foreign directory: exit $rc: $(cat "$tmp/stderr")"
fi

# 4. a stuck scenario: 1 s task sleep, 300 ms timeout
start=$(date +%s)
"$opscope" run --workload pool -p sleep=1s -p inflight=1 -p workers=1 -p callers=1 \
	--warmup 0 --duration 100ms --timeout 300ms --reps 2 --out "$tmp/to" \
	>/dev/null 2>"$tmp/stderr"
rc=$? took=$(($(date +%s) - start))
if [ "$rc" -eq 2 ] && [ "$took" -lt 15 ] && grep -q '"status": "timeout"' "$tmp/to/report.json"
then
	ok "stuck scenario: status timeout, exit 2, after ${took}s"
else
	bad "stuck scenario: exit $rc after ${took}s"
fi

# 5. SIGINT: the default suite, interrupted after 2 s
"$opscope" run --out "$tmp/int" >/dev/null 2>&1 &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 2 ] && grep -q '"interrupted": true' "$tmp/int/report.json" &&
	grep -q '"status": "skipped"' "$tmp/int/report.json"; then
	ok "SIGINT: report marked interrupted, later scenarios skipped, exit 2"
else
	bad "SIGINT: exit $rc"
fi

# 6. --no-kernel, and targets from a suite file
printf '[run]\nreps = 1\nwarmup = 10ms\nduration = 50ms\n[targets]\npool-p50 = 1ns\n' \
	>"$tmp/t.suite"
printf 'rss-steady = off\n[scenario p]\nworkload = pool\n' >>"$tmp/t.suite"
"$opscope" run --suite "$tmp/t.suite" --no-kernel --out "$tmp/nk" >"$tmp/nk.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q '"collector": null' "$tmp/nk/report.json" &&
	grep -q '^pool-p50 .* FAIL' "$tmp/nk.out" && ! grep -q '^rss-steady' "$tmp/nk.out"; then
	ok "--no-kernel and suite targets: collector null, pool-p50 < 1ns fails (exit 1)"
else
	bad "--no-kernel with suite targets: exit $rc: $(tail -n 5 "$tmp/nk.out")"
fi
# 7. --bpf-stats: opscope's own programs' runs and time, in report.json and the text
"$opscope" run --bpf-stats --workload channel --param capacity=1 --reps 1 --warmup 10ms \
	--duration 200ms --out "$tmp/bs" >"$tmp/bs.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && grep -q "^cost: opscope's BPF programs ran [0-9.]* ms in" "$tmp/bs.out" &&
	grep -q '^  switch [0-9]* ns x [1-9]' "$tmp/bs.out" &&
	python3 - "$tmp/bs/report.json" <<'EOF'
import json, sys
progs = {p["name"]: p for p in json.load(open(sys.argv[1]))["collector"]["bpf_programs"]}
sw = progs["handle_switch"]
# a 1-slot channel switches at every message: thousands in 200 ms
assert sw["runs"] > 1000 and sw["run_ns"] > sw["runs"], sw
assert progs["handle_sys_enter"]["runs"] > 1000, progs
EOF
then
	ok "--bpf-stats: per-program runs and ns in report.json, and the cost in the text"
else
	bad "--bpf-stats: exit $rc: $(grep -A2 '^cost' "$tmp/bs.out" | head -3)"
fi
"$opscope" run --workload pool --reps 1 --warmup 10ms --duration 50ms --out "$tmp/nb" \
	>"$tmp/nb.out" 2>&1
if grep -q '"bpf_programs": null' "$tmp/nb/report.json" && ! grep -q '^cost:' "$tmp/nb.out"; then
	ok "without --bpf-stats: bpf_programs null, no cost line"
else
	bad "without --bpf-stats: $(grep -c bpf_programs "$tmp/nb/report.json") bpf_programs keys"
fi
"$opscope" run --hooks-only --workload pool --reps 1 --warmup 10ms \
	--duration 100ms --out "$tmp/ho" >"$tmp/ho.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && grep -q '"collector": null' "$tmp/ho/report.json" &&
	grep -q 'no kernel breakdown' "$tmp/ho.out"; then
	ok "--hooks-only: the run completes with no breakdown (exit $rc)"
else
	bad "--hooks-only: exit $rc: $(tail -3 "$tmp/ho.out")"
fi
# 8. part of a suite, targets as specs, the machine's noise per repetition
list=$("$opscope" run --list --scenario 'pool-workers/workers=[12]' --scenario 'stream-*')
if [ "$(printf '%s\n' "$list" | wc -l)" -eq 7 ] &&
	[ "$(printf '%s\n' "$list" | head -1)" = pool-workers/workers=1 ]; then
	ok "--list --scenario: the 7 matching scenario ids, in suite order"
else
	bad "--list --scenario: $list"
fi
"$opscope" run --scenario 'channel-mode/*' --reps 2 --warmup 10ms --duration 50ms \
	--target 'chan.* p99 max < 1ns' --target 'ok: chan.send throughput >= 1' \
	--out "$tmp/sc" >"$tmp/sc.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && python3 - "$tmp/sc/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ids = [s["id"] for s in r["scenarios"]]
assert ids == ["channel-mode/mode=spsc/producers=1/consumers=1",
               "channel-mode/mode=mpmc/producers=4/consumers=4"], ids
assert r["settings"]["scenario_filter"] == ["channel-mode/*"]
assert r["settings"]["order"] == "interleaved"
t = {x["name"]: x for x in r["targets"]}
assert t["chan.* p99 max < 1ns"]["status"] == "fail", t
assert t["chan.* p99 max < 1ns"]["op_kind"].startswith("chan."), t
assert t["ok"]["status"] == "pass", t
for s in r["scenarios"]:
    for rep in s["repetitions"]:
        n = rep["noise"]
        assert n["other_cpus"] >= 0 and n["other_runnable"] >= 0 and n["samples"] >= 0, n
assert r["noise"]["repetitions"] == 4
PY
then
	ok "--scenario runs 2 of 22; spec targets judged per op kind; noise in every repetition"
else
	bad "--scenario/spec targets/noise: exit $rc: $(tail -n 5 "$tmp/sc.out")"
fi
if grep -qE '^(machine quiet|NOISY machine) during the run' "$tmp/sc.out"; then
	ok "the run says whether the machine was noisy"
else
	bad "no noise line in the text: $(tail -n 4 "$tmp/sc.out")"
fi
finish
