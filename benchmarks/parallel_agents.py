"""Many agents on one sweep: runs per second, duplicates, errors, claim latency.

A grid of agents x runs points; each agent runs --count runs. Duplicates are grid points run
twice; errors are agents that did not exit cleanly or printed an error (a "database is
locked" would count). Claim latency is what each agent measured from asking for a run to
holding it, lock wait included (runs.claim_ms); "steady" leaves out each agent's first claim,
made while every agent of the benchmark is still starting (on this machine all of them share
2 cores; on a cluster each starts on a machine of its own).

With --seconds S the program is benchmarks/programs/epochs.py: a run of S seconds writing
--epochs metric lines, sleeping in between (a run of realistic length without the training);
without it, the one-line program (the most claims per second the machine can make).

    .venv/bin/python benchmarks/parallel_agents.py AGENTS RUNS_PER_AGENT [STORE_URL]
        [--seconds S] [--epochs N] [--own-pg]

--own-pg runs PostgreSQL in a throwaway cluster of the benchmark's own (pg_cluster.py) with
max_connections raised: 64 agents hold more connections than the shared server's 100.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

from common import env, machine, register, scratch, sweeper_exe
from pg_cluster import OwnCluster, machine_busy


def _pct(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return values[int(q * (len(values) - 1))] if values else None


def main(agents: int = 4, per_agent: int = 500, store: str | None = None, seconds: float = 0.0,
         epochs: int = 5, server=None) -> dict:
    d = scratch("parallel")
    total = agents * per_agent
    if seconds:
        program = (f"program: epochs.py\nmethod: grid\nparameters:\n  a: {{min: 1, max: {agents}}}\n"
                   f"  b: {{min: 1, max: {per_agent}}}\n  seconds: {{value: {seconds}}}\n  epochs: {{value: {epochs}}}\n")
    else:
        program = (f"program: one_line.py\nmethod: grid\nparameters:\n"
                   f"  a: {{min: 1, max: {agents}}}\n  b: {{min: 1, max: {per_agent}}}\n")
    sid = register(d, program, store)
    load, stop = [os.getloadavg()[0]], threading.Event()

    def sample():
        while not stop.wait(1.0):
            load.append(os.getloadavg()[0])

    threading.Thread(target=sample, daemon=True).start()
    busy0, server0 = machine_busy(), server.cpu_seconds() if server else None
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sweeper_exe(), "agent", sid, "--count", str(per_agent), "--output", "none"],
                              cwd=d, env=env(store, SWEEPER_INTERPRETER=sys.executable),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(agents)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    wall = time.perf_counter() - t0
    busy1 = machine_busy()
    server_cpu = server.cpu_seconds() - server0 if server else None
    stop.set()
    from sweeper.store import open_store
    st = open_store(store or str(d / ".sweeper" / "sweeper.db"))
    runs = st.runs(sid)
    points = [(r["params"]["a"], r["params"]["b"]) for r in runs]
    errors = sum(1 for code, err in results if code != 0 or "error" in err.lower() or "locked" in err)
    claims = [r["claim_ms"] for r in runs if r["claim_ms"] is not None]
    first = {}
    for r in sorted(runs, key=lambda r: r["created_at"]):
        first.setdefault(r["agent_id"], r["id"])
    steady = [r["claim_ms"] for r in runs if r["claim_ms"] is not None and r["id"] not in first.values()]
    return {"agents": agents, "runs": len(runs), "expected": total, "wall_s": wall, "seconds": seconds,
            "runs_per_s": len(runs) / wall, "duplicates": len(points) - len(set(points)),
            "finished": sum(r["state"] == "finished" for r in runs), "errors": errors,
            "claim_p50_ms": _pct(claims, 0.5), "claim_p99_ms": _pct(claims, 0.99),
            "steady_p50_ms": _pct(steady, 0.5), "steady_p99_ms": _pct(steady, 0.99),
            "busy": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
            "load": (min(load), max(load), statistics.median(load)), "server_cpu_s": server_cpu,
            "store": "SQLite" if st.is_sqlite else "PostgreSQL" + (" (own cluster)" if server else ""),
            "error_text": next((err.strip()[-300:] for code, err in results if code != 0), None)}


HEADER = ("| store | agents | run length | runs (expected) | wall | runs/s | duplicates | errors | claim p50 | "
          "claim p99 | steady p50 | steady p99 | CPU busy | load avg | server CPU |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def row(r: dict) -> str:
    def ms(v):
        return "-" if v is None else f"{v:.1f} ms"
    length = f"{r['seconds']:g} s" if r["seconds"] else "one line"
    server = "-" if r["server_cpu_s"] is None else f"{r['server_cpu_s'] / r['wall_s'] * 100:.0f} % of a core"
    return (f"| {r['store']} | {r['agents']} | {length} | {r['runs']} ({r['expected']}) | {r['wall_s']:.1f} s | "
            f"**{r['runs_per_s']:.1f}** | {r['duplicates']} | {r['errors']} | {ms(r['claim_p50_ms'])} | "
            f"{ms(r['claim_p99_ms'])} | {ms(r['steady_p50_ms'])} | **{ms(r['steady_p99_ms'])}** | "
            f"{r['busy'] * 100:.0f} % | {r['load'][0]:.1f}-{r['load'][1]:.1f} | {server} |")


def report(r: dict) -> str:
    out = HEADER + "\n" + row(r)
    if r["error_text"]:
        out += f"\n\nan agent's error: {r['error_text']}"
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("agents", type=int, nargs="?", default=4)
    ap.add_argument("per_agent", type=int, nargs="?", default=500)
    ap.add_argument("store", nargs="?")
    ap.add_argument("--seconds", type=float, default=0.0)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--own-pg", action="store_true")
    a = ap.parse_args()
    print(f"machine: {machine()}")
    if a.own_pg:
        with OwnCluster(max_connections=max(200, 8 * a.agents)) as pg:
            print(report(main(a.agents, a.per_agent, pg.database("sweeper_bench"), a.seconds, a.epochs, pg)))
    else:
        print(report(main(a.agents, a.per_agent, a.store, a.seconds, a.epochs)))
