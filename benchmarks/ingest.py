"""Metric ingestion: one run that writes N lines (default 1,000,000) as fast as it can.

Targets: every line stored, at least 100,000 lines/s, agent memory (peak RSS) under 150 MB.

    .venv/bin/python benchmarks/ingest.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import env, machine, register, scratch, sweeper_exe


def peak_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def main(n: int = 1_000_000, store: str | None = None) -> dict:
    d = scratch("ingest")
    sid = register(d, f"program: many_lines.py\nmethod: grid\nmetric: {{name: loss}}\n"
                      f"parameters:\n  lines: {{value: {n}}}\n", store)
    # The program alone, for reference: how long writing the lines takes without sweeper.
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "many_lines.py", f"--lines={n}"], cwd=d, check=True,
                   env=env(SWEEPER_METRICS=str(d / "alone.jsonl")))
    alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    agent = subprocess.Popen([sweeper_exe(), "agent", sid, "--count", "1", "--output", "none"], cwd=d,
                             env=env(store, SWEEPER_INTERPRETER=sys.executable),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while agent.poll() is None:
        peak = max(peak, peak_rss_mb(agent.pid) or 0.0)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    assert agent.returncode == 0, agent.stderr.read()
    from sweeper.store import open_store
    st = open_store(store or str(d / ".sweeper" / "sweeper.db"))
    (run,) = st.runs(sid)
    stored = len(st.metric_rows(run["id"]))
    return {"lines": n, "stored": stored, "program_alone_s": alone, "agent_wall_s": wall,
            "lines_per_s": n / wall, "peak_rss_mb": peak, "store": st.display_url}


def report(r: dict) -> str:
    return "\n".join([
        "| lines written | lines stored | program alone | with agent (start to exit) | lines/s | agent peak RSS |",
        "|---|---|---|---|---|---|",
        f"| {r['lines']:,} | {r['stored']:,} | {r['program_alone_s']:.2f} s | {r['agent_wall_s']:.2f} s | "
        f"**{r['lines_per_s']:,.0f}** (target >= 100,000) | **{r['peak_rss_mb']:.0f} MB** (target < 150) |",
    ])


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
    print(f"machine: {machine()}")
    print(report(result))
