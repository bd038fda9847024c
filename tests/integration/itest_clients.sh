#!/usr/bin/env bash
# A real run's outputs opened in the tools their users open them with (run as root; $1 is
# the build/ directory). Two short pool runs with --stacks, then:
#  1. go tool pprof (Debian's golang-go): -top, -traces and -list on profile.pb.gz, -top
#     on the other kinds' files, with nothing on stderr (no "Main binary filename not
#     available"); the cpu type in nanoseconds; no zero-valued trace; -list shows the
#     source of an opscope function;
#  2. the folded stacks: no kernel frame swallowed by _einittext, no user frame that is
#     not code ([unknown]+0x..), and the cut counted in report.json;
#  3. every SVG kind (on-CPU, off-CPU, wall, and a diff of the two runs' wall graphs)
#     in headless chromium through the DevTools protocol: no script error, click to
#     zoom and Search work (tests/clients/svg_in_chromium.py); the diff names both
#     inputs by their paths, which share a file name;
#  4. bench.txt read by a parser that follows the Go benchmark format
#     (golang.org/design/14313-benchmark-format) to the letter: every line of one
#     benchmark has the same units in the same order.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_clients "$@"
here=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=${HOME:-/root}
export GOCACHE=${GOCACHE:-$tmp/gocache}

run() { # DIR ARGS...
	local out=$1; shift
	"$opscope" run --stacks --freq 997 --workload pool --reps 2 --warmup 20ms \
		--duration 250ms --out "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	local rc=$?
	if [ "$rc" -le 1 ] && [ -s "$out/stacks/pool/profile.pb.gz" ]; then
		ok "run --stacks $* (exit $rc) wrote $(ls "$out/stacks/pool" | wc -l) stack files"
		return 0
	fi
	bad "run --stacks $*: exit $rc, $(tail -2 "$tmp/stderr")"
	return 1
}
run "$tmp/a" --param sleep=200us || finish
run "$tmp/b" --param sleep=400us || finish
st=$tmp/a/stacks/pool

# 1. go tool pprof
pp() { # OUTFILE ARGS...: run from the source tree, so that -list finds the sources
	local o=$1; shift
	(cd "$here" && go tool pprof "$@") >"$o" 2>"$o.err"
}
if ! command -v go >/dev/null; then
	bad "no go on PATH: scripts/install-deps.sh installs golang-go"
else
	for k in profile offcpu runq waker faults; do
		[ -e "$st/$k.pb.gz" ] || continue
		pp "$tmp/$k.top" -top "$st/$k.pb.gz"
		if [ -s "$tmp/$k.top" ] && [ ! -s "$tmp/$k.top.err" ]; then
			ok "pprof -top $k.pb.gz: $(grep -m1 '^Type:' "$tmp/$k.top"), nothing on stderr"
		else
			bad "pprof -top $k.pb.gz: stderr: $(head -3 "$tmp/$k.top.err")"
		fi
	done
	if grep -q '^File: opscope' "$tmp/profile.top" &&
		grep -qE '^Duration: .*Total samples = [0-9.]+(ms|s|us)' "$tmp/profile.top"; then
		ok "pprof: main binary opscope, cpu in time units: $(grep -m1 '^Duration' "$tmp/profile.top")"
	else
		bad "pprof: $(grep -m2 '^\(File\|Duration\)' "$tmp/profile.top" | tr '\n' ' ')"
	fi
	pp "$tmp/traces" -traces "$st/profile.pb.gz"
	# a trace is a separator line, labels, then "VALUE  leaf" and the callers
	zero=$(awk '/^-----------\+/ { first = 1; next }
		    first && /^ +[^ :]+ +[^ ]/ && $0 !~ /:  / { if ($1 == "0") n++; first = 0 }
		    END { print n + 0 }' "$tmp/traces")
	ntr=$(grep -c '^-----------+' "$tmp/traces")
	if [ "$ntr" -gt 0 ] && [ "$zero" -eq 0 ] && [ ! -s "$tmp/traces.err" ]; then
		ok "pprof -traces: $ntr traces, none zero-valued, nothing on stderr"
	else
		bad "pprof -traces: $ntr traces, $zero zero-valued; stderr: $(head -2 "$tmp/traces.err")"
	fi
	pp "$tmp/list" -list 'caller_main|worker_main|take_result|chan_|pool_' "$st/profile.pb.gz"
	if grep -qE '^ROUTINE =+ [a-z_]+ in userspace/' "$tmp/list" &&
		grep -qE '^ +[^ ]+ +[^ ]+ +[0-9]+:' "$tmp/list" && [ ! -s "$tmp/list.err" ] &&
		! grep -q 'could not find file\|No source information' "$tmp/list"; then
		ok "pprof -list: $(grep -m1 '^ROUTINE' "$tmp/list" | sed 's/=* //'), with its source lines"
	else
		bad "pprof -list: $(head -3 "$tmp/list" | tr '\n' ' ') stderr: $(head -2 "$tmp/list.err")"
	fi
fi

# 2. the stacks' frames
if grep -q '_einittext_\[k\]' "$st"/*.folded; then
	bad "folded: kernel frames named _einittext: $(grep -ho '[^;]*;_einittext_\[k\]' "$st"/*.folded | head -2)"
else
	ok "folded: no kernel frame named _einittext; $(grep -ho 'bpf:[a-z_]*_\[k\]' "$st"/*.folded | sort -u | head -3 | tr '\n' ' ')"
fi
if grep -q '\[unknown\]+0x' "$st"/*.folded; then
	bad "folded: user frames outside every mapping: $(grep -ho '\[unknown\]+0x[0-9a-f]*' "$st"/*.folded | head -3 | tr '\n' ' ')"
else
	ok "folded: no [unknown]+0x.. frame"
fi
if python3 - "$tmp/a/report.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["collector"]["stacks"]
print("report.json: %d of %d user stacks cut, %d frames; %d reach a root; %d copies" %
      (s["user_stacks_cut"], s["user_stacks"], s["user_frames_cut"],
       s["user_stacks_rooted"], s["user_stack_copies"]))
sys.exit(0 if s["user_stacks"] > 0 and s["user_stacks_cut"] <= s["user_stacks"] and
         0 < s["user_stacks_rooted"] <= s["user_stacks"] else 1)
EOF
then ok "the cut and the root share are counted in report.json"
else bad "report.json: no cut or root counts"; fi

# 3. SVGs in chromium
"$opscope" flamegraph --diff "$tmp/a/stacks/pool/pool.call.wall.folded" \
	"$tmp/b/stacks/pool/pool.call.wall.folded" -o "$tmp/diff.svg" --unit ns >/dev/null
if grep -qF "$tmp/a/stacks/pool/pool.call.wall.folded" "$tmp/diff.svg" &&
	grep -qF "$tmp/b/stacks/pool/pool.call.wall.folded" "$tmp/diff.svg"; then
	ok "diff: subtitle and tooltips name both inputs by path (same file name)"
else
	bad "diff: the two inputs are not named by path"
fi
while IFS= read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	*) bad "${line#FAIL }" ;;
	esac
done < <(python3 "$here/tests/clients/svg_in_chromium.py" "$st/pool.call.oncpu.svg" \
	"$st/pool.call.offcpu.svg" "$st/pool.call.wall.svg" "$tmp/diff.svg" 2>&1)

# 4. bench.txt, by the letter of the Go benchmark format
if python3 - "$tmp/a/bench.txt" <<'EOF'
import sys, unicodedata
def is_space(c): return c.isspace()
def is_lower(c): return unicodedata.category(c) == "Ll"
def is_upper(c): return unicodedata.category(c) == "Lu"
bad, units, config = [], {}, {}
for n, line in enumerate(open(sys.argv[1], encoding="utf-8").read().split("\n"), 1):
    # configuration line: "key: value", key starts lower case, no space, no upper case
    i = line.find(":")
    if i > 0 and is_lower(line[0]) and not any(is_space(c) or is_upper(c) for c in line[:i]) \
            and (i + 1 == len(line) or line[i + 1] in " \t"):
        config[line[:i]] = line[i + 1:].strip(" \t")
        continue
    f = line.split()
    if not f or not f[0].startswith("Benchmark") or \
            (len(f[0]) > 9 and not is_upper(f[0][9])):
        continue  # neither kind of line: ignored, as the format says
    if len(f) < 4 or len(f) % 2:
        bad.append("%d: %d fields (an even number, at least 4)" % (n, len(f))); continue
    if not f[1].isdigit():
        bad.append("%d: iterations '%s'" % (n, f[1])); continue
    try:
        [float(v) for v in f[2::2]]
    except ValueError as e:
        bad.append("%d: %s" % (n, e)); continue
    key = (f[0], tuple(sorted(config.items())))
    units.setdefault(key, []).append(tuple(f[3::2]))
split = [k[0] for k, u in units.items() if len(set(u)) != 1]
multi = sum(1 for u in units.values() if len(u) > 1)
print("bench.txt: %d benchmarks (%d with several lines), %d bad lines %s, %d with "
      "differing units %s" % (len(units), multi, len(bad), bad[:2], len(split), split[:2]))
sys.exit(0 if units and multi and not bad and not split else 1)
EOF
then ok "bench.txt follows the Go benchmark format; each benchmark's lines have one unit list"
else bad "bench.txt does not parse as the Go benchmark format, or units differ"; fi
finish
