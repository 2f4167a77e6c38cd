"""A slow learning curve for early-termination tests: loss = base / (i + 1), one line per tick."""
import json
import os
import sys
import time

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
base, lines, tick = float(args.get("base", 1)), int(args.get("lines", 10)), float(args.get("tick", 0.2))
maximize = args.get("maximize") == "True"
with open(os.environ["SWEEPER_METRICS"], "a", buffering=1) as f:
    for i in range(lines):
        loss = base / (i + 1)
        f.write(json.dumps({"step": i, "loss": loss, "acc": -loss, "t": time.time()}) + "\n")
        time.sleep(tick)
