#!/usr/bin/env bash
# How far the nightly verdict can be trusted on this machine: A/A pairs (the same build
# twice), pairs with a CPU hog started between the two runs, and pairs where the pool's
# task grows from 20 to 22 us of CPU (+10% work per task). A benchmark, not a test: it
# prints the counts the issue asks for and keeps them under bench/results/; the machine's
# load during the runs is part of the result (printed with it).
#
# Schedule: WARMUP runs of the build, then HOG_PAIRS times "A run, hog run", then
# SENS_PAIRS times "A run, spin-22 run". Every A run is compared with the A run before
# it (the A/A pairs: WARMUP + HOG_PAIRS + SENS_PAIRS - 1 of them), every hog run with the
# A run before it, every spin-22 run with the A run before it. As scripts/nightly.sh
# does: every run of the build (A and hog runs) is appended to a history that compare
# --history reads (the spin-22 runs are another build and are not), and a comparison
# that flags anything reruns the flagged scenarios of the current run's build (with the
# hog again for a hog run) and compares with --confirm; counts before the rerun are
# printed too.
#
#   bench/nightly-aa.sh [run|compare|all]    (default all; compare re-judges kept runs,
#                                             running only the confirming reruns)
# Environment: OPSCOPE (binary, default build/opscope, copied so rebuilds do not touch
# it; it makes the runs and the confirming reruns), COMPARE (the binary that compares
# and keeps the history,
# default the copied one), WORK (run directories, default /var/tmp/opscope-nightly-aa),
# REPS (5), WARMUP (5),
# HOG_PAIRS (10), SENS_PAIRS (10), HOGS (1: busy loops started for a hog run), HOG_CPU
# (0: the CPU they are pinned to; empty: not pinned), RESULTS (bench/results).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WORK:-/var/tmp/opscope-nightly-aa}
reps=${REPS:-5}
warmup=${WARMUP:-5}
hog_pairs=${HOG_PAIRS:-10}
sens_pairs=${SENS_PAIRS:-10}
hog_cpu=${HOG_CPU-0}
hogs=${HOGS:-1}
results=${RESULTS:-$repo/bench/results}
mode=${1:-all}
cmp=${COMPARE:-$work/opscope}
suite20=$repo/userspace/workloads/suites/default.suite

die() { echo "nightly-aa: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "run as root (the collector needs it)"
mkdir -p "$work" "$results" || die "cannot create $work or $results"

# the schedule, one "kind name" per line: kind a (the build), h (the build, hog running),
# s (spin 22 us)
schedule() {
	local i
	for ((i = 1; i <= warmup; i++)); do echo "a w$i"; done
	for ((i = 1; i <= hog_pairs; i++)); do echo "a ha$i"; echo "h h$i"; done
	for ((i = 1; i <= sens_pairs; i++)); do echo "a sa$i"; echo "s s$i"; done
}

load_now() { cut -d' ' -f1-3 /proc/loadavg; }
log() { echo "$(date -u +%FT%TZ) $*" | tee -a "$work/runs.log" >&2; }

# run_one KIND DIR [RUN OPTIONS...]: a run of the build (a), with a hog (h), of spin 22 (s)
run_one() {
	local kind=$1 dir=$2 rc suite=$work/spin20.suite n=0 h pids=()
	shift 2
	[ "$kind" = s ] && suite=$work/spin22.suite
	[ "$kind" = h ] && n=$hogs
	for ((h = 0; h < n; h++)); do
		if [ -n "$hog_cpu" ]; then
			taskset -c "$hog_cpu" sh -c 'while :; do :; done' &
		else
			sh -c 'while :; do :; done' &
		fi
		pids+=($!)
	done
	"$work/opscope" run --suite "$suite" --reps "$reps" --out "$dir" "$@" >"$dir.log" 2>&1
	rc=$?
	for h in "${pids[@]}"; do kill "$h" && wait "$h" 2>/dev/null; done
	return "$rc"
}

do_runs() {
	local kind name rc
	cp "${OPSCOPE:-$repo/build/opscope}" "$work/opscope" ||
		die "no opscope binary; run make first"
	sed 's/^spin = 20us/spin = 22us/' "$suite20" >"$work/spin22.suite"
	grep -q '^spin = 22us' "$work/spin22.suite" ||
		die "the default suite has no 'spin = 20us' line"
	cp "$suite20" "$work/spin20.suite"
	schedule | while read -r kind name; do
		[ -f "$work/$name/report.json" ] && continue # resumable
		log "$name ($kind) start, load $(load_now)"
		run_one "$kind" "$work/$name"
		rc=$?
		log "$name ($kind) exit $rc, load $(load_now)"
		[ "$rc" -le 1 ] || die "run $name failed (exit $rc): $work/$name.log"
	done
}

# "outcome regressions improvements on_cpu_flagged noise_changed" of a compare --json
summary() {
	python3 - "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
s = c["summary"]
oncpu = any(r["verdict"] == "REGRESSION" and r["metric"] == "pool.call/on_ns"
            and r["scenario"].startswith("pool-workers")
            and "on-CPU" in (r["explanation"] or "") for r in c["rows"])
print(c["outcome"].replace(" ", "_"), s["regressions"], s["improvements"], int(oncpu),
      int(c["noise"]["changed"]))
PY
}

# The scenarios (or sweeps, "group/*") a compare --json flagged either way.
flagged() {
	grep -E '"verdict": "(REGRESSION|improvement)"' "$1" |
		sed -E 's/.*"scenario": "([^"]*)".*/\1/' | sort -u
}

# judge KIND BASE CUR OUT [COMPARE OPTIONS...]: the verdict after a confirming rerun when
# the first comparison flagged anything, then that first comparison's regressions and
# improvements
judge() {
	local kind=$1 base=$2 cur=$3 out=$4 rerun=$work/$3-rerun r i g opts=()
	shift 4
	"$cmp" compare "$@" --history "$work/history.jsonl" --json "$out.json" \
		"$work/$base" "$work/$cur" >"$out.txt" 2>&1
	read -r _ r i _ < <(summary "$out.json")
	if [ $((r + i)) -gt 0 ]; then
		if [ ! -f "$rerun/report.json" ]; then
			while read -r g; do opts+=(--scenario "$g"); done < <(flagged "$out.json")
			log "$cur-rerun ($kind) start, ${opts[*]}, load $(load_now)"
			run_one "$kind" "$rerun" "${opts[@]}"
			log "$cur-rerun ($kind) exit $?, load $(load_now)"
		fi
		"$cmp" compare "$@" --history "$work/history.jsonl" --json "$out.json" \
			--confirm "$rerun" "$work/$base" "$work/$cur" >"$out.txt" 2>&1
	fi
	echo "$(summary "$out.json") $r $i"
}

do_compare() {
	local prev_a="" kind name line aa=0 aa_bad=0 aa_first=0 hog=0 hog_env=0 hog_reg=0
	local sens=0 sens_ok=0 out=$work/verdicts.tsv
	[ -x "$work/opscope" ] || die "no runs in $work; run '$0 run' first"
	: >"$work/history.jsonl"
	printf 'pair\tbaseline\tcurrent\toutcome\tregressions\timprovements\ton_cpu\tnoise' >"$out"
	printf '\tbefore_rerun_regressions\tbefore_rerun_improvements\n' >>"$out"
	while read -r kind name; do
		[ -f "$work/$name/report.json" ] || continue
		case $kind in
		a)
			if [ -n "$prev_a" ]; then
				line=$(judge a "$prev_a" "$name" "$work/cmp-aa-$name")
				printf 'A/A\t%s\t%s\t%s\n' "$prev_a" "$name" "${line// /$'\t'}" \
					>>"$out"
				aa=$((aa + 1))
				set -- $line
				[ $(($2 + $3)) -gt 0 ] && aa_bad=$((aa_bad + 1))
				[ $(($6 + $7)) -gt 0 ] && aa_first=$((aa_first + 1))
			fi
			"$cmp" history append "$work/$name" --file "$work/history.jsonl" \
				--label "$name" >/dev/null
			prev_a=$name
			;;
		h)
			line=$(judge h "$prev_a" "$name" "$work/cmp-hog-$name")
			printf 'hog\t%s\t%s\t%s\n' "$prev_a" "$name" "${line// /$'\t'}" >>"$out"
			hog=$((hog + 1))
			set -- $line
			# the environment named as changed: the noise flagged, no regression blamed
			# on the code (COULD_NOT_JUDGE when metrics moved with it, else OK or a
			# target failure with the noise noted)
			[ "$5" -eq 1 ] && [ "$2" -eq 0 ] && hog_env=$((hog_env + 1))
			[ "$2" -gt 0 ] && hog_reg=$((hog_reg + 1))
			"$cmp" history append "$work/$name" --file "$work/history.jsonl" \
				--label "$name" >/dev/null
			;;
		s)
			line=$(judge s "$prev_a" "$name" "$work/cmp-spin-$name" \
				--allow-param-change)
			printf 'spin22\t%s\t%s\t%s\n' "$prev_a" "$name" "${line// /$'\t'}" >>"$out"
			sens=$((sens + 1))
			set -- $line
			[ "$1" = REGRESSION ] && [ "$4" -eq 1 ] && sens_ok=$((sens_ok + 1))
			;;
		esac
	done < <(schedule)
	{
		echo "# bench/nightly-aa.sh on $(hostname), $(nproc) CPUs, $(date -u +%F)"
		echo "# runs by $work/opscope, compared by $cmp (tree at" \
			"$(git -C "$repo" rev-parse --short HEAD 2>/dev/null))," \
			"reps $reps, suite default"
		echo "# load average during the runs (1 min, at each start and end):"
		awk '{for (i = 1; i <= NF; i++) if ($i == "load") print $(i + 1)}' \
			"$work/runs.log" | sort -n | awk '{v[NR] = $1} END {if (NR) printf \
			"#   min %s median %s max %s over %d readings\n", v[1],
			v[int((NR + 1) / 2)], v[NR], NR}'
		echo "A/A pairs: $aa; reported as a regression or improvement: $aa_bad" \
			"($aa_first before the confirming rerun) (goal: at most 1 of 20)"
		echo "hog pairs: $hog; reported as a changed environment: $hog_env; as the" \
			"code's regression: $hog_reg (goal: all $hog as environment)"
		echo "spin 20 -> 22 us pairs: $sens; flagged as a regression explained by" \
			"pool.call on-CPU per op: $sens_ok (goal: at least 9 of 10)"
		echo
		column -t -s $'\t' "$out"
	} | tee "$results/nightly-aa.txt"
}

case $mode in
run) do_runs ;;
compare) do_compare ;;
all) do_runs && do_compare ;;
*) die "usage: $0 [run|compare|all]" ;;
esac
