"""A noisy test function as a program: one metric line per step, in milliseconds.

    python programs/noisy_function.py --function=branin --x1=3.14 --x2=2.27 --steps=5

Standard library only. Functions (minimize `loss`):

- branin (default): x1 in [-5, 10], x2 in [0, 15]; global minimum 0.397887 at (-pi, 12.275),
  (pi, 2.275) and (9.42478, 2.475).
- rosenbrock: x1, x2 (anywhere; [-2, 2] is the usual box); minimum 0 at (1, 1).
- quadratic: every numeric --name=value argument the program does not otherwise know (so a
  sweep may define any parameters, nested ones arrive as dicts and are skipped);
  loss = sum of (value - 0.5)^2 (--center moves the 0.5); minimum 0.

Each step t = 1..steps appends {"step", "loss", "true_loss"} to $SWEEPER_METRICS (printed
when it is unset): loss = f(x) + noise * N(0, 1) / sqrt(t), an estimate that sharpens with
more steps, like a validation loss averaged over more batches; true_loss is f(x) without noise
(for benchmarks). Deterministic given --seed and the parameters.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import argtypes

BRANIN_MIN = 0.397887


def branin(x1: float, x2: float) -> float:
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def rosenbrock(x1: float, x2: float) -> float:
    return (1 - x1) ** 2 + 100 * (x2 - x1 ** 2) ** 2


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="noisy_function.py", allow_abbrev=False,
                                description="A noisy test function; one metric line per step.")
    p.add_argument("--function", choices=("branin", "rosenbrock", "quadratic"), default="branin")
    p.add_argument("--x1", "--x", dest="x1", type=float, default=None)
    p.add_argument("--x2", "--y", dest="x2", type=float, default=None)
    p.add_argument("--center", type=float, default=0.5, help="quadratic: where each coordinate is best")
    p.add_argument("--noise", type=float, default=0.1, help="std of the noise at step 1")
    p.add_argument("--steps", type=argtypes.integer, default=5)
    p.add_argument("--seed", type=argtypes.optional(argtypes.integer), default=0)
    p.add_argument("--sleep", type=float, default=0.0, help="seconds to wait after each step")
    args, unknown = p.parse_known_args(argv)
    extra = {}
    for item in unknown:
        if item.startswith("--") and "=" in item:
            name, value = item[2:].split("=", 1)
            try:
                extra[name] = float(value)
            except ValueError:
                pass  # None, True, strings, nested dicts: not coordinates
    return args, unknown, extra


def evaluate(args, extra: dict) -> tuple[float, dict]:
    if args.function == "quadratic":
        coords = dict(extra)
        if args.x1 is not None:
            coords["x1"] = args.x1
        if args.x2 is not None:
            coords["x2"] = args.x2
        if not coords:
            raise SystemExit("noisy_function.py: quadratic needs at least one numeric --name=value parameter")
        return sum((v - args.center) ** 2 for v in coords.values()), coords
    x1 = 0.0 if args.x1 is None else args.x1
    x2 = 0.0 if args.x2 is None else args.x2
    f = branin if args.function == "branin" else rosenbrock
    return f(x1, x2), {"x1": x1, "x2": x2}


def main(argv=None) -> int:
    args, unknown, extra = parse_args(argv)
    if args.function != "quadratic" and unknown:
        print(f"noisy_function.py: ignoring arguments it does not use: {' '.join(unknown)}", file=sys.stderr)
    true_loss, coords = evaluate(args, extra)
    key = f"noisy_function|{args.function}|{args.seed}|{args.noise!r}|" + "|".join(
        f"{k}={v!r}" for k, v in sorted(coords.items()))
    rng = random.Random(key)  # str seeds are hashed with sha512: the same in every process
    path = os.environ.get("SWEEPER_METRICS")
    out = open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
    try:
        for step in range(1, max(args.steps, 1) + 1):
            loss = true_loss + args.noise * rng.gauss(0.0, 1.0) / math.sqrt(step)
            line = json.dumps({"step": step, "loss": loss, "true_loss": true_loss})
            if out is not None:
                out.write(line + "\n")
            print(line, flush=True)
            if args.sleep > 0:
                time.sleep(args.sleep)
    finally:
        if out is not None:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
