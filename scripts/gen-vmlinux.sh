#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The header is committed so that builds need neither BTF nor kernel headers (CO-RE).
set -euo pipefail
arch=$(uname -m)
case "$arch" in
x86_64) dir=x86_64 ;;
aarch64) dir=arm64 ;;
*) echo "gen-vmlinux: unsupported architecture $arch" >&2; exit 1 ;;
esac
btf=${1:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "gen-vmlinux: $btf is not readable; this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)." >&2; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/vmlinux/$dir/vmlinux.h"
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
