#!/usr/bin/env bash
# opscope record on processes it did not write, against the kernel's own accounting, read
# from record.json (run as root; $1 is the build/ directory). The target is
# tests/fixtures/truth_target.c: its threads work (preemption, sleeps, yields, faults in
# user and kernel mode, ping-pong, sleeps entered with a signal pending, syscalls) and
# park on a pipe nobody writes, so both sides are read while nothing moves:
#  1. record -p PID of a target whose threads all wait: every thread listed; what each
#     did between attach and park equals the growth of its /proc figures (read before
#     attach and after the recording, each twice to see that nothing moved): on-CPU to
#     the ns, switches and faults exactly, run-queue wait within 0.5%; in every
#     --syscalls mode;
#  2. record -- CMD counts the command from its birth: the same figures, whole;
#  3. a command that exits: its faults equal the kernel's count (wait4's rusage), with
#     syscalls off (no sys_exit program: kernel-mode faults synced at switches);
#     (its switches are not compared: rusage leaves out what a thread other than the
#     leader does after it is released, its last switch and any preemption on the way);
#  4. a real program (python3, unwrapped) reading into fresh buffers, the same;
#  5. the sleeper's blocked time is charged to clock_nanosleep, by name;
#  1-3 again with a CPU hog on every CPU;
#  6. --stacks with no syscall program still gives a sleep its off-CPU stack;
#  7. --hooks-only accounts nothing; bad input exits 2 with one line.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_record "$@"

for t in cc jq; do
	command -v "$t" >/dev/null || { bad "$t is needed"; finish; }
done
src=$(cd "$(dirname "$0")/.." && pwd)
target=$tmp/truth_target
if ! cc -O1 -pthread -I"$src" -o "$target" "$src/fixtures/truth_target.c" 2>"$tmp/cc.err"; then
	bad "cannot build the target: $(head -3 "$tmp/cc.err")"
	finish
fi

# figs PID: one line per thread, "tid run wait vol invol faults" (schedstat, status, stat)
figs() {
	local pid=$1 t
	for t in /proc/"$pid"/task/*; do
		[ -d "$t" ] || continue
		awk -v tid="${t##*/}" '
			FILENAME ~ /schedstat$/ { run = $1; wait = $2 }
			FILENAME ~ /status$/ && /^voluntary_ctxt_switches/ { vol = $2 }
			FILENAME ~ /status$/ && /^nonvoluntary_ctxt_switches/ { inv = $2 }
			FILENAME ~ /stat$/ { sub(/.*\) /, ""); flt = $8 + $10 }
			END { print tid, run, wait, vol, inv, flt }' \
			"$t/schedstat" "$t/status" "$t/stat" 2>/dev/null
	done | sort -n
}
# still PID OUT: every thread of PID waits in read() (the start pipes, the park, stdin),
# and two readings of its figures 20 ms apart are the same; OUT gets the reading
still() {
	local pid=$1 out=$2 i a b
	for i in $(seq 1000); do
		if awk '$1 != "0" { exit 1 }' /proc/"$pid"/task/*/syscall 2>/dev/null; then
			a=$(figs "$pid")
			sleep 0.02
			b=$(figs "$pid")
			if [ "$a" = "$b" ]; then
				echo "$b" >"$out"
				return 0
			fi
		fi
		sleep 0.01
	done
	return 1
}
# compare JSON BASE END WHAT: record.json's rows against END - BASE (BASE /dev/null: whole
# life); prints one line per disagreement, nothing when all agree
compare() {
	jq -r '.threads[] | [.tid, .on_cpu_ns, .runq_ns, .vcsw, .ivcsw, .faults, .steal_ns] | @tsv' "$1" |
		awk -v base="$2" -v endf="$3" '
		BEGIN {
			while ((getline l < base) > 0) { split(l, f, " "); b[f[1]] = l }
			while ((getline l < endf) > 0) { split(l, f, " "); e[f[1]] = l; n++ }
		}
		{ seen[$1] = 1; rows++
		  if (!($1 in e)) { print "tid " $1 ": not a thread of the target"; next }
		  split(e[$1], x, " "); split(b[$1] ? b[$1] : $1 " 0 0 0 0 0", y, " ")
		  run = x[2] - y[2]; wait = x[3] - y[3]; vol = x[4] - y[4]; inv = x[5] - y[5]
		  flt = x[6] - y[6]
		  d = $3 - wait; if (d < 0) d = -d
		  if ($2 != run || $4 != vol || $5 != inv || $6 != flt || d > wait * 0.005)
			printf "tid %s: record on %s runq %s vcsw %s ivcsw %s faults %s (steal %s); kernel %s %s %s %s %s\n",
				$1, $2, $3, $4, $5, $6, $7, run, wait, vol, inv, flt }
		END { for (t in e) if (!(t in seen)) print "tid " t ": no row"
		      if (rows != n) print rows " rows for " n " threads" }'
}
hogs=()
hogs_on() {
	local cpu
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$cpu" sh -c 'while :; do :; done' &
		hogs+=($!)
	done
}
hogs_off() {
	local p
	for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	hogs=()
}
trap 'hogs_off; rm -rf "$tmp"' EXIT

# wait_line FILE WORD: until FILE has a line starting with WORD (10 s)
wait_line() {
	local i
	for i in $(seq 500); do grep -q "^$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
	return 1
}

# 1. record -p, counted from attach
attach_run() { # MODE TAG
	local mode=$1 tag=$2 d=$tmp/p-$1-$2 pid rpid rc msg
	mkdir -p "$d"
	mkfifo "$d/in"
	"$target" <"$d/in" >"$d/out" &
	pid=$!
	exec 8>"$d/in"
	if ! wait_line "$d/out" READY || ! still "$pid" "$d/base"; then
		bad "-p ($tag, --syscalls $mode): the target did not start and wait"
		exec 8>&-; wait "$pid"; return
	fi
	"$opscope" record -p "$pid" --syscalls "$mode" -o "$d/rec" >"$d/rec.out" 2>"$d/rec.err" &
	rpid=$!
	wait_line "$d/rec.err" "opscope record: recording" || bad "-p ($tag): no recording line"
	echo go >&8
	if ! wait_line "$d/out" PARKED || ! still "$pid" "$d/end"; then
		bad "-p ($tag, --syscalls $mode): the target did not park"
	fi
	kill -INT "$rpid"
	wait "$rpid"
	rc=$?
	figs "$pid" >"$d/end2"
	exec 8>&-
	wait "$pid"
	if [ "$rc" -ne 0 ] || [ ! -s "$d/rec/record.json" ]; then
		bad "-p ($tag, --syscalls $mode): exit $rc: $(tail -2 "$d/rec.err")"
		return
	fi
	if ! cmp -s "$d/end" "$d/end2"; then
		bad "-p ($tag, --syscalls $mode): /proc moved after the target parked"
		return
	fi
	msg=$(compare "$d/rec/record.json" "$d/base" "$d/end")
	if [ -z "$msg" ]; then
		ok "-p ($tag, --syscalls $mode): $(wc -l <"$d/end") threads listed; on-CPU, run-queue, switches and faults agree with /proc"
	else
		cp "$d/rec/record.json" "/tmp/itest_record-fail-$$-$mode-$tag.json"
		bad "-p ($tag, --syscalls $mode): $(echo "$msg" | head -4 | tr '\n' ';') losses: $(jq -c .losses "$d/rec/record.json"); kept in /tmp/itest_record-fail-$$-$mode-$tag.json"
	fi
	if [ "$mode" = time ]; then
		# 5. the sleeper's blocked time, by syscall name
		local stid
		stid=$(grep -o '[0-9]*:sleep' "$d/out" | cut -d: -f1)
		if jq -e --argjson t "$stid" '.threads[] | select(.tid == $t) | .blocked_by
			| map(select(.syscall == "clock_nanosleep" and .ns >= 10250000)) | length == 1' \
			"$d/rec/record.json" >/dev/null; then
			ok "-p ($tag): the sleeper's 10.25 ms of sleeps are blocked time in clock_nanosleep"
		else
			bad "-p ($tag): the sleeper's blocked_by: $(jq -c --argjson t "$stid" \
				'.threads[] | select(.tid == $t) | .blocked_by' "$d/rec/record.json")"
		fi
	fi
}

# 2. record -- CMD, counted from birth: the figures whole
birth_run() { # TAG
	local tag=$1 d=$tmp/c-$1 pid rpid msg
	mkdir -p "$d"
	mkfifo "$d/in"
	"$opscope" record --syscalls count -o "$d/rec" -- "$target" <"$d/in" >"$d/out" 2>"$d/err" &
	rpid=$!
	exec 8>"$d/in"
	if ! wait_line "$d/out" READY; then
		bad "-- CMD ($tag): the target did not start: $(tail -2 "$d/err")"
		exec 8>&-; kill -INT "$rpid"; wait "$rpid"; return
	fi
	pid=$(awk '/^READY/ { print $2 }' "$d/out")
	echo go >&8
	if ! wait_line "$d/out" PARKED || ! still "$pid" "$d/end"; then
		bad "-- CMD ($tag): the target did not park"
	fi
	kill -INT "$rpid"
	wait "$rpid"
	exec 8>&-
	msg=$(compare "$d/rec/record.json" /dev/null "$d/end")
	if [ -z "$msg" ] && jq -e '.counted_from == "birth"' "$d/rec/record.json" >/dev/null; then
		ok "-- CMD ($tag): every thread's whole-life on-CPU, run-queue, switches and faults agree with /proc"
	else
		bad "-- CMD ($tag): $(echo "$msg" | head -4 | tr '\n' ';')"
	fi
}

# 3./4. a command that exits: its faults against wait4's rusage
rusage_run() { # TAG MODE CMD...
	local tag=$1 mode=$2 d=$tmp/r-$1-$2
	shift 2
	mkdir -p "$d"
	echo | "$opscope" record --syscalls "$mode" -o "$d/rec" -- "$@" >"$d/out" 2>"$d/err"
	if jq -e '.rusage != null and .process.faults == .rusage.minflt + .rusage.majflt
		and .process.faults_kernel > 0' "$d/rec/record.json" >/dev/null 2>&1; then
		ok "$tag (--syscalls $mode): $(jq -r '"\(.process.faults) faults (\(.process.faults_kernel) in kernel mode), the kernel says \(.rusage.minflt + .rusage.majflt)"' "$d/rec/record.json")"
	else
		bad "$tag (--syscalls $mode): $(jq -c '[.process.faults, .process.faults_user, .process.faults_kernel, .process.vcsw, .process.ivcsw, .rusage]' "$d/rec/record.json" 2>&1) $(tail -1 "$d/err")"
	fi
}

py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
for tag in quiet hogs; do
	[ "$tag" = hogs ] && hogs_on
	for mode in time count off; do
		attach_run "$mode" "$tag"
	done
	birth_run "$tag"
	rusage_run "exiting target, $tag" off "$target" exit
	hogs_off
done
if [ -x "$py" ]; then
	rusage_run "python3" time "$py" -c '
import os, threading
def f():
    fd = os.open("/dev/zero", os.O_RDONLY)
    for _ in range(8):
        os.readv(fd, [bytearray(1 << 20)])
t = threading.Thread(target=f); t.start(); t.join()'
else
	echo "SKIP python3 run: no python3"
fi

# 6. --stacks with --syscalls off: sys_exit stays for the off-CPU user stacks
"$opscope" record -s --syscalls off -o "$tmp/st" -- sleep 0.3 >"$tmp/st.out" 2>&1
f=$tmp/st/stacks/record/none.offcpu.folded
if [ -s "$f" ] && awk '/clock_nanosleep/ && /hrtimer_nanosleep/ && $NF >= 300e6 { ok = 1 }
	END { exit !ok }' "$f"; then
	ok "--stacks --syscalls off: the 300 ms sleep's off-CPU stack, user and kernel frames"
else
	# the folded file kept, and the sleep's lines shown by their ends (frames and value)
	cp "$f" "/tmp/itest_record-fail-$$-stacks.folded" 2>/dev/null
	bad "--stacks --syscalls off: $(tail -2 "$tmp/st.out"); sleep's lines: $(grep nanosleep "$f" 2>/dev/null | awk '{ print substr($0, length($0) > 160 ? length($0) - 160 : 1) }' | head -3 | tr '\n' ';') kept in /tmp/itest_record-fail-$$-stacks.folded"
fi

# 7. hooks only: the programs run, nothing is accounted
"$opscope" record --hooks-only -o "$tmp/h" -- "$target" exit </dev/null >"$tmp/hooks.txt" 2>&1
if grep -q '^hooks only' "$tmp/hooks.txt" && jq -e '.threads == []' "$tmp/h/record.json" >/dev/null
then
	ok "--hooks-only: no thread accounted, and it says so"
else
	bad "--hooks-only: $(tail -4 "$tmp/hooks.txt")"
fi

# bad input: one line, exit 2
for args in "--syscalls sometimes -- true" "-p 999999999" "-d soon -- true" "-- /nonexistent/cmd" \
	"--frobnicate -- true" "-F"; do
	# shellcheck disable=SC2086
	"$opscope" record $args >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/bad.err")" -eq 1 ]; then
		ok "record $args: exit 2, $(cat "$tmp/bad.err")"
	else
		bad "record $args: exit $rc, stderr: $(cat "$tmp/bad.err")"
	fi
done
finish
