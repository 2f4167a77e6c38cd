"""Helpers for the dashboard and report tests: the real `sweeper ui` server, and Playwright
driving the system's Chromium (never a browser Playwright downloads).

Without Chromium or Playwright's Python package the browser tests skip with the reason,
except under SWEEPER_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import pytest
from agentlib import env_for, exe

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Parallel coordinates and many curves draw with WebGL; a CI machine has no GPU, so Chromium's
# software WebGL (SwiftShader) is opted into.
CHROMIUM_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking"]


def _missing(reason: str):
    if os.environ.get("SWEEPER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (SWEEPER_REQUIRE_BROWSER=1, as in CI)")
    pytest.skip(reason)


def find_chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    _missing(f"no Chromium found (looked for {', '.join(BROWSERS)}); apt-get install chromium")


def launch_browser():
    """(playwright, browser): the system's Chromium under Playwright; the caller closes both."""
    path = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright's Python package is missing: pip install playwright (no browser download needed)")
    pw = sync_playwright().start()
    try:
        return pw, pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise


class Console:
    """What a page said on its console and every uncaught error, less software GL's notes."""

    def __init__(self, page):
        self.messages: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))

        def on_dialog(d):
            # An alert() would be a value run as code; a confirm() is the page asking (cancel, stop).
            self.dialogs.append(f"{d.type}: {d.message}")
            d.accept() if d.type == "confirm" else d.dismiss()

        page.on("dialog", on_dialog)

    def errors(self) -> list[str]:
        return [m for m in self.messages if (m.startswith("error") or m.startswith("pageerror"))
                and "GL Driver Message" not in m]


def wait_rendered(page, timeout_ms: int = 30_000) -> str:
    page.wait_for_function("document.body.getAttribute('data-rendered') !== 'no'", timeout=timeout_ms)
    return page.evaluate("document.body.getAttribute('data-rendered')")


class UiServer:
    """`sweeper ui --port 0` on a project's store, as a user starts it; the URL it prints."""

    def __init__(self, project, *args):
        self.proc = subprocess.Popen([exe(), "ui", "--port", "0", *args], cwd=project.root,
                                     env=env_for(project.store), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        deadline = time.time() + 60
        self.lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"sweeper ui exited {self.proc.wait()}: {self.proc.stderr.read()}")
            self.lines.append(line)
            m = re.search(r"(http://\S+)/\?token=(\S+)", line)
            if m:
                self.base, self.token = m.group(1), m.group(2)
                self.url = f"{self.base}/?token={self.token}"
                return
        raise AssertionError(f"sweeper ui printed no URL: {self.lines}")

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=20)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


def figure(page, div_id: str) -> dict | None:
    """A drawn plotly figure's traces (x, y, name, text, type, marker, line, dimensions) and
    layout, read from the page."""
    return page.evaluate("""id => { const gd = document.getElementById(id);
        return gd && gd.data ? {data: gd.data.map(t => ({x: Array.from(t.x || []), y: Array.from(t.y || []),
        name: t.name, text: t.text, type: t.type, marker: t.marker, line: t.line, dimensions: t.dimensions})),
        layout: gd.layout} : null; }""", div_id)
