#!/usr/bin/env bash
# User stacks through code without frame pointers (run as root; $1 is the build/
# directory), by opscope record --stacks on programs it did not write:
#  1. tests/fixtures/unwindprog.c built with -O2 -fomit-frame-pointer: main calls a known
#     chain five deep (uw_one .. uw_five) whose leaf sleeps in nanosleep through libc,
#     spins, and touches fresh pages. Its off-CPU stacks (the sleep), on-CPU samples
#     taken in the spin and page faults taken in the leaf each show the whole chain, from
#     libc's start of the program to the leaf (and on into libc for the sleep), in 99%
#     or more of their weight;
#  2. python3 (the interpreter itself, no frame pointers in Debian's build) blocking in
#     time.sleep and in a socket read: every such stack reaches the interpreter's main
#     (Py_BytesMain under __libc_start_main) or, for the writer thread, the thread's
#     start (start_thread), with no frame outside the binaries it maps;
#  3. record prints the share of user stacks that reach a root frame (most; the few it
#     misses are stacks taken before the exec and in the dynamic loader).
# Holds beside CPU hogs: the checks are shares of what was sampled, never times.
# UNWIND_RECORD_FLAGS: more record options (itest_stacks_tw.sh: --syscalls off).
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_unwind "$@"

src=$(dirname "$0")/../fixtures/unwindprog.c
if ! cc -O2 -fomit-frame-pointer -o "$tmp/unwindprog" "$src"; then
	bad "could not build $src"
	finish
fi
if objdump -d "$tmp/unwindprog" | grep -A3 '<uw_three>:' | grep -q 'push *%rbp'; then
	bad "uw_three was built with a frame pointer: the test would prove nothing"
fi

# share FILE LEAFRE NEEDRE: of the stacks whose frames match LEAFRE, the share of the
# weight whose frames also match NEEDRE (an extended regex over the ';'-joined frames)
share() {
	python3 - "$@" <<'EOF'
import re, sys
path, leaf, need = sys.argv[1:4]
tot = ok = 0
for line in open(path):
    stack, _, val = line.rstrip("\n").rpartition(" ")
    if not re.search(leaf, stack):
        continue
    tot += int(val)
    if re.search(need, stack):
        ok += int(val)
print(f"{ok} {tot} {100.0 * ok / tot if tot else 0:.2f}")
EOF
}
# check WHAT FILE LEAFRE NEEDRE: at least 99% of the weight, and some weight at all
check() {
	local what=$1 r
	r=$(share "${@:2}")
	read -r okw totw pct <<<"$r"
	if [ "${totw:-0}" -gt 0 ] && awk -v p="$pct" 'BEGIN { exit !(p >= 99) }'; then
		ok "$what: $pct% of $totw show the whole chain"
	else
		bad "$what: ${pct:-0}% of ${totw:-0} show the whole chain (want 99%+)"
		grep -E "$3" "$2" | grep -vE "$4" | head -5 | cut -c1-400
	fi
}

start='_start;__libc_start_main;__libc_start_call_main'
chain="(^|;)$start;main;uw_one;uw_two;uw_three;uw_four;uw_five"
out=$tmp/c
"$opscope" record -s ${UNWIND_RECORD_FLAGS:-} -o "$out" -- "$tmp/unwindprog" 2 >"$tmp/c.txt" 2>&1
d=$out/stacks/record
if [ ! -s "$d/none.offcpu.folded" ]; then
	bad "record -s wrote no off-CPU stacks for unwindprog"
	cat "$tmp/c.txt"
else
	# the sleep: its kernel part names the syscall, whatever the user part became
	check "off-CPU in nanosleep" "$d/none.offcpu.folded" '__x64_sys_clock_nanosleep_\[k\]' \
		"$chain;[^;]*nanosleep[^;]*;([^;]*;)*entry_SYSCALL"
	# the spin and the page touches: the leaf is uw_five whatever the walk found above it
	check "on-CPU samples in the spin" "$d/none.oncpu.folded" ';uw_five($|;[^;]*_\[k\])' \
		"$chain($|;)"
	check "page faults in the leaf" "$d/none.faults.folded" ';uw_five($|;[^;]*_\[k\])' \
		"$chain($|;)"
fi
pct=$(sed -n 's/^user stacks: [0-9]* of [0-9]* (\([0-9.]*\)%) reach a root frame.*/\1/p' "$tmp/c.txt")
if [ -n "$pct" ] && awk -v p="$pct" 'BEGIN { exit !(p >= 50) }'; then
	ok "record prints the root share: $pct% of user stacks reach a root frame"
else
	bad "record's root share is '${pct}' (want a line, 50%+)"
	grep -E '^(user stacks|stacks)' "$tmp/c.txt"
fi

if ! command -v python3 >/dev/null; then
	echo "SKIP: python3 is needed for the interpreter's stacks"
	finish
fi
# the interpreter itself, not a launcher script that execs it
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
cat >"$tmp/blocker.py" <<'EOF'
import socket, sys, threading, time
a, b = socket.socketpair()
end = time.monotonic() + float(sys.argv[1])
def writer():
    while True:
        time.sleep(0.003)
        try:
            b.send(b"x")
        except OSError:
            return
threading.Thread(target=writer, daemon=True).start()
while time.monotonic() < end:
    time.sleep(0.002)
    a.recv(1)
EOF
# 3 s: record reads the stacks every second, so the mappings of the modules python loads
# after its start are read while it lives
out=$tmp/py
"$opscope" record -s ${UNWIND_RECORD_FLAGS:-} -o "$out" -- "$py" "$tmp/blocker.py" 3 \
	>"$tmp/py.txt" 2>&1
f=$out/stacks/record/none.offcpu.folded
if [ ! -s "$f" ]; then
	bad "record -s wrote no off-CPU stacks for $py"
	cat "$tmp/py.txt"
	finish
fi
root="(^|;)($start;([^;]*;)*Py_BytesMain|__clone3;start_thread);"
check "python3 in time.sleep" "$f" '__x64_sys_clock_nanosleep_\[k\]' \
	"$root([^;]*;)*clock_nanosleep;entry_SYSCALL"
check "python3 in a socket read" "$f" '__x64_sys_recvfrom_\[k\]' \
	"$root([^;]*;)*(recv|__libc_recv|recvfrom);entry_SYSCALL"
# no frame outside what python maps: every user frame is a name or module+0xoffset of
# python, libpython, libc, the loader or an extension module
mods='python3[.0-9]*|libpython[^+]*|libc\.so\.6|ld-linux[^+]*|[^+]*\.cpython-[^+]*\.so|\[vdso\]'
garbage=$(grep -E '__x64_sys_(clock_nanosleep|recvfrom)_\[k\]' "$f" | tr ';' '\n' |
	grep -E '^\[unknown\]|\+0x' | grep -vE "^($mods)\+0x[0-9a-f]+\$" | head -3)
if [ -z "$garbage" ]; then
	ok "python3's blocking stacks have no frame outside its binaries"
else
	bad "python3's blocking stacks have frames outside its binaries: $garbage"
fi
finish
