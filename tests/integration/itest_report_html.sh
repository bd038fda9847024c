#!/usr/bin/env bash
# report.html as its real client reads it (run as root; $1 is the build/ directory):
#  1. a short pool sweep with --stacks writes report.html;
#  2. headless Debian chromium (through the DevTools protocol, tests/integration/cdp_page.py)
#     loads it with no console error or warning and no uncaught exception, and requests
#     nothing but the page itself (self-contained: no network, no other file);
#  3. the DOM holds the charts: per op kind the breakdown bars and a histogram, the sweep's
#     throughput, p99 and scaling-efficiency points, the table's tail strips, PASS/FAIL
#     badges; every link is a fragment that exists or a file that exists in the run's
#     directory (flame graphs, pprof, trace.json);
#  4. its script works: hovering a bar segment shows its tooltip with the ns, the bar-scale
#     button switches the bars to absolute time;
#  5. chromium --dump-dom (the DOM after the script ran) has the same SVG elements;
#  6. a --no-kernel run's page loads just as cleanly.
# Needs python3 and chromium (scripts/install-deps.sh installs it).
# Last line: "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh" itest_report_html "$@"
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v python3 >/dev/null; then
	echo "SKIP: needs python3 for the DevTools client"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
	bad "no chromium: run scripts/install-deps.sh (make does) to install Debian's chromium"
	finish
fi

run() { # DIR ARGS...: exit 0 or 1 (a target may fail) is a completed run
	local out=$1; shift
	"$opscope" run --out "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	local rc=$?
	if [ "$rc" -le 1 ] && [ -s "$out/report.html" ]; then
		ok "run $* (exit $rc) wrote report.html ($(wc -c <"$out/report.html") bytes)"
		return 0
	fi
	bad "run $*: exit $rc, report.html missing: $(tail -2 "$tmp/stderr")"
	return 1
}

# What the page's DOM holds, after load, as JSON (evaluated in chromium).
dom_js='JSON.stringify({
  bd: document.querySelectorAll("svg.bd").length,
  seg: document.querySelectorAll("svg.bd rect.seg").length,
  bdrow: document.querySelectorAll("svg.bd g.bdrow").length,
  lh: document.querySelectorAll("svg.lh").length,
  bin: document.querySelectorAll("svg.lh rect.bin").length,
  pmark: document.querySelectorAll("svg.lh g.pmark").length,
  sw: document.querySelectorAll("svg.sw").length,
  pt: document.querySelectorAll("svg.sw circle.pt").length,
  ts: document.querySelectorAll("svg.ts").length,
  badges: Array.from(document.querySelectorAll(".badge")).map(function(b){return b.textContent}),
  hrefs: Array.from(document.querySelectorAll("a[href]")).map(function(a){return a.getAttribute("href")}),
  ids: Array.from(document.querySelectorAll("[id]")).map(function(e){return e.id}),
  titles_left: document.querySelectorAll("svg title").length,
  tips: document.querySelectorAll("[data-tip]").length,
  tip: (function(){var r=document.querySelector("svg.bd rect.seg"); if(!r) return "";
        var b=r.getBoundingClientRect();
        r.dispatchEvent(new MouseEvent("mousemove",{bubbles:true,clientX:b.x+1,clientY:b.y+1}));
        var t=document.getElementById("tip");
        return getComputedStyle(t).display + "|" + t.textContent;})(),
  abs: (function(){var b=document.getElementById("abs"); if(!b||b.hidden) return "no button";
        var before=getComputedStyle(document.querySelector(".bd-abs")).display; b.click();
        return before + ">" + getComputedStyle(document.querySelector(".bd-abs")).display;})()
})'

# check.py DIR JSON MODE: "ok"/"FAIL" lines for the page loaded from DIR
cat >"$tmp/check.py" <<'EOF'
import json, os, sys
d, mode = sys.argv[1], sys.argv[3]
r = json.load(open(sys.argv[2]))
def out(good, msg):
    print(("ok   " if good else "FAIL ") + msg)
page = "file://" + os.path.join(d, "report.html")
out(not r["console"], "%s: no console error or warning (%s)" % (mode, r["console"][:3]))
out(not r["exceptions"], "%s: no uncaught exception (%s)" % (mode, r["exceptions"][:3]))
others = [u for u in r["requests"] if u != page]
out(r["requests"] == [page], "%s: the page requested nothing but itself (%s)" %
    (mode, others[:3]))
v = json.loads(r["eval"] or "{}")
if not v:
    out(False, "%s: the DOM query returned nothing" % mode); sys.exit(0)
# the op kinds, as report.json lists them
kinds = sum(len(s["kinds"]) for s in json.load(open(os.path.join(d, "report.json")))["scenarios"])
out(v["lh"] == kinds and v["ts"] == kinds and v["bin"] >= kinds and v["pmark"] == 5 * kinds,
    "%s: %d op kinds, each with a histogram (%d bins, %d percentile marks) and a tail strip"
    % (mode, kinds, v["bin"], v["pmark"]))
if mode == "kernel":
    out(v["bd"] == kinds and v["bdrow"] == 7 * kinds and v["seg"] >= 2 * kinds,
        "breakdown: %d bar charts, %d rows (p50 op, 5 bands, p99 op), %d segments"
        % (v["bd"], v["bdrow"], v["seg"]))
    out(v["sw"] == 3 and v["pt"] >= 2 * 3,
        "sweep: throughput, p99 and scaling-efficiency charts (%d charts, %d points)"
        % (v["sw"], v["pt"]))
    out(v["tip"].startswith("block|") and "ns" in v["tip"],
        "hovering a segment shows its tooltip: %s" % v["tip"][:90])
    out(v["abs"] == "none>inline", "the bar-scale button shows absolute bars (%s)" % v["abs"])
else:
    out(v["bd"] == 0 and v["seg"] == 0, "no breakdown bars without the kernel collector")
out(any(b in ("PASS", "FAIL") for b in v["badges"]), "targets with PASS/FAIL badges: %s"
    % sorted(set(v["badges"])))
out(v["titles_left"] == 0 and v["tips"] > 0,
    "the script turned %d SVG titles into tooltips" % v["tips"])
ids = set(v["ids"])
bad_links = []
files = 0
for h in v["hrefs"]:
    if h.startswith("#"):
        if h[1:] not in ids:
            bad_links.append(h)
    elif ":" in h or h.startswith("/"):
        bad_links.append(h)
    else:
        from urllib.parse import unquote
        files += 1
        if not os.path.isfile(os.path.join(d, unquote(h))):
            bad_links.append(h)
out(not bad_links, "%s: %d links, %d to files, every one resolves (%s)"
    % (mode, len(v["hrefs"]), files, bad_links[:3]))
if mode == "kernel":
    svgs = [h for h in v["hrefs"] if h.startswith("stacks/") and h.endswith(".svg")]
    out(len(svgs) >= kinds and "trace.json" in v["hrefs"] and
        any(h.endswith("/profile.pb.gz") for h in v["hrefs"]),
        "links to %d flame graphs, %d pprof files and trace.json"
        % (len(svgs), len([h for h in v["hrefs"] if h.endswith(".pb.gz")])))
EOF

dump_dom() { # DIR: the SVG elements in chromium --dump-dom's DOM
	local prof; prof=$(mktemp -d "$tmp/prof.XXXXXX")
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$prof" --dump-dom "file://$1/report.html" \
		>"$tmp/dom.html" 2>"$tmp/dom.err"
	local n
	for el in '<svg class="bd"' '<rect class="seg"' '<svg class="lh"' '<rect class="bin"' \
		'<svg class="sw"' '<circle class="pt"' '<svg class="ts"' '</html>'; do
		n=$(grep -oF "$el" "$tmp/dom.html" | wc -l)
		if [ "$n" -gt 0 ]; then
			ok "--dump-dom: $n x $el"
		else
			bad "--dump-dom: no $el ($(wc -c <"$tmp/dom.html") bytes of DOM)"
		fi
	done
}

load() { # DIR MODE
	if python3 "$here/cdp_page.py" "$chromium" "file://$1/report.html" --eval "$dom_js" \
		>"$tmp/cdp.json" 2>"$tmp/cdp.err"; then
		while read -r st msg; do
			if [ "$st" = ok ]; then ok "$msg"; else bad "$msg"; fi
		done < <(python3 "$tmp/check.py" "$1" "$tmp/cdp.json" "$2" 2>&1)
	else
		bad "chromium via DevTools: $(tail -3 "$tmp/cdp.err")"
	fi
}

out=$tmp/out
if run "$out" --workload pool -p workers=1,2 -p spin=5us --reps 2 --duration 100ms \
	--warmup 20ms --stacks; then
	load "$out" kernel
	dump_dom "$out"
fi
if run "$tmp/out-nk" --workload channel -p capacity=1,100 --quick --no-kernel; then
	load "$tmp/out-nk" no-kernel
fi
finish
