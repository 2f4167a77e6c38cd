"""Optuna's samplers: TPE (multivariate=True) and GP (GPSampler), ask-and-tell."""

import sys

import optuna
from common import main

SAMPLER = sys.argv.pop(1) if __name__ == "__main__" else None  # "tpe" or "gp"
optuna.logging.set_verbosity(optuna.logging.WARNING)


def distribution(spec):
    d = spec["distribution"]
    D = optuna.distributions
    if d == "categorical":
        return D.CategoricalDistribution(spec["values"])
    if d == "int_uniform":
        return D.IntDistribution(spec["min"], spec["max"])
    if d == "q_uniform":  # W&B's round(x / q) * q: Optuna's step, an int when all three are
        lo, hi, q = spec["min"], spec["max"], spec["q"]
        if all(float(v).is_integer() for v in (lo, hi, q)):
            return D.IntDistribution(int(lo), int(hi), step=int(q))
        return D.FloatDistribution(lo, hi, step=q)
    return D.FloatDistribution(spec["min"], spec["max"], log=d == "log_uniform_values")


class Optuna:
    def __init__(self, problem, seed):
        if SAMPLER == "tpe":
            sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
        else:
            sampler = optuna.samplers.GPSampler(seed=seed)
        self.study = optuna.create_study(sampler=sampler)
        self.space = {k: distribution(s) for k, s in problem["parameters"].items()}
        self.trial = None

    def preload(self, done):
        for p, v in done:
            self.study.add_trial(optuna.trial.create_trial(params=p, distributions=self.space,
                                                           value=v))

    def ask(self):
        self.trial = self.study.ask(self.space)
        return dict(self.trial.params)

    def tell(self, params, value):
        self.study.tell(self.trial, value)


if __name__ == "__main__":
    main(Optuna)
