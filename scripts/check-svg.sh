#!/usr/bin/env bash
# Render an opscope flame graph in headless Chromium and check the screenshot shows it.
#
#   scripts/check-svg.sh [OUTDIR]
#
# Draws tests/fixtures/sample.folded with `opscope flamegraph` (OPSCOPE=path overrides
# build/opscope), screenshots it twice -- as opened, and with "#s=schedule" in the URL,
# which runs the embedded search -- and checks that the first PNG has the frames' many
# colours and that the second has the search highlight (so the JavaScript ran). Installs
# Debian's chromium when it is missing. Screenshots stay in OUTDIR (default: a temp dir).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
opscope=${OPSCOPE:-$here/build/opscope}
sample=$here/tests/fixtures/sample.folded
out=${1:-$(mktemp -d /tmp/opscope-check-svg.XXXXXX)}
mkdir -p "$out"

die() { echo "check-svg: $*" >&2; exit 1; }

[ -x "$opscope" ] || die "no $opscope; run 'make' first (or set OPSCOPE=path/to/opscope)"
if ! command -v chromium >/dev/null; then
	echo "check-svg: installing Debian's chromium"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

"$opscope" flamegraph "$sample" -o "$out/sample.svg" --title "opscope check-svg: sample" \
	--unit samples >/dev/null || die "opscope flamegraph failed on $sample"
"$opscope" flamegraph --diff "$sample" "$here/tests/fixtures/sample-after.folded" \
	-o "$out/diff.svg" >/dev/null || die "opscope flamegraph --diff failed"

shot() { # URL PNG
	local profile
	profile=$(mktemp -d /tmp/opscope-chromium.XXXXXX)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$profile" --screenshot="$2" \
		--window-size=1200,800 "$1" >/dev/null 2>&1 || true
	rm -rf "$profile"
	[ -s "$2" ] || die "chromium wrote no screenshot for $1"
}

shot "file://$out/sample.svg" "$out/sample.png"
shot "file://$out/sample.svg#s=schedule" "$out/search.png"
shot "file://$out/diff.svg" "$out/diff.png"

# Count distinct colours and search-highlight pixels with the standard library only.
python3 - "$out/sample.png" "$out/search.png" "$out/diff.png" <<'PY'
import struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), path + ": unexpected PNG type"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, out = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.extend(tuple(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return w, h, out

w, h, px = pixels(sys.argv[1])
colours = len(set(px))
print("check-svg: %s: %dx%d, %d colours" % (sys.argv[1], w, h, colours))
if colours < 20:
    sys.exit("check-svg: the screenshot has only %d colours: no frames drawn" % colours)
_, _, px = pixels(sys.argv[2])
magenta = sum(1 for p in px if p == (230, 0, 230))
print("check-svg: %s: %d search-highlight pixels" % (sys.argv[2], magenta))
if magenta < 500:
    sys.exit("check-svg: searching for 'schedule' highlighted nothing: the script did not run")
_, _, px = pixels(sys.argv[3])
red = sum(1 for p in px if p[0] == 255 and p[1] == p[2] and p[1] < 200)
blue = sum(1 for p in px if p[2] == 255 and p[0] == p[1] and p[0] < 200)
print("check-svg: %s: %d red and %d blue pixels" % (sys.argv[3], red, blue))
if red < 200 or blue < 200:
    sys.exit("check-svg: the differential graph lacks red (growth) or blue (shrink) frames")
PY
echo "check-svg: ok; screenshots in $out"
