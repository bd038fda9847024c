#!/usr/bin/env bash
# Off-CPU user stacks both ways (run as root; $1 is the build/ directory). On a kernel
# whose BPF programs can schedule task work (6.18+), an interval outside a syscall, and
# with --syscalls off every interval, has its copy taken on the thread's way back to
# user mode, and --stacks --syscalls off loads no sys_exit program: itest_unwind.sh runs
# again with --syscalls off, so that its sleeps and socket reads take that path. Older
# kernels take the copy at the syscall's return (or at the switch-out, outside a
# syscall), which OPSCOPE_NO_TASK_WORK=1 forces here, and itest_stacks runs again that
# way so that the path those kernels take stays tested. (Not itest_unwind.sh: that path
# copies at every preemption outside a syscall, long or short, and beside a busy
# machine's preemptions the copy rate runs out and a few of its fault and sample stacks
# are walked by frame pointers instead: 90-99% whole chains where it asks 99%.)
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_stacks_tw "$@"

# progs ENV...: the BPF programs record -b lists for --stacks --syscalls off
progs() {
	env "$@" "$opscope" record -b -s --syscalls off -- sleep 0.05 2>&1 |
		awk '/^handle_|^seed_/ { print $1 }' | sort | tr '\n' ' '
}

if grep -qa bpf_task_work_schedule_resume_impl /sys/kernel/btf/vmlinux; then
	with=$(progs) without=$(progs OPSCOPE_NO_TASK_WORK=1)
	case " $with " in
	*" handle_sys_exit "*) bad "task work: --syscalls off still loads sys_exit ($with)" ;;
	*) ok "task work: --stacks --syscalls off loads no sys_exit program ($with)" ;;
	esac
	case " $without " in
	*" handle_sys_exit "*) ok "without task work: sys_exit takes the user stacks ($without)" ;;
	*) bad "without task work: no sys_exit program ($without)" ;;
	esac
else
	ok "this kernel has no BPF task work: the other stack tests take the older path"
fi

# run NAME ENV... -- CMD...: one test's checks, indented, and its counts added to ours
run() {
	local name=$1 out line p f envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	out=$(env "${envs[@]}" "$@" 2>&1)
	echo "$out" | sed 's/^/    /'
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		bad "$name ${envs[*]}: no result line"
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	pass=$((pass + p))
	fail=$((fail + f))
}
run itest_stacks OPSCOPE_NO_TASK_WORK=1 -- "$build/tests/itest_stacks"
run itest_unwind "UNWIND_RECORD_FLAGS=--syscalls off" -- \
	bash "$(dirname "$0")/itest_unwind.sh" "$build"
finish
