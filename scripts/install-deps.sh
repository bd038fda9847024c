#!/usr/bin/env bash
# Install the Debian packages opscope needs to build, test and benchmark.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

build_pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev check pkg-config make gcc)
bench_pkgs=(linux-perf libbpf-tools libck-dev)

want=("${build_pkgs[@]}")
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
