#!/usr/bin/env python3
# Open one page in headless chromium and say what a user's browser would see, through the
# DevTools protocol (standard library only: a minimal WebSocket client on loopback).
# usage: cdp_page.py CHROMIUM URL [--eval JS] [--screenshot OUT.png [--clip Y,H]]
#                    [--at CSS-SELECTOR] [--until CSS-SELECTOR] [--width 1400]
# Prints one JSON object: console messages and log entries of level error or warning,
# uncaught exceptions, every request the page made (a self-contained page makes none but
# its own file), and the value of the --eval expression (JSON-serializable) after load.
import base64, json, os, shutil, socket, struct, subprocess, sys, tempfile, time


class WS:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.s = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                raise IOError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise IOError("websocket handshake refused: %r" % head[:80])
        self.buf = b""

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise IOError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                raise IOError("websocket closed by chromium")
            if op in (9, 10):
                continue
            msg += payload
            if b0 & 0x80:
                return json.loads(msg)


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send({"id": self.next_id, "method": method, "params": params})
        while True:
            m = self.ws.recv()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, name, timeout=60):
        end = time.time() + timeout
        for e in self.events:
            if e["method"] == name:
                return e
        while time.time() < end:
            m = self.ws.recv()
            if "method" in m:
                self.events.append(m)
                if m["method"] == name:
                    return m
        raise TimeoutError(name)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__ or "usage: cdp_page.py CHROMIUM URL [options]")
    chromium, url, opts = args[0], args[1], {}
    rest = args[2:]
    while rest:
        opts[rest[0].lstrip("-")] = rest[1]
        rest = rest[2:]
    width = int(opts.get("width", "1400"))
    prof = tempfile.mkdtemp(prefix="cdp-profile.")
    proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-quic", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update",
                             "--disable-sync", "--hide-scrollbars",
                             "--user-data-dir=" + prof, "--remote-debugging-port=0",
                             "--window-size=%d,1000" % width, "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(prof, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().count("\n") >= 1:
                break
            time.sleep(0.1)
        port = int(open(port_file).read().split("\n")[0])
        import urllib.request
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
        page_t = [t for t in targets if t.get("type") == "page"][0]
        p = Page(WS(page_t["webSocketDebuggerUrl"]))
        for d in ("Page", "Runtime", "Log", "Network"):
            p.call(d + ".enable")
        p.call("Emulation.setDeviceMetricsOverride", width=width, height=1000,
               deviceScaleFactor=1, mobile=False)
        p.call("Page.navigate", url=url)
        p.wait_event("Page.loadEventFired")
        time.sleep(0.3)  # let the page's script run and late messages arrive
        out = {"console": [], "exceptions": [], "requests": [], "eval": None}
        if "eval" in opts:
            r = p.call("Runtime.evaluate", expression=opts["eval"], returnByValue=True)
            if "exceptionDetails" in r:
                out["exceptions"].append("--eval: " + json.dumps(r["exceptionDetails"])[:300])
            else:
                out["eval"] = r["result"].get("value")
        if "screenshot" in opts:
            y, h = (int(v) for v in opts.get("clip", "0,1000").split(","))
            if "at" in opts:  # the clip's y is relative to that element's top
                r = p.call("Runtime.evaluate", returnByValue=True, expression=(
                    "document.querySelector(%s).getBoundingClientRect().top + scrollY"
                    % json.dumps(opts["at"])))
                y += int(r["result"]["value"])
            if "until" in opts:  # the clip ends 10 px below that element
                r = p.call("Runtime.evaluate", returnByValue=True, expression=(
                    "document.querySelector(%s).getBoundingClientRect().bottom + scrollY"
                    % json.dumps(opts["until"])))
                h = int(r["result"]["value"]) + 10 - y
            r = p.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                       clip={"x": 0, "y": y, "width": width, "height": h, "scale": 1})
            with open(opts["screenshot"], "wb") as f:
                f.write(base64.b64decode(r["data"]))
        for e in p.events:
            m, prm = e["method"], e["params"]
            if m == "Runtime.consoleAPICalled" and prm["type"] in ("error", "warning", "assert"):
                out["console"].append("%s: %s" % (prm["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in prm["args"])))
            elif m == "Log.entryAdded" and prm["entry"]["level"] in ("error", "warning"):
                out["console"].append("%s: %s %s" % (prm["entry"]["level"],
                                                    prm["entry"]["text"],
                                                    prm["entry"].get("url", "")))
            elif m == "Runtime.exceptionThrown":
                d = prm["exceptionDetails"]
                out["exceptions"].append(d.get("exception", {}).get("description", d["text"]))
            elif m == "Network.requestWillBeSent":
                out["requests"].append(prm["request"]["url"])
        print(json.dumps(out))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(prof, ignore_errors=True)


if __name__ == "__main__":
    main()
