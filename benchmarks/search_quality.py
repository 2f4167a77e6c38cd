"""Search quality: sweeper's bayes against random search, Optuna (TPE, GP) and W&B's bayes.

Each peer runs in its own virtualenv (benchmarks/.venvs/optuna: `pip install optuna torch
scipy greenlet`; benchmarks/.venvs/wandb: `pip install sweeps 'numpy<2'`), sweeper in the
package's. Every peer gets the same problems (benchmarks/peers/problems.py), seeds and number
of sequential runs, and the table shows the median over seeds of the best regret (best value
found - known optimum) after the last run; "x sweeper" is the peer's median / sweeper's (above
1: sweeper found better points).

    .venv/bin/python benchmarks/search_quality.py [--seeds 10] [--runs 50] [--jobs 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"
VENVS = HERE / ".venvs"

# name -> (python, worker script, its first argument)
PEERS = {
    "sweeper bayes": (sys.executable, "sweeper_worker.py", "bayes"),
    "random": (sys.executable, "sweeper_worker.py", "random"),
    "Optuna TPE (multivariate)": (str(VENVS / "optuna/bin/python"), "optuna_worker.py", "tpe"),
    "Optuna GP": (str(VENVS / "optuna/bin/python"), "optuna_worker.py", "gp"),
    "W&B bayes (sweeps)": (str(VENVS / "wandb/bin/python"), "wandb_worker.py", None),
}
PROBLEMS = ["branin", "hartmann6", "mixed"]


def worker_cmd(peer: str, *job) -> list[str]:
    python, script, arg = PEERS[peer]
    return [python, script] + ([arg] if arg else []) + [str(j) for j in job]


def run_job(peer: str, problem: str, seeds: int, runs: int) -> dict:
    t = time.perf_counter()
    out = subprocess.run(worker_cmd(peer, "quality", problem, seeds, runs), cwd=PEERS_DIR,
                         capture_output=True, text=True, env=_env(), check=False)
    if out.returncode:
        raise RuntimeError(f"{peer} on {problem} failed:\n{out.stderr[-3000:]}")
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return {"peer": peer, "problem": problem, "rows": rows, "wall": time.perf_counter() - t}


def _env() -> dict:
    import os
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PEERS_DIR), str(HERE.parent)])
    return env


def regret_at(rows, k):
    return statistics.median(r["regret"][k - 1] for r in rows)


def main(argv=None) -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    peers, problems = args.peers.split(","), args.problems.split(",")
    jobs = [(peer, problem) for problem in problems for peer in peers]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda j: run_job(*j, args.seeds, args.runs), jobs))
    by = {(r["peer"], r["problem"]): r for r in results}

    checkpoints = sorted({min(20, args.runs), args.runs})
    lines = [
        "# Search quality: median regret over seeds (lower is better)",
        "",
        "Command: `" + _threads() + ".venv/bin/python benchmarks/search_quality.py "
        + " ".join(argv if argv is not None else sys.argv[1:]) + "`",
        "",
        (f"{args.seeds} seeds x {args.runs} sequential runs per peer and problem; regret = best "
         "value found - known optimum (Branin 0.397887, Hartmann6 -3.32237, mixed 0). "
         "\"x sweeper\" = peer's median / sweeper's: above 1, sweeper's regret is lower. "
         "s/suggestion = mean time to suggest, over the whole run. "
         f"Machine: {_machine()}. Total wall time {time.perf_counter() - started:.0f} s "
         f"({args.jobs} jobs at a time)."),
        "",
    ]
    for problem in problems:
        lines += [f"## {problem}", "",
                  "| peer | " + " | ".join(f"regret @{k}" for k in checkpoints)
                  + " | x sweeper @" + str(args.runs) + " | s/suggestion |",
                  "|---" * (len(checkpoints) + 3) + "|"]
        ref = regret_at(by[("sweeper bayes", problem)]["rows"], args.runs) \
            if "sweeper bayes" in peers else None
        for peer in peers:
            rows = by[(peer, problem)]["rows"]
            med = [regret_at(rows, k) for k in checkpoints]
            ratio = f"{med[-1] / ref:.2f}" if ref else "-"
            secs = statistics.mean(s for r in rows for s in r["seconds"])
            lines.append(f"| {peer} | " + " | ".join(f"{m:.4g}" for m in med)
                         + f" | {ratio} | {secs:.3f} |")
        lines.append("")
    lines += ["Per-seed regret at the last run:", ""]
    for problem in problems:
        for peer in peers:
            vals = " ".join(f"{r['regret'][-1]:.3g}" for r in by[(peer, problem)]["rows"])
            lines.append(f"- {problem}, {peer}: {vals}")
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return text


def _threads() -> str:
    """The BLAS/OpenMP thread setting, part of the command: it changes every peer's timing."""
    import os
    n = os.environ.get("OMP_NUM_THREADS")
    return f"OMP_NUM_THREADS={n} " if n else ""


def _machine() -> str:
    import os
    import platform
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
