#!/usr/bin/env bash
# Install the Debian packages opscope needs to build, test and benchmark.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

# libdw-dev: elfutils' DWARF unwinder (dwfl), which walks the copied user stacks through
# code built without frame pointers, from the binaries' .eh_frame and .debug_frame.
# libiberty-dev: the demangler binutils and perf use (cplus_demangle, with Rust), so
# C++ and Rust frames read as names in folded files, SVGs and pprof. libclang-rt-dev: the
# libFuzzer and sanitizer runtimes of the default clang (make fuzz).
build_pkgs=(clang llvm libclang-rt-dev libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
	    libiberty-dev check pkg-config make gcc g++)
# The real clients the tests open opscope's outputs with: `go tool pprof` (golang-go)
# for the pprof files, headless chromium for the SVG flame graphs and report.html,
# python3 for the format checks (and chromium's DevTools protocol); prometheus and
# prometheus-pushgateway to read the OpenMetrics export back as a team's Prometheus would
# (their services are not started here: the test starts its own on loopback).
client_pkgs=(golang-go chromium python3 prometheus prometheus-pushgateway)
bench_pkgs=(linux-perf libbpf-tools libck-dev)

want=("${build_pkgs[@]}" "${client_pkgs[@]}")
if [ "${1:-}" = "--bench" ]; then
	want+=("${bench_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "opscope: missing Debian packages: ${missing[*]}; run 'sudo $0 $*' or install them by hand." >&2
	exit 1
fi
echo "opscope: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
