"""A slow learning curve for early-termination tests: loss = base / (i + 1), one line per tick.

--hold=S keeps a run whose base is at least --hold_base running S seconds after its last line
(a run that has said all it will say, waiting on something else).
"""
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
if base >= float(args.get("hold_base", "inf")):
    time.sleep(float(args.get("hold", 0)))
