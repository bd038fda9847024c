#!/usr/bin/env bash
# The truth tests again and again beside a CPU hog on every CPU, until N consecutive runs
# pass or one fails (run as root, after make; not part of make test: it takes minutes).
#
#	bash tests/integration/truth-loop.sh [BUILD_DIR] [N]     (N: 50 by default)
#
# Each round runs itest_truth (the collector in-process, quiet and with its own hogs) and
# itest_record.sh (record -p and -- CMD against /proc, getrusage). Prints one line per
# round and, at the end, how many consecutive rounds passed and the load average; a
# failing round's output is kept in /tmp and named. Exit 0 only when all N passed.
set -u
build=${1:-build}
n=${2:-50}
here=$(dirname "$0")
if [ "$(id -u)" -ne 0 ]; then
	echo "truth-loop: run as root (the tests load BPF programs)" >&2
	exit 2
fi
for f in "$build/tests/itest_truth" "$build/opscope"; do
	[ -x "$f" ] || { echo "truth-loop: no $f: run make and make $build/tests/itest_truth" >&2; exit 2; }
done
hogs=()
for cpu in $(seq 0 $(($(nproc) - 1))); do
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	hogs+=($!)
done
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap 'stop_hogs; rm -rf "${snap:-}"' EXIT

# what runs is copied first: an edit to the tests while the loop runs changes nothing
snap=$(mktemp -d /tmp/truth-loop-tests.XXXXXX)
cp -r "$here/.." "$snap/tests"
cp -r "$build" "$snap/build"
build=$snap/build
here=$snap/tests/integration
log=$(mktemp /tmp/truth-loop.XXXXXX)
passed=0
for r in $(seq "$n"); do
	t0=$(date +%s)
	if "$build/tests/itest_truth" >"$log" 2>&1 && bash "$here/itest_record.sh" "$build" >>"$log" 2>&1
	then
		passed=$((passed + 1))
		echo "round $r: pass ($(($(date +%s) - t0)) s, load $(cut -d' ' -f1 /proc/loadavg))"
	else
		keep=/tmp/truth-loop-fail-$r.log
		cp "$log" "$keep"
		echo "round $r: FAIL, output in $keep:"
		grep -E '^ *FAIL' "$keep" | head -5
		break
	fi
done
rm -f "$log"
echo "truth-loop: $passed consecutive rounds passed of $n beside $(nproc) CPU hogs;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$passed" -eq "$n" ]
