#!/usr/bin/env bash
# Root-only integration tests: each itest_* program or tests/integration/itest_*.sh script
# prints "N passed, N failed" as its last line; this sums them into one such line.
# Without root each prints a visible SKIP line instead of passing silently.
set -u
out=$1; shift
pass=0 fail=0 skip=0 failed=()
run_one() {
	local name=$1; shift
	echo "== $name"
	local log; log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "$name: no result line (exit $rc)"
		fail=$((fail + 1)); failed+=("$name"); return
	fi
	local p f s
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.*, ([0-9]+) skipped.*/\1/p' <<<"$line")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		failed+=("$name")
		[ "$f" -eq 0 ] && fail=$((fail + 1))
	fi
}
for t in "$@"; do
	run_one "$(basename "$t")" "$t"
done
for s in tests/integration/itest_*.sh; do
	[ -e "$s" ] || continue
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP $(basename "$s"): needs root"; skip=$((skip + 1)); continue
	fi
	run_one "$(basename "$s")" bash "$s" "$out"
done
[ "${#failed[@]}" -gt 0 ] && echo "integration: failing: ${failed[*]}"
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
