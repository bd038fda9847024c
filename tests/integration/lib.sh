# Sourced by the itest_*.sh scripts (run as root; $1 is the build/ directory): the
# opscope binary, ok/bad/finish that end with "N passed, N failed", the root check with
# a visible SKIP line, and a temp directory removed on exit ($tmp).
# usage: . "$(dirname "$0")/lib.sh" NAME "$@"
itest_name=$1
shift
build=${1:-build}
opscope=$build/opscope
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; exit $((fail > 0)); }

if [ ! -x "$opscope" ]; then
	bad "no $opscope: build it first (make)"
	finish
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root for the kernel collector"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
tmp=$(mktemp -d "/tmp/$itest_name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
