"""The peer of `sweeper ui`: an Optuna study as big as ui_scale.py's sweep, for optuna-dashboard.

Run with the peer's own Python (benchmarks/.venvs/optuna-dashboard: optuna, optuna-dashboard):

    python optuna_dashboard_study.py STORAGE_URL RUNS LINES

It adds RUNS finished trials to a new study (8 parameters of the same kinds as ui_scale.py's
sweep: log-scaled, categorical, integer, uniform), each with LINES intermediate values (what
optuna-dashboard plots as learning curves), through Optuna's own API, and prints the study's ID.
"""

from __future__ import annotations

import math
import random
import sys

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def main(storage: str, runs: int, lines: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, study_name="scale", direction="minimize")
    dists = {"lr": FloatDistribution(1e-5, 0.1, log=True), "weight_decay": FloatDistribution(1e-6, 0.01, log=True),
             "batch_size": CategoricalDistribution([16, 32, 64, 128]),
             "optimizer": CategoricalDistribution(["adam", "sgd", "adamw"]), "dropout": FloatDistribution(0.0, 0.5),
             "layers": IntDistribution(1, 8), "model.width": CategoricalDistribution([128, 256, 512]),
             "model.activation": CategoricalDistribution(["relu", "gelu", "tanh"])}
    rng = random.Random(0)
    trials = []
    for _ in range(runs):
        params = {k: (rng.choice(d.choices) if isinstance(d, CategoricalDistribution) else
                      (rng.randint(d.low, d.high) if isinstance(d, IntDistribution) else
                       (math.exp(rng.uniform(math.log(d.low), math.log(d.high))) if d.log else
                        rng.uniform(d.low, d.high)))) for k, d in dists.items()}
        quality = abs(math.log10(params["lr"]) + 3) + params["dropout"]
        values = {s: quality + 2.0 / (s + 1) + rng.random() * 0.05 for s in range(lines)}
        trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=min(values.values()),
                                                intermediate_values=values))
    study.add_trials(trials)
    print(study._study_id)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
