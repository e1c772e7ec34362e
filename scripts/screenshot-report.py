#!/usr/bin/env python3
"""Full-page screenshot of a report.html with headless Chromium, offline,
at the page's real height (scripts/screenshot-report.sh is the entry point).

    screenshot-report.py BROWSER PAGE.html OUT.png WIDTH [MAX_HEIGHT]

Chromium is driven over its DevTools pipe (--remote-debugging-pipe, file
descriptors 3 and 4): the page is loaded, its layout height measured
(Page.getLayoutMetrics) and captured beyond the window
(Page.captureScreenshot with captureBeyondViewport). Standard library only.
Prints the picture's width and height."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile


class Browser:
    def __init__(self, path, width):
        self.profile = tempfile.mkdtemp(prefix="ccgw-shot-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def pipes_as_3_and_4():
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
             "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
             "--window-size=%d,800" % width, "about:blank"],
            preexec_fn=pipes_as_3_and_4, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer, self.events, self.last_id = b"", [], 0

    def _next_message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                sys.exit("error: chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next_message()
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    sys.exit("error: %s: %s" % (method, reply["error"]))
                return reply["result"]
            self.events.append(reply.get("method"))

    def wait_for(self, event):
        while event not in self.events:
            self.events.append(self._next_message().get("method"))

    def close(self):
        try:
            self.call("Browser.close")
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    path, page, out, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    max_height = int(sys.argv[5]) if len(sys.argv) == 6 and sys.argv[5] else None
    browser = Browser(path, width)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})
        session = browser.call("Target.attachToTarget",
                               {"targetId": target["targetId"], "flatten": True})["sessionId"]
        browser.call("Page.enable", session=session)
        browser.call("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session=session)
        browser.wait_for("Page.loadEventFired")
        size = browser.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        height = size["height"] if max_height is None else min(size["height"], max_height)
        shot = browser.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": height, "scale": 1},
        }, session=session)
        with open(out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("%d %d" % (size["width"], height))
    finally:
        browser.close()


if __name__ == "__main__":
    main()
