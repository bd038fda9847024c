#!/usr/bin/env bash
# Follow mode (record -f, and pool mode=process), checked against the kernel's own
# accounting, exact by construction (run as root; $1 is the build/ directory):
#  1. record -f runs a command that forks 3 children (raw clone, no CLONE_CHILD_SETTID,
#     rseq off: no fault the kernel takes in kernel mode on their memory); each touches
#     64 fresh pages and sleeps 20 times, then parks in read() on a pipe nobody writes.
#     Once /proc/PID/syscall shows each one off the CPU in read (the kernel waits for the
#     task to be inactive before it answers), record is stopped; then /proc is read twice
#     (nothing moved) and each child's row must equal the kernel's voluntary switches and
#     page faults (minflt + majflt) exactly; the per-process table has all 4 processes;
#  2. pool mode=process with alloc=256k: every recorded call's worker share is exactly
#     65 faults (256 KiB + malloc's 16-byte header span 65 pages, mapped fresh for each
#     task), in every band and exemplar; on-CPU and queued time are there and the report
#     no longer says "not followed"; with --no-kernel, latency only as before;
#  3. record -f -s of a shell that runs /bin/sleep: the sleeps' stacks keep only their
#     kernel frames (their user addresses are another program's, which the target's maps
#     would misname), and the loss is printed.
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_follow "$@"

cat >"$tmp/forker.c" <<'EOF_C'
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void child(int pages, int sleeps, int park)
{
	char buf[64], c;
	char *m = mmap(NULL, (size_t)pages * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec ms = { 0, 1000000 };
	int n;

	if (m == MAP_FAILED)
		_exit(1);
	madvise(m, (size_t)pages * 4096, MADV_NOHUGEPAGE);
	for (int i = 0; i < pages; i++)
		m[(size_t)i * 4096] = 1;
	for (int i = 0; i < sleeps; i++)
		nanosleep(&ms, NULL);
	n = snprintf(buf, sizeof(buf), "READY %d\n", getpid());
	if (write(1, buf, (size_t)n) != n)
		_exit(1);
	if (read(park, &c, 1) < 0)
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	int n = atoi(argv[1]), pages = atoi(argv[2]), sleeps = atoi(argv[3]);
	int park = atoi(argv[4]);
	char c;

	for (int i = 0; i < n; i++) {
		long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);

		if (pid < 0)
			return 1;
		if (pid == 0)
			child(pages, sleeps, park);
	}
	return read(park, &c, 1) < 0;
}
EOF_C
if ! cc -O1 -o "$tmp/forker" "$tmp/forker.c"; then
	bad "cannot build the forking target"
	finish
fi

# 1. record -f against the kernel's counters of parked children
mkfifo "$tmp/park"
exec 7<>"$tmp/park"
GLIBC_TUNABLES=glibc.pthread.rseq=0 "$opscope" record -f -- "$tmp/forker" 3 64 20 7 \
	>"$tmp/rec.out" 2>"$tmp/rec.err" &
rpid=$!
kids=""
for _ in $(seq 400); do
	kids=$(awk '/^READY/ { print $2 }' "$tmp/rec.out" | tr '\n' ' ')
	[ "$(wc -w <<<"$kids")" -eq 3 ] && break
	sleep 0.05
done
parked=0
for k in $kids; do
	for _ in $(seq 400); do
		# "0 ..." only once the task is off the CPU, blocked in read (syscall 0)
		if [ "$(cut -d' ' -f1 "/proc/$k/syscall" 2>/dev/null)" = 0 ]; then
			parked=$((parked + 1))
			break
		fi
		sleep 0.05
	done
done
kill -INT "$rpid"
wait "$rpid"
rc=$?
if [ "$parked" -ne 3 ] || [ "$rc" -ne 0 ]; then
	bad "record -f: $parked of 3 children parked ($kids), exit $rc: $(tail -2 "$tmp/rec.err")"
else
	msg="" agree=""
	for k in $kids; do
		# the kernel's figures, read twice: they must not move
		k1=$(awk '{ print $10 + $12 }' "/proc/$k/stat")
		v1=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$k/status")
		k2=$(awk '{ print $10 + $12 }' "/proc/$k/stat")
		v2=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$k/status")
		# record's row (the thread table comes first; TID = PID for these children)
		line=$(awk -v t="$k" '$1 == t { print; exit }' "$tmp/rec.out" | sed 's/ x$//')
		rv=$(awk '{ print $(NF - 3) }' <<<"$line")
		rf=$(awk '{ print $NF }' <<<"$line")
		if [ "$k1" != "$k2" ] || [ "$v1" != "$v2" ]; then
			msg="$msg pid $k moved while parked ($k1/$k2 faults, $v1/$v2 vcsw);"
		elif [ "$rv" != "$v1" ] || [ "$rf" != "$k1" ] || [ "$k1" -lt 64 ] ||
			[ "$v1" -lt 20 ]; then
			msg="$msg pid $k: record vcsw $rv faults $rf, kernel vcsw $v1 faults $k1;"
		else
			agree="$agree $k:$v1/$k1"
		fi
	done
	if [ -z "$msg" ] && grep -q '^4 processes' "$tmp/rec.out" &&
		grep -q '^follow: 0 forked processes not accounted' "$tmp/rec.out"; then
		ok "record -f: each child's voluntary switches and faults equal the kernel's" \
			"(pid:vcsw/faults$agree); 4 processes in the per-process table"
	else
		bad "record -f:$msg $(grep -E '^[0-9]+ processes|^follow' "$tmp/rec.out")"
	fi
fi
for k in $kids; do kill "$k" 2>/dev/null; done
exec 7>&-

# 2. pool mode=process: the worker processes' share of each call
"$opscope" run -w pool -p mode=process -p workers=2 -p inflight=4 -p alloc=256k -r 2 \
	--warmup 300ms --max-ops 1000 --out "$tmp/pool" >"$tmp/pool.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && python3 - "$tmp/pool/report.json" <<'EOF_PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["scenarios"][0]
k = s["kinds"][0]
t = k["total"]
bad = []
if s["kernel_note"] is not None:
    bad.append("kernel_note %r" % s["kernel_note"])
if k["count"] != 2000 or t["faults"] != 65 * k["count"]:
    bad.append("%d calls, %d faults" % (k["count"], t["faults"]))
for b in k["bands"]:
    if b["ops"] and b["sum"]["faults"] != 65 * b["ops"]:
        bad.append("%s: %d faults in %d calls" % (b["band"], b["sum"]["faults"], b["ops"]))
for e in ("p50", "p99"):
    if k["exemplars"][e]["faults"] != 65:
        bad.append("exemplar %s: %d faults" % (e, k["exemplars"][e]["faults"]))
if not (t["on_ns"] > 0 and t["queued_ns"] > 0):
    bad.append("on-CPU %d, queued %d" % (t["on_ns"], t["queued_ns"]))
if bad:
    print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF_PY
then
	! grep -q "not followed" "$tmp/pool.out" &&
		ok "pool mode=process: 2000 calls, exactly 65 faults each in every band and exemplar;" \
			"on-CPU and queued time; no 'not followed'" ||
		bad "pool mode=process: the text still says not followed"
else
	bad "pool mode=process: exit $rc: $(tail -n 3 "$tmp/pool.out")"
fi
"$opscope" run -w pool -p mode=process -p workers=2 -r 1 --max-ops 200 --no-kernel \
	--out "$tmp/nk" >"$tmp/nk.out" 2>&1
rc=$?
if [ "$rc" -le 1 ] && python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))["scenarios"][0]["kinds"][0]
sys.exit(not (k["count"] == 200 and k["total"] is None))' "$tmp/nk/report.json"; then
	ok "pool mode=process --no-kernel: latency only, as before (no breakdown, no zeros)"
else
	bad "pool mode=process --no-kernel: exit $rc: $(tail -n 3 "$tmp/nk.out")"
fi

# 3. stacks of a child that ran another program: its user addresses are not the
#    target's, so its stacks keep their kernel frames only, and the loss is printed
"$opscope" record -f -s -o "$tmp/ex" -- sh -c '/bin/sleep 0.05; /bin/sleep 0.05' \
	>"$tmp/ex.out" 2>&1
rc=$?
lines=$(cat "$tmp/ex"/stacks/*/*.folded 2>/dev/null | grep -c ';thread=sleep')
user=$(cat "$tmp/ex"/stacks/*/*.folded 2>/dev/null | grep ';thread=sleep' |
	sed -E 's/^[^ ]*;thread=sleep;?//; s/ [0-9]+$//' | tr ';' '\n' | grep -v '_\[k\]$' |
	grep -v '^\[[a-z -]*\]$' | grep -c .)
if [ "$rc" -eq 0 ] && [ "$lines" -gt 0 ] && [ "$user" -eq 0 ]; then
	ok "record -f -s: the exec'd children's $lines stacks have kernel frames only;" \
		"$(grep -o 'the user frames of [0-9]* stacks' "$tmp/ex.out" || echo 'no user stack')"
else
	bad "record -f -s: exit $rc, $lines stacks of the exec'd sleep, $user user frames" \
		"named with the target's maps"
fi
finish
