#!/usr/bin/env bash
# Off-CPU user stacks both ways (run as root; $1 is the build/ directory). On a kernel
# whose BPF programs can schedule task work (6.18+), the copy is taken on the thread's
# way back to user mode, and --stacks --syscalls off loads no sys_exit program; older
# kernels take it at the syscall's return (or at the switch-out, outside a syscall),
# which OPSCOPE_NO_TASK_WORK=1 forces here, and itest_stacks and itest_unwind.sh run
# again that way so that the path those kernels take stays tested on this one.
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

# run NAME CMD...: one test's checks, indented, and its counts added to ours
run() {
	local name=$1 out line p f
	shift
	out=$(OPSCOPE_NO_TASK_WORK=1 "$@" 2>&1)
	echo "$out" | sed 's/^/    /'
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		bad "$name without task work: no result line"
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	pass=$((pass + p))
	fail=$((fail + f))
}
run itest_stacks "$build/tests/itest_stacks"
run itest_unwind bash "$(dirname "$0")/itest_unwind.sh" "$build"
finish
