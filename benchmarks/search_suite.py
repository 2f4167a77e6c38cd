"""The search suite: sweeper's bayes against random search, Optuna (TPE multivariate, GPSampler)
and W&B's bayes on the problems in benchmarks/suite/ (synthetic, noisy, integer-, categorical-
and log-heavy, scikit-learn model tuning).

Each peer runs in its own virtualenv as a server that only suggests (peers/common.serve); this
process evaluates the problems, so every peer meets the same function, the same noise draws
(seeded by seed and evaluation index) and the same budget. A problem's regret after k runs is
the noiseless value of the point with the best *observed* value so far, minus the optimum (for
model-tuning problems, whose optimum is unknown: minus the best value any peer found on any
seed). Each (peer, problem, mode) result is kept as JSON under benchmarks/suite_results/ and
reused by later invocations unless --fresh names that peer, so a change to sweeper's method
re-runs sweeper alone.

    .venv/bin/python benchmarks/search_suite.py [--seeds 10] [--runs 40] [--parallel 1]
        [--problems all|dev|held-out|a,b] [--peers ...] [--fresh "sweeper bayes"] [--out FILE]

The model-tuning problems need scikit-learn in the package's virtualenv (the examples or report
extra); the peers need only their own (make bench-peers).

--parallel K keeps K runs pending at once (K agents asking concurrently; each finished run is
replaced at once, oldest first): the same budget, K at a time.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from search_quality import PEERS, PEERS_DIR, _env, _machine, _threads  # noqa: E402
from suite import DEV, HELD_OUT, PROBLEMS  # noqa: E402

RESULTS = HERE / "suite_results"
SWEEPER = "sweeper bayes"
ORDER = [SWEEPER, "random", "Optuna TPE (multivariate)", "Optuna GP", "W&B bayes (sweeps)"]


# Variants of sweeper's bayes for design choices (ablations): "sweeper bayes[LABEL]" runs the
# method with these module constants overridden (peers/sweeper_worker.py applies them).
VARIANTS = {
    "current": {},
    "no-climb": {"bayes.N_CLIMB": 0},
    "one-fit-start": {"bayes.FIT_STARTS": 1},
    "liar-mean": {"bayes.PENDING": "mean"},
    "model-incumbent": {"bayes.INCUMBENT": "model"},
    # the length scales' prior: BoTorch's (median 4.1 sqrt(d), log-sd sqrt(3)), and between
    "ls-prior-botorch": {"gp.LS_PRIOR": [1.4142, 1.7321], "gp.LS_PRIOR_PER_DIM": True},
    "ls-prior-sqrtd": {"gp.LS_PRIOR": [-0.5, 1.0], "gp.LS_PRIOR_PER_DIM": True},
    "ignore-stopped": {"bayes.STOPPED": "ignore"},
    # exploration (issue 18: a heavy tail of seeds stuck in one basin)
    "prior-select": {"bayes.PRIOR_SELECT": True},
    "stall-8": {"bayes.STALL_EXPLORE": 8},
    "stall-5": {"bayes.STALL_EXPLORE": 5},
    "thompson-4": {"bayes.THOMPSON_EVERY": 4},
    # what the model is fitted on: y as observed, or a power transform (HEBO's)
    "y-compress": {"bayes.Y_TRANSFORM": "compress"},
    "y-none": {"bayes.Y_TRANSFORM": "none"},
    "y-yeojohnson": {"bayes.Y_TRANSFORM": "yeojohnson"},
    "y-compress-yeojohnson": {"bayes.Y_TRANSFORM": "compress-yeojohnson"},
    "y-yeojohnson-iqr": {"bayes.Y_TRANSFORM": "yeojohnson-iqr"},
    "y-compress-fence": {"bayes.Y_TRANSFORM": "compress-fence"},
    "y-copula": {"bayes.Y_TRANSFORM": "copula"},
    # a categorical's one-hot columns: a length scale each, or one shared (a Hamming-distance
    # kernel); measured before ordered numbers, so every categorical one-hot here
    "cat-column-ls": {"bayes.CATEGORICAL_LS": "column", "unit_cube.ORDERED_NUMBERS": False},
    "cat-shared-ls": {"bayes.CATEGORICAL_LS": "shared", "unit_cube.ORDERED_NUMBERS": False},
    # a categorical of 3 or more numbers in order: one-hot, or one column (the list position)
    "one-hot-numbers": {"unit_cube.ORDERED_NUMBERS": False},
    "ordered-numbers": {"unit_cube.ORDERED_NUMBERS": True},
    # the initial runs: independent draws, or a scrambled Sobol design by run position
    "design-random": {"initial_design.DESIGN": "random"},
    "design-sobol": {"initial_design.DESIGN": "sobol"},
    # how many initial runs before the model: 10 (Optuna's GP sampler's count), or 5
    "initial-10": {"bayes.N_INITIAL": 10, "initial_design.DESIGN": "random"},
    "initial-5": {"bayes.N_INITIAL": 5, "initial_design.DESIGN": "random"},
    # the GP's noise floor: 1e-6 of the standardized variance, or 1e-9 (a noiseless objective
    # interpolated to its last digits)
    "noise-floor-1e-6": {"gp.NOISE_BOUNDS": [1e-6, 1.0]},
    "noise-floor-1e-9": {"gp.NOISE_BOUNDS": [1e-9, 1.0]},
}


def base_peer(peer: str) -> str:
    return peer.split("[")[0].strip()


def serve_cmd(peer: str) -> list[str]:
    python, script, arg = PEERS[base_peer(peer)]
    return [python, script] + ([arg] if arg else []) + ["serve"]


class Peer:
    """One peer's server process."""

    def __init__(self, peer: str):
        env = _env()
        if "[" in peer:
            env["SWEEPER_BAYES_OVERRIDES"] = json.dumps(VARIANTS[peer.split("[")[1].rstrip("]")])
        self.proc = subprocess.Popen(serve_cmd(peer), cwd=PEERS_DIR, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.peer = peer

    def call(self, **msg) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.peer} exited:\n{self.proc.stderr.read()[-3000:]}")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def run_seed(peer: Peer, problem, seed: int, runs: int, parallel: int) -> dict:
    """One sweep: the best observed value's true value after each finished run."""
    noise = np.random.default_rng([seed, 99991])
    peer.call(op="new", parameters=problem.parameters, seed=seed)
    pending, seconds, truths, seen, dupes = [], [], [], set(), 0
    best_obs, best_truth, asked = float("inf"), float("inf"), 0
    while len(truths) < runs:
        while len(pending) < parallel and asked < runs:
            r = peer.call(op="ask")
            key = json.dumps(r["params"], sort_keys=True)
            dupes += key in seen
            seen.add(key)
            pending.append(r)
            seconds.append(r["seconds"])
            asked += 1
        r = pending.pop(0)  # runs of equal length: the oldest finishes first
        observed = problem.observe(r["params"], noise)
        peer.call(op="tell", id=r["id"], value=observed)
        if observed < best_obs:
            best_obs, best_truth = observed, problem.value(r["params"])
        truths.append(best_truth)
    return {"seed": seed, "best": truths, "seconds": seconds, "duplicates": dupes}


def run_job(peer_name: str, problem_name: str, seeds: int, runs: int, parallel: int) -> dict:
    runs = PROBLEMS[problem_name].budget or runs  # a costly problem has its own, smaller budget
    path = RESULTS / f"{_slug(peer_name)}__{problem_name}__s{seeds}_r{runs}_p{parallel}.json"
    if path.exists() and peer_name not in FRESH:
        return json.loads(path.read_text())
    # A kept result over fewer seeds is the first seeds of this one (a seed's sweep depends on
    # the seed alone): only the seeds it lacks are run.
    kept = {"rows": [], "wall": 0.0}
    if peer_name not in FRESH:
        fewer = [int(f.name.split("__")[-1].split("_")[0][1:]) for f in
                 RESULTS.glob(f"{_slug(peer_name)}__{problem_name}__s*_r{runs}_p{parallel}.json")]
        if fewer := [k for k in fewer if k < seeds]:
            kept = json.loads((RESULTS / f"{_slug(peer_name)}__{problem_name}__s{max(fewer)}_r{runs}_p{parallel}.json").read_text())
    t = time.perf_counter()
    peer = Peer(peer_name)
    try:
        rows = kept["rows"] + [run_seed(peer, PROBLEMS[problem_name], s, runs, parallel)
                               for s in range(len(kept["rows"]), seeds)]
    finally:
        peer.close()
    out = {"peer": peer_name, "problem": problem_name, "rows": rows, "kept_seeds": len(kept["rows"]),
           "wall": kept["wall"] + time.perf_counter() - t}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(out))
    print(f"{peer_name} on {problem_name} (parallel {parallel}): {out['wall']:.0f} s", file=sys.stderr)
    return out


FRESH: set[str] = set()


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in s).strip("_").lower()


# --- the measures -----------------------------------------------------------------------

def reference(problem_name: str, results: dict) -> float:
    """The optimum, or for model tuning the best true value any peer reached on any seed."""
    opt = PROBLEMS[problem_name].optimum
    if opt is not None:
        return opt
    return min(row["best"][-1] for (peer, prob), res in results.items() if prob == problem_name
               for row in res["rows"])


def finals(results, peer, problem, ref, k=None):
    return [row["best"][(k or len(row["best"])) - 1] - ref for row in results[(peer, problem)]["rows"]]


def win_rate(a: list[float], b: list[float]) -> float:
    """Share of (seed of a, seed of b) pairs where a's regret is lower; ties count half."""
    wins = sum((x < y) + 0.5 * (x == y) for x in a for y in b)
    return wins / (len(a) * len(b))


def quartiles(v):
    q = np.percentile(v, [25, 50, 75])
    return q[1], q[0], q[2]


def report(results, peers, problems, args, wall) -> str:
    # whose win rates and ratios: sweeper bayes, or in a table of variants only the last one
    # (the candidate against the method before it)
    base = SWEEPER if SWEEPER in peers else peers[-1]
    lines = [f"# Search suite: {len(problems)} problems, median regret over seeds (lower is better)", "",
             "Command: `" + _threads() + ".venv/bin/python benchmarks/search_suite.py "
             + shlex.join(sys.argv[1:]) + "`", "",
             (f"{args.seeds} seeds x {args.runs} runs per peer and problem (a problem's own budget where "
              "its description gives one)"
              + (f", {args.parallel} pending at a time" if args.parallel > 1 else ", sequential")
              + ". Regret = true value of the best observed point - optimum (model tuning: - the "
              "best value any peer found). IQR = 25th-75th percentile. \"win %\" = share of "
              f"seed pairs in which {base}'s regret is lower than the peer's (ties half). "
              f"\"best peer / sweeper\" = the best other peer's median regret / {base}'s: 1 or "
              "more, its median is at least as good; the target is 0.8 or more. "
              f"Machine: {_machine()}. Wall time of the runs: {wall:.0f} s."), ""]
    kept = {}
    for (p, prob), res in results.items():
        if res.get("kept_seeds") and p in peers and prob in problems:
            kept.setdefault((p, res["kept_seeds"]), []).append(prob)
    if kept:
        lines += ["Seeds kept from an earlier, smaller run of the same peer and problem (a seed's "
                  "sweep depends on the seed alone), the rest run now: "
                  + "; ".join(f"{p}: seeds 0-{k - 1} on {len(probs)} problems"
                              for (p, k), probs in sorted(kept.items())) + ".", ""]
    ranks = {p: {} for p in peers}
    ratios = {}
    for prob in problems:
        ref = reference(prob, results)
        meds = {p: statistics.median(finals(results, p, prob, ref)) for p in peers}
        order = sorted(peers, key=lambda p: meds[p])
        for p in peers:  # average ranks for ties
            tied = [i for i, q in enumerate(order) if meds[q] == meds[p]]
            ranks[p][prob] = 1 + sum(tied) / len(tied)
        if len(peers) > 1:
            others = [meds[p] for p in peers if p != base]
            best_other = min(others) if others else None
            mine = meds[base]
            ratios[prob] = (best_other / mine if mine > 0 else float("inf")) if best_other is not None and best_other > 0 \
                else (1.0 if mine <= (best_other or 0) else 0.0)
    # summary first
    lines += ["## Summary", "",
              "| peer | median rank, all | dev | held-out | mean s/suggestion |", "|---|---|---|---|---|"]
    for p in peers:
        def mr(names):
            v = [ranks[p][n] for n in names if n in ranks[p]]
            return f"{statistics.median(v):.1f}" if v else "-"
        secs = statistics.mean(s for prob in problems for r in results[(p, prob)]["rows"] for s in r["seconds"])
        lines.append(f"| {p} | {mr(problems)} | {mr([n for n in problems if n in DEV])} | "
                     f"{mr([n for n in problems if n in HELD_OUT])} | {secs:.3f} |")
    if ratios:
        below = [f"{n} ({r:.2f})" for n, r in ratios.items() if r < 0.8]
        lines += ["", f"best peer / sweeper below 0.8 on {len(below)} of {len(ratios)} problems"
                  + (": " + ", ".join(below) if below else "") + "."]
    lines.append("")
    lines += [f"## Per problem (final regret: median [IQR]; win % of {base} against the peer)", ""]
    header = "| problem | split | " + " | ".join(peers) + " | best peer / sweeper |"
    lines += [header, "|---" * (len(peers) + 3) + "|"]
    for prob in problems:
        ref = reference(prob, results)
        cells = []
        mine = finals(results, base, prob, ref)
        for p in peers:
            v = finals(results, p, prob, ref)
            m, lo, hi = quartiles(v)
            cell = f"{m:.3g} [{lo:.3g}, {hi:.3g}]"
            if len(peers) > 1 and p != base:
                cell += f" {100 * win_rate(mine, v):.0f}%"
            cells.append(cell)
        ratio = f"{ratios[prob]:.2f}" if prob in ratios else "-"
        lines.append(f"| {prob} | {PROBLEMS[prob].split} | " + " | ".join(cells) + f" | {ratio} |")
    lines += ["", "Problems: " + "; ".join(f"{n}: {PROBLEMS[n].kind}" for n in problems) + ".", ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--peers", default=",".join(ORDER))
    ap.add_argument("--problems", default="all")
    ap.add_argument("--fresh", default="", help="peers to run again even if a result is kept")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    peers = args.peers.split(",")
    problems = {"all": list(PROBLEMS), "dev": DEV, "held-out": HELD_OUT}.get(args.problems) \
        or args.problems.split(",")
    FRESH.update(p for p in args.fresh.split(",") if p)
    jobs = [(peer, prob) for prob in problems for peer in peers]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(lambda j: run_job(*j, args.seeds, args.runs, args.parallel), jobs))
    results = {(r["peer"], r["problem"]): r for r in done}
    wall = sum(r["wall"] for r in done) if done else time.perf_counter() - started
    text = report(results, peers, problems, args, wall)
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main()
