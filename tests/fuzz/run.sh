#!/usr/bin/env bash
# Run the libFuzzer harnesses briefly (make test) or long (make fuzz-long, by hand):
#   tests/fuzz/run.sh BUILD RUNS HARNESS...      each over its corpus, then RUNS new inputs
#                                                from seed 1: the same inputs every time, so
#                                                make test cannot pass once and fail next
#   tests/fuzz/run.sh BUILD SECONDSs HARNESS...  (e.g. 600s) random seed, for that long;
#                                                both close with "fuzz: N passed, ..."
#   tests/fuzz/run.sh --probe CLANG              exit 0 when CLANG can link a fuzzer; else
#                                                print a SKIP line and exit 1
# A harness passes when every committed seed (tests/fuzz/corpus/<name>/) runs clean and
# libFuzzer finds no crash, leak, timeout or sanitizer report in the time given. New inputs
# go to a temp corpus that is thrown away; a crash is kept as BUILD/fuzz/crash-<name>-*.
set -u

if [ "${1:-}" = "--probe" ]; then
	clang=${2:-clang}
	probe=$(mktemp -d)
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' \
		>"$probe/p.c"
	if "$clang" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" \
		>/dev/null 2>&1; then
		rm -rf "$probe"
		exit 0
	fi
	rm -rf "$probe"
	echo "SKIP fuzz: $clang cannot link a libFuzzer program (Debian: libclang-rt-14-dev;" \
	     "scripts/install-deps.sh installs it)"
	echo "fuzz: 0 passed, 0 failed, 1 skipped"
	exit 1
fi

out=$1 budget=$2
shift 2
case $budget in
*s) limit=(-max_total_time="${budget%s}") what="in ${budget%s} s" ;;
*) limit=(-runs="$budget" -seed=1) what="(seed 1)" ;;
esac
pass=0 fail=0 failed=()
for bin in "$@"; do
	name=$(basename "$bin")
	h=${name#fuzz_}
	corpus=tests/fuzz/corpus/$h
	work=$(mktemp -d)
	log=$(mktemp)
	mkdir -p "$out/fuzz"
	# the temp corpus first: libFuzzer adds what it finds to the first directory only
	"$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
		-print_final_stats=1 -artifact_prefix="$out/fuzz/crash-$h-" \
		"$work" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
	seeds=$(find "$corpus" -type f 2>/dev/null | wc -l)
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok   $h: ${runs:-?} runs $what, from $seeds seeds"
	else
		fail=$((fail + 1))
		failed+=("$h")
		echo "FAIL $h (exit $rc): libFuzzer found a problem; the input is kept as" \
		     "$out/fuzz/crash-$h-*; its report:"
		grep -E 'ERROR|SUMMARY|broken|runtime error|#0 |#1 |#2 |#3 ' "$log" | head -20 |
			sed 's/^/    /'
	fi
	rm -rf "$work" "$log"
done
[ "${#failed[@]}" -gt 0 ] && echo "fuzz: failing: ${failed[*]}"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
