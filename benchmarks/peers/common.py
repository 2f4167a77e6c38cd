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



def random_params(parameters: dict, rnd: random.Random) -> dict:
    """A uniform draw of the problems' own parameter kinds (for latency histories)."""
    out = {}
    for name, spec in parameters.items():
        d = spec["distribution"]
        if d == "categorical":
            out[name] = rnd.choice(spec["values"])
        elif d == "int_uniform":
            out[name] = rnd.randint(spec["min"], spec["max"])
        elif d == "q_uniform":
            out[name] = round(rnd.uniform(spec["min"], spec["max"]) / spec["q"]) * spec["q"]
        elif d == "log_uniform_values":
            out[name] = spec["min"] * (spec["max"] / spec["min"]) ** rnd.random()
        else:
            out[name] = rnd.uniform(spec["min"], spec["max"])
    return out


def serve(make_optimizer):
    """Ask and tell over stdin/stdout, one JSON object a line, for search_suite.py, which holds
    the problems and evaluates them itself (a peer only suggests):

    {"op": "new", "parameters": {...}, "seed": S}  -> {}
    {"op": "ask"}                                    -> {"id": K, "params": {...}, "seconds": T}
    {"op": "tell", "id": K, "value": V, "state": "finished"|"stopped", "steps": N}  -> {}

    Several asks may come before their tells (parallel agents): the optimizer sees the asked
    and not yet told points as pending, as each peer does for its own parallel workers."""
    opt, asked = None, {}
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "new":
            opt, asked = make_optimizer({"parameters": msg["parameters"]}, msg["seed"]), {}
            out = {}
        elif msg["op"] == "ask":
            t = time.perf_counter()
            params = opt.ask()
            seconds = time.perf_counter() - t
            asked[len(asked)] = (params, getattr(opt, "trial", None))
            out = {"id": len(asked) - 1, "params": params, "seconds": seconds}
        else:
            params, token = asked[msg["id"]]
            if token is not None:
                opt.trial = token
            if msg.get("state", "finished") != "finished" and hasattr(opt, "tell_stopped"):
                opt.tell_stopped(params, msg["value"], msg.get("steps"))
            else:
                opt.tell(params, msg["value"])
            out = {}
        # numpy scalars (W&B's sweeps returns np.int64 for a categorical of ints) as plain numbers
        sys.stdout.write(json.dumps(out, default=lambda o: o.item()) + "\n")
        sys.stdout.flush()


def main(make_optimizer):
    """make_optimizer(problem, seed) -> object with ask() -> params and tell(params, value),
    and optionally preload(list of (params, value)) for latency jobs."""
    if sys.argv[1] == "serve":
        return serve(make_optimizer)
    job, problem_name = sys.argv[1], sys.argv[2]
    from problems import PROBLEMS
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
