"""A synthetic training run for results tests: the loss depends strongly on x, not at all on y.

Reads --key=value arguments (as sweeper passes parameters) and appends one JSON line per
step to $SWEEPER_METRICS: {"step": i, "loss": ..., "acc": ..., "val": {"loss": ...}}.

  x, y      the loss is 10 * (x - 0.3)^2 + 1 / (i + 1), plus noise; y is ignored on purpose
  noise     size of the noise (default 0.01), drawn from a generator seeded by x and y
  scale     the loss is multiplied by it (default 1): a metric in odd units
  lines     how many lines to write (default 5)
  mode      ok (default); nan: the loss is NaN on every line; silent: write nothing and
            exit 0; fail: write two lines, then exit 1
  sleep     seconds to wait after each line (default 0), for runs that are still running
  opt       any string, only recorded (it names a category in tests)
Standard library only, so it runs anywhere a test does.
"""
import json
import os
import random
import sys
import time

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
x, y = float(args.get("x", 0)), float(args.get("y", 0))
noise, lines, mode = float(args.get("noise", 0.01)), int(args.get("lines", 5)), args.get("mode", "ok")
pause, scale = float(args.get("sleep", 0)), float(args.get("scale", 1))
rng = random.Random(f"{x}:{y}")

if mode == "silent":
    sys.exit(0)
with open(os.environ["SWEEPER_METRICS"], "a", buffering=1) as f:
    for i in range(lines):
        if mode == "fail" and i == 2:
            print("diverged: giving up", file=sys.stderr)
            sys.exit(1)
        loss = float("nan") if mode == "nan" else scale * (10 * (x - 0.3) ** 2 + 1 / (i + 1) + noise * rng.random())
        # json.dumps writes NaN as the token NaN, as Python programs do.
        f.write(json.dumps({"step": i, "loss": loss, "acc": 1 - loss, "val": {"loss": loss * 1.1}}) + "\n")
        time.sleep(pause)
