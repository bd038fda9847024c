#!/usr/bin/env bash
# Users' implementations inside the driver (docs/PLUGINS.md), built as a user would:
# `make install PREFIX=...`, then examples/plugin/Makefile against the installed
# <opscope/plugin.h> (a mutex + condvar pool, a mutex ring channel, two functions), and
# run with `opscope run --plugin`. Every figure is read from report.json:
#  1. bad plugins (missing, not a shared object, no entry, another ABI, a bad or taken
#     name, a missing function, nothing registered, an unknown impl, a bench without a
#     plugin, impl with mode=process, a bad suite line): one line, exit 2, no output;
#  2. touch_pages with arg=16: exactly 16 faults and 2 memory-mapping calls per op in
#     every band (the function maps fresh pages: each first write is one fault);
#  3. sleep_1ms: the mean op and the typical one (le-p50) blocked in clock_nanosleep at
#     least 0.95 ms, and no more than their time in syscalls (a timer the hypervisor delays
#     is blocked time too, so a busy host bounds it only from above, by the kernel); in every
#     band and exemplar at least 0.95 ms off-CPU in the sleep: blocked in
#     clock_nanosleep, or waiting for a CPU when preempted inside the call before it
#     slept (the timer never fires early, and runs from before the switch-out); at most
#     one voluntary switch per op, and each op leaves the CPU at least once;
#  4. impl=mypool: the call's breakdown is the user's worker's (5 ms blocked in
#     clock_nanosleep per call on average, at least 4.75 ms and within its syscall time;
#     at least 4.75 ms blocked there or
#     waiting for a CPU in every band, as in 3.), queued time is there, at most `workers` busy,
#     calls conserved, trace.json names the user's worker threads; report.json names the
#     plugin file, its build id (as readelf reads it) and hash;
#  5. impl=mychan: spsc and mpmc, capacity 1 and 64, pingpong: every scenario ok (the
#     workload checks order and loss itself), sent = received in every repetition, and
#     capacity 1 blocks in futex (the condition variables);
#  6. compare: the built-in pool against mypool is refused (exit 2, one line per
#     scenario) unless --allow-impl-mismatch; another build of the same plugin is noted;
#  7. a suite's plugin line (relative to the suite file), and a C++ plugin.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_plugin "$@"

prefix=$tmp/prefix
if ! make --no-print-directory -s install PREFIX="$prefix" >"$tmp/install.log" 2>&1; then
	bad "make install PREFIX=$prefix failed: $(tail -3 "$tmp/install.log")"
	finish
fi
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ -f "$prefix/include/opscope/plugin.h" ] && ok "make install puts <opscope/plugin.h>" ||
	bad "no $prefix/include/opscope/plugin.h after make install"
lib=$tmp/libmyplugin.so
if ! make --no-print-directory -s -C examples/plugin OUT="$tmp" \
	CFLAGS="-O2 -Wall -Wextra -Werror" >"$tmp/cc.log" 2>&1; then
	bad "examples/plugin does not build against the installed header: $(head -3 "$tmp/cc.log")"
	finish
fi
ok "examples/plugin builds with its Makefile"
if nm -D "$lib" | grep -q ' U opscope_'; then
	bad "the plugin needs a symbol from opscope: $(nm -D "$lib" | grep ' U opscope_')"
else
	ok "the plugin needs no library: $(nm -D "$lib" | grep -c ' [TW] opscope_') exported entry"
fi

# run NAME ARGS...: opscope run -o $tmp/NAME ARGS (output in $tmp/NAME.out, .err)
run() {
	local name=$1; shift
	"$opscope" run -o "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

# refused WHAT NEEDLE ARGS...: opscope run ARGS exits 2 with one line holding NEEDLE
refused() {
	local what=$1 needle=$2 rc; shift 2
	"$opscope" run -o "$tmp/refused" --quick "$@" >"$tmp/refused.out" 2>"$tmp/refused.err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/refused.err")" -eq 1 ] &&
		grep -qF -- "$needle" "$tmp/refused.err" && [ ! -e "$tmp/refused" ]; then
		ok "$what: exit 2, one line: $(cut -c1-100 "$tmp/refused.err")"
	else
		bad "$what: exit $rc, output dir $([ -e "$tmp/refused" ] && echo made || echo none): $(cat "$tmp/refused.err")"
	fi
	rm -rf "$tmp/refused"
}

# check NAME PYTHON: the python checks on $tmp/NAME/report.json; "ok ..." / "FAIL ..." lines
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
def scen(sid):
    for s in r["scenarios"]:
        if s["id"] == sid:
            return s
    raise SystemExit("FAIL no scenario %s in report.json" % sid)
def kind(s, op):
    for k in s["kinds"]:
        if k["op"] == op:
            return k
    raise SystemExit("FAIL no op kind %s in %s" % (op, s["id"]))
def blk(bd, sysname):
    return sum(b["ns"] for b in bd["blocked_by"] if b["syscall"] == sysname)
def say(cond, what):
    print(("ok " if cond else "FAIL ") + what)
def allok():
    for s in r["scenarios"]:
        say(s["status"] == "ok", "%s: status %s %s" % (s["id"], s["status"], s["error"] or ""))
$code
EOF
)
}

# 1. bad plugins
cc_bad() {
	cc -Wall -Wextra -Werror $(pkg-config --cflags opscope) -shared -fPIC -D"$1" \
		tests/fixtures/plugin_bad.c -o "$tmp/lib$1.so"
}
for d in BAD_ABI BAD_NAME NO_SUBMIT EMPTY BUILTIN; do
	cc_bad $d || bad "tests/fixtures/plugin_bad.c -D$d does not build"
done
echo 'not a shared object' >"$tmp/libtext.so"
echo 'int f(void); int f(void) { return 1; }' >"$tmp/noentry.c"
cc -shared -fPIC "$tmp/noentry.c" -o "$tmp/libnoentry.so"
cp "$lib" "$tmp/libcopy.so"
refused "missing file" "$tmp/nope.so: No such file" --plugin "$tmp/nope.so" -w pool
refused "not a shared object" "cannot load plugin" --plugin "$tmp/libtext.so" -w pool
refused "no entry" "is not an opscope plugin" --plugin "$tmp/libnoentry.so" -w pool
refused "another ABI" "built against plugin ABI 99, and this opscope speaks ABI 1" \
	--plugin "$tmp/libBAD_ABI.so" -w pool
refused "bad name" "registers a pool named 'my pool'" --plugin "$tmp/libBAD_NAME.so" -w pool
refused "reserved name" "registers a pool named 'builtin'" --plugin "$tmp/libBUILTIN.so"
refused "missing function" "pool nosubmit has no submit function" \
	--plugin "$tmp/libNO_SUBMIT.so" -w pool
refused "nothing registered" "registers nothing" --plugin "$tmp/libEMPTY.so" -w pool
refused "taken name" "which $lib already registers" --plugin "$lib" --plugin "$tmp/libcopy.so"
refused "unknown impl" "impl: 'yourpool' is not a valid value; use one of builtin, mypool, or" \
	--plugin "$lib" -w pool -p impl=yourpool
refused "bench without a plugin" "the bench workload runs a function from a plugin" -w bench
refused "impl with mode=process" "impl=mypool runs its tasks on its own threads" \
	--plugin "$lib" -w pool -p impl=mypool -p mode=process
mkdir -p "$tmp/suites"
printf '[run]\nreps = 1\n\nplugin ../nothere.so\n' >"$tmp/suites/bad.suite"
refused "suite plugin line" "bad.suite:4: plugin $tmp/suites/../nothere.so: No such file" \
	--suite "$tmp/suites/bad.suite"
"$opscope" run --plugin "$lib" --plugin "$lib" --help >"$tmp/help.out" 2>&1 &&
	grep -q 'impl=mypool: mutex' "$tmp/help.out" && grep -q 'fn=sleep_1ms: nanosleep' "$tmp/help.out" &&
	ok "--help lists the plugin's implementations (the same file twice loads once)" ||
	bad "--help with --plugin: $(grep -m3 'impl\|fn' "$tmp/help.out")"

# 2. page touches: faults per op, exactly
run touch --plugin "$lib" -w bench -p fn=touch_pages -p arg=16 -p threads=2 -r 2 --max-ops 3000
check touch '
allok()
k = kind(scen("bench"), "bench.touch_pages")
t = k["total"]
say(k["count"] == 6000 and t["faults"] == 16 * k["count"],
    "%d ops, %d faults: 16 each" % (k["count"], t["faults"]))
say(t["map_calls"] == 2 * k["count"], "one mmap and one munmap per op (%d calls)" % t["map_calls"])
for b in k["bands"]:
    if b["ops"]:
        say(b["sum"]["faults"] == 16 * b["ops"], "%s: %d faults in %d ops" % (b["band"], b["sum"]["faults"], b["ops"]))
for e in ("p50", "p99"):
    say(k["exemplars"][e]["faults"] == 16, "exemplar %s: %d faults" % (e, k["exemplars"][e]["faults"]))
say(k["errors"] == 0, "no failed calls")'

# 3. sleeps
run sleep --plugin "$lib" -w bench -p fn=sleep_1ms -p threads=2 -r 2 --max-ops 300
check sleep '
allok()
k = kind(scen("bench"), "bench.sleep_1ms")
t = k["total"]
mean = blk(t, "clock_nanosleep") / k["count"]
say(k["count"] == 600, "%d ops" % k["count"])
say(0.95e6 <= mean and blk(t, "clock_nanosleep") <= t["syscall_ns"] <= t["lat_ns"],
    "mean %.0f ns blocked in clock_nanosleep per op, within its %.0f ns in syscalls" % (mean, t["syscall_ns"] / k["count"]))
say(t["vcsw"] <= k["count"] <= t["vcsw"] + t["ivcsw"],
    "at most one voluntary switch per op, and a switch in each (%d + %d in %d)" % (t["vcsw"], t["ivcsw"], k["count"]))
for b in k["bands"]:
    if b["ops"]:
        v = blk(b["sum"], "clock_nanosleep") / b["ops"]
        q = b["sum"]["runq_ns"] / b["ops"]
        say(v + q >= 0.95e6, "%s: %.0f ns in clock_nanosleep + %.0f ns waiting for a CPU per op" % (b["band"], v, q))
for e in ("p50", "p99"):
    x = k["exemplars"][e]
    v = blk(x, "clock_nanosleep")
    say(v + x["runq_ns"] >= 0.95e6, "exemplar %s: %.0f ns in clock_nanosleep + %.0f ns waiting" % (e, v, x["runq_ns"]))
b = k["bands"][0]["sum"]
v = blk(b, "clock_nanosleep") / k["bands"][0]["ops"]
say(0.95e6 <= v and blk(b, "clock_nanosleep") <= b["syscall_ns"] <= b["lat_ns"],
    "le-p50: %.0f ns, at least 0.95 ms and within its time in syscalls" % v)'

# 4. the user's pool
bid=$(readelf -n "$lib" 2>/dev/null | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
run pool --plugin "$lib" -w pool -p impl=mypool -p workers=1,2 -p inflight=4 -p sleep=5ms \
	-r 2 -d 300ms
check pool '
allok()
for sid, w in (("pool/workers=1", 1), ("pool/workers=2", 2)):
    s = scen(sid)
    im = s["impl"]
    say(im["name"] == "mypool" and im["plugin"] == "'"$(realpath "$lib")"'"
        and im["build_id"] == "'"$bid"'" and im["hash"].startswith("fnv1a64:"),
        "%s: impl %s from %s, build id %s" % (sid, im["name"], im["plugin"], im["build_id"]))
    k = kind(s, "pool.call")
    v = blk(k["total"], "clock_nanosleep") / k["count"]
    say(0.95 * 5e6 <= v and blk(k["total"], "clock_nanosleep") <= k["total"]["syscall_ns"],
        "%s: the worker blocked %.0f ns in clock_nanosleep per call" % (sid, v))
    for b in k["bands"]:
        if b["ops"]:
            v = blk(b["sum"], "clock_nanosleep") / b["ops"]
            q = b["sum"]["runq_ns"] / b["ops"]
            say(v + q >= 0.95 * 5e6, "%s %s: %.0f ns in clock_nanosleep + %.0f ns waiting per call" % (sid, b["band"], v, q))
    say(k["total"]["queued_ns"] > 0, "%s: queued %.0f us per call" % (sid, k["total"]["queued_ns"] / k["count"] / 1e3))
    for rep in s["repetitions"]:
        say(rep["busy"]["peak"] <= w and rep["busy"]["limit"] == w and rep["sent"] == rep["received"],
            "%s rep %d: busy %d of %d, %d calls, %d results" % (sid, rep["rep"], rep["busy"]["peak"], w, rep["sent"], rep["received"]))'
python3 - "$tmp/pool/trace.json" <<'EOF' | while IFS= read -r l; do case $l in ok\ *) ok "${l#ok }" ;; *) bad "$l" ;; esac; done
import json, sys
t = json.load(open(sys.argv[1]))
ev = t["traceEvents"] if isinstance(t, dict) else t
names = {e["args"]["name"] for e in ev if e.get("ph") == "M" and e.get("name") == "thread_name"}
mine = sorted(n for n in names if n.startswith("mypool-"))
print(("ok" if mine else "FAIL") + " trace.json has the user's worker threads: %s" % (mine or sorted(names)))
EOF
run pool-nokernel --plugin "$lib" -w pool -p impl=mypool --no-kernel --quick
check pool-nokernel 'allok()'

# 5. the user's channel
printf 'plugin ../libmyplugin.so\n\n[run]\nreps = 2\nduration = 200ms\n
[scenario chan]\nworkload = channel\nimpl = mychan\nsweep mode/producers/consumers = spsc/1/1, mpmc/2/2
sweep capacity = 1, 64\n\n[scenario pingpong]\nworkload = channel\nimpl = mychan
pattern = pingpong\nmode = mpsc\nproducers = 2\n' >"$tmp/suites/chan.suite"
run chan --suite "$tmp/suites/chan.suite"
check chan '
allok()
say(len(r["scenarios"]) == 5, "%d scenarios" % len(r["scenarios"]))
for s in r["scenarios"]:
    say(s["impl"]["name"] == "mychan", "%s: impl %s" % (s["id"], s["impl"]["name"]))
    for rep in s["repetitions"]:
        say(rep["sent"] == rep["received"] and rep["sent"] > 0,
            "%s rep %d: %d sent, %d received" % (s["id"], rep["rep"], rep["sent"], rep["received"]))
for sid in ("chan/mode=spsc/producers=1/consumers=1/capacity=1", "chan/mode=mpmc/producers=2/consumers=2/capacity=1"):
    k = kind(scen(sid), "chan.send")
    say(blk(k["total"], "futex") > 0, "%s: senders block in futex (%.0f us)" % (sid, blk(k["total"], "futex") / 1e3))'

# 6. compare: another implementation, another build
pool_args=(-w pool -p workers=2 -p spin=20us -p inflight=8 -r 5 -d 100ms --warmup 20ms)
run cmp-builtin "${pool_args[@]}"
run cmp-mine --plugin "$lib" "${pool_args[@]}" -p impl=mypool
"$opscope" compare "$tmp/cmp-builtin" "$tmp/cmp-mine" >"$tmp/cmp1.out" 2>"$tmp/cmp1.err"
rc=$?
[ $rc -eq 2 ] && grep -q 'IMPLEMENTATION MISMATCH' "$tmp/cmp1.out" &&
	grep -q "pool: impl builtin -> mypool ($(realpath "$lib"))" "$tmp/cmp1.out" &&
	grep -q 'allow-impl-mismatch' "$tmp/cmp1.err" &&
	ok "compare builtin -> mypool: exit 2, $(grep 'impl builtin' "$tmp/cmp1.out")" ||
	bad "compare builtin -> mypool: exit $rc: $(head -5 "$tmp/cmp1.out") $(cat "$tmp/cmp1.err")"
"$opscope" compare --allow-impl-mismatch --all --json "$tmp/cmp2.json" "$tmp/cmp-builtin" \
	"$tmp/cmp-mine" >"$tmp/cmp2.out" 2>&1
rc=$?
python3 - "$tmp/cmp2.json" $rc <<'EOF' | while IFS= read -r l; do case $l in ok\ *) ok "${l#ok }" ;; *) bad "$l" ;; esac; done
import json, sys
c = json.load(open(sys.argv[1]))
rows = {(x["scenario"], x["metric"]) for x in c["rows"]}
good = int(sys.argv[2]) in (0, 1) and c["implementation_mismatch"] and ("pool", "throughput") in rows \
    and ("pool", "pool.call/p50_ns") in rows
print(("ok" if good else "FAIL") + " compare --allow-impl-mismatch: exit %s, %d rows (throughput, p50 among them)" % (sys.argv[2], len(rows)))
EOF
mkdir -p "$tmp/rebuilt" # another build: -O1 makes other code, so another build id
cc -O1 $(pkg-config --cflags opscope) -shared -fPIC -pthread examples/plugin/*.c \
	-o "$tmp/rebuilt/libmyplugin.so"
run cmp-rebuilt --plugin "$tmp/rebuilt/libmyplugin.so" "${pool_args[@]}" -p impl=mypool
"$opscope" compare "$tmp/cmp-mine" "$tmp/cmp-rebuilt" >"$tmp/cmp3.out" 2>&1
rc=$?
[ $rc -le 1 ] && grep -q 'implementations: the same, from other builds' "$tmp/cmp3.out" &&
	grep -q 'pool: mypool from another build' "$tmp/cmp3.out" &&
	ok "compare mypool -> mypool rebuilt: exit $rc, noted as another build" ||
	bad "compare mypool -> rebuilt: exit $rc: $(head -5 "$tmp/cmp3.out")"

# 7. a C++ plugin; fn defaults to the first one registered
c++ -O2 -Wall -Wextra -Werror $(pkg-config --cflags opscope) -shared -fPIC \
	tests/fixtures/plugin_cpp.cpp -o "$tmp/libcpp.so" 2>"$tmp/cxx.log" ||
	bad "tests/fixtures/plugin_cpp.cpp does not build: $(head -3 "$tmp/cxx.log")"
run cpp --plugin "$tmp/libcpp.so" -w bench -p threads=2 -p arg=500 --max-ops 3000 -r 1
check cpp '
allok()
k = kind(scen("bench"), "bench.cpp.sum")
say(k["count"] == 3000 and k["errors"] == 0, "C++ cpp.sum (the first registered): %d ops, %d failed" % (k["count"], k["errors"]))'
finish
