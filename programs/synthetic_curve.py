"""A simulated training run: a learning curve shaped by its hyperparameters, in milliseconds.

    python programs/synthetic_curve.py --lr=0.003 --batch_size=64 --dropout=0.2 --epochs=10

No torch, no data, standard library only; used by demos, tests and benchmarks where the real
CNN would be too slow. It behaves like a real run where a sweep can see it:

- each hyperparameter has a sweet spot: lr near 1e-3 for adam/adamw (3e-2 for sgd; far too
  high and the run diverges), batch_size near 64, dropout near 0.2, width near 96;
- the error falls towards a floor set by those distances at a speed set by lr (a small lr
  learns slowly), so a run's early quality predicts its final quality (what hyperband needs),
  with a little crossing of curves;
- too little dropout overfits: val_loss creeps up late while train_loss keeps falling;
- Gaussian noise on every value, deterministic given --seed and the parameters.

Each epoch appends {"epoch", "train_loss", "val_loss", "val_acc", "best_val_acc"} to
$SWEEPER_METRICS (printed when it is unset). Seed 000's names are accepted too
(--dropout_p, --optim_type, --hidden_layer_width, --project_name), so the seed's sweep can be
run against this program for a quick check. --sleep adds a pause per epoch; --fail_epoch
makes the run crash at that epoch (exit 1), to try failure handling.
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

BEST_LOG10_LR = {"adam": -3.0, "adamw": -3.0, "sgd": -1.5}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="synthetic_curve.py", allow_abbrev=False,
                                description="A simulated learning curve (stdlib only, milliseconds).")
    p.add_argument("--lr", "--learning_rate", dest="lr", type=float, default=1e-3)
    p.add_argument("--batch_size", type=argtypes.integer, default=64)
    p.add_argument("--dropout", "--dropout_p", dest="dropout", type=float, default=0.2)
    p.add_argument("--width", "--hidden_layer_width", dest="width", type=argtypes.integer, default=64)
    p.add_argument("--optimizer", "--optim_type", dest="optimizer", type=str.lower,
                   choices=sorted(BEST_LOG10_LR), default="adam")
    p.add_argument("--epochs", type=argtypes.integer, default=10)
    p.add_argument("--seed", type=argtypes.optional(argtypes.integer), default=0)
    p.add_argument("--noise", type=float, default=0.01, help="std of the Gaussian noise on val_acc")
    p.add_argument("--sleep", type=float, default=0.0, help="seconds to wait after each epoch")
    p.add_argument("--fail_epoch", type=argtypes.optional(argtypes.integer), default=None,
                   help="crash (exit 1) at this epoch")
    p.add_argument("--project_name", default=None, help="accepted and ignored")
    return argtypes.parse(p, argv)


def curve_shape(lr: float, batch_size: int, dropout: float, width: int, optimizer: str):
    """(error floor, epochs to converge, diverged) for these hyperparameters."""
    best = BEST_LOG10_LR[optimizer]
    log_lr = math.log10(max(lr, 1e-12))
    lr_term = ((log_lr - best) / 1.2) ** 2
    bs_term = 0.06 * ((math.log2(max(batch_size, 1)) - 6.0) / 2.0) ** 2
    drop_term = 2.0 * (min(max(dropout, 0.0), 1.0) - 0.2) ** 2
    width_term = 0.08 * math.log2(max(width, 1) / 96.0) ** 2
    floor = 0.015 + 0.6 * (1.0 - math.exp(-(0.35 * lr_term + bs_term + drop_term + width_term)))
    tau = 2.0 * math.sqrt(10 ** best / max(lr, 1e-12)) * (max(batch_size, 1) / 64.0) ** 0.3
    tau = min(max(tau, 0.4), 200.0)
    diverged = log_lr > best + 2.2
    return floor, tau, diverged


def simulate(args):
    """The rows of the run, one per epoch."""
    floor, tau, diverged = curve_shape(args.lr, args.batch_size, args.dropout, args.width, args.optimizer)
    key = (f"synthetic_curve|{args.seed}|{args.lr!r}|{args.batch_size}|{args.dropout!r}|{args.width}|"
           f"{args.optimizer}|{args.noise!r}")
    rng = random.Random(key)  # str seeds are hashed with sha512: the same in every process
    overfit = max(0.0, 0.2 - args.dropout) * 0.04
    best = -1.0
    for epoch in range(1, args.epochs + 1):
        if diverged:
            err = 0.9 - 0.02 * rng.random()
            train_err = err
        else:
            err = floor + (0.9 - floor) * math.exp(-epoch / tau)
            train_err = max(0.0, err - 0.03 - overfit * epoch)
        val_acc = min(1.0, max(0.0, 1.0 - err + rng.gauss(0.0, args.noise)))
        val_loss = -math.log(max(1.0 - err, 1e-3)) + overfit * max(0, epoch - 3) + abs(rng.gauss(0.0, args.noise))
        train_loss = -math.log(max(1.0 - train_err, 1e-3)) + abs(rng.gauss(0.0, args.noise / 2))
        best = max(best, val_acc)
        yield {"epoch": epoch, "train_loss": round(train_loss, 6), "val_loss": round(val_loss, 6),
               "val_acc": round(val_acc, 6), "best_val_acc": round(best, 6)}


def main(argv=None) -> int:
    args = parse_args(argv)
    path = os.environ.get("SWEEPER_METRICS")
    out = open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
    print(f"synthetic curve: lr={args.lr} batch_size={args.batch_size} dropout={args.dropout} width={args.width} "
          f"optimizer={args.optimizer} epochs={args.epochs} seed={args.seed}", flush=True)
    try:
        for row in simulate(args):
            if args.fail_epoch is not None and row["epoch"] == args.fail_epoch:
                print(f"failing at epoch {row['epoch']} (--fail_epoch)", file=sys.stderr, flush=True)
                return 1
            line = json.dumps(row)
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
