#!/usr/bin/env bash
# Side-by-side cost of profilers on one workload, for measuring a change on a shared,
# noisy machine: the variants run interleaved (A B C A B C ...), ROUNDS times, and each
# prints its median ns per operation, its ratio to the first variant, and its cost per
# event above the second (so with "none" and a hooks-only run first, opscope's own ns
# per event above the kernel's floor). Not a test, and not `make bench` (bench/run.sh
# is): a tool for the figures in bench/results/.
#
#	bash bench/pair.sh WORKLOAD ROUNDS EVENTS_PER_OP 'NAME=PREFIX' ...
#
# WORKLOAD: pipe (perf bench sched pipe -T, pinned to CPU 0), pingpong
# (build/bench/loop_pingpong, pinned), messaging (perf bench sched messaging -t),
# syscall (build/bench/loop_syscall). PREFIX is what runs before the workload's command:
# '' for none, 'build/opscope record --hooks-only --', 'build/opscope record --'; a
# PREFIX starting with @ is a tool run in the background around the workload
# ('@syscount', '@offcputime'), as bench/run.sh runs them.
#	bash bench/pair.sh pipe 9 6 none= hooks='build/opscope record --hooks-only --' \
#		opscope='build/opscope record --'
set -u
wl=$1 rounds=$2 evs=$3
shift 3
B=${B:-build}
case $wl in
pipe) cmd="taskset -c 0 perf bench sched pipe -T -l ${PIPE_N:-100000}" ;;
pingpong) cmd="taskset -c 0 $B/bench/loop_pingpong 50000" ;;
messaging) cmd="perf bench sched messaging -t -g ${MSG_G:-4} -l ${MSG_L:-200}" ;;
syscall) cmd="$B/bench/loop_syscall 1000000" ;;
*) echo "pair: unknown workload $wl" >&2; exit 2 ;;
esac
tmp=$(mktemp -d /tmp/opscope-pair.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
names=()
for v in "$@"; do names+=("${v%%=*}"); done
# ns per operation from the workload's own output
ns_of() {
	awk -v wl="$wl" -v n="${PIPE_N:-100000}" '
	/usecs\/op/ { v = $1 * 1000 }
	/^RESULT / { for (i = 2; i <= NF; i++) if ($i ~ /^ns_per_op=/) { sub("ns_per_op=", "", $i); v = $i } }
	/Total time:/ { v = $3 * 1e9 }
	END { if (v != "") print v }' "$1"
}
for r in $(seq "$rounds"); do
	i=0
	for v in "$@"; do
		pre=${v#*=}
		if [ "${pre#@}" != "$pre" ]; then
			${pre#@} >/dev/null 2>&1 &
			bg=$!
			sleep 1.5
			# shellcheck disable=SC2086
			$cmd >"$tmp/o" 2>&1
			kill -INT "$bg" 2>/dev/null
			wait "$bg" 2>/dev/null
		else
			# shellcheck disable=SC2086
			$pre $cmd >"$tmp/o" 2>&1
		fi
		ns_of "$tmp/o" >>"$tmp/${names[$i]}"
		i=$((i + 1))
	done
done
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
base=$(median <"$tmp/${names[0]}")
floor=$(median <"$tmp/${names[1]:-${names[0]}}")
printf '%-12s %12s %8s %14s   (%s, %s rounds, %s events/op, load %s)\n' VARIANT NS/OP RATIO \
	"NS/EV>${names[1]:-}" "$wl" "$rounds" "$evs" "$(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${names[@]}"; do
	m=$(median <"$tmp/$n")
	printf '%-12s %12.1f %8.3f %14.1f\n' "$n" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')" \
		"$(awk -v a="$m" -v b="$floor" -v e="$evs" 'BEGIN { print (a - b) / e }')"
done
