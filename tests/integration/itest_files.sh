#!/usr/bin/env bash
# Never lose a user's data (issue 13): each reproducer of the issue, run as root ($1 is the
# build/ directory), must end with one line and exit 2 leaving everything as it was, or
# work correctly; and nothing is left behind (the temp directory goes, the small file
# system made for the full-disk cases is unmounted, no process is left running).
#  1. run --out over a project holding a report.json; through a link; an abandoned
#     staging directory; durations that overflow
#  2. record -o: a planted .record.txt.tmp link, a stacks/ link, a bad -o found before
#     the command runs; a command that ignores SIGTERM; SIGKILL of record; a command
#     that cannot start
#  3. history append through a link and on a full disk; run, record and baseline on a
#     full disk
#  4. flame graph sums past 2^64, --unit with markup, inputs without end (/dev/zero)
#  5. compare | head keeps its files; a bad suite line's bytes are not echoed raw
#  6. baseline --force: replaces only what it saved; nightly.sh: locks, option values,
#     an unusable baseline
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_files "$@"
opscope=$(realpath "$opscope")
host=$(hostname)
small=$tmp/small
cleanup() {
	mountpoint -q "$small" 2>/dev/null && umount "$small"
	rm -rf "$tmp"
}
trap cleanup EXIT

# expect_fail DESC CMD...: exit 2 and exactly one line on stderr
expect_fail() {
	local desc=$1
	shift
	"$@" >"$tmp/ef.out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ]; then
		ok "$desc: $(cut -c1-110 "$tmp/err")"
	else
		bad "$desc: exit $rc, $lines lines: $(head -3 "$tmp/err")"
	fi
}
# the files of a directory with their contents, to see that nothing changed
snapshot() { (cd "$1" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+ 2>&1 &&
	find . -type f -print0 | sort -z | xargs -0 -r md5sum); }
quick_run() { "$opscope" run --no-kernel --workload pool --quick "$@"; }

# 1. run --out
mkdir -p "$tmp/proj/src" && echo '{}' >"$tmp/proj/report.json" &&
	echo 'int main(void) { return 0; }' >"$tmp/proj/src/main.c"
before=$(snapshot "$tmp/proj")
expect_fail "run --out over a project with a report.json" quick_run --out "$tmp/proj"
[ "$(snapshot "$tmp/proj")" = "$before" ] && ok "the project is untouched" ||
	bad "the project changed"
mkdir "$tmp/victim" && echo precious >"$tmp/victim/report.json"
ln -s "$tmp/victim" "$tmp/link"
expect_fail "run --out through a link" quick_run --out "$tmp/link"
quick_run --out "$tmp/out" >/dev/null 2>&1
# an earlier opscope killed while writing left this behind (it holds the staging marker)
mkdir "$tmp/.out.tmp-AbC123" &&
	printf 'opscope-dir 1 staging\n' >"$tmp/.out.tmp-AbC123/.opscope-dir"
echo partial >"$tmp/.out.tmp-AbC123/report.json"
mkdir "$tmp/.out.tmp-NotOur" # no marker: not opscope's, stays
quick_run --out "$tmp/out" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -le 1 ] && [ ! -e "$tmp/.out.tmp-AbC123" ] && [ -d "$tmp/.out.tmp-NotOur" ] &&
	[ "$(ls -A "$tmp" | grep -c '^\.out\.tmp-')" -eq 1 ] && grep -q staging "$tmp/err"; then
	ok "an abandoned staging directory is removed, an unmarked one is kept"
else
	bad "staging cleanup: exit $rc: $(ls -A "$tmp" | tr '\n' ' ') $(cat "$tmp/err")"
fi
rmdir "$tmp/.out.tmp-NotOur"
echo mine >"$tmp/out/notes.txt"
expect_fail "run --out over an output holding a file opscope did not write" \
	quick_run --out "$tmp/out"
[ "$(cat "$tmp/out/notes.txt")" = mine ] && [ -f "$tmp/out/report.json" ] &&
	ok "the output and the user's file are untouched" || bad "the output changed"
rm "$tmp/out/notes.txt"
expect_fail "--warmup 2000000h --duration 2000000h" \
	quick_run --warmup 2000000h --duration 2000000h --out "$tmp/never"
[ ! -e "$tmp/never" ] && ok "no output for durations past int64" || bad "an output appeared"

# 2. record -o
mkdir -p "$tmp/rec1" && ln -s "$tmp/victim/report.json" "$tmp/rec1/.record.txt.tmp"
expect_fail "record -o with a planted .record.txt.tmp link" \
	"$opscope" record -o "$tmp/rec1" -- sh -c "touch $tmp/ran1"
[ "$(cat "$tmp/victim/report.json")" = precious ] && [ ! -e "$tmp/ran1" ] &&
	ok "the link's target is untouched and the command never ran" ||
	bad "record wrote through the link or ran the command"
"$opscope" record -d 100ms -o "$tmp/rec2" -- sleep 1 >/dev/null 2>&1
ln -s "$tmp/victim" "$tmp/rec2/stacks"
expect_fail "record -s -o with a planted stacks/ link" \
	"$opscope" record -s -d 100ms -o "$tmp/rec2" -- sleep 1
[ "$(ls "$tmp/victim")" = report.json ] && ok "nothing was written through stacks/" ||
	bad "files appeared through the link: $(ls "$tmp/victim")"
expect_fail "record -o in a missing directory, before anything runs" \
	"$opscope" record -o "$tmp/no/such/dir" -- sh -c "touch $tmp/ran3"
[ ! -e "$tmp/ran3" ] && ok "the command never ran" || bad "the command ran before -o was checked"
"$opscope" record -s -d 200ms -o "$tmp/rec4" -- \
	sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1' >/dev/null 2>&1
if [ -f "$tmp/rec4/record.txt" ] && [ -d "$tmp/rec4/stacks" ] &&
	grep -q '^opscope-dir 1 output' "$tmp/rec4/.opscope-dir"; then
	ok "record -s -o writes a marked output with record.txt and stacks/"
else
	bad "record -s -o: $(ls -A "$tmp/rec4" 2>&1 | tr '\n' ' ')"
fi
rm -f "$tmp/pid"
timeout 30 "$opscope" record -d 200ms -- sh -c "echo \$\$ >$tmp/pid; trap '' TERM; exec sleep 60" \
	>/dev/null 2>"$tmp/err"
rc=$?
pid=$(cat "$tmp/pid" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null &&
	grep -q SIGKILL "$tmp/err"; then
	ok "a command that ignores SIGTERM is killed after the grace period"
else
	bad "SIGTERM-ignoring command: exit $rc, pid ${pid:-none}" \
	    "$(kill -0 "$pid" 2>/dev/null && echo alive)"
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
fi
rm -f "$tmp/pid"
"$opscope" record -- sh -c "echo \$\$ >$tmp/pid; exec sleep 60" >/dev/null 2>&1 &
rpid=$!
for _ in $(seq 100); do [ -s "$tmp/pid" ] && break; sleep 0.05; done
pid=$(cat "$tmp/pid" 2>/dev/null)
kill -9 "$rpid"
wait "$rpid" 2>/dev/null
gone=0
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || { gone=1; break; }; sleep 0.05; done
if [ -n "$pid" ] && [ "$gone" -eq 1 ]; then
	ok "SIGKILL of record takes its command with it"
else
	bad "the command ${pid:-?} outlived record's SIGKILL"
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
fi
expect_fail "record of a command that cannot start" "$opscope" record -- "$tmp/no-such-cmd"

# 3. links and full disks
hist=$tmp/h.jsonl
quick_run --out "$tmp/run" >/dev/null 2>&1
"$opscope" history append "$tmp/run" --file "$hist" >/dev/null
ln -s "$hist" "$tmp/hl.jsonl"
sum=$(md5sum <"$hist")
expect_fail "history append through a link" \
	"$opscope" history append "$tmp/run" --file "$tmp/hl.jsonl"
printf 'root:x:0:0::/root:/bin/sh\n' >"$tmp/passwd"
expect_fail "history append to a file that is not a history" \
	"$opscope" history append "$tmp/run" --file "$tmp/passwd"
[ "$(md5sum <"$hist")" = "$sum" ] && [ "$(wc -l <"$tmp/passwd")" -eq 1 ] &&
	ok "neither file changed" || bad "a refused append changed a file"
mkdir -p "$small"
if mount -t tmpfs -o size=512k tmpfs "$small" 2>/dev/null; then
	cp "$hist" "$small/h.jsonl"
	"$opscope" history append "$tmp/run" --file "$small/h.jsonl" >/dev/null
	# full, then one page free: less than the history needs, more than nothing
	head -c 1M /dev/zero >"$small/fill" 2>/dev/null
	truncate -s -4096 "$small/fill"
	sum=$(md5sum <"$small/h.jsonl")
	expect_fail "history append on a full disk" \
		"$opscope" history append "$tmp/run" --file "$small/h.jsonl"
	[ "$(md5sum <"$small/h.jsonl")" = "$sum" ] && ok "the history is as it was" ||
		bad "the history changed on a full disk"
	expect_fail "run --out on a full disk" quick_run --out "$small/out"
	expect_fail "record -s -o on a full disk" \
		"$opscope" record -s -d 100ms -o "$small/rec" -- sleep 1
	expect_fail "baseline save on a full disk" \
		"$opscope" baseline save full "$tmp/run" --dir "$small/bl" --machine "$host"
	left=$(cd "$small" && find . -mindepth 1 ! -name fill ! -name h.jsonl ! -path ./bl \
		! -path "./bl/$host" | tr '\n' ' ')
	[ -z "$left" ] && ok "a full disk leaves no half-made output" ||
		bad "left on the full disk: $left"
	rm "$small/fill"
	"$opscope" history append "$tmp/run" --file "$small/h.jsonl" >/dev/null &&
		[ "$(wc -l <"$small/h.jsonl")" -eq 3 ] &&
		"$opscope" history show --file "$small/h.jsonl" >/dev/null 2>"$tmp/err" &&
		[ ! -s "$tmp/err" ] && ok "with room again, the next append is a line of its own" ||
		bad "append after the full disk: $(wc -l <"$small/h.jsonl") lines," \
		    "$(cat "$tmp/err")"
	umount "$small"
else
	echo "SKIP full-disk cases: cannot mount a tmpfs here"
fi

# 4. flame graphs and unbounded inputs
printf 'a;b 18446744073709551615\na;c 5\n' >"$tmp/wrap.folded"
expect_fail "folded counts that add up past 2^64" \
	"$opscope" flamegraph "$tmp/wrap.folded" -o "$tmp/wrap.svg"
[ ! -e "$tmp/wrap.svg" ] && ok "no SVG for them" || bad "an SVG was written"
printf 'main;work 5\n' >"$tmp/s.folded"
"$opscope" flamegraph "$tmp/s.folded" -o "$tmp/s.svg" --unit '<script>alert(1)</script>' \
	--title '</text><script>x</script>' >/dev/null
[ "$(grep -o '<script' "$tmp/s.svg" | wc -l)" -eq 1 ] &&
	grep -q '&lt;script&gt;alert' "$tmp/s.svg" &&
	ok "--unit and --title are escaped in the SVG" || bad "markup from options got into the SVG"
expect_fail "run --suite /dev/zero" timeout 60 "$opscope" run --suite /dev/zero --out "$tmp/z1"
expect_fail "compare /dev/zero" timeout 60 "$opscope" compare /dev/zero "$tmp/run"
expect_fail "flamegraph /dev/zero" timeout 60 "$opscope" flamegraph /dev/zero -o "$tmp/z.svg"
grep -q 'no stacks' "$tmp/err" && bad "flamegraph /dev/zero still says 'no stacks'"
expect_fail "history show --file /dev/zero" timeout 60 "$opscope" history show --file /dev/zero

# 5. compare | head, raw bytes
quick_run --out "$tmp/run2" >/dev/null 2>&1
"$opscope" compare --junit "$tmp/j.xml" --json "$tmp/c.json" --md "$tmp/c.md" \
	"$tmp/run" "$tmp/run2" 2>/dev/null | head -1 >/dev/null
rc=${PIPESTATUS[0]}
# a verdict (0, 1, 3 the machine's noise changed, 4 a target failed), not a failure (2)
if [ "$rc" -ne 2 ] && [ "$rc" -le 4 ] && [ -s "$tmp/j.xml" ] && [ -s "$tmp/c.json" ] &&
	[ -s "$tmp/c.md" ]; then
	ok "compare | head: exit $rc, and its --junit, --json and --md files are written"
else
	bad "compare | head: exit $rc, files: $(ls "$tmp"/j.xml "$tmp"/c.json "$tmp"/c.md 2>&1)"
fi
quick_run --out "$tmp/run3" 2>/dev/null | head -1 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" -le 1 ] && [ -s "$tmp/run3/report.json" ] && ok "run | head: exit $rc, output written" ||
	bad "run | head: exit $rc"
printf '[run]\nreps = \033]0;pwned\007\033[2J\n' >"$tmp/bad.suite"
expect_fail "a suite line with terminal escapes" \
	"$opscope" run --no-kernel --suite "$tmp/bad.suite" --out "$tmp/z2"
LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/err" && bad "raw control bytes reached stderr" ||
	ok "its control bytes are shown as \\xNN"

# 6. baselines and nightly.sh
bl=$tmp/bl
"$opscope" baseline save n "$tmp/run" --dir "$bl" --machine "$host" >/dev/null
"$opscope" baseline save n "$tmp/run2" --dir "$bl" --machine "$host" --force >/dev/null
if grep -q "$tmp/run2" "$bl/$host/n/meta.json" &&
	[ -z "$(ls -A "$bl/$host" | grep -v '^n$')" ]; then
	ok "baseline --force: the new one in place, nothing else left"
else
	bad "baseline --force: $(ls -A "$bl/$host" | tr '\n' ' ')"
fi
echo mine >"$bl/$host/n/notes.txt"
expect_fail "baseline --force over a baseline holding a user's file" \
	"$opscope" baseline save n "$tmp/run" --dir "$bl" --machine "$host" --force
grep -q "$tmp/run2" "$bl/$host/n/meta.json" && [ -f "$bl/$host/n/notes.txt" ] &&
	ok "that baseline is untouched" || bad "the baseline changed"
rm "$bl/$host/n/notes.txt"
expect_fail "nightly.sh --out-root without a value" bash scripts/nightly.sh --out-root
expect_fail "nightly.sh --history without a value" bash scripts/nightly.sh --no-build --history
mkdir -p "$tmp/nb"
exec {lockfd}>>"$tmp/nb/.nightly.lock"
flock -n "$lockfd"
expect_fail "a second nightly sharing the baseline directory" \
	bash scripts/nightly.sh --no-build --out-root "$tmp/n2" --baseline-dir "$tmp/nb" \
	--history "$tmp/n2.jsonl"
exec {lockfd}>&-
printf '[run]\nreps = 1\nwarmup = 0\nduration = 50ms\n[scenario p]\nworkload = pool\n' \
	>"$tmp/tiny.suite"
nightly() {
	OPSCOPE=$opscope bash scripts/nightly.sh --no-build --suite "$tmp/tiny.suite" --reps 1 \
		--max-load 100 --out-root "$tmp/n1" --baseline-dir "$tmp/nbl" \
		--history "$tmp/n1.jsonl" -- --no-kernel
}
nightly >/dev/null 2>&1
base=$tmp/nbl/$(hostname)/nightly
rm -f "$base/report.json"
nightly >"$tmp/nout" 2>&1
rc=$?
# nightly.sh prints through tee in a process substitution, which may finish a bit later
for _ in $(seq 40); do grep -q unusable "$tmp/nout" && break; sleep 0.05; done
if [ "$rc" -eq 2 ] && [ ! -e "$base/report.json" ] && grep -q unusable "$tmp/nout"; then
	ok "nightly: an unusable baseline fails the job instead of being replaced"
else
	bad "nightly with an unusable baseline: exit $rc: $(tail -2 "$tmp/nout")"
fi
finish
