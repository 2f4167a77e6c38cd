"""sweeper's bayes and random search, run in the package's own virtualenv."""

import sys

import numpy as np
from common import main

from sweeper.search import bayes
from sweeper.sweepfile.space import Space

METHOD = sys.argv.pop(1)  # "bayes" or "random"


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
            return self.space.sample(rng)
        return bayes.suggest(self.space, self.config, self.history, rng)

    def tell(self, params, value):
        self.history.append({"params": params, "state": "finished", "best_value": value,
                             "summary": {"loss": value}, "superseded": False,
                             "number": len(self.history)})


if __name__ == "__main__":
    main(Sweeper)
