"""Bayes with early termination: epochs spent until some run's validation loss reaches a target
on the learning-curve problem (benchmarks/peers/learning_curves.py, 27 epochs a run), for

- sweeper bayes without early termination;
- sweeper bayes + hyperband (min_iter 3, eta 3: bands 3, 9), stopped runs informing the model
  with their best value at the band where they stopped (what the method does);
- the same, stopped runs left out of the model (bayes.STOPPED = "ignore"): what they add;
- sweeper random + hyperband;
- Optuna TPE (multivariate) + HyperbandPruner(min_resource 1, max_resource 27, reduction 3), in
  its own virtualenv (peers/optuna_hyperband.py).

One agent, runs one after another; each epoch counts 1. A seed that has not reached the target
within BUDGET epochs counts as BUDGET (and is reported as not reached). sweeper's runs are judged
by sweeper.search.hyperband.judge against the values earlier runs had at each band, as the agent
does.

    .venv/bin/python benchmarks/bayes_hyperband.py [--seeds 10] [--budget 2000] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "peers"), str(HERE), str(HERE.parent)]
from learning_curves import EPOCHS, PARAMETERS, TARGET, curve  # noqa: E402
from search_quality import PEERS, PEERS_DIR, _env, _machine  # noqa: E402

from sweeper.search import bayes, hyperband  # noqa: E402
from sweeper.sweepfile.space import Space  # noqa: E402

ET = {"type": "hyperband", "min_iter": 3, "eta": 3}
CONFIG = {"metric": {"name": "loss", "goal": "minimize", "impute": "worst"}}


def sweeper_run(seed: int, budget: int, method: str, early: bool, stopped: str = "value") -> dict:
    space, history, at_band = Space(PARAMETERS), [], {}
    bands = hyperband.bands(ET) if early else []
    spent, reached = 0, None
    saved, bayes.STOPPED = bayes.STOPPED, stopped
    try:
        while spent < budget and reached is None:
            rng = np.random.default_rng([seed, len(history)])
            params = space.sample(rng) if method == "random" else bayes.suggest(space, CONFIG, history, rng)
            values, state = [], "finished"
            for v in curve(params, seed * 1000 + len(history)):
                values.append(v)
                spent += 1
                if v <= TARGET:
                    reached = spent
                    break
                if len(values) in bands:
                    at_band.setdefault(len(values), [])
                decision = hyperband.judge(values, bands, lambda b: at_band.get(b, [])[:], ET, False) \
                    if bands else None
                if len(values) in bands:
                    at_band[len(values)].append(v)
                if decision is not None and decision.stop and len(values) < EPOCHS:
                    state = "stopped"
                    break
            history.append({"params": params, "state": state, "best_value": min(values),
                            "summary": {"loss": values[-1]}, "number": len(history), "superseded": False})
    finally:
        bayes.STOPPED = saved
    return {"seed": seed, "epochs": reached, "spent": spent, "runs": len(history),
            "stopped": sum(r["state"] == "stopped" for r in history)}


def optuna_runs(seeds: int, budget: int) -> list[dict]:
    python = PEERS["Optuna TPE (multivariate)"][0]
    out = subprocess.run([python, "optuna_hyperband.py", str(seeds), str(budget)], cwd=PEERS_DIR,
                         capture_output=True, text=True, env=_env(), check=False)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


VARIANTS = {
    "sweeper bayes, no early termination": lambda s, b: sweeper_run(s, b, "bayes", False),
    "sweeper bayes + hyperband (stopped runs in the model)": lambda s, b: sweeper_run(s, b, "bayes", True),
    "sweeper bayes + hyperband, stopped runs left out": lambda s, b: sweeper_run(s, b, "bayes", True, "ignore"),
    "sweeper random + hyperband": lambda s, b: sweeper_run(s, b, "random", True),
}


def main(argv=None) -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    results = {name: [f(s, args.budget) for s in range(args.seeds)] for name, f in VARIANTS.items()}
    results["Optuna TPE (multivariate) + HyperbandPruner"] = optuna_runs(args.seeds, args.budget)
    lines = ["# Bayes with early termination: epochs to reach the target", "",
             "Command: `.venv/bin/python benchmarks/bayes_hyperband.py "
             + " ".join(argv if argv is not None else sys.argv[1:]) + "`", "",
             (f"Learning-curve problem (benchmarks/peers/learning_curves.py): {EPOCHS} epochs a run, "
              f"target loss {TARGET}; {args.seeds} seeds, budget {args.budget} epochs (a seed that "
              "does not reach the target counts as the budget). Machine: "
              f"{_machine()}; wall {time.perf_counter() - started:.0f} s."), "",
             "| method | median epochs to target [IQR] | seeds reaching it | median runs | runs stopped (median) |",
             "|---|---|---|---|---|"]
    for name, rows in results.items():
        e = [r["epochs"] if r["epochs"] is not None else args.budget for r in rows]
        q = np.percentile(e, [25, 50, 75])
        stopped = statistics.median(r.get("stopped", 0) for r in rows) if "stopped" in rows[0] else "-"
        lines.append(f"| {name} | {q[1]:.0f} [{q[0]:.0f}, {q[2]:.0f}] | "
                     f"{sum(r['epochs'] is not None for r in rows)}/{len(rows)} | "
                     f"{statistics.median(r['runs'] for r in rows):.0f} | {stopped} |")
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main()
