"""Writes one metric line and exits: the smallest real run."""
import json
import os

path = os.environ.get("SWEEPER_METRICS")
if path:
    with open(path, "a") as f:
        f.write(json.dumps({"loss": 1.0}) + "\n")
