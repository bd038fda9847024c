#!/usr/bin/env bash
# End-to-end proof of opscope compare (run as root; $1 is the build/ directory):
#  1. the same pool scenario twice, the second with a 10x longer task sleep: compare
#     exits 1, its why-line names the component that moved (blocked, in
#     clock_nanosleep), and it draws the differential flame graph from the runs' stacks;
#  2. the same run on both sides: compare exits 0;
#  3. bad input (truncated report, newer schema version) and an environment mismatch
#     exit 2; the CI outputs are well-formed; baseline and history work on real runs.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_compare "$@"

# inflight = workers: a task never waits for a worker, so the longer sleep shows up as
# the caller being blocked rather than as queueing.
run_pool() { # OUTDIR SLEEP; exit 1 (a default target missed, as under ASan) is a result
	"$opscope" run --stacks --workload pool -p workers=2 -p callers=2 -p inflight=2 \
		-p sleep="$2" --reps 5 --warmup 30ms --duration 200ms --out "$1" \
		>"$1.log" 2>&1
	[ $? -le 1 ]
}

compare() { # BASE CUR [OPTS...] -> sets rc, output in $tmp/cmp.out
	local base=$1 cur=$2; shift 2
	"$opscope" compare "$@" "$base" "$cur" >"$tmp/cmp.out" 2>&1
	rc=$?
}

if run_pool "$tmp/a" 50us && run_pool "$tmp/b" 500us && run_pool "$tmp/c" 50us; then
	ok "three runs of pool (sleep 50us, 500us, 50us), 5 repetitions each"
else
	bad "opscope run failed: $(tail -n 3 "$tmp"/*.log)"
	finish
fi

# 1. slowdown: the sleep parameter stands for a code change, so compare is told so
compare "$tmp/a" "$tmp/b"
if [ "$rc" -eq 2 ] && grep -q '(sleep 50us -> 500us)' "$tmp/cmp.out"; then
	ok "parameters differ under one scenario name: refused, the parameter named"
else
	bad "differing parameters: exit $rc: $(cat "$tmp/cmp.out")"
fi
# --ignore-noise: the verdict on a 10x longer sleep, not on whether other sessions on this
# machine changed its noise between the runs (the noise rules are tested in test_verdict)
compare "$tmp/a" "$tmp/b" --allow-param-change --no-targets --ignore-noise --md "$tmp/cmp.md" \
	--junit "$tmp/cmp.xml" --json "$tmp/cmp.json"
if [ "$rc" -eq 1 ]; then
	ok "slower run: compare exits 1"
else
	bad "slower run: compare exit $rc, want 1"; cat "$tmp/cmp.out"
fi
if grep -q '^PARAMETERS DIFFER (compared anyway): .*sleep 50us -> 500us' "$tmp/cmp.out"; then
	ok "--allow-param-change: the difference is flagged at the top"
else
	bad "--allow-param-change: no flag: $(head -12 "$tmp/cmp.out")"
fi
why=$(grep -A3 -E '^  pool.call/p50_ns .*REGRESSION' "$tmp/cmp.out" | tr -s ' \n' ' ')
if grep -qE 'of which .*blocked \+[0-9.]+ (us|ms)' <<<"$why"; then
	ok "p50 regression explained: blocked time grew"
else
	bad "p50 regression does not name blocked as the moved component: $why"
fi
if grep -q 'clock_nanosleep' <<<"$why"; then
	ok "the blocking syscall is named (clock_nanosleep)"
else
	bad "the why-line does not name clock_nanosleep: $why"
fi
re_row='^  pool.call/p50_ns +[0-9.]+ us +[0-9.]+ us +\+[0-9.]+% '
re_row+='\[\+[0-9.]+,\+[0-9.]+\] +(<0\.001|0\.0[0-4][0-9]) +REGRESSION'
if grep -qE "$re_row" "$tmp/cmp.out"; then
	ok "p50 row: baseline, current, change with its 95% CI, Holm p < 0.05, REGRESSION"
else
	bad "p50 row malformed: $(grep 'p50_ns' "$tmp/cmp.out")"
fi
svg=$(sed -nE 's/^ +diff flame graph: (.*pool\.call\..*diff\.svg)$/\1/p' "$tmp/cmp.out" | head -1)
if [ -n "$svg" ] && [ -s "$svg" ] && grep -q '<svg' "$svg" &&
	grep -qF "f ${svg#"$tmp"/b/}" "$tmp/b/.opscope-dir"; then
	ok "differential flame graph drawn, named and listed as opscope's: ${svg#"$tmp"/}"
else
	bad "no differential flame graph named or written (runs used --stacks): '${svg}'"
fi
long=$(awk 'length > 100' "$tmp/cmp.out" | head -1)
if [ -z "$long" ]; then ok "text output within 100 columns"; else bad "line over 100 columns: $long"; fi
if command -v xmllint >/dev/null; then
	if xmllint --noout "$tmp/cmp.xml" 2>/dev/null; then ok "JUnit XML well-formed"; else bad "JUnit XML malformed"; fi
fi
if grep -q '<failure type="regression"' "$tmp/cmp.xml" && grep -q '\*\*REGRESSION\*\*' "$tmp/cmp.md"; then
	ok "JUnit and markdown report the regression"
else
	bad "JUnit/markdown lack the regression"
fi
if ! command -v python3 >/dev/null; then
	echo "(no python3: JSON output not parsed)"
elif python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['summary']['regressions']>0 else 1)" "$tmp/cmp.json" 2>/dev/null; then
	ok "JSON output parses and counts the regressions"
else
	bad "JSON output missing or wrong"
fi

# 2. unchanged: the same report on both sides, so exactly nothing moved and exit 0 (how
# often two runs of one build are told apart is bench/nightly-aa.sh's measure, not a test)
compare "$tmp/a" "$tmp/a" --no-targets
if [ "$rc" -eq 0 ] && grep -q '^verdict: OK' "$tmp/cmp.out"; then
	ok "the same run on both sides: compare exits 0"
else
	bad "the same run on both sides: exit $rc"; cat "$tmp/cmp.out"
fi

# 3. bad input and environment
head -c 300 "$tmp/a/report.json" >"$tmp/trunc.json"
compare "$tmp/a" "$tmp/trunc.json"
if [ "$rc" -eq 2 ] && grep -q "trunc.json:[0-9]*:[0-9]*: malformed JSON" "$tmp/cmp.out"; then
	ok "truncated report: exit 2 with file:line:col"
else
	bad "truncated report: exit $rc: $(cat "$tmp/cmp.out")"
fi
sed 's/"version": 1,/"version": 99,/' "$tmp/a/report.json" >"$tmp/v99.json"
compare "$tmp/a" "$tmp/v99.json"
if [ "$rc" -eq 2 ] && grep -q "version 99 is newer" "$tmp/cmp.out"; then
	ok "newer schema version: exit 2"
else
	bad "newer schema version: exit $rc: $(cat "$tmp/cmp.out")"
fi
sed -E 's/"governor": "[^"]*"/"governor": "itest-governor"/' "$tmp/c/report.json" >"$tmp/gov.json"
compare "$tmp/a" "$tmp/gov.json"
if [ "$rc" -eq 2 ] && grep -q "ENVIRONMENT MISMATCH" "$tmp/cmp.out" &&
	grep -q "governor: .* -> itest-governor" "$tmp/cmp.out"; then
	ok "environment mismatch: reported at the top, exit 2"
else
	bad "environment mismatch: exit $rc"
fi
compare "$tmp/c" "$tmp/gov.json" --allow-env-mismatch --no-targets
if [ "$rc" -eq 0 ]; then ok "--allow-env-mismatch proceeds"; else bad "--allow-env-mismatch: exit $rc"; fi

# baseline and history on real runs
bdir=$tmp/baselines
if "$opscope" baseline save nightly "$tmp/a" --dir "$bdir" --machine itest >/dev/null &&
	p=$("$opscope" baseline path nightly --dir "$bdir" --machine itest) &&
	[ -f "$p/report.json" ]; then
	compare "$p" "$tmp/b" --allow-param-change --no-targets --ignore-noise
	if [ "$rc" -eq 1 ]; then ok "baseline save/path, compare against it exits 1"; else bad "compare against saved baseline: exit $rc"; fi
else
	bad "baseline save/path failed"
fi
if "$opscope" baseline save nightly "$tmp/b" --dir "$bdir" --machine itest >/dev/null 2>&1; then
	bad "baseline save over an existing one without --force succeeded"
else
	ok "baseline save refuses to overwrite without --force"
fi
hist=$tmp/history.jsonl
for r in a c b; do "$opscope" history append "$tmp/$r" --file "$hist" --label "$r" >/dev/null; done
if [ "$(wc -l <"$hist")" -eq 3 ] && "$opscope" history show --file "$hist" >"$tmp/hist.out" &&
	grep -q 'pool.call/p99_ns' "$tmp/hist.out" &&
	"$opscope" history html --file "$hist" -o "$tmp/hist.html" >/dev/null &&
	grep -q '<svg' "$tmp/hist.html" && ! grep -qE '<script|https?://[^"]*\.(js|css)' "$tmp/hist.html"; then
	ok "history: 3 lines appended, sparklines and a self-contained HTML page"
else
	bad "history append/show/html"
fi
# targets: a new failure exits 4; recorded with the baseline as known, 0
"$opscope" run --workload pool -p workers=2 -p callers=2 -p inflight=2 -p sleep=50us \
	--reps 3 --warmup 20ms --duration 100ms --target 'tiny: pool.call p50 < 1ns' \
	--out "$tmp/t" >"$tmp/t.log" 2>&1
compare "$tmp/t" "$tmp/t"
if [ "$rc" -eq 4 ] && grep -qE '^tiny +< 1ns .* FAIL in pool' "$tmp/cmp.out"; then
	ok "a failing target not known on the machine: exit 4, listed"
else
	bad "failing target: exit $rc: $(tail -n 8 "$tmp/cmp.out")"
fi
if "$opscope" baseline save known "$tmp/t" --dir "$bdir" --machine itest \
	--accept-failing-targets >"$tmp/save.out" && grep -q 'target tiny fails' "$tmp/save.out" &&
	p=$("$opscope" baseline path known --dir "$bdir" --machine itest); then
	compare "$p" "$tmp/t"
	if [ "$rc" -eq 0 ] && grep -q 'FAIL, known to fail on this machine' "$tmp/cmp.out"; then
		ok "the baseline records it as known to fail: exit 0, said so"
	else
		bad "known failing target: exit $rc: $(tail -n 8 "$tmp/cmp.out")"
	fi
else
	bad "baseline save --accept-failing-targets: $(cat "$tmp/save.out")"
fi
finish
