"""`sweeper report` at scale: a sweep of RUNS runs x LINES metric lines (default 1,000 x 100).

Measures the report's size, how long `sweeper report` takes, and how long headless
Chromium takes to open it and draw every plot (the page stamps the time it finished
drawing, performance.now(), on <body data-render-ms>). Targets: under 15 MB, under
20 s to write, under 15 s to draw in software-rendered headless Chromium.

    .venv/bin/python benchmarks/report_scale.py [RUNS] [LINES]

The store is filled through the store API (the agent is measured elsewhere; this is about
reading and drawing): 8 parameters (nested, log-scaled, categorical), 10% of runs stopped
early by "hyperband", a few failed, crashed and NaN runs, some that logged nothing.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import env, machine, register, scratch, sweeper_exe

SWEEP = """
name: scale
program: one_line.py
method: random
metric: {name: val_loss, goal: minimize}
parameters:
  lr: {distribution: log_uniform_values, min: 0.00001, max: 0.1}
  weight_decay: {distribution: log_uniform_values, min: 0.000001, max: 0.01}
  batch_size: {values: [16, 32, 64, 128]}
  optimizer: {values: [adam, sgd, adamw]}
  dropout: {min: 0.0, max: 0.5}
  layers: {min: 1, max: 8}
  model:
    parameters:
      width: {values: [128, 256, 512]}
      activation: {values: [relu, gelu, "<b>tanh</b>"]}
"""


def fill(store_path: str, sid: str, runs: int, lines: int, seed: int = 0) -> None:
    from sweeper.sweepfile.space import Space
    from sweeper.store import open_store

    store = open_store(store_path)
    sweep = store.get_sweep(sid)
    space = Space(sweep["config"]["parameters"])
    agent = store.register_agent(sid)
    rng = random.Random(seed)
    import numpy as np

    nrng = np.random.default_rng(seed)
    for i in range(runs):
        params = space.sample(nrng)
        claim = store.claim(sid, agent, lambda sw, hist, retry, p=params: (p, None))
        run = claim.run
        fate = rng.random()
        n = lines
        state, extra = "finished", {}
        if fate < 0.10:
            n, state = rng.choice([lines // 9, lines // 3]), "stopped"
            extra = {"band": n, "stop_reason": f"early terminated by hyperband at band {n}"}
        elif fate < 0.12:
            n, state, extra = lines // 2, "failed", {"stop_reason": "exit code 1"}
        elif fate < 0.13:
            n, state, extra = lines // 4, "crashed", {"stop_reason": "its agent stopped answering"}
        elif fate < 0.14:
            n = 0
        nan_run = 0.14 <= fate < 0.15
        quality = abs(math.log10(params["lr"]) + 3) + params["dropout"]
        t0 = time.time()
        rows, best, best_step, summary = [], None, None, {}
        for s in range(n):
            loss = quality + 2.0 / (s + 1) + rng.random() * 0.05
            value = float("nan") if nan_run else loss
            data = {"_step": s, "train_loss": loss * 0.9, "val_loss": value, "epoch": s // 10, "lr": params["lr"]}
            mval = value if math.isfinite(value) else None
            if mval is not None and (best is None or mval < best):
                best, best_step = mval, s
            summary = data
            rows.append((s, s, t0 + s, json.dumps(data), mval, s + 1 if mval is not None else None))
        store.add_metrics(run["id"], sid, rows, {"summary": summary, "best_value": best, "best_step": best_step,
                                                  "n_lines": n, "metric_iter": n})
        store.update_run(run["id"], started_at=t0)
        store.finish_run(run["id"], state, ended_at=t0 + 1 + n * 0.5, **extra)
    store.end_agent(agent, "filled")


def chromium_draw(page: Path, tmp: Path) -> tuple[float, float | None]:
    """(wall seconds of a headless Chromium that opens the page, ms until every plot was drawn)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        return math.nan, None
    t0 = time.perf_counter()
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--enable-unsafe-swiftshader", f"--user-data-dir={tmp / 'profile'}", "--dump-dom",
                           page.as_uri()], capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - t0
    import re

    m = re.search(r'data-render-ms="(\d+)"', proc.stdout)
    if 'data-rendered="yes"' not in proc.stdout:
        print("warning: the page had not finished drawing when Chromium dumped it", file=sys.stderr)
    return wall, float(m.group(1)) if m else None


def main(runs: int = 1000, lines: int = 100) -> dict:
    d = scratch("report")
    store = str(d / ".sweeper" / "sweeper.db")
    sid = register(d, SWEEP, store)
    t0 = time.perf_counter()
    fill(store, sid, runs, lines)
    fill_s = time.perf_counter() - t0
    page = d / "report.html"
    t0 = time.perf_counter()
    subprocess.run([sweeper_exe(), "report", sid, "-o", str(page)], cwd=d, env=env(store), check=True,
                   capture_output=True)
    write_s = time.perf_counter() - t0
    wall, render_ms = chromium_draw(page, d)
    result = {"runs": runs, "lines": lines, "size_mb": page.stat().st_size / 1e6, "write_s": write_s,
              "browser_wall_s": wall, "render_ms": render_ms, "fill_s": fill_s, "machine": machine()}
    print(json.dumps(result, indent=2))
    shutil.rmtree(d, ignore_errors=True)
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
