#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""Open opscope's SVG flame graphs in headless chromium and use them as a person would.

    svg_in_chromium.py FILE.svg...

For each file, through the DevTools protocol (a WebSocket; the client below is written
on the standard library alone): load it, then in the page click a frame (click to zoom:
the frame must fill the width, the reset button appear, frames outside it hide), click
Search and answer its prompt with a pattern naming that frame (the frame must turn
magenta and the match line say how much matched), press Escape (all back). Any
script error, console error or failed check is a FAIL line; prints "ok ..." / "FAIL ..."
lines, nothing else on stdout.
"""
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, client masked."""

    def __init__(self, url):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise IOError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise IOError("WebSocket handshake refused: %r" % head[:80])
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise IOError("DevTools closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0f
            if op == 8:
                raise IOError("DevTools closed the WebSocket")
            if op in (9, 10):  # ping, pong: not sent by DevTools; ignore
                continue
            msg += payload
            if b0 & 0x80:
                return msg.decode()


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.errors, self.events = ws, 0, [], []

    def call(self, method, params=None, prompt=None):
        """Send a command; answer any JavaScript prompt with `prompt` on the way."""
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params or {}}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == my:
                if "error" in m:
                    raise IOError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.event(m, prompt)

    def event(self, m, prompt=None):
        meth, p = m.get("method"), m.get("params", {})
        self.events.append(meth)
        if meth == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.errors.append("script error: %s %s" % (d.get("text"), d.get(
                "exception", {}).get("description", "")))
        elif meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p["type"], [a.get("value") for a in
                                                               p.get("args", [])]))
        elif meth == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            self.errors.append("log: %s" % p["entry"].get("text"))
        elif meth == "Page.javascriptDialogOpening":
            self.ws.send(json.dumps({"id": 0, "method": "Page.handleJavaScriptDialog",
                                     "params": {"accept": prompt is not None,
                                                "promptText": prompt or ""}}))

    def wait_for(self, method, timeout=30):
        end = time.time() + timeout
        while method not in self.events:
            if time.time() > end:
                raise IOError("no %s within %ds" % (method, timeout))
            self.event(json.loads(self.ws.recv()))

    def js(self, expr, prompt=None):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                      prompt)
        if "exceptionDetails" in r:
            raise IOError("evaluating a check: %s" % r["exceptionDetails"].get("text"))
        return r.get("result", {}).get("value")


# Runs in the SVG page: the state a person would see, as JSON.
STATE = r"""(function () {
  var gs = document.getElementById('frames').getElementsByTagName('g'), vis = 0, hid = 0,
      mag = 0, i;
  for (i = 0; i < gs.length; i++) {
    if (gs[i].getAttribute('class') === 'hide') hid++; else vis++;
    if (gs[i].getElementsByTagName('rect')[0].getAttribute('fill') === 'rgb(230,0,230)') mag++;
  }
  return JSON.stringify({frames: gs.length, visible: vis, hidden: hid, magenta: mag,
    unzoom: document.getElementById('unzoom').getAttribute('class'),
    matched: document.getElementById('matched').textContent,
    width: +document.documentElement.getAttribute('width')});
})()"""

# Clicks the deepest frame that is at least 30 px wide but narrower than the graph, so
# that zooming changes something; returns its name, old width and index.
CLICK = r"""(function () {
  var gs = document.getElementById('frames').getElementsByTagName('g'), W =
      +document.documentElement.getAttribute('width'), best = -1, by = 1e9, i;
  for (i = 1; i < gs.length; i++) {
    var r = gs[i].getElementsByTagName('rect')[0], w = +r.getAttribute('width'),
        y = +r.getAttribute('y');
    if (w >= 30 && w < W - 40 && y < by) { best = i; by = y; }
  }
  if (best < 0) best = gs.length > 1 ? 1 : 0;
  var g = gs[best], r = g.getElementsByTagName('rect')[0];
  var name = g.getElementsByTagName('title')[0].textContent.split('\n')[0];
  r.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  return JSON.stringify({index: best, name: name,
    width: +g.getElementsByTagName('rect')[0].getAttribute('width')});
})()"""


def check_svg(page, path, out):
    page.errors, page.events = [], []
    page.call("Page.navigate", {"url": "file://" + os.path.abspath(path)})
    page.wait_for("Page.loadEventFired")
    name = os.path.basename(path)
    st = json.loads(page.js(STATE))
    out(st["frames"] > 1 and st["hidden"] == 0, "%s: loads, %d frames drawn" %
        (name, st["frames"]))
    c = json.loads(page.js(CLICK))
    z = json.loads(page.js(STATE))
    pad = 10
    out(abs(c["width"] - (z["width"] - 2 * pad)) < 0.6 and z["unzoom"] != "hide" and
        (z["hidden"] > 0 or c["index"] <= 1),
        "%s: click on '%s' zooms: it fills the width (%.1f px), %d frames hidden, "
        "Reset zoom shown" % (name, c["name"][:40], c["width"], z["hidden"]))
    pattern = "^" + re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", c["name"]) + "$"
    page.js("document.getElementById('search').dispatchEvent("
            "new MouseEvent('click', {bubbles: true})); 1", prompt=pattern)
    s = json.loads(page.js(STATE))
    out(s["magenta"] >= 1 and s["matched"].startswith("Matched"),
        "%s: Search for /%s/ marks %d frame(s) magenta; '%s'" %
        (name, pattern[:40], s["magenta"], s["matched"][:60]))
    page.js("window.dispatchEvent(new KeyboardEvent('keydown', {keyCode: 27})); 1")
    e = json.loads(page.js(STATE))
    out(e["magenta"] == 0 and e["hidden"] == 0 and e["unzoom"] == "hide",
        "%s: Escape resets search and zoom" % name)
    out(not page.errors, "%s: no script or console error%s" %
        (name, (": " + "; ".join(page.errors)[:300]) if page.errors else ""))


def main():
    def out(good, msg):
        print(("ok   " if good else "FAIL ") + msg, flush=True)

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        out(False, "no chromium on PATH (scripts/install-deps.sh installs Debian's)")
        return
    prof = tempfile.mkdtemp(prefix="opscope-chromium.")
    proc = subprocess.Popen([browser] + FLAGS + ["--user-data-dir=" + prof,
                                                 "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file, end = os.path.join(prof, "DevToolsActivePort"), time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > end or proc.poll() is not None:
                out(False, "chromium did not open its DevTools port")
                return
            time.sleep(0.1)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
        ws = WebSocket([t for t in targets if t.get("type") == "page"][0]
                       ["webSocketDebuggerUrl"])
        page = Page(ws)
        for dom in ("Page", "Runtime", "Log"):
            page.call(dom + ".enable")
        for path in sys.argv[1:]:
            try:
                check_svg(page, path, out)
            except (IOError, ValueError, KeyError) as e:
                out(False, "%s: %s" % (os.path.basename(path), e))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(prof, ignore_errors=True)


if __name__ == "__main__":
    main()
