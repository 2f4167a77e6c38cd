"""The loop every peer worker runs, so that each peer only says how it suggests.

A worker prints one JSON line per job. Jobs (argv): `quality PROBLEM SEEDS RUNS` runs
RUNS sequential suggestions for each seed and reports the best-so-far regret; `latency PROBLEM
N REPEATS` times one suggestion after N finished random runs, REPEATS times after a first
(cold) one.
"""

from __future__ import annotations

import json
import random
import sys
import time

from problems import PROBLEMS


def random_params(parameters: dict, rnd: random.Random) -> dict:
    """A uniform draw of the problems' own parameter kinds (for latency histories)."""
    out = {}
    for name, spec in parameters.items():
        d = spec["distribution"]
        if d == "categorical":
            out[name] = rnd.choice(spec["values"])
        elif d == "int_uniform":
            out[name] = rnd.randint(spec["min"], spec["max"])
        elif d == "log_uniform_values":
            out[name] = spec["min"] * (spec["max"] / spec["min"]) ** rnd.random()
        else:
            out[name] = rnd.uniform(spec["min"], spec["max"])
    return out


def main(make_optimizer):
    """make_optimizer(problem, seed) -> object with ask() -> params and tell(params, value),
    and optionally preload(list of (params, value)) for latency jobs."""
    job, problem_name = sys.argv[1], sys.argv[2]
    problem = PROBLEMS[problem_name]
    f, optimum = problem["objective"], problem["optimum"]
    if job == "quality":
        seeds, runs = int(sys.argv[3]), int(sys.argv[4])
        for seed in range(seeds):
            opt = make_optimizer(problem, seed)
            best, trace, seconds = float("inf"), [], []
            for _ in range(runs):
                t = time.perf_counter()
                params = opt.ask()
                seconds.append(time.perf_counter() - t)
                value = f(params)
                opt.tell(params, value)
                best = min(best, value)
                trace.append(best - optimum)
            print(json.dumps({"seed": seed, "regret": trace, "seconds": seconds}), flush=True)
    elif job == "latency":
        n, repeats = int(sys.argv[3]), int(sys.argv[4])
        rnd = random.Random(0)
        done = []
        for _ in range(n):
            p = random_params(problem["parameters"], rnd)
            done.append((p, f(p)))
        seconds = []
        for r in range(repeats + 1):
            opt = make_optimizer(problem, r)
            opt.preload(done)
            t = time.perf_counter()
            opt.ask()
            seconds.append(time.perf_counter() - t)
        # the first suggestion pays for lazy imports: reported apart as "cold"
        print(json.dumps({"n": n, "cold": seconds[0], "seconds": seconds[1:]}), flush=True)
