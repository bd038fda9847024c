#!/usr/bin/env bash
# End-to-end proof of trace.json, the slow-operation exemplars (run as root; $1 is the
# build/ directory):
#  1. a short pool run with sleep=1ms writes trace.json in the trace-event format: X
#     slices with numeric ts/dur/pid/tid, M metadata naming processes and threads, on
#     every track slices nested or apart;
#  2. its slowest pool.call ops are there, each linked to the worker's run of the task,
#     and the run holds a clock_nanosleep off-CPU slice whose "blocked" child is about
#     the 1 ms sleep;
#  3. with --stacks, those intervals carry the kernel stack id they blocked with;
#  4. a channel run (capacity 1, ops block on each other in the same thread) has its
#     off-CPU intervals nested in the op slices themselves;
#  5. --no-kernel still writes the op slices, with no intervals.
# The structural checks need python3 (skipped visibly without it).
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_trace "$@"

run() { # DIR ARGS...: exit 0 or 1 (a target may fail) is a completed run
	local out=$1; shift
	"$opscope" run --quick --out "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	local rc=$?
	if [ "$rc" -le 1 ] && [ -s "$out/trace.json" ]; then
		ok "run $* (exit $rc) wrote trace.json ($(wc -c <"$out/trace.json") bytes)"
		return 0
	fi
	bad "run $*: exit $rc, trace.json $( [ -e "$out/trace.json" ] && echo empty || echo missing): $(tail -2 "$tmp/stderr")"
	return 1
}

# check.py TRACE MODE: prints "ok ..." / "FAIL ..." lines
cat >"$tmp/check.py" <<'EOF'
import json, sys
from decimal import Decimal
path, mode = sys.argv[1], sys.argv[2]
def out(good, msg):
    print(("ok   " if good else "FAIL ") + msg)
try:
    # numbers as the exact decimals written, not as binary floats
    d = json.load(open(path), parse_float=Decimal)
except Exception as e:
    out(False, "trace.json does not parse: %s" % e); sys.exit(0)
ev = d.get("traceEvents", [])
xs = [e for e in ev if e.get("ph") == "X"]
ms = [e for e in ev if e.get("ph") == "M"]
num = lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)
bad_x = [e for e in xs if not (num(e.get("ts")) and num(e.get("dur")) and num(e.get("pid"))
                               and num(e.get("tid")) and isinstance(e.get("name"), str)
                               and e["dur"] >= 0)]
meta = {"process_name", "process_labels", "process_sort_index", "thread_name",
        "thread_sort_index"}
bad_m = [e for e in ms if e.get("name") not in meta or "name" not in e.get("args", {})
         and e.get("name") in ("process_name", "thread_name")]
if mode == "format":
    out(len(xs) > 0 and not bad_x, "%d X slices, each with numeric ts, dur, pid, tid and a name"
        % len(xs))
    out(len(ms) > 0 and not bad_m, "%d M metadata events, all known names" % len(ms))
    procs = [e["args"]["name"] for e in ms if e["name"] == "process_name"]
    out(any(p.startswith("opscope: pool") for p in procs), "process names: %s" % procs)
    named = {(e["pid"], e["tid"]) for e in ms if e["name"] == "thread_name"}
    out(all((e["pid"], e["tid"]) in named for e in xs), "every track has a thread name")
# nesting, per track, in integer ns: ts and dur read exactly as written
def overlaps(tracks):
    n = 0
    for t, sl in tracks.items():
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for b, en in sl:
            while stack and stack[-1] <= b:
                stack.pop()
            if stack and en > stack[-1]:
                n += 1
            stack.append(en)
    return n
tracks, inexact = {}, 0
for e in xs:
    b, du = e["ts"] * 1000, e["dur"] * 1000
    inexact += b != int(b) or du != int(du)
    tracks.setdefault((e["pid"], e["tid"]), []).append((int(b), int(b) + int(du)))
broken = overlaps(tracks)
# and as a JavaScript reader computes it (speedscope): binary doubles, the track's first
# ts subtracted, then end = ts + dur
ftracks = {}
for e in xs:
    ftracks.setdefault((e["pid"], e["tid"]), []).append(e)
fl = {}
for t, sl in ftracks.items():
    first = min(float(e["ts"]) for e in sl)
    fl[t] = [(float(e["ts"]) - first, (float(e["ts"]) - first) + float(e["dur"])) for e in sl]
fbroken = overlaps(fl)
if mode == "format":
    out(inexact == 0, "every ts and dur is a whole number of ns (%d not)" % inexact)
    out(broken == 0, "slices on %d tracks nest or are apart in integer ns (%d overlaps)"
        % (len(tracks), broken))
    out(fbroken == 0, "and in a JavaScript reader's double arithmetic (%d overlaps)" % fbroken)

def children(parent, name=None, cat=None):
    pb = round(parent["ts"] * 1000); pe = pb + round(parent["dur"] * 1000)
    r = []
    for e in xs:
        if (e["pid"], e["tid"]) != (parent["pid"], parent["tid"]) or e is parent:
            continue
        b = round(e["ts"] * 1000); en = b + round(e["dur"] * 1000)
        if b >= pb and en <= pe and (name is None or e["name"] == name) and \
           (cat is None or e.get("cat") == cat):
            r.append(e)
    return r

if mode in ("format", "stacks"):
    ops = sorted([e for e in xs if e.get("cat") == "op" and e["name"] == "pool.call"],
                 key=lambda e: -e["dur"])
    runs = [e for e in xs if e.get("cat") == "run"]
    slow = [o for o in ops if o["args"].get("exemplar") == "slowest"]
    out(len(slow) == 8, "%d pool.call ops marked slowest (8 expected), %d in all"
        % (len(slow), len(ops)))
    good = 0; kst = 0; why = []
    for o in slow:
        ob = round(o["ts"] * 1000); oe = ob + round(o["dur"] * 1000)
        tid = o["tid"] % 10000000
        mine = [r for r in runs if r["args"]["for_tid"] == tid and
                round(r["ts"] * 1000) >= ob and round((r["ts"] + r["dur"]) * 1000) <= oe + 1
                and r["tid"] % 10000000 == o["args"].get("ran_on_tid")]
        sleeps = [z for r in mine for z in children(r, "clock_nanosleep", "offcpu")]
        blocked = [b for z in sleeps for b in children(z, "blocked", "offcpu.blocked")]
        if blocked and max(b["dur"] for b in blocked) >= 900:
            good += 1
        else:
            why.append("op at %.3f: %d runs, %d sleeps" % (o["ts"], len(mine), len(sleeps)))
        kst += sum(1 for z in sleeps if z["args"].get("kstack_id"))
    out(good >= 6, "%d of the 8 slowest pool.call ops hold, in the worker's run, a "
        "clock_nanosleep slice with a blocked child of >= 0.9 ms %s" % (good, why[:2]))
    if mode == "stacks":
        out(kst >= 6, "with --stacks, %d of those sleeps carry the kernel stack id" % kst)
if mode == "channel":
    ops = [e for e in xs if e.get("cat") == "op" and e["name"].startswith("chan.")]
    inner = sum(1 for o in ops if children(o, cat="offcpu"))
    out(len(ops) >= 8 and inner >= 4, "channel: %d ops, %d with off-CPU slices nested in "
        "the op on its own track" % (len(ops), inner))
    out(broken == 0 and fbroken == 0, "channel: slices nest or are apart, in integer ns "
        "and in double arithmetic (%d, %d overlaps)" % (broken, fbroken))
if mode == "nokernel":
    ops = [e for e in xs if e.get("cat") == "op"]
    off = [e for e in xs if e.get("cat") == "offcpu"]
    out(len(ops) >= 8 and not off, "--no-kernel: %d op slices, %d off-CPU slices"
        % (len(ops), len(off)))
EOF

check() { # TRACE MODE
	if ! command -v python3 >/dev/null; then
		echo "SKIP (no python3: $2 checks of trace.json not run)"
		return
	fi
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "${line#ok   }" ;;
		*) bad "${line#FAIL }" ;;
		esac
	done < <(python3 "$tmp/check.py" "$1" "$2" 2>&1)
}

# 1, 2. pool with a 1 ms sleep per task
if run "$tmp/pool" --workload pool --param sleep=1ms --param workers=2 --duration 300ms; then
	check "$tmp/pool/trace.json" format
	if grep -q 'trace.json' "$tmp/stderr"; then
		ok "the closing line names trace.json"
	else
		bad "the closing line does not name trace.json: $(tail -1 "$tmp/stderr")"
	fi
fi
# 3. the same with stacks: kernel stack ids on the intervals
if run "$tmp/pools" --stacks --workload pool --param sleep=1ms --param workers=2 \
	--duration 300ms; then
	check "$tmp/pools/trace.json" stacks
fi
# 4. same-thread ops: a channel of capacity 1
if run "$tmp/chan" --workload channel --param capacity=1 --duration 200ms; then
	check "$tmp/chan/trace.json" channel
fi
# 5. no collector
if run "$tmp/nok" --no-kernel --workload pool --param sleep=1ms --duration 200ms; then
	check "$tmp/nok/trace.json" nokernel
fi
finish
