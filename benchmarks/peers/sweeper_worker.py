"""sweeper's bayes and random search, run in the package's own virtualenv."""

import importlib
import json
import os
import sys

import numpy as np
from common import main

from sweeper.search import bayes
from sweeper.sweepfile.space import Space

METHOD = sys.argv.pop(1)  # "bayes" or "random"

# A variant of the method for a design choice (search_suite.py VARIANTS): module constants.
for key, value in json.loads(os.environ.get("SWEEPER_BAYES_OVERRIDES", "{}")).items():
    module, name = key.split(".")
    setattr(importlib.import_module(f"sweeper.search.{module}"), name, value)


class Sweeper:
    def __init__(self, problem, seed):
        self.space = Space(problem["parameters"])
        self.seed, self.history = seed, []
        self.config = {"metric": {"name": "loss", "goal": "minimize", "impute": "worst"}}

    def preload(self, done):
        for p, v in done:
            self.tell(p, v)

    def ask(self):
        # as the store does: a generator per sweep and run position
        rng = np.random.default_rng([self.seed, len(self.history)])
        if METHOD == "random":
            params = self.space.sample(rng)
        else:
            params = bayes.suggest(self.space, self.config, self.history, rng,
                                   design=(self.seed, len(self.history)))
        # running until told: a pending point for the next asks (parallel agents)
        self.history.append({"params": params, "state": "running", "best_value": None,
                             "summary": {}, "superseded": False, "number": len(self.history)})
        return params

    def tell(self, params, value, state="finished"):
        run = next((r for r in self.history if r["params"] is params), None)
        if run is None:
            run = {"params": params, "superseded": False, "number": len(self.history)}
            self.history.append(run)
        run.update(state=state, best_value=value, summary={"loss": value})

    def tell_stopped(self, params, value, steps=None):
        """A run hyperband stopped: its best value at the band where it stopped."""
        self.tell(params, value, "stopped")


if __name__ == "__main__":
    main(Sweeper)
