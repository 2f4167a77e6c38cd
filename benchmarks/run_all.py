"""Run every benchmark and print one Markdown report (what BENCHMARKS.md is made from).

    .venv/bin/python benchmarks/run_all.py            # the quick ones (a few minutes)
    .venv/bin/python benchmarks/run_all.py --all      # also search quality, hyperband, report, CNN (~1 h)

Peers (Optuna, W&B's sweeps) live in their own virtualenvs: `make bench-peers` makes them.
PostgreSQL rows need the server on 127.0.0.1:5432 (SWEEPER_BENCH_PG to point elsewhere).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
PG = os.environ.get("SWEEPER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/sweeper_bench")

QUICK = [
    ("Start-up", ["startup.py", "20"]),
    ("Agent overhead per run", ["agent_overhead.py", "200"]),
    ("Metric ingestion", ["ingest.py", "1000000"]),
    ("Metric ingestion, 8 agents", ["ingest.py", "250000", "--agents", "8"]),
    ("4 agents x 500 runs, SQLite", ["parallel_agents.py", "4", "500"]),
    ("16 agents, SQLite", ["parallel_agents.py", "16", "50"]),
    ("16 agents, PostgreSQL", ["parallel_agents.py", "16", "50", PG]),
    ("Bayes suggestion latency", ["suggest_latency.py", "--repeats", "5"]),
]
LONG = [
    ("Sweep size", ["scale.py", "--sizes", "0,1000,10000", "--runs", "50", "--repeat", "3", "--lines", "100"]),
    ("Metric ingestion: where the time goes", ["ingest_ceiling.py", "1000000", "--writers", "8"]),
    ("64 agents, 20 s runs, PostgreSQL", ["parallel_agents.py", "64", "3", "--seconds", "20", "--own-pg"]),
    ("64 agents, 20 s runs, SQLite", ["parallel_agents.py", "64", "3", "--seconds", "20"]),
    ("1,000 simulated agents, one PostgreSQL", ["cluster_sim.py", "--agents", "1000", "--procs", "4", "--conns", "16"]),
    ("Bayes search quality", ["search_quality.py", "--jobs", "2"]),
    ("Search suite (22 problems, all peers)", ["search_suite.py"]),
    ("Parallel search (1, 4, 8 pending)", ["search_parallel.py"]),
    ("Bayes with hyperband, epochs to target", ["bayes_hyperband.py"]),
    ("Compute saved by hyperband", ["hyperband_savings.py", "10", "200", "2"]),
    ("Report at 1,000 runs x 100 lines", ["report_scale.py", "1000", "100"]),
    ("Dashboard at 1,000 x 100 and 10,000 runs", ["ui_scale.py"]),
    ("CNN time per epoch", ["cnn_epoch.py"]),
]


def fresh_pg_database(url: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception as exc:  # noqa: BLE001 - no server: the row is skipped, saying why
        print(f"(PostgreSQL rows skipped: {exc})", file=sys.stderr)
        return False


def main(argv: list[str]) -> int:
    todo = QUICK + (LONG if "--all" in argv else [])
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    failed = 0
    for title, args in todo:
        if PG in args and not fresh_pg_database(PG):
            continue
        command = f".venv/bin/python benchmarks/{' '.join(args)}"
        print(f"## {title}\n\nCommand: `{command}`\n", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([PY, str(HERE / args[0]), *args[1:]], cwd=HERE.parent, env=env,
                              capture_output=True, text=True)
        print(proc.stdout.strip() or "(no output)")
        if proc.returncode != 0:
            failed += 1
            print(f"\n**failed** (exit {proc.returncode}):\n```\n{proc.stderr.strip()[-2000:]}\n```")
        print(f"\n({time.perf_counter() - t0:.0f} s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
