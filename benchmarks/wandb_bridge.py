"""W&B scripts under sweeper: how soon a wandb.log row is sweeper's, and what the run costs.

1. Latency: an unchanged W&B script logs ROWS rows (one every GAP s) under `sweeper agent`.
   For each row, from its wandb.log call (the time it logged) to
   - the agent having it (the metrics row's `ts`: when the tailer parsed it; hyperband and
     metric.target decide from here), and
   - the row being readable in the store (a reader polling the SQLite file every 10 ms).
2. Run time: the same kind of script (STEPS steps of numpy work, a wandb.log each) run
   - directly with WANDB_MODE=disabled (what a run costs without W&B or sweeper),
   - directly with WANDB_MODE=offline (W&B's own cost), and
   - under `sweeper agent --count 1` (offline W&B, the bridge, the agent: start to exit), and
   - under `sweeper agent --count 1 --wandb off` with WANDB_MODE=offline set by hand (the
     agent's own cost: the difference to the row above is the bridge's),
   REPEATS times each, median wall time and the CPU time of the whole process tree.

    .venv/bin/python benchmarks/wandb_bridge.py [ROWS] [REPEATS]
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import env, machine, register, scratch, sweeper_exe

ROWS_PROGRAM = """\
import time
import wandb

wandb.init()
for i in range(wandb.config.rows):
    wandb.log({"i": i, "loss": 1.0 / (i + 1), "t_log": time.time()})
    time.sleep(wandb.config.gap)
wandb.finish()
"""

WORK_PROGRAM = """\
import numpy as np
import wandb

defaults = {"steps": 200, "size": 160, "lr": 0.01}
wandb.init(config=defaults)
config = wandb.config
rng = np.random.default_rng(0)
w = rng.standard_normal((config.size, config.size)) / config.size
for step in range(config.steps):
    x = rng.standard_normal((config.size, config.size))
    for _ in range(6):
        x = np.tanh(x @ w)
    loss = float((x ** 2).mean())
    w -= config.lr * 1e-3 * w
    wandb.log({"loss": loss, "step": step})
wandb.finish()
"""


def wandb_env(**extra) -> dict:
    e = {k: v for k, v in env().items() if not k.startswith("WANDB_")}
    # one BLAS thread: on 2 shared cores, numpy's threads make the timings noise
    e.update(WANDB_SILENT="true", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", **extra)
    return e


class StoreReader(threading.Thread):
    """When each metrics row of the sweep's first run becomes readable in the SQLite store."""

    def __init__(self, db: Path, sweep_id: str):
        super().__init__(daemon=True)
        self.db, self.sweep_id = db, sweep_id
        self.seen: dict[int, float] = {}
        self.done = threading.Event()

    def run(self):
        while not self.db.exists() and not self.done.is_set():
            time.sleep(0.01)
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        run_id, last = None, -1
        while not self.done.is_set():
            try:
                if run_id is None:
                    row = conn.execute("SELECT id FROM runs WHERE sweep_id = ?", (self.sweep_id,)).fetchone()
                    run_id = row[0] if row else None
                if run_id is not None:
                    got = conn.execute("SELECT seq FROM metrics WHERE run_id = ? AND seq > ? ORDER BY seq",
                                       (run_id, last)).fetchall()
                    now = time.time()
                    for (seq,) in got:
                        self.seen[seq] = now
                        last = seq
            except sqlite3.OperationalError:
                pass  # locked for a moment, or the table is not there yet
            time.sleep(0.01)
        conn.close()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def latency(rows: int, gap: float) -> dict:
    d = scratch("wandb-latency")
    (d / "rows.py").write_text(ROWS_PROGRAM)
    sid = register(d, f"program: rows.py\nmethod: grid\nmetric: {{name: loss}}\nparameters:\n"
                      f"  rows: {{value: {rows}}}\n  gap: {{value: {gap}}}\n")
    reader = StoreReader(d / ".sweeper" / "sweeper.db", sid)
    reader.start()
    proc = subprocess.run([sweeper_exe(), "agent", sid, "--count", "1", "--output", "none"], cwd=d,
                          env=wandb_env(), capture_output=True, text=True)
    reader.done.set()
    reader.join()
    assert proc.returncode == 0, proc.stderr
    from sweeper.store import open_store
    st = open_store(str(d / ".sweeper" / "sweeper.db"))
    (run,) = st.runs(sid)
    stored = st.metric_rows(run["id"])
    ingest, visible = [], []
    for r in stored:
        t_log = json.loads(r["data"])["t_log"]
        ingest.append(r["ts"] - t_log)
        if r["seq"] in reader.seen:
            visible.append(reader.seen[r["seq"]] - t_log)
    ms = 1000.0
    return {"rows": rows, "gap_s": gap, "stored": len(stored),
            "agent_median_ms": statistics.median(ingest) * ms, "agent_p99_ms": pct(ingest, 0.99) * ms,
            "agent_max_ms": max(ingest) * ms,
            "store_rows_seen": len(visible), "store_median_ms": statistics.median(visible) * ms,
            "store_p99_ms": pct(visible, 0.99) * ms, "store_max_ms": max(visible) * ms}


def timed(argv, cwd, e) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and all it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=e, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_time(repeats: int) -> dict:
    d = scratch("wandb-runtime")
    (d / "work.py").write_text(WORK_PROGRAM)
    out: dict[str, list] = {"disabled": [], "offline": [], "sweeper": [], "sweeper_off": []}
    for _ in range(repeats):
        out["disabled"].append(timed([sys.executable, "work.py"], d, wandb_env(WANDB_MODE="disabled")))
        out["offline"].append(timed([sys.executable, "work.py"], d, wandb_env(WANDB_MODE="offline",
                                                                             WANDB_DIR=str(d))))
        sid = register(d, "program: work.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n"
                          "  steps: {value: 200}\n  size: {value: 160}\n  lr: {value: 0.01}\n")
        out["sweeper"].append(timed([sweeper_exe(), "agent", sid, "--count", "1", "--output", "none"], d,
                                    wandb_env()))
        sid = register(d, "program: work.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n  x: {value: 1}\n")
        out["sweeper_off"].append(timed([sweeper_exe(), "agent", sid, "--count", "1", "--output", "none",
                                         "--wandb", "off"], d, wandb_env(WANDB_MODE="offline", WANDB_DIR=str(d))))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in out.items()}
    return {"repeats": repeats, **{f"{k}_wall_s": w for k, (w, _) in med.items()},
            **{f"{k}_cpu_s": c for k, (_, c) in med.items()},
            "ratio_vs_disabled": med["sweeper"][0] / med["disabled"][0],
            "ratio_vs_offline": med["sweeper"][0] / med["offline"][0]}


def report(lat: dict, rt: dict) -> str:
    return "\n".join([
        f"Latency, wandb.log -> sweeper ({lat['stored']} of {lat['rows']} rows stored, one every {lat['gap_s']} s):",
        "",
        "| the row is | median | p99 | max |",
        "|---|---:|---:|---:|",
        f"| the agent's (tailer parsed it: hyperband, target) | {lat['agent_median_ms']:.0f} ms | "
        f"{lat['agent_p99_ms']:.0f} ms | {lat['agent_max_ms']:.0f} ms |",
        f"| readable in the store ({lat['store_rows_seen']} rows seen by a 10 ms poller) | "
        f"{lat['store_median_ms']:.0f} ms | {lat['store_p99_ms']:.0f} ms | {lat['store_max_ms']:.0f} ms |",
        "",
        f"Run time of the same W&B script (200 steps of numpy work, a wandb.log each), median of {rt['repeats']}:",
        "",
        "| how | wall | CPU (process tree) | / disabled |",
        "|---|---:|---:|---:|",
        f"| `WANDB_MODE=disabled python work.py` | {rt['disabled_wall_s']:.2f} s | {rt['disabled_cpu_s']:.2f} s | 1.00x |",
        f"| `WANDB_MODE=offline python work.py` | {rt['offline_wall_s']:.2f} s | {rt['offline_cpu_s']:.2f} s | "
        f"{rt['offline_wall_s'] / rt['disabled_wall_s']:.2f}x |",
        f"| `sweeper agent ID --count 1` (offline, bridge) | {rt['sweeper_wall_s']:.2f} s | {rt['sweeper_cpu_s']:.2f} s | "
        f"**{rt['ratio_vs_disabled']:.2f}x** ({rt['ratio_vs_offline']:.2f}x of offline) |",
        f"| `sweeper agent ID --count 1 --wandb off`, WANDB_MODE=offline by hand (no bridge) | "
        f"{rt['sweeper_off_wall_s']:.2f} s | {rt['sweeper_off_cpu_s']:.2f} s | "
        f"{rt['sweeper_off_wall_s'] / rt['disabled_wall_s']:.2f}x |",
    ])


if __name__ == "__main__":
    n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    load = os.getloadavg()
    lat = latency(n_rows, 0.02)
    rt = run_time(repeats)
    print(f"machine: {machine()}; load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(report(lat, rt))
    print(json.dumps({"latency": lat, "run_time": rt}))
