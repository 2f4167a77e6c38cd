"""A run of realistic length without the training: one metric line per epoch for --seconds
seconds (--epochs lines), sleeping in between. Parameters from the sweep (--seconds=S)."""
import json
import os
import sys
import time

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
seconds, epochs = float(args.get("seconds", 5)), int(args.get("epochs", 5))
path = os.environ.get("SWEEPER_METRICS")
with open(path or os.devnull, "a") as f:
    for epoch in range(epochs):
        time.sleep(seconds / epochs)
        f.write(json.dumps({"epoch": epoch, "loss": 1.0 / (epoch + 1)}) + "\n")
        f.flush()
