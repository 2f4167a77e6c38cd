"""A training run in miniature: a validation loss curve that looks like real training.

Each trial's hyperparameters (learning rate, width) come from --trial and --seed, so two
sweeps over the same trials run the same runs. Its final loss depends on them; the curve
falls towards it as a power law with noise, so early quality predicts final quality, but
not perfectly (slow starters exist). One metric line per epoch, `tick` seconds per epoch.
"""
import json
import math
import os
import random
import sys
import time

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
trial, seed = int(args.get("trial", 0)), int(args.get("seed", 0))
epochs, tick = int(args.get("epochs", 27)), float(args.get("tick", 0.02))
rng = random.Random(seed * 100_003 + trial)
log_lr = rng.uniform(-5, -1)
width = rng.choice([16, 32, 64, 128, 256, 512])
final = 0.1 + 0.12 * (log_lr + 3) ** 2 + 0.04 * abs(math.log2(width / 128)) + rng.gauss(0, 0.03)
start = final + rng.uniform(1.0, 2.0)
speed = rng.uniform(0.5, 1.0)  # how fast this run converges
noise = random.Random(seed * 7 + trial * 13)
with open(os.environ["SWEEPER_METRICS"], "a", buffering=1) as f:
    for e in range(epochs):
        loss = final + (start - final) * (e + 1) ** (-speed) + noise.gauss(0, 0.01)
        f.write(json.dumps({"epoch": e, "val_loss": loss}) + "\n")
        time.sleep(tick)
