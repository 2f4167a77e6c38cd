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
        self.runs, self.pending = [], []

    def preload(self, done):
        for p, v in done:
            self.tell(p, v)

    def ask(self):
        run = sweeps.next_run(self.config, self.runs, validate=False)
        params = {k: v["value"] for k, v in run.config.items()}
        # running until told: W&B's bayes counts running runs (as its controller sees them)
        self.runs.append(sweeps.SweepRun(name=f"r{len(self.runs)}", state=sweeps.RunState.running,
                                         config={k: {"value": v} for k, v in params.items()},
                                         summary_metrics={}, history=[]))
        self.pending.append((params, len(self.runs) - 1))
        return params

    def tell(self, params, value):
        index = next((i for p, i in self.pending if p is params), None)
        run = sweeps.SweepRun(
            name=f"r{len(self.runs)}", state=sweeps.RunState.finished,
            config={k: {"value": v} for k, v in params.items()},
            summary_metrics={"loss": value}, history=[{"loss": value}])
        if index is None:
            self.runs.append(run)
        else:
            self.runs[index] = run


if __name__ == "__main__":
    main(WandbBayes)
