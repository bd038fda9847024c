#!/usr/bin/env bash
# opscope record on programs that mark their own operations with libopscope, built as a
# user would: `make install PREFIX=...`, then cc/c++ with pkg-config, the program
# including only <opscope/ops.h> (tests/fixtures/marked.c, examples/cpp, examples/python).
# Every figure is checked in report.json (a machine-readable output), against what the
# program did by construction:
#  1. sleeps of 10 ms (timer slack 1 ns): blocked in clock_nanosleep at least 9.5 ms and
#     no more than the op's time in syscalls, in every band and both exemplars (a timer
#     the hypervisor delays is blocked time too: only the kernel bounds it from above);
#     one voluntary switch per op;
#  2. 4 fresh pages per op: exactly 4 faults per op (the sum equals 4 x ops, and no op can
#     have fewer than the pages it touched first, so none has more);
#  3. spins: nothing blocked, no voluntary switch; on-CPU + run queue + steal is the
#     latency (to 10 us per switch: the scheduler's own bookkeeping at each one);
#  4. a pool call queued 2 ms before its worker runs it: queued >= 2 ms in every band,
#     nothing blocked (the worker's sleep and the caller's wait are outside the run);
#  5. 64 threads marking with 200 threads coming and going: per-kind counts equal the
#     program's own, one fault per op, nothing dropped, unrecorded or left open;
#  6. the program's output is byte-identical with and without opscope;
#  7. misuse (end without begin, kind 99, another ABI, an op open at exit) counted, the
#     program and opscope exit 0;
#  8. record -p of a running marked program attaches within 100 ms of being told;
#  9. compare reads two record reports, with repetitions (--rep) tests them; bench.txt,
#     trace.json, -s stacks by op kind;
# 10. the C++ RAII example and the Python ctypes example, recorded;
# 11. record --why: an op that blocks reading a pipe that another thread (pipe-writer)
#     writes after a 2 ms clock_nanosleep names that thread as what ended its wait, and
#     what it was doing meanwhile: blocked in clock_nanosleep, its own sleep ended by a
#     timer (in report.json, in report.txt's words and in the wait-for graph; real-time
#     priority, as itest_why.sh, so that CPU hogs cannot turn the cause around); without
#     --why the same report has no why.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_marks "$@"

prefix=$tmp/prefix
if ! make --no-print-directory -s install PREFIX="$prefix" >"$tmp/install.log" 2>&1; then
	bad "make install PREFIX=$prefix failed: $(tail -3 "$tmp/install.log")"
	finish
fi
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs opscope) && ok "pkg-config opscope: $flags" ||
	bad "pkg-config finds no opscope in $PKG_CONFIG_PATH"
rpath=-Wl,-rpath,$(pkg-config --variable=libdir opscope)
marked=$tmp/marked
if ! cc -O2 -Wall -Wextra -Werror tests/fixtures/marked.c $flags $rpath -pthread -o "$marked" \
	2>"$tmp/cc.log"; then
	bad "the fixture does not build against the installed header: $(head -3 "$tmp/cc.log")"
	finish
fi

# rec NAME ARGS...: opscope record -o $tmp/NAME -- $marked ARGS (stdout in $tmp/NAME.out)
rec() {
	local name=$1; shift
	"$opscope" record -o "$tmp/$name" -- "$marked" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

# check NAME PYTHON: run the python checks on $tmp/NAME/report.json; each printed line
# "ok ..." or "FAIL ..." becomes a result
check() {
	local name=$1 code=$2 line
	while IFS= read -r line; do
		case $line in
		ok\ *) ok "$name: ${line#ok }" ;;
		*) bad "$name: ${line#FAIL }" ;;
		esac
	done < <(python3 - "$tmp/$name/report.json" <<EOF 2>&1
import json, sys
r = json.load(open(sys.argv[1]))
def kind(name):
    for s in r["scenarios"]:
        for k in s["kinds"]:
            if k["op"] == name:
                return k
    raise SystemExit("FAIL no op kind %s in report.json" % name)
def blk(bd, sysname):
    return sum(b["ns"] for b in bd["blocked_by"] if b["syscall"] == sysname)
def parts(bd):
    return bd["on_ns"] + bd["runq_ns"] + bd["blocked_ns"] + bd["steal_ns"]
def say(cond, what):
    print(("ok " if cond else "FAIL ") + what)
def clean():
    m = r["marks"]
    say(m["dropped"] == 0 and m["open"] == 0 and not any(m["not_recorded"].values())
        and not any(m["misuse"].values()), "nothing dropped, open, unrecorded or misused")
$code
EOF
)
}

# 1. sleeps
rec sleep sleep 40 10
check sleep '
k = kind("test.sleep")
say(k["count"] == 40, "40 ops (%d)" % k["count"])
say(k["total"]["vcsw"] == 40, "one voluntary switch per op (%d)" % k["total"]["vcsw"])
for b in k["bands"]:
    if b["ops"]:
        v = blk(b["sum"], "clock_nanosleep") / b["ops"]
        say(0.95 * 10e6 <= v and blk(b["sum"], "clock_nanosleep") <= b["sum"]["syscall_ns"] <= b["sum"]["lat_ns"],
            "%s: %.0f ns blocked in clock_nanosleep per op, within its syscall time" % (b["band"], v))
for e in ("p50", "p99"):
    v = blk(k["exemplars"][e], "clock_nanosleep")
    x = k["exemplars"][e]
    say(0.95 * 10e6 <= v and v <= x["syscall_ns"] <= x["lat_ns"],
        "exemplar %s: %.0f ns in clock_nanosleep, within its syscall time" % (e, v))
clean()'

# 2. page touches
rec touch touch 300 4
check touch '
k = kind("test.touch")
say(k["count"] == 300 and k["total"]["faults"] == 4 * 300,
    "%d ops, %d faults: 4 each" % (k["count"], k["total"]["faults"]))
for b in k["bands"]:
    if b["ops"]:
        say(b["sum"]["faults"] == 4 * b["ops"], "%s: %d faults in %d ops" % (b["band"], b["sum"]["faults"], b["ops"]))
clean()'

# 3. spins
rec spin spin 200 300
check spin '
k = kind("test.spin")
t = k["total"]
say(k["count"] == 200, "200 ops")
say(t["blocked_ns"] == 0 and t["vcsw"] == 0, "nothing blocked (%d ns, %d switches)" % (t["blocked_ns"], t["vcsw"]))
say(t["on_ns"] >= 200 * 300e3 * 0.95, "on-CPU %.0f us per op" % (t["on_ns"] / 200e3))
for b in k["bands"]:
    if b["ops"]:
        s = b["sum"]
        slack = 10e3 * (s["vcsw"] + s["ivcsw"]) + 1e3 * b["ops"]
        say(abs(parts(s) - s["lat_ns"]) <= slack, "%s: parts %d ns, latency %d ns" % (b["band"], parts(s), s["lat_ns"]))
clean()'

# 4. a pool
rec pool pool 100 2 300
check pool '
k = kind("test.pool")
t = k["total"]
say(k["count"] == 100, "100 calls")
say(t["blocked_ns"] == 0, "the worker sleep and the caller wait are not in the call (%d ns)" % t["blocked_ns"])
for b in k["bands"]:
    if b["ops"]:
        q = b["sum"]["queued_ns"] / b["ops"]
        say(q >= 2e6, "%s: queued %.0f ns per call" % (b["band"], q))
say(t["on_ns"] >= 100 * 300e3 * 0.95, "the run is the worker on-CPU: %.0f us per call" % (t["on_ns"] / 100e3))
clean()'

# 5. churn: the program says how many ops it made
rec churn churn 64 300 200 20
check churn '
import re
out = open(sys.argv[1].replace("/report.json", ".out")).read()
for name in ("churn.long", "churn.short"):
    k = kind(name)
    n = int(re.search(re.escape(name) + r" (\d+) ops", out).group(1))
    say(k["count"] == n, "%s: %d ops recorded, %d made" % (name, k["count"], n))
    say(k["total"]["faults"] == k["count"], "%s: one fault per op (%d)" % (name, k["total"]["faults"]))
clean()'

# 6. the program's output, with and without opscope
for m in "sleep 20 1" "touch 50 2" "churn 8 50 20 10"; do
	# shellcheck disable=SC2086
	"$marked" $m >"$tmp/plain.out" 2>&1
	# shellcheck disable=SC2086
	"$opscope" record -o "$tmp/same" -- "$marked" $m 2>/dev/null | head -1 >"$tmp/rec.out"
	if cmp -s "$tmp/plain.out" "$tmp/rec.out"; then
		ok "output of 'marked $m' is the same under opscope"
	else
		bad "output of 'marked $m' differs: $(head -1 "$tmp/plain.out") / $(head -1 "$tmp/rec.out")"
	fi
done

# 7. misuse
if rec misuse misuse; then ok "misuse: opscope exits 0"; else bad "misuse: opscope exit $?"; fi
grep -q "^misuse: done" "$tmp/misuse.out" && ok "misuse: the program finished" ||
	bad "misuse: the program did not finish"
check misuse '
m = r["marks"]["misuse"]
say(m["end_without_begin"] == 1, "end without begin counted (%d)" % m["end_without_begin"])
say(m["bad_kind"] == 1, "kind 99 counted (%d)" % m["bad_kind"])
say(m["abi_mismatch"] == 2, "two calls of another ABI counted (%d)" % m["abi_mismatch"])
say(r["marks"]["open"] == 1, "the op open at exit counted (%d)" % r["marks"]["open"])
say(kind("test.misuse")["count"] == 1 and kind("other")["count"] == 1, "the good op and the kind-99 op recorded")'
grep -q "^misuse: .*end_without_begin 1" "$tmp/misuse.out" && ok "misuse: printed" ||
	bad "misuse: not printed in the tables"

# 8. record -p of a program already running
"$marked" wait 2500 >"$tmp/wait.pid" 2>/dev/null &
waiter=$!
sleep 0.3
"$opscope" record -p "$waiter" -d 1s -o "$tmp/attach" >"$tmp/attach.out" 2>&1
wait "$waiter"
check attach '
m = r["marks"]
say(m["attach_ms"] < 100, "attached %.1f ms after being told" % m["attach_ms"])
k = kind("test.wait")
say(k["count"] >= 10, "%d ops of 1 ms in the 1 s recorded (beside CPU hogs each waits for a CPU)" % k["count"])
say(m["misuse"]["begun_before_attach"] <= 1, "at most the op in flight begun before attach")'

# 9. compare, bench.txt, trace.json, stacks by op kind
"$opscope" compare "$tmp/sleep/report.json" "$tmp/sleep/report.json" >"$tmp/cmp.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && grep -q "test.sleep" "$tmp/cmp.out"; then
	ok "compare reads two record reports (exit $rc)"
else
	bad "compare on record reports: exit $rc: $(head -2 "$tmp/cmp.out")"
fi
# --rep: repetitions of 100 ms, so that compare can test significance (n >= 5 a side)
for ab in a b; do
	"$opscope" record -r 100ms -o "$tmp/rep$ab" -- "$marked" sleep 70 10 >/dev/null 2>&1
done
"$opscope" compare --all "$tmp/repa" "$tmp/repb" >"$tmp/cmprep.out" 2>&1
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scenarios"][0]["reps"])' \
	"$tmp/repa/report.json" 2>/dev/null)
if [ "${n:-0}" -ge 5 ] && grep -q "test.sleep/p50_ns" "$tmp/cmprep.out" &&
	! grep "test.sleep/p50_ns" "$tmp/cmprep.out" | grep -q "n<5"; then
	ok "--rep 100ms: $n repetitions, compare tests them"
else
	bad "--rep 100ms: $n repetitions; compare: $(grep p50_ns "$tmp/cmprep.out")"
fi
grep -qE '^BenchmarkTestSleep/marked-[0-9]+	40	' "$tmp/sleep/bench.txt" 2>/dev/null &&
	ok "bench.txt: $(grep -m1 Benchmark "$tmp/sleep/bench.txt" | cut -c1-60)" ||
	bad "bench.txt has no BenchmarkTestSleep/marked line of 40 ops"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert any(e.get("name")=="test.sleep" for e in t["traceEvents"])' \
	"$tmp/sleep/trace.json" 2>/dev/null && ok "trace.json holds test.sleep ops" ||
	bad "trace.json has no test.sleep op"
[ -s "$tmp/sleep/record.txt" ] && ok "record.txt beside the report" || bad "no record.txt"
"$opscope" record -s -o "$tmp/stacks" -- "$marked" sleep 30 2 >/dev/null 2>&1
f=$tmp/stacks/stacks/record/test.sleep.offcpu.folded
grep -q "op=test.sleep;.*clock_nanosleep" "$f" 2>/dev/null && ok "off-CPU stacks filed under op=test.sleep" ||
	bad "no off-CPU stack of test.sleep in $f"

# 10. C++ and Python
if c++ -std=c++17 -O2 -Wall -Wextra -Werror examples/cpp/example.cpp $flags $rpath -pthread \
	-o "$tmp/cppex" 2>"$tmp/cxx.log"; then
	"$opscope" record -o "$tmp/cpp" -- "$tmp/cppex" 50 >"$tmp/cpp.out" 2>&1
	check cpp '
h, l = kind("req.handle"), kind("req.lookup")
say(h["count"] == 40 and h["errors"] == 10, "req.handle: 40 ok, 10 failed (%d, %d)" % (h["count"], h["errors"]))
say(l["count"] == 50 and l["total"]["queued_ns"] > 0, "req.lookup: 50 run by the worker, queued time seen")
say(kind("req.parse")["count"] == 50, "req.parse: 50 scoped ops")
clean()'
else
	bad "examples/cpp does not build: $(head -3 "$tmp/cxx.log")"
fi
if command -v python3 >/dev/null; then
	OPSCOPE_LIB=$prefix/lib/libopscope.so.1 "$opscope" record -o "$tmp/py" -- \
		python3 examples/python/example.py 20 >"$tmp/py.out" 2>&1
	check py '
c = kind("py.compute")
say(c["count"] == 15 and c["errors"] == 5, "py.compute: 15 ok, 5 failed")
say(kind("py.sleep")["count"] == 20, "py.sleep: 20")
q = kind("py.queued")
say(q["count"] == 20 and q["total"]["queued_ns"] > 0, "py.queued: 20 run by the worker thread")
clean()'
fi
# 11. record --why
if chrt -f 1 "$opscope" record --why -o "$tmp/pipe" -- "$marked" pipewait 50 2 \
	>"$tmp/pipe.out" 2>"$tmp/pipe.err"; then
	ok "record --why: exit 0"
else
	bad "record --why: exit $?: $(tail -2 "$tmp/pipe.err")"
fi
check pipe '
k = kind("test.pipe")
w = k.get("why")
say(k["count"] == 50 and w is not None, "50 ops, each with a why (%d)" % k["count"])
if w:
    say(w["blocked_on"] == "pipe-writer", "blocked on %s" % w["blocked_on"])
    tot = {}
    for b in w["bands"]:
        for key, v in b["blocked_ns"].items():
            tot[key] = tot.get(key, 0) + v * b["ops"]
        for e in b["blocked_waker_blocked_by_syscall"]:
            tot["sys:" + e["syscall"]] = tot.get("sys:" + e["syscall"], 0) + e["ns"] * b["ops"]
        for key, v in b["blocked_waker_blocked_ended_by"].items():
            tot["chain:" + key] = tot.get("chain:" + key, 0) + v * b["ops"]
    whole = sum(v for key, v in tot.items() if ":" not in key)
    thr = (tot["on_cpu"] + tot["runq"] + tot["blocked"]) / whole if whole else 0
    say(thr > 0.9, "%.3f of its blocked time ended by a thread of the program" % thr)
    ns = tot.get("sys:clock_nanosleep", 0) / whole if whole else 0
    tm = tot.get("chain:timer", 0) / whole if whole else 0
    say(ns > 0.5 and tm > 0.5, "meanwhile that thread was blocked in clock_nanosleep (%.3f), "
        "its sleeps ended by a timer (%.3f)" % (ns, tm))
wf = r["scenarios"][0]["waitfor"] or {"edges": []}
edges = [(e["waiter"], e["waited_on"], e["how"], e["op"]) for e in wf["edges"]]
say(("pipe-reader", "pipe-writer", "thread", "test.pipe") in edges and
    any(e[0] == "pipe-writer" and e[1] == "timer" for e in edges),
    "wait-for graph: pipe-reader -> pipe-writer -> timer (%s)" % edges[:3])'
why=$(sed -n '/^Why it waited/,/^$/p' "$tmp/pipe/report.txt" | tr '\n' ' ' | tr -s ' ')
grep -qE 'blocked [^;]*pipe-writer[^;]*meanwhile it was blocked in clock_nanosleep' <<<"$why" &&
	ok "report.txt: $(grep -m1 -oE 'blocked [^;]*pipe-writer[^;]*' <<<"$why" | head -1)" ||
	bad "report.txt: test.pipe's line does not name pipe-writer and clock_nanosleep"
[ -s "$tmp/pipe/waitfor/marked_test.pipe.svg" ] && grep -q 'class="why"' "$tmp/pipe/report.html" &&
	ok "waitfor/marked_test.pipe.svg written, report.html has the why chart" ||
	bad "no waitfor/marked_test.pipe.svg or no why chart in report.html"
rec pipeno pipewait 10 1
check pipeno '
say("why" not in kind("test.pipe") and "waitfor" not in r["scenarios"][0],
    "without --why: no why, no wait-for graph")'

finish
