#!/usr/bin/env bash
# The nightly opscope job: build, check that the machine is quiet, run the suite with
# repetitions (optionally pinned to CPUs), compare with the machine's baseline, keep every
# artifact in a dated folder, append the run to the history, export the results for
# Prometheus (a textfile for node_exporter, or a push to a Pushgateway), and exit with
# what the comparison found. docs/NIGHTLY.md explains the options and shows cron and
# systemd set-ups.
#
# Exit status: 0 no regression, every target passes or is known to fail on this machine;
# 1 a regression (or a failed scenario); 2 the job itself failed (build, run, bad input,
# parameters or environment differ from the baseline's); 3 could not judge: the machine's
# noise changed between the baseline and this run and metrics moved with it (or --strict
# and the machine check found the machine noisy); 4 a target failed that is not known to
# fail on this machine.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
opscope=${OPSCOPE:-$repo/build/opscope}
suite=""
reps=5
out_root=/var/lib/opscope/runs
baseline=nightly
baseline_dir=/var/lib/opscope/baselines
history=/var/lib/opscope/history.jsonl
cpus=""
build=1
strict=0
update_baseline=0
confirm=1
stacks=0
max_load=0.3
pushgateway=""
textfile_dir=""
machine=$(hostname)
compare_opts=()
run_opts=()
scen_opts=()

usage() {
	cat <<EOF
usage: scripts/nightly.sh [OPTIONS] [-- EXTRA 'opscope run' OPTIONS]
  --suite FILE          suite file (default: opscope's built-in default suite)
  --reps N              repetitions per scenario (default $reps; 5+ for significance)
  --out-root DIR        dated artifact folders go here (default $out_root)
  --baseline NAME       baseline to compare with (default $baseline)
  --baseline-dir DIR    (default $baseline_dir)
  --history FILE        JSON Lines history to append to (default $history)
  --cpus LIST           pin the run to these CPUs with taskset (e.g. 1 or 2-3)
  --stacks              record stacks too: compare then draws differential flame graphs
                        of regressed scenarios (stack walks add some overhead)
  --update-baseline     after a run without regression, make it the new baseline
  --no-confirm          do not rerun the flagged scenarios to confirm a regression
  --threshold SPEC      passed to opscope compare (repeatable), e.g. latency=5%
  --allow-env-mismatch  compare even if kernel, CPU or governor changed
  --max-load X          warn when other processes keep more than X CPUs busy (default $max_load)
  --strict              a noisy machine fails the job (exit 3) instead of warning
  --scenario GLOB       run only these scenarios (repeatable; opscope run --scenario)
  --known-failing LIST  targets known to fail on this machine, besides the baseline's
  --pushgateway URL     push the results (OpenMetrics) to this Pushgateway, grouped by
                        job opscope, machine and suite
  --textfile-dir DIR    write DIR/opscope_<suite>.prom for node_exporter's textfile collector
  --machine NAME        the machine label and baseline machine (default: $machine)
  --no-build            do not run make first
Environment: OPSCOPE (the binary, default build/opscope).
EOF
}

die() { echo "nightly: $*" >&2; exit 2; }
# An option's value: a missing or empty one is bad input (exit 2), never "regression" (1).
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value; see --help"; }

while [ $# -gt 0 ]; do
	case $1 in
	--suite) need "$@"; suite=$2; shift ;;
	--reps) need "$@"; reps=$2; shift ;;
	--out-root) need "$@"; out_root=$2; shift ;;
	--baseline) need "$@"; baseline=$2; shift ;;
	--baseline-dir) need "$@"; baseline_dir=$2; shift ;;
	--history) need "$@"; history=$2; shift ;;
	--cpus) need "$@"; cpus=$2; shift ;;
	--update-baseline) update_baseline=1 ;;
	--no-confirm) confirm=0 ;;
	--stacks) stacks=1 ;;
	--threshold) need "$@"; compare_opts+=(--threshold "$2"); shift ;;
	--allow-env-mismatch) compare_opts+=(--allow-env-mismatch) ;;
	--max-load) need "$@"; max_load=$2; shift ;;
	--strict) strict=1 ;;
	--no-build) build=0 ;;
	--scenario) scen_opts+=(--scenario "${2:?--scenario needs a glob}"); shift ;;
	--known-failing) compare_opts+=(--known-failing "${2:?}"); shift ;;
	--pushgateway) pushgateway=${2:?--pushgateway needs a URL}; shift ;;
	--textfile-dir) textfile_dir=${2:?}; shift ;;
	--machine) machine=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; run_opts=("$@"); break ;;
	*) usage >&2; die "unknown option '$1'" ;;
	esac
	shift
done
[[ $reps =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] || die "--reps '$reps' is not a positive number"
[[ $max_load =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	die "--max-load '$max_load' is not a number of CPUs (e.g. 0.3)"
[ "$(id -u)" -eq 0 ] || die "run as root: the kernel collector needs CAP_BPF and CAP_PERFMON"
if [ -n "$pushgateway" ]; then
	command -v curl >/dev/null || die "--pushgateway needs curl"
fi
[ -z "$textfile_dir" ] || [ -d "$textfile_dir" ] ||
	die "--textfile-dir $textfile_dir is not a directory" \
	    "(node_exporter's --collector.textfile.directory)"
# the suite's name, as the report spells it: the file's base name without .suite
suite_name=default
[ -n "$suite" ] && suite_name=$(basename "$suite" .suite)

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
art=$out_root/$stamp
mkdir -p "$out_root" "$(dirname "$history")" "$baseline_dir" ||
	die "cannot create $out_root, $(dirname "$history") or $baseline_dir (run as root?)"
# One nightly at a time, for each of the places it writes: a second one would measure the
# first, and two jobs that share a baseline or a history (with different --out-root) would
# race on them. A lock file beside each: the artifacts, the baselines and the history file
# (not the history's directory itself, which opscope history append locks on its own).
hist_lock=$(dirname "$history")/.$(basename "$history").nightly.lock
locks=()
for l in "$out_root/.nightly.lock" "$baseline_dir/.nightly.lock" "$hist_lock"; do
	l=$(realpath -m "$l")
	case " ${locks[*]} " in *" $l "*) continue ;; esac
	locks+=("$l")
	exec {fd}>>"$l" || die "cannot open the lock $l (run as root?)"
	flock -n "$fd" || die "another nightly job holds $l"
done
mkdir -p "$art" || die "cannot create $art"
exec > >(tee -a "$art/nightly.log") 2>&1
echo "nightly: $stamp, artifacts in $art"

# 1. build
if [ "$build" -eq 1 ]; then
	echo "== build"
	make -C "$repo" -j"$(nproc)" >"$art/build.log" 2>&1 || {
		tail -20 "$art/build.log"; die "build failed (log: $art/build.log)"; }
fi
[ -x "$opscope" ] || die "no opscope binary at $opscope; build it (make) or set OPSCOPE"
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet 2>/dev/null || rev="$rev-dirty"

# 2. machine check: everything that makes results noisy, loudly
warnings=()
warn() { warnings+=("$*"); }
govs=$(cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor 2>/dev/null | sort | uniq -c |
	awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}')
if [ -z "$govs" ]; then
	echo "cpufreq: not exposed (typical for a VM): the host controls frequency"
elif grep -qv performance <(cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor); then
	warn "CPU frequency governor is not 'performance' ($govs): clocks change under load;" \
	     "fix: cpupower frequency-set -g performance"
else
	echo "cpufreq: governor performance on every CPU"
fi
if [ -r /sys/devices/system/cpu/intel_pstate/no_turbo ] &&
	[ "$(cat /sys/devices/system/cpu/intel_pstate/no_turbo)" = 0 ]; then
	warn "turbo boost is on (intel_pstate/no_turbo = 0): speed depends on temperature;" \
	     "fix: echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo"
fi
if [ -r /sys/devices/system/cpu/cpufreq/boost ] &&
	[ "$(cat /sys/devices/system/cpu/cpufreq/boost)" = 1 ]; then
	warn "CPU boost is on (cpufreq/boost = 1): speed depends on temperature;" \
	     "fix: echo 0 > /sys/devices/system/cpu/cpufreq/boost"
fi
# CPU use of other processes over one second, from /proc/stat and each /proc/PID/stat
# (not the load average, which counts tasks in D state and lags by minutes)
proc_ticks() { # "PID TICKS COMM" per process: utime + stime
	cat /proc/[0-9]*/stat 2>/dev/null |
		sed -E 's/^([0-9]+) \((.*)\) (.*)$/\1 \3 \2/' | awk '{print $1, $13 + $14, $NF}'
}
read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
proc_ticks >"$art/.ticks1"
sleep 1
read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
proc_ticks >"$art/.ticks2"
busy=$(( (u2+n2+s2+q2+sq2+st2) - (u1+n1+s1+q1+sq1+st1) ))
total=$(( busy + (i2+w2) - (i1+w1) ))
ncpu=$(nproc)
cpus_busy=$(awk -v b="$busy" -v t="$total" -v n="$ncpu" 'BEGIN{printf "%.2f", t ? b/t*n : 0}')
if awk -v c="$cpus_busy" -v m="$max_load" 'BEGIN{exit !(c > m)}'; then
	hz=$(getconf CLK_TCK)
	top=$(awk -v hz="$hz" 'NR==FNR {t[$1]=$2; next} ($1 in t) && $2 > t[$1] {
		printf "%d %s(%s)\n", ($2 - t[$1]) * 100 / hz, $3, $1 }' \
		"$art/.ticks1" "$art/.ticks2" | sort -rn | head -5 |
		awk '{printf "%s%s %s%%", (NR>1?", ":""), $2, $1}')
	warn "other processes keep $cpus_busy of $ncpu CPUs busy (more than $max_load): ${top:-?}"
else
	echo "load: $cpus_busy of $ncpu CPUs busy before the run"
fi
rm -f "$art/.ticks1" "$art/.ticks2"
swap_used=$(awk '/^SwapTotal:/{t=$2} /^SwapFree:/{f=$2} END{print t-f}' /proc/meminfo)
if [ "${swap_used:-0}" -gt 0 ]; then
	warn "swap in use (${swap_used} kB): page-ins add latency; fix: swapoff -a && swapon -a," \
	     "or free memory"
fi
if [ -n "$cpus" ]; then
	command -v taskset >/dev/null || die "--cpus needs taskset (util-linux)"
	taskset -c "$cpus" true 2>/dev/null || die "--cpus '$cpus' is not a usable CPU list here"
	echo "pinning: the run is restricted to CPUs $cpus"
fi
{
	echo "date: $stamp"; echo "revision: $rev"; echo "governors: ${govs:-none}"
	echo "cpus busy before run: $cpus_busy of $ncpu"; echo "swap used kB: $swap_used"
	echo "pinned: ${cpus:-no}"
	for w in "${warnings[@]}"; do echo "WARNING: $w"; done
} >"$art/machine-check.txt"
if [ "${#warnings[@]}" -gt 0 ]; then
	echo "########################################################################"
	echo "# WARNING: this machine is not quiet; results may be noisy:"
	for w in "${warnings[@]}"; do echo "#  - $w"; done
	echo "########################################################################"
	if [ "$strict" -eq 1 ]; then
		echo "nightly: --strict: not running on a noisy machine"
		exit 3
	fi
fi

# 3. run
echo "== run ($reps repetitions${suite:+, suite $suite})"
cmd=("$opscope" run --reps "$reps" --out "$art/run" "${scen_opts[@]}")
[ -n "$suite" ] && cmd+=(--suite "$suite")
[ "$stacks" -eq 1 ] && cmd+=(--stacks)
cmd+=("${run_opts[@]}")
[ -n "$cpus" ] && cmd=(taskset -c "$cpus" "${cmd[@]}")
"${cmd[@]}"
run_rc=$?
if [ "$run_rc" -ge 2 ] || [ ! -f "$art/run/report.json" ]; then
	die "opscope run failed (exit $run_rc); see $art/nightly.log"
fi
ln -sfn "$stamp" "$out_root/latest"

# 4. history: every run, whatever compare says (the JSON Lines history stays the record
# on the machine; Prometheus, below, is for seeing many machines together)
"$opscope" history append "$art/run" --file "$history" --label "$rev" ||
	echo "nightly: warning: could not append to $history"

# 5. compare with the baseline (the first run becomes the baseline, and the targets it
# fails become the machine's known failures: a team decides on them once, not nightly; a
# baseline that exists but cannot be read is the job failing, never replaced silently by
# tonight's run)
status=0
bl_opts=(--dir "$baseline_dir" --machine "$machine")
if [ -e "$baseline_dir/$machine/$baseline" ] &&
	! "$opscope" baseline path "$baseline" "${bl_opts[@]}" >/dev/null; then
	die "the baseline '$baseline' in $baseline_dir/$machine is unusable (see above); fix or" \
	    "remove it, then rerun (this run is in $art)"
fi
if base=$("$opscope" baseline path "$baseline" "${bl_opts[@]}" 2>/dev/null); then
	echo "== compare with baseline '$baseline' ($base)"
	# with the history (step 4), a change must beat how far past runs land apart
	"$opscope" compare "${compare_opts[@]}" --history "$history" --md "$art/compare.md" \
		--json "$art/compare.json" --junit "$art/junit.xml" "$base" "$art/run" \
		| tee "$art/compare.txt"
	status=${PIPESTATUS[0]}
	# a regression stands if a rerun of its scenarios, in a fresh process, shows it again:
	# what one process's state made of a run does not repeat, a change in the code does
	if [ "$status" -eq 1 ] && [ "$confirm" -eq 1 ]; then
		mapfile -t flagged < <(grep -E '"verdict": "(REGRESSION|improvement)"' \
			"$art/compare.json" | sed -E 's/.*"scenario": "([^"]*)".*/\1/' | sort -u)
		if [ "${#flagged[@]}" -gt 0 ]; then
			echo "== rerun of the ${#flagged[@]} flagged scenario(s), to confirm"
			rcmd=("$opscope" run --reps "$reps" --out "$art/rerun")
			for f in "${flagged[@]}"; do rcmd+=(--scenario "$f"); done
			[ -n "$suite" ] && rcmd+=(--suite "$suite")
			[ "$stacks" -eq 1 ] && rcmd+=(--stacks)
			rcmd+=("${run_opts[@]}")
			[ -n "$cpus" ] && rcmd=(taskset -c "$cpus" "${rcmd[@]}")
			"${rcmd[@]}" >"$art/rerun.log" 2>&1
			if [ -f "$art/rerun/report.json" ]; then
				"$opscope" compare "${compare_opts[@]}" --history "$history" \
					--confirm "$art/rerun" --md "$art/compare.md" \
					--json "$art/compare.json" --junit "$art/junit.xml" \
					"$base" "$art/run" | tee "$art/compare.txt"
				status=${PIPESTATUS[0]}
			else
				echo "nightly: the rerun failed ($art/rerun.log); the" \
					"regression stands unconfirmed"
			fi
		fi
	fi
	if [ "$status" -eq 0 ] && [ "$update_baseline" -eq 1 ]; then
		# the targets failing now are all known ones: they stay known, fixed ones go
		"$opscope" baseline save "$baseline" "$art/run" "${bl_opts[@]}" --force \
			--accept-failing-targets ||
			die "could not update the baseline '$baseline' (the run and its comparison are in $art)"
	fi
else
	echo "== no baseline '$baseline' for this machine yet: saving this run as the baseline"
	"$opscope" baseline save "$baseline" "$art/run" "${bl_opts[@]}" \
		--accept-failing-targets || die "could not save the baseline"
	[ "$run_rc" -eq 1 ] && echo "nightly: the targets above fail on this machine;" \
		"later nights fail only on other targets (see: opscope baseline show $baseline)"
fi

# 6. the results for Prometheus: always next to the run, and where asked
cmp_arg=()
[ -f "$art/compare.json" ] && cmp_arg=(--compare "$art/compare.json")
if "$opscope" export --machine "$machine" "${cmp_arg[@]}" -o "$art/metrics.prom" "$art/run"; then
	if [ -n "$textfile_dir" ]; then
		"$opscope" export --machine "$machine" "${cmp_arg[@]}" \
			-o "$textfile_dir/opscope_$suite_name.prom" "$art/run" ||
			echo "nightly: warning: could not write" \
				"$textfile_dir/opscope_$suite_name.prom"
	fi
	if [ -n "$pushgateway" ]; then
		url="${pushgateway%/}/metrics/job/opscope/machine/$machine/suite/$suite_name"
		curl -sS --fail -X PUT --data-binary @"$art/metrics.prom" "$url" ||
			echo "nightly: warning: could not push to $url"
	fi
else
	echo "nightly: warning: could not export the results for Prometheus"
fi

# 7. trend views
"$opscope" history show --file "$history" --last 30 || true
"$opscope" history html --file "$history" -o "$out_root/history.html" >/dev/null || true

case $status in
0) echo "nightly: OK, no regression ($art)" ;;
1) echo "nightly: REGRESSION or failed scenario; see $art/compare.txt" ;;
3) echo "nightly: COULD NOT JUDGE: the machine's noise changed since the baseline; see" \
	"$art/compare.txt" ;;
4) echo "nightly: TARGET FAILED (not known to fail on this machine); see $art/compare.txt" ;;
*) echo "nightly: compare could not decide (exit $status); see $art/compare.txt"
   status=2 ;; # a crash (128 + signal) is the job failing, not a new exit status
esac
[ "${#warnings[@]}" -gt 0 ] && echo "nightly: (the machine check warned; see $art/machine-check.txt)"
exit "$status"
