"""Make the screenshots in docs/: a real sweep run by real agents, `sweeper ui` on its store,
the pages taken by Playwright in the system's Chromium, and the report of the same sweep.

    .venv/bin/python docs/screenshots.py     # writes docs/dashboard.png, dashboard-*.png, report.png

The program is synthetic (a learning curve whose end depends on the parameters, about half a
second a run), so the pages look like a real search without training anything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

PROGRAM = '''
import json, math, os, random, sys, time
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
lr, width, dropout = float(args["lr"]), int(args["width"]), float(args["dropout"])
opt = args["optimizer"]
rng = random.Random(repr(sorted(args.items())))
final = 0.08 + 0.1 * (math.log10(lr) + 2.7) ** 2 + 0.03 * abs(math.log2(width / 128)) + 0.2 * (dropout - 0.2) ** 2
final += 0.05 if opt == "sgd" else 0.0
start, speed = final + rng.uniform(1.2, 2.0), rng.uniform(0.6, 1.0)
with open(os.environ["SWEEPER_METRICS"], "a", buffering=1) as f:
    for e in range(24):
        val = final + (start - final) * (e + 1) ** (-speed) + rng.gauss(0, 0.01)
        train = val * 0.85 - 0.02 * e / 24
        f.write(json.dumps({"epoch": e, "train_loss": train, "val_loss": val, "val_acc": 1 - val / 3}) + "\\n")
        time.sleep(0.02)
'''

SWEEP = """
name: cnn search
project: mnist
program: train.py
method: random
metric: {name: val_loss, goal: minimize}
run_cap: 48
early_terminate: {type: hyperband, min_iter: 3, eta: 2}
parameters:
  lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
  width: {values: [32, 64, 128, 256, 512]}
  dropout: {min: 0.0, max: 0.6}
  optimizer: {values: [adam, sgd, adamw]}
"""

STANDALONE = """
import sweeper
sweeper.init(project="mnist", config={"lr": 0.003, "width": 128, "dropout": 0.2, "optimizer": "adam"},
             name="baseline")
for e in range(24):
    sweeper.log({"epoch": e, "val_loss": 0.2 + 1.5 / (e + 1), "train_loss": 0.18 + 1.3 / (e + 1)})
sweeper.finish()
"""


def main():
    from playwright.sync_api import sync_playwright

    d = Path(tempfile.mkdtemp(prefix="sweeper-shots-"))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", SWEEPER_STORE=str(d / "sweeper.db"))
    (d / "train.py").write_text(PROGRAM)
    (d / "sweep.yaml").write_text(SWEEP)
    exe = str(BIN / "sweeper")
    sid = subprocess.run([exe, "sweep", "sweep.yaml"], cwd=d, env=env, capture_output=True, text=True,
                         check=True).stdout.split()[-1]
    (d / "baseline.py").write_text(STANDALONE)
    subprocess.run([sys.executable, "baseline.py"], cwd=d, env=env, check=True)
    agents = [subprocess.Popen([exe, "agent", sid, "--output", "none"], cwd=d, env=env) for _ in range(2)]
    for a in agents:
        a.wait()
    ui = subprocess.Popen([exe, "ui", "--port", "0"], cwd=d, env=env, stdout=subprocess.PIPE, text=True)
    url = next(m.group(1) for line in ui.stdout if (m := re.search(r"(http://\S+)", line)))
    base = url.split("/?")[0]
    subprocess.run([exe, "report", sid, "-o", str(d / "report.html")], cwd=d, env=env, check=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                         args=["--no-sandbox", "--enable-unsafe-swiftshader"])
            page = browser.new_page(viewport={"width": 1400, "height": 900}, device_scale_factor=1)

            def shot(route, name, full=True, before=None):
                page.goto(route)
                page.wait_for_function("document.body.getAttribute('data-rendered') === 'yes'", timeout=60_000)
                if before:
                    before()
                page.wait_for_timeout(800)
                page.screenshot(path=str(DOCS / name), full_page=full)
                print("wrote", DOCS / name)

            shot(url, "dashboard-overview.png", full=False)
            page.set_viewport_size({"width": 1400, "height": 1180})
            shot(f"{base}/#/sweep/{sid}", "dashboard.png", full=False)
            page.set_viewport_size({"width": 1400, "height": 900})
            shot(f"{base}/#/sweep/{sid}", "dashboard-sweep.png")
            runs = page.eval_on_selector_all("#runs tbody tr", "trs => trs.map(t => t.dataset.run)")
            shot(f"{base}/#/run/{runs[0]}", "dashboard-run.png")
            from sweeper.store import open_store

            store = open_store(env["SWEEPER_STORE"])
            baseline = next(r["id"] for r in store.runs(project="mnist") if r["sweep_id"] is None)
            shot(f"{base}/#/compare?runs={runs[0]},{runs[1]},{baseline}", "dashboard-compare.png")
            shot((d / "report.html").as_uri(), "report.png")
            browser.close()
    finally:
        ui.terminate()
        ui.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)
    time.sleep(0)


if __name__ == "__main__":
    main()
