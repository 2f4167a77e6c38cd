"""Time to suggest one run, after 50, 200 and 500 finished runs: sweeper's bayes and its peers.

The history is N random points of the problem with their values, preloaded into each peer
(Optuna: add_trial; W&B: SweepRun list; sweeper: the history list the store passes). The median
of REPEATS warm suggestions is reported; "cold" is the first suggestion in a fresh process,
which pays for imports (scipy for sweeper, torch for Optuna GP).

    .venv/bin/python benchmarks/suggest_latency.py [--sizes 50,200,500] [--repeats 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from search_quality import PEERS, PEERS_DIR, _env, _machine, _threads, worker_cmd

BAYESIAN = ["sweeper bayes", "W&B bayes (sweeps)", "Optuna TPE (multivariate)", "Optuna GP"]


def measure(peer, problem, n, repeats):
    out = subprocess.run(worker_cmd(peer, "latency", problem, n, repeats), cwd=PEERS_DIR,
                         capture_output=True, text=True, env=_env(), check=False)
    if out.returncode:
        raise RuntimeError(f"{peer} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50,200,500")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--problems", default="hartmann6,mixed")
    ap.add_argument("--peers", default=",".join(BAYESIAN))
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    peers = [p for p in args.peers.split(",") if p in PEERS]
    started = time.perf_counter()
    lines = ["# Suggestion latency (ms; median of warm suggestions)", "",
             "Command: `" + _threads() + ".venv/bin/python benchmarks/suggest_latency.py "
             + " ".join(argv if argv is not None else sys.argv[1:]) + "`", "",
             (f"Machine: {_machine()}; {args.repeats} warm repeats per cell, each in a fresh "
              "optimizer preloaded with N finished random runs; cold = the first suggestion in "
              "the process (imports included)."), ""]
    for problem in args.problems.split(","):
        lines += [f"## {problem}", "",
                  "| peer | " + " | ".join(f"{n} runs" for n in sizes) + " | cold (at 50) |",
                  "|---" * (len(sizes) + 2) + "|"]
        for peer in peers:
            cells, cold = [], None
            for n in sizes:
                r = measure(peer, problem, n, args.repeats)
                cells.append(f"{1000 * statistics.median(r['seconds']):.0f}")
                cold = cold if cold is not None else r["cold"]
            lines.append(f"| {peer} | " + " | ".join(cells) + f" | {1000 * cold:.0f} |")
        lines.append("")
    lines.append(f"Total wall time {time.perf_counter() - started:.0f} s.")
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
