#!/usr/bin/env bash
# Run every unit-test binary (check) and close with one "N passed, N failed" line.
set -u
pass=0 fail=0 failed=()
for t in "$@"; do
	out=$(CK_FORK=yes "$t" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  /'
	# check prints "NN%: Checks: C, Failures: F, Errors: E"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -1)
	c=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$line")
	if [ -z "$line" ]; then
		c=1 f=1
	fi
	f=$((f)); c=$((c))
	pass=$((pass + c - f)); fail=$((fail + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		failed+=("$(basename "$t")")
		[ "$f" -eq 0 ] && fail=$((fail + 1))
	fi
done
[ "${#failed[@]}" -gt 0 ] && echo "unit: failing: ${failed[*]}"
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
