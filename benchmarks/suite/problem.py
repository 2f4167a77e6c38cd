"""What a suite problem is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Problem:
    parameters: dict
    truth: Callable[[dict], float]
    optimum: float | None
    split: str                      # "dev" or "held-out"
    kind: str                       # a few words: what the problem stands for
    noise: float = 0.0              # standard deviation of the noise added to each observation
    budget: int | None = None       # runs per sweep, where the suite's --runs would cost too much
    cache: dict = field(default_factory=dict, repr=False)

    def observe(self, params: dict, rng) -> float:
        value = self.value(params)
        return value + self.noise * float(rng.normal()) if self.noise else value

    def value(self, params: dict) -> float:
        """truth(params), remembered: model-tuning problems cost a fit per call."""
        key = tuple(sorted((k, repr(v)) for k, v in params.items()))
        if key not in self.cache:
            if len(self.cache) > 20000:
                self.cache.clear()
            self.cache[key] = float(self.truth(params))
        return self.cache[key]


def uniform(lo, hi):
    return {"distribution": "uniform", "min": float(lo), "max": float(hi)}


def log_uniform(lo, hi):
    return {"distribution": "log_uniform_values", "min": float(lo), "max": float(hi)}


def integer(lo, hi):
    return {"distribution": "int_uniform", "min": int(lo), "max": int(hi)}


def categorical(values):
    return {"distribution": "categorical", "values": list(values)}
