"""Many agents on one sweep: runs per second, duplicates, errors, claim latency.

A grid of agents x runs points over a one-line program; each agent runs --count runs.
Duplicates are grid points run twice; errors are agents that did not exit cleanly or
printed an error (a "database is locked" would count).

    .venv/bin/python benchmarks/parallel_agents.py [AGENTS] [RUNS_PER_AGENT] [STORE_URL]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from common import env, machine, register, scratch, sweeper_exe


def main(agents: int = 4, per_agent: int = 500, store: str | None = None) -> dict:
    d = scratch("parallel")
    total = agents * per_agent
    sid = register(d, f"program: one_line.py\nmethod: grid\nparameters:\n"
                      f"  a: {{min: 1, max: {agents}}}\n  b: {{min: 1, max: {per_agent}}}\n", store)
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sweeper_exe(), "agent", sid, "--count", str(per_agent), "--output", "none"],
                              cwd=d, env=env(store, SWEEPER_INTERPRETER=sys.executable),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(agents)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    wall = time.perf_counter() - t0
    from sweeper.store import open_store
    st = open_store(store or str(d / ".sweeper" / "sweeper.db"))
    runs = st.runs(sid)
    points = [(r["params"]["a"], r["params"]["b"]) for r in runs]
    errors = sum(1 for code, err in results if code != 0 or "error" in err.lower() or "locked" in err)
    # claim latency as each agent measured it: from asking to holding the run, lock wait included
    gaps = sorted(r["claim_ms"] / 1000 for r in runs if r["claim_ms"] is not None)
    return {"agents": agents, "runs": len(runs), "expected": total, "wall_s": wall,
            "runs_per_s": len(runs) / wall, "duplicates": len(points) - len(set(points)),
            "finished": sum(r["state"] == "finished" for r in runs), "errors": errors,
            "claim_p50_ms": 1000 * statistics.median(gaps) if gaps else None,
            "claim_p99_ms": 1000 * gaps[int(0.99 * (len(gaps) - 1))] if gaps else None,
            "store": st.display_url if not st.is_sqlite else "SQLite"}


def report(r: dict) -> str:
    return "\n".join([
        "| store | agents | runs (expected) | wall | runs/s | duplicates | errors | claim p50 | claim p99 |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['store']} | {r['agents']} | {r['runs']} ({r['expected']}) | {r['wall_s']:.1f} s | "
        f"**{r['runs_per_s']:.1f}** | {r['duplicates']} | {r['errors']} | {r['claim_p50_ms']:.1f} ms | "
        f"{r['claim_p99_ms']:.1f} ms |",
    ])


if __name__ == "__main__":
    a = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    url = sys.argv[3] if len(sys.argv) > 3 else None
    print(f"machine: {machine()}")
    print(report(main(a, n, url)))
