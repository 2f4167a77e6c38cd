"""What a sweep's size costs: the agent per run, and the read commands, at 0 to 10,000 stored runs.

For each method (random, grid, bayes) and each size, a fresh SQLite store gets a sweep whose
first SIZE runs are already stored (finished, LINES metric lines each, written through the
store's own API as an agent would, without the processes; bayes's are placed at random, as a
model costs the same on them); then

- REPEAT real `sweeper agent ID --count RUNS`, one after the other, each run the one-line program
  RUNS more times: wall ms per run and the agent's own CPU ms per run (RUSAGE_SELF at its exit:
  the least noisy figure on a shared machine), medians. Target (issue 17): within 20 % of the
  figure at 0 stored runs (for bayes, whose first 10 runs are random draws and then a model's,
  the fair comparison is with the smallest size that has a model: 1,000).
- `sweeper status ID` (median of 3), `sweeper runs ID`, `sweeper report ID`, and
  `sweeper export ID --history` (with its peak memory), each as a user runs them (wall,
  start-up included). Target: status under 0.5 s at 10,000 runs.

    .venv/bin/python benchmarks/scale.py [--sizes 0,1000,10000] [--runs 50] [--repeat 3]
                                         [--methods random,grid,bayes] [--lines 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

from common import CPU_CLI, cpu_seconds, env, machine, peak_rss_mb, register, scratch, sweeper_exe


def sweep_yaml(method: str, points: int) -> str:
    head = "program: one_line.py\nmetric: {name: loss, goal: minimize}\n"
    if method == "grid":
        return head + f"method: grid\nparameters:\n  i: {{min: 1, max: {points}}}\n"
    return head + f"method: {method}\nparameters:\n  x: {{min: 0.0, max: 1.0}}\n  y: {{values: [a, b, c]}}\n"


def fill(store_path: str, sid: str, runs: int, lines: int) -> None:
    """`runs` finished runs, claimed by the sweep's own method (bayes: at random), `lines` lines each."""
    from sweeper.agents.loop import _choose
    from sweeper.store import open_store

    store = open_store(store_path)
    agent = store.register_agent(sid)
    draw = random.Random(0)

    def at_random(sweep, history, retry_failed):
        return {"x": draw.random(), "y": draw.choice("abc")}, None

    chooser = at_random if store.get_sweep(sid)["config"]["method"] == "bayes" else _choose
    for i in range(runs):
        run = store.claim(sid, agent, chooser).run
        t0 = time.time()
        rows = [(s, s, t0 + s, json.dumps({"loss": 1.0 / (s + 1) + i * 1e-6, "_step": s}), 1.0 / (s + 1) + i * 1e-6,
                 s + 1) for s in range(lines)]
        last = json.loads(rows[-1][3])
        store.add_metrics(run["id"], sid, rows, {"summary": last, "best_value": rows[-1][4], "best_step": lines - 1,
                                                  "n_lines": lines, "metric_iter": lines})
        store.finish_run(run["id"], "finished", exit_code=0, ended_at=t0 + lines)
        if i and i % 2000 == 0:
            print(f"  filled {i} runs", file=sys.stderr)
    store.end_agent(agent, "filled")
    store.dispose()


def timed(cmd: list[str], cwd, environment) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=environment, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def measure(method: str, size: int, runs: int, repeat: int, lines: int) -> dict:
    d = scratch(f"scale-{method}-{size}")
    store = str(d / ".sweeper" / "sweeper.db")
    sid = register(d, sweep_yaml(method, size + runs * repeat), store)
    fill(store, sid, size, lines)
    e = env(store)
    walls, cpus = [], []
    for _ in range(repeat):  # the median of `repeat` agents: one agent's figure moves by a third here
        took, proc = timed([sys.executable, *CPU_CLI, "agent", sid, "--count", str(runs), "--output", "none"], d, e)
        assert proc.returncode == 0, proc.stderr[-2000:]
        walls.append(took / runs * 1000)
        cpus.append(cpu_seconds(proc.stderr) / runs * 1000)
    out = {"method": method, "size": size, "ms_per_run": statistics.median(walls),
           "cpu_ms_per_run": statistics.median(cpus)}
    status = []
    for _ in range(3):
        took, proc = timed([sweeper_exe(), "status", sid], d, e)
        assert proc.returncode == 0, proc.stderr[-2000:]
        status.append(took)
    out["status_s"] = statistics.median(status)
    for name, args in (("runs", ["runs", sid]), ("report", ["report", sid, "-o", str(d / "report.html")])):
        took, proc = timed([sweeper_exe(), *args], d, e)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[name + "_s"] = took
    took, proc = timed([sys.executable, *CPU_CLI, "export", sid, "--history", "--format", "csv", "-o",
                        str(d / "history.csv")], d, e)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out["export_s"], out["export_mb"] = took, peak_rss_mb(proc.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="0,1000,10000")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--methods", default="random,grid,bayes")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lines", type=int, default=10)
    a = ap.parse_args()
    load = [os.getloadavg()[0]]
    results = []
    for method in a.methods.split(","):
        for size in map(int, a.sizes.split(",")):
            r = measure(method, size, a.runs, a.repeat, a.lines)
            load.append(os.getloadavg()[0])
            print(f"{method} at {size}: {r}", file=sys.stderr)
            results.append(r)
    print(f"machine: {machine()}; load average {min(load):.2f}-{max(load):.2f} during the run; "
          f"{a.lines} metric lines per stored run")
    print("| method | stored runs | agent ms/run | agent CPU ms/run | CPU vs 0 stored | status | runs | report | "
          "export --history (peak memory) |")
    print("|---|---|---|---|---|---|---|---|---|")
    fresh = {r["method"]: r["cpu_ms_per_run"] for r in results if r["size"] == 0}
    for r in results:
        ratio = f"{r['cpu_ms_per_run'] / fresh[r['method']]:.2f}x" if r["method"] in fresh else "-"
        print(f"| {r['method']} | {r['size']:,} | {r['ms_per_run']:.1f} | {r['cpu_ms_per_run']:.1f} | {ratio} | "
              f"{r['status_s']:.2f} s | {r['runs_s']:.2f} s | {r['report_s']:.2f} s | "
              f"{r['export_s']:.2f} s ({r['export_mb']:.0f} MB) |")


if __name__ == "__main__":
    main()
