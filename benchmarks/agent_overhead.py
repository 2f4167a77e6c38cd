"""Agent overhead per run: N runs of a one-line program through `sweeper agent`, against
the same N launches from a plain shell loop, in the same run. Target: under 25 ms per run.

    .venv/bin/python benchmarks/agent_overhead.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import env, machine, register, scratch, sweeper_exe


def main(n: int = 200) -> dict:
    d = scratch("overhead")
    sid = register(d, f"program: one_line.py\nmethod: random\nrun_cap: {n}\n"
                      "parameters:\n  x: {min: 0.0, max: 1.0}\n")
    python = sys.executable
    # The shell loop does what the agent's default command does: env python program --x=...
    loop = (f'for i in $(seq 1 {n}); do SWEEPER_METRICS=m.jsonl /usr/bin/env {python} one_line.py '
            f'--x=0.5 > /dev/null; done')
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", loop], cwd=d, check=True)
    shell = time.perf_counter() - t0
    t0 = time.perf_counter()
    proc = subprocess.run([sweeper_exe(), "agent", sid, "--output", "none"], cwd=d,
                          env=env(SWEEPER_INTERPRETER=python), capture_output=True, text=True)
    agent = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr  # run_cap reached: the work is done
    per_run = (agent - shell) / n * 1000
    return {"runs": n, "shell_s": shell, "agent_s": agent, "overhead_ms_per_run": per_run}


def report(r: dict) -> str:
    return "\n".join([
        "| runs | plain shell loop | sweeper agent | added per run | target |",
        "|---|---|---|---|---|",
        f"| {r['runs']} | {r['shell_s']:.2f} s ({r['shell_s'] / r['runs'] * 1000:.1f} ms/run) | "
        f"{r['agent_s']:.2f} s ({r['agent_s'] / r['runs'] * 1000:.1f} ms/run) | "
        f"**{r['overhead_ms_per_run']:.1f} ms** | < 25 ms |",
    ])


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
    print(f"machine: {machine()}")
    print(report(result))
