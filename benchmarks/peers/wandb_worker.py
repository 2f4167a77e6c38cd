"""W&B's bayes search from its open-source `sweeps` package (sweeps.next_run)."""

import warnings

warnings.filterwarnings("ignore")

import numpy as np
import sweeps
from common import main


class WandbBayes:
    def __init__(self, problem, seed):
        np.random.seed(seed)  # sweeps draws its candidates from numpy's global generator
        self.config = {"method": "bayes", "metric": {"name": "loss", "goal": "minimize"},
                       "parameters": problem["parameters"]}
        self.runs = []

    def preload(self, done):
        for p, v in done:
            self.tell(p, v)

    def ask(self):
        run = sweeps.next_run(self.config, self.runs, validate=False)
        return {k: v["value"] for k, v in run.config.items()}

    def tell(self, params, value):
        self.runs.append(sweeps.SweepRun(
            name=f"r{len(self.runs)}", state=sweeps.RunState.finished,
            config={k: {"value": v} for k, v in params.items()},
            summary_metrics={"loss": value}, history=[{"loss": value}]))


if __name__ == "__main__":
    main(WandbBayes)
