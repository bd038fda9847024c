#!/usr/bin/env bash
# docs/report-html.png: a picture of a run's report.html as headless chromium renders it at
# 1400 px, for the README. The page is long, so the picture keeps its top (header,
# targets, the first sweep) and one scenario's breakdown and histogram, and collapses the
# sections in between (display: none, in the browser only; the file is not changed).
# usage: scripts/report-screenshot.sh RUN_DIR [SCENARIO_ID] [OUT.png]
#   RUN_DIR       an `opscope run` output directory (make run writes ./opscope-out)
#   SCENARIO_ID   the scenario whose charts to show (default pool-workers/workers=16)
set -euo pipefail
dir=$(cd "${1:?usage: $0 RUN_DIR [SCENARIO_ID] [OUT.png]}" && pwd)
scen=${2:-pool-workers/workers=16}
out=${3:-docs/report-html.png}
here=$(cd "$(dirname "$0")" && pwd)
chromium=$(command -v chromium) || {
	echo "report-screenshot: no chromium; run scripts/install-deps.sh" >&2
	exit 1
}
[ -s "$dir/report.html" ] || { echo "report-screenshot: no $dir/report.html" >&2; exit 1; }

# Keep the sweep of the scenario's group and the scenario's own section; hide the rest
# between the targets and that section. The kept section gets id "shot" for the clip.
js=$(cat <<EOF
(function () {
  var want = $(printf '%s' "$scen" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))');
  var group = want.split("/")[0], keep = null, sweepKept = false, on = false;
  document.querySelectorAll("section.scenario").forEach(function (s) {
    var h = s.querySelector("h3").firstChild.textContent.trim();
    if (h === want) { keep = s; s.id = "shot"; } else { s.style.display = "none"; }
  });
  if (!keep) throw new Error("no scenario " + want);
  document.querySelectorAll(".sweep").forEach(function (w) {
    var g = w.querySelector("h3").firstChild.textContent.trim();
    if (g === group && !sweepKept) sweepKept = true; else w.style.display = "none";
  });
  Array.prototype.forEach.call(document.querySelector("main").children, function (e) {
    if (e.id === "latency") on = true;
    if (e.id === "scenarios") on = false;
    if (on) e.style.display = "none";
  });
  return "kept " + want;
})()
EOF
)
python3 "$here/../tests/integration/cdp_page.py" "$chromium" "file://$dir/report.html" \
	--eval "$js" --screenshot "$out" --clip 0,0 --until '#shot' >/dev/null
echo "report-screenshot: wrote $out ($(wc -c <"$out") bytes)"
