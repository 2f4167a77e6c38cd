"""`sweeper ui` at scale: time to first paint and to an update, page weight, server CPU.

For each size RUNSxLINES (default 1000x100 and 10000x10), a fresh SQLite store is filled
through the store API (report_scale.fill: 8 parameters, 10% stopped by "hyperband", failed,
crashed, NaN and silent runs) and the real `sweeper ui` is started on it. Headless Chromium
(the system's, driven by Playwright; software WebGL, no GPU) then opens the sweep's page cold:

- first paint: the browser's first-contentful-paint (the page shell);
- drawn: until every view (parallel coordinates, importance, slices, curves, best so far,
  timeline, the runs table) is drawn, the page's own stamp (performance.now());
- weight: bytes over the wire (gzip) and decoded, for the page and all it fetched;
- update: a new run and its first metric lines stored through the store's API, until the
  page shows its row (median of 5; the target is 2 s).

The peer, optuna-dashboard, gets an Optuna study of the same size (peers/optuna_dashboard_study.py,
in its own venv: `python3 -m venv benchmarks/.venvs/optuna-dashboard && benchmarks/.venvs/
optuna-dashboard/bin/pip install optuna optuna-dashboard`), and both pages are timed the same
way, from a cold navigation until their plots stop changing for 3 s (settled; optuna-dashboard
stamps no moment of its own), in the same run.

Then 8 real `sweeper agent` processes run programs/learning_curve.py (100 epochs, 20 metric
lines a second each) on another sweep of the same store while its page is open, and the
server's own CPU (utime + stime of its process) is sampled over that time.

    .venv/bin/python benchmarks/ui_scale.py [--sizes 1000x100,10000x10] [--agents 8] [--seconds 30] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from common import env, machine, register, scratch, sweeper_exe
from report_scale import SWEEP, fill

AGENTS_SWEEP = """
name: eight agents
program: learning_curve.py
method: random
metric: {name: val_loss, goal: minimize}
parameters:
  trial: {min: 0, max: 100000}
  epochs: {value: 100}
  tick: {value: 0.05}
"""


def start_ui(d, store):
    proc = subprocess.Popen([sweeper_exe(), "ui", "--port", "0"], cwd=d, env=env(store), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        m = re.search(r"(http://\S+)/\?token=(\S+)", line)
        if m:
            return proc, m.group(1), m.group(2)
    raise RuntimeError(f"sweeper ui printed no URL: {proc.stderr.read()}")


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_cold(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function("document.body.getAttribute('data-rendered') !== 'no'", timeout=300_000)
    wall = time.perf_counter() - t0
    facts = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        const all = [nav].concat(res);
        return {fcp_ms: fcp ? fcp.startTime : null, drawn_ms: Number(document.body.getAttribute('data-render-ms')),
                rendered: document.body.getAttribute('data-rendered'),
                transfer: all.reduce((s, e) => s + (e.transferSize || 0), 0),
                decoded: all.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
                requests: all.length}; }""")
    facts["wall_s"] = wall
    facts["errors"] = errors
    return {"page": page, "context": context, **facts}


SIGNATURE = """() => [document.querySelectorAll('.main-svg').length, document.querySelectorAll('.point').length,
                       document.querySelectorAll('canvas').length, document.querySelectorAll('tr').length]"""


def settled_s(browser, url: str, quiet_s: float = 3.0, limit_s: float = 300.0) -> float:
    """Seconds from a cold navigation until the page's plots have data (SVG points or WebGL
    canvases) and then stop changing (SVG plots, points, canvases, table rows) for quiet_s: the
    same measure for sweeper's page and for a peer's, which stamps no moment of its own. (Both
    pages first show empty plots while their data loads: those do not count.)"""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    last, changed = None, t0
    while time.perf_counter() - t0 < limit_s:
        sig = page.evaluate(SIGNATURE)
        now = time.perf_counter()
        if sig != last:
            last, changed = sig, now
        elif (sig[1] or sig[2]) and now - changed >= quiet_s:  # data drawn (points or WebGL), then quiet
            break
        page.wait_for_timeout(100)
    context.close()
    return changed - t0


def optuna_dashboard(browser, runs: int, lines: int) -> dict | None:
    """optuna-dashboard on an Optuna study of the same size (benchmarks/peers/optuna_dashboard_study.py),
    in its own venv: benchmarks/.venvs/optuna-dashboard (pip install optuna optuna-dashboard)."""
    venv = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".venvs", "optuna-dashboard", "bin")
    if not os.path.exists(os.path.join(venv, "optuna-dashboard")):
        print("no peer: benchmarks/.venvs/optuna-dashboard is missing", file=sys.stderr)
        return None
    d = scratch("optuna-dashboard")
    storage = f"sqlite:///{d / 'optuna.db'}"
    here = os.path.dirname(os.path.abspath(__file__))
    study = subprocess.run([os.path.join(venv, "python"), os.path.join(here, "peers", "optuna_dashboard_study.py"),
                            storage, str(runs), str(lines)], capture_output=True, text=True, check=True).stdout.split()[-1]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([os.path.join(venv, "optuna-dashboard"), storage, "--port", str(port), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        import urllib.request
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        return {"settled_s": settled_s(browser, f"http://127.0.0.1:{port}/dashboard/studies/{study}")}
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)


def update_latency(page, store_path: str, sid: str, repeat: int = 5) -> list[float]:
    """Seconds from a new run's first metric lines being stored to its row on the page."""
    from sweeper.store import open_store

    store = open_store(store_path)
    agent = store.register_agent(sid)
    out = []
    for i in range(repeat):
        claim = store.claim(sid, agent, lambda sw, hist, retry: ({"lr": 0.001, "weight_decay": 1e-4, "batch_size": 32,
                                                                 "optimizer": "adam", "dropout": 0.1, "layers": 2,
                                                                 "model": {"width": 128, "activation": "relu"}},
                                                                None))
        rid = claim.run["id"]
        now = time.time()
        # The best value yet, so the run's row is the first of the table (sorted by the metric, paged).
        best = -1.0 - i
        line = json.dumps({"_step": 0, "val_loss": best, "train_loss": 1.0})
        store.add_metrics(rid, sid, [(0, 0, now, line, best, 1)], {"summary": json.loads(line), "best_value": best,
                                                                    "n_lines": 1, "metric_iter": 1})
        stored = time.perf_counter()
        page.wait_for_selector(f"#runs tr[data-run='{rid}']", state="attached", timeout=60_000)
        out.append(time.perf_counter() - stored)
        store.finish_run(rid, "finished", exit_code=0)
        time.sleep(1.5)
    store.end_agent(agent, "benchmark")
    store.dispose()
    return out


def agents_cpu(browser, base: str, d, store: str, agents: int, seconds: float) -> dict:
    sid = register(d, AGENTS_SWEEP, store)
    view = open_cold(browser, f"{base}/#/sweep/{sid}")
    procs = [subprocess.Popen([sweeper_exe(), "agent", sid, "--output", "none"], cwd=d, env=env(store),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(agents)]
    time.sleep(5)  # the agents start and their first runs begin
    return {"sid": sid, "view": view, "procs": procs, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000x100,10000x10")
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--no-peer", dest="peer", action="store_false",
                    help="skip optuna-dashboard (the peer, from benchmarks/.venvs/optuna-dashboard)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--enable-unsafe-swiftshader"])
        for i, size in enumerate(args.sizes.split(",")):
            runs, lines = (int(x) for x in size.split("x"))
            d = scratch("ui")
            store = str(d / ".sweeper" / "sweeper.db")
            sid = register(d, SWEEP, store)
            t0 = time.perf_counter()
            fill(store, sid, runs, lines)
            print(f"filled {runs} x {lines} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            server, base, _ = start_ui(d, store)
            try:
                view = open_cold(browser, f"{base}/#/sweep/{sid}")
                overview = open_cold(browser, f"{base}/")
                overview["context"].close()
                latency = update_latency(view["page"], store, sid)
                row = {"runs": runs, "lines": lines, "first_paint_ms": view["fcp_ms"], "drawn_ms": view["drawn_ms"],
                       "open_wall_s": round(view["wall_s"], 2), "rendered": view["rendered"],
                       "transfer_mb": view["transfer"] / 1e6, "decoded_mb": view["decoded"] / 1e6,
                       "requests": view["requests"], "overview_drawn_ms": overview["drawn_ms"],
                       "update_s_median": statistics.median(latency), "update_s_max": max(latency),
                       "errors": view["errors"]}
                view["context"].close()
                # The same measure for sweeper and its peer: until the plots stop changing.
                row["settled_s"] = settled_s(browser, f"{base}/#/sweep/{sid}")
                peer = optuna_dashboard(browser, runs, lines) if args.peer else None
                if peer:
                    row["optuna_dashboard_settled_s"] = peer["settled_s"]
                    row["ratio_vs_optuna_dashboard"] = row["settled_s"] / peer["settled_s"]
                if i == 0 and args.agents:
                    run = agents_cpu(browser, base, d, store, args.agents, args.seconds)
                    cpu0, t0 = cpu_of(server.pid), time.perf_counter()
                    load0 = os.getloadavg()[0]
                    time.sleep(args.seconds)
                    cpu = cpu_of(server.pid) - cpu0
                    span = time.perf_counter() - t0
                    from sweeper.store import open_store
                    s = open_store(store)
                    n_lines = sum(r["n_lines"] for r in s.runs(run["sid"]))
                    s.dispose()
                    for p in run["procs"]:
                        p.terminate()
                    for p in run["procs"]:
                        p.wait(timeout=60)
                    row.update({"agents": args.agents, "server_cpu_pct": 100 * cpu / span,
                                "agent_lines": n_lines, "load_during": [load0, os.getloadavg()[0]],
                                "agents_page_errors": run["view"]["errors"]})
                    run["view"]["context"].close()
            finally:
                server.terminate()
                server.wait(timeout=30)
            row["load_avg"] = os.getloadavg()
            print(json.dumps(row), flush=True)
            results.append(row)
            shutil.rmtree(d, ignore_errors=True)
        browser.close()
    print(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
