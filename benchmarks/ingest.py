"""Metric ingestion: AGENTS agents (default 1), each following one run that writes N lines
(default 1,000,000) as fast as it can, into one store.

Targets (issue 17): every line stored; at least 300,000 lines/s for one run and 1,000,000 lines/s
across 8 agents on SQLite; each agent's memory (peak RSS) under 150 MB. lines/s is every line
written over the wall time from the agents' start to the last one's exit (start-up included).
The same programs alone, writing the same lines at once, are timed first, for reference.
The JSON parser the agents use (orjson or json) is said; --parser json makes them use json.

    .venv/bin/python benchmarks/ingest.py [N] [--agents K] [--parser json] [--store URL]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from common import env, machine, register, scratch, sweeper_exe

NO_ORJSON = "import sys; sys.modules['orjson'] = None\n"  # an import of orjson then fails: json is used


def peak_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def main(n: int = 1_000_000, agents: int = 1, store: str | None = None, parser: str = "auto") -> dict:
    d = scratch("ingest")
    sid = register(d, f"program: many_lines.py\nmethod: grid\nmetric: {{name: loss}}\n"
                      f"parameters:\n  lines: {{value: {n}}}\n  copy: {{values: {list(range(1, agents + 1))}}}\n", store)
    # The programs alone, for reference: how long writing the lines takes without sweeper.
    t0 = time.perf_counter()
    alone = [subprocess.Popen([sys.executable, "many_lines.py", f"--lines={n}"], cwd=d,
                              env=env(SWEEPER_METRICS=str(d / f"alone{k}.jsonl"))) for k in range(agents)]
    for p in alone:
        p.wait()
    alone_s = time.perf_counter() - t0
    for k in range(agents):
        os.remove(d / f"alone{k}.jsonl")
    if parser == "json":
        cmd = [sys.executable, "-c", NO_ORJSON + "from sweeper.cli import main; sys.argv[0] = 'sweeper'; main()"]
    else:
        cmd = [sweeper_exe()]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*cmd, "agent", sid, "--count", "1", "--output", "none"], cwd=d,
                              env=env(store, SWEEPER_INTERPRETER=sys.executable),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(agents)]
    peaks = [0.0] * agents
    while any(p.poll() is None for p in procs):
        for k, p in enumerate(procs):
            if p.poll() is None:
                peaks[k] = max(peaks[k], peak_rss_mb(p.pid) or 0.0)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    for p in procs:
        assert p.returncode == 0, p.stderr.read()
    from sweeper.store import open_store
    st = open_store(store or str(d / ".sweeper" / "sweeper.db"))
    stored = sum(len(list(st.iter_metric_rows(run["id"]))) for run in st.runs(sid))
    try:
        import orjson  # noqa: F401
        used = "json" if parser == "json" else "orjson"
    except ImportError:
        used = "json"
    return {"lines": n * agents, "agents": agents, "stored": stored, "program_alone_s": alone_s, "agent_wall_s": wall,
            "lines_per_s": n * agents / wall, "peak_rss_mb": max(peaks), "store": st.display_url, "parser": used,
            "load": os.getloadavg()[0]}


def report(r: dict) -> str:
    return "\n".join([
        "| agents | parser | lines written | lines stored | programs alone | with agents (start to exit) | lines/s | "
        "peak RSS per agent | load avg after |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['agents']} | {r['parser']} | {r['lines']:,} | {r['stored']:,} | {r['program_alone_s']:.2f} s | "
        f"{r['agent_wall_s']:.2f} s | **{r['lines_per_s']:,.0f}** | **{r['peak_rss_mb']:.0f} MB** | {r['load']:.1f} |",
    ])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("lines", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--agents", type=int, default=1)
    ap.add_argument("--parser", choices=["auto", "json"], default="auto")
    ap.add_argument("--store")
    a = ap.parse_args()
    result = main(a.lines, a.agents, a.store, a.parser)
    print(f"machine: {machine()}")
    print(report(result))
