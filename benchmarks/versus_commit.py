"""The agent's cost against an earlier commit's, measured in the same run, rounds interleaved.

On a shared 2-core machine the time a Python process takes to start moves by a third from one
minute to the next, so figures taken on different days cannot show a few milliseconds gained or
lost. Here both versions run the same work, alternating, through the same venv (the earlier
code from a git worktree, put first on PYTHONPATH), and each round's difference is kept:

- overhead: one agent, RUNS runs of the one-line program (ms per run, start-up included);
- parallel: AGENTS agents on one SQLite grid sweep of AGENTS x PER_AGENT points (runs/s).

    .venv/bin/python benchmarks/versus_commit.py COMMIT [--rounds 6] [--runs 100]
                                                [--agents 4] [--per-agent 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CPU_CLI, cpu_seconds, machine

REPO = Path(__file__).resolve().parents[1]
PROGRAM = Path(__file__).resolve().parent / "programs" / "one_line.py"
DONE = (0, 3)  # 3: what an agent whose sweep was done exited with before issue 13


def checkout(commit: str) -> Path:
    where = Path(tempfile.mkdtemp(prefix="sweeper-versus-"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(where), commit],
                   check=True, capture_output=True)
    return where


def compiled(code: Path) -> None:
    """Both versions start from bytecode, as an installed sweeper does: with
    PYTHONDONTWRITEBYTECODE set (this machine sets it), every process would compile every
    module it imports, which costs the larger version more at each agent's start."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "sweeper")], check=True,
                   env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})


def environment(code: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code), SWEEPER_INTERPRETER=sys.executable)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("SWEEPER_STORE", None)
    return env


def sweeper(code: Path, cwd: Path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *CPU_CLI, *args], cwd=cwd, env=environment(code),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def register(code: Path, yaml_text: str) -> tuple[Path, str]:
    d = Path(tempfile.mkdtemp(prefix="sweeper-versus-run-"))
    shutil.copy(PROGRAM, d / PROGRAM.name)
    (d / "sweep.yaml").write_text(yaml_text)
    out, _ = sweeper(code, d, "sweep", "sweep.yaml").communicate()
    return d, out.strip().splitlines()[-1]


def overhead(code: Path, runs: int) -> tuple[float, float]:
    d, sid = register(code, f"program: one_line.py\nmethod: random\nrun_cap: {runs}\n"
                            "parameters:\n  x: {min: 0.0, max: 1.0}\n")
    t0 = time.perf_counter()
    p = sweeper(code, d, "agent", sid, "--output", "none")
    _, err = p.communicate()
    took = time.perf_counter() - t0
    assert p.returncode in DONE, err[-2000:]
    shutil.rmtree(d)
    cpu = cpu_seconds(err)
    return took / runs * 1000, cpu / runs * 1000


def parallel(code: Path, agents: int, per_agent: int) -> float:
    d, sid = register(code, f"program: one_line.py\nmethod: grid\nparameters:\n"
                            f"  a: {{min: 1, max: {agents}}}\n  b: {{min: 1, max: {per_agent}}}\n")
    t0 = time.perf_counter()
    procs = [sweeper(code, d, "agent", sid, "--count", str(per_agent), "--output", "none") for _ in range(agents)]
    for p in procs:
        _, err = p.communicate()
        assert p.returncode in DONE, err[-2000:]
    took = time.perf_counter() - t0
    shutil.rmtree(d)
    return agents * per_agent / took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("commit")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--agents", type=int, default=4)
    ap.add_argument("--per-agent", type=int, default=50)
    a = ap.parse_args()
    before = checkout(a.commit)
    now = REPO
    for code in (before, now):
        compiled(code)
    got = {"overhead": {"before": [], "now": []}, "cpu": {"before": [], "now": []},
           "parallel": {"before": [], "now": []}}
    load = [os.getloadavg()[0]]
    try:
        for r in range(a.rounds):
            order = [("before", before), ("now", now)] if r % 2 == 0 else [("now", now), ("before", before)]
            for name, code in order:
                wall, cpu = overhead(code, a.runs)
                got["overhead"][name].append(wall)
                got["cpu"][name].append(cpu)
            for name, code in order:
                got["parallel"][name].append(parallel(code, a.agents, a.per_agent))
            load.append(os.getloadavg()[0])
            print(f"round {r + 1}: overhead {got['overhead']['before'][-1]:.1f} -> {got['overhead']['now'][-1]:.1f} "
                  f"ms/run; parallel {got['parallel']['before'][-1]:.1f} -> {got['parallel']['now'][-1]:.1f} runs/s",
                  file=sys.stderr)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(before)], capture_output=True)
    o, p = got["overhead"], got["parallel"]
    o_diff = [n - b for n, b in zip(o["now"], o["before"])]
    c = got["cpu"]
    c_diff = [n - b for n, b in zip(c["now"], c["before"])]
    p_ratio = [n / b for n, b in zip(p["now"], p["before"])]
    print(f"machine: {machine()}; load average {min(load):.2f}-{max(load):.2f} during the run")
    print(f"| measure | {a.commit} (median) | now (median) | now - before, per round (median) |")
    print("|---|---|---|---|")
    print(f"| one agent, {a.runs} runs: ms per run | {statistics.median(o['before']):.1f} | "
          f"{statistics.median(o['now']):.1f} | {statistics.median(o_diff):+.1f} ms "
          f"({', '.join(f'{x:+.1f}' for x in o_diff)}) |")
    print(f"| one agent, {a.runs} runs: the agent's own CPU, ms per run | {statistics.median(c['before']):.1f} | "
          f"{statistics.median(c['now']):.1f} | {statistics.median(c_diff):+.1f} ms "
          f"({', '.join(f'{x:+.1f}' for x in c_diff)}) |")
    print(f"| {a.agents} agents x {a.per_agent} runs, SQLite: runs/s | {statistics.median(p['before']):.1f} | "
          f"{statistics.median(p['now']):.1f} | x{statistics.median(p_ratio):.3f} "
          f"({', '.join(f'{x:.2f}' for x in p_ratio)}) |")


if __name__ == "__main__":
    main()
