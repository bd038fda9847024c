#!/usr/bin/env bash
# report.html as its real client reads it (run as root; $1 is the build/ directory):
#  1. a short suite with --stacks and --why writes report.html: a pool sweep, a two-stage
#     pipeline and a process-mode pool (whose worker processes are followed);
#  2. headless Debian chromium (through the DevTools protocol, tests/integration/cdp_page.py)
#     loads it with no console error or warning and no uncaught exception, and requests
#     nothing but the page itself (self-contained: no network, no other file);
#  3. the DOM holds the charts: per op kind the breakdown bars (the process pool's too,
#     with no "not followed" note) and a histogram, the sweep's throughput,
#     p99 and scaling-efficiency points, the table's tail strips, PASS/FAIL badges; "Why
#     it waited" with a chart per op kind that report.json gives a why, its words exactly
#     report.json's queued_text/blocked_text, a wait-for graph per scenario that has one;
#     the runs table with a throughput line per scenario, the leak checks with verdicts,
#     the pipeline's per-stage table, the user-stack root share among the losses; every
#     link is a fragment that exists or a file that exists in the run's directory (flame
#     graphs, pprof, trace.json, waitfor/*.svg);
#  4. its script works: hovering a bar segment shows its tooltip with the ns, the bar-scale
#     button switches the bars to absolute time;
#  5. chromium --dump-dom (the DOM after the script ran) has the same SVG elements;
#  6. a --no-kernel run's page loads just as cleanly, with no "Why it waited", no
#     breakdown bars and no stage table (it has no such data).
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
        return before + ">" + getComputedStyle(document.querySelector(".bd-abs")).display;})(),
  why: !!document.getElementById("why"),
  why_charts: document.querySelectorAll("section.whys .chart").length,
  why_bars: document.querySelectorAll("svg.why rect.wseg").length,
  why_words: Array.from(document.querySelectorAll("table.whywords td.w"))
        .map(function(t){return t.textContent}),
  wf: document.querySelectorAll("svg.wf").length,
  wf_w: (function(){var g=document.querySelector("svg.wf");
        return g ? g.getBoundingClientRect().width : 0;})(),
  wtip: (function(){var r=document.querySelector("svg.why rect.wseg"); if(!r) return "";
        var b=r.getBoundingClientRect();
        r.dispatchEvent(new MouseEvent("mousemove",{bubbles:true,clientX:b.x+1,clientY:b.y+1}));
        return document.getElementById("tip").textContent;})(),
  runs_rows: document.querySelectorAll("#runs + p + table tr").length - 1,
  spark: document.querySelectorAll("svg.spark polyline").length,
  leaks: document.querySelectorAll("#leaks + p + table .badge").length,
  stages: document.querySelectorAll("table.stages tr").length -
        document.querySelectorAll("table.stages").length,
  not_followed: Array.from(document.querySelectorAll("section.scenario p.note"))
        .filter(function(p){return p.textContent.indexOf("not followed") >= 0}).length,
  rooted: Array.from(document.querySelectorAll("td"))
        .filter(function(t){return t.textContent == "user stacks rooted"}).length
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
rep = json.load(open(os.path.join(d, "report.json")))
scens = rep["scenarios"]
kinds = sum(len(s["kinds"]) for s in scens)
followed = sum(len(s["kinds"]) for s in scens if not s["kernel_note"])
out(v["lh"] == kinds and v["ts"] == kinds and v["bin"] >= kinds and v["pmark"] == 5 * kinds,
    "%s: %d op kinds, each with a histogram (%d bins, %d percentile marks) and a tail strip"
    % (mode, kinds, v["bin"], v["pmark"]))
out(v["runs_rows"] == len(scens) and v["spark"] >= 1,
    "%s: runs table, a row per scenario (%d), %d throughput lines"
    % (mode, v["runs_rows"], v["spark"]))
out(v["leaks"] >= 6 * sum(1 for s in scens if s["leaks"]),
    "%s: leak checks, %d verdict badges" % (mode, v["leaks"]))
if mode == "kernel":
    out(v["bd"] == followed and v["bdrow"] == 7 * followed and v["seg"] >= 2 * followed,
        "breakdown: %d bar charts (%d op kinds followed), %d rows (p50 op, 5 bands, p99 "
        "op), %d segments" % (v["bd"], followed, v["bdrow"], v["seg"]))
    out(v["not_followed"] == sum(1 for s in scens if s["kernel_note"]) == 0,
        "the process pool's breakdown is followed: no 'not followed' note (%d)"
        % v["not_followed"])
    whys = [k for s in scens for k in s["kinds"] if k.get("why")]
    texts = set(b[t] for k in whys for b in k["why"]["bands"]
                for t in ("queued_text", "blocked_text") if b[t])
    out(v["why"] and len(whys) >= 1 and v["why_charts"] == len(whys) and v["why_bars"] >= 1,
        "why it waited: %d charts for %d op kinds with a why, %d bar parts"
        % (v["why_charts"], len(whys), v["why_bars"]))
    out(v["why_words"] and all(w in texts for w in v["why_words"]),
        "its %d lines of words are report.json's (%s)"
        % (len(v["why_words"]), [w for w in v["why_words"] if w not in texts][:2]))
    graphs = sum(1 for s in scens if s.get("waitfor"))
    out(v["wf"] == graphs >= 1 and v["wf_w"] > 300,
        "%d wait-for graphs drawn inline (%d px wide), one per scenario with one"
        % (v["wf"], v["wf_w"]))
    out("%" in v["wtip"] and "," in v["wtip"],
        "hovering a why segment shows its tooltip: %s" % v["wtip"][:90])
    out(v["stages"] == 2, "the pipeline's per-stage table: %d stages" % v["stages"])
    out(v["rooted"] == 1, "the losses have the user stacks' root share")
    out(v["sw"] == 3 and v["pt"] >= 2 * 3,
        "sweep: throughput, p99 and scaling-efficiency charts (%d charts, %d points)"
        % (v["sw"], v["pt"]))
    out(v["tip"].startswith("block|") and "ns" in v["tip"],
        "hovering a segment shows its tooltip: %s" % v["tip"][:90])
    out(v["abs"] == "none>inline", "the bar-scale button shows absolute bars (%s)" % v["abs"])
else:
    out(v["bd"] == 0 and v["seg"] == 0, "no breakdown bars without the kernel collector")
    out(not v["why"] and v["why_charts"] == 0 and v["wf"] == 0 and v["stages"] == 0,
        "no why, wait-for graph or stage table without their data")
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
    wfl = [h for h in v["hrefs"] if h.startswith("waitfor/")]
    out(len(wfl) == sum(1 for s in scens if s.get("waitfor")),
        "links to %d wait-for graphs" % len(wfl))
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
		'<svg class="sw"' '<circle class="pt"' '<svg class="ts"' '<svg class="why"' \
		'<svg class="wf"' '<svg class="spark"' '<table class="stages"' '</html>'; do
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

# a pool sweep (its calls queue on the workers: a why of queued time), a pipeline of two
# stages, and a process-mode pool
cat >"$tmp/html.suite" <<'SUITE'
[run]
reps = 2
warmup = 20ms
duration = 100ms
[scenario pool]
workload = pool
spin = 5us
sweep workers = 1, 2
[scenario pipe]
workload = pipeline
stages = 2
[scenario proc]
workload = pool
mode = process
workers = 2
SUITE
out=$tmp/out
if run "$out" --suite "$tmp/html.suite" --stacks --why; then
	load "$out" kernel
	dump_dom "$out"
fi
if run "$tmp/out-nk" --workload channel -p capacity=1,100 --quick --no-kernel; then
	load "$tmp/out-nk" no-kernel
fi
finish
