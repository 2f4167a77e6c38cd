"""A learning-curve problem for early termination: a validation loss per epoch that looks like
real training, deterministic in (params, seed), plain Python so every peer's virtualenv runs it.

Four parameters (log learning rate, width, dropout, warmup as a categorical). The final loss
depends on them with interactions; the curve falls towards it as a power law whose speed also
depends on them, so early values predict final ones, but not perfectly: a high learning rate
starts fast and ends worse (curves cross), as in real training.
"""

from __future__ import annotations

import math
import random

EPOCHS = 27
PARAMETERS = {
    "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1.0},
    "width": {"distribution": "int_uniform", "min": 16, "max": 512},
    "dropout": {"distribution": "uniform", "min": 0.0, "max": 0.7},
    "warmup": {"distribution": "categorical", "values": [True, False]},
}
TARGET = 0.22  # a loss reached by about 1 in 200 random configurations within 27 epochs


def final_loss(p: dict) -> float:
    u = math.log10(p["lr"])
    best_u = -2.5 if p["warmup"] else -3.0
    return (0.1 + 0.08 * (u - best_u) ** 2 + 0.05 * math.log2(p["width"] / 160) ** 2 / 4
            + 0.4 * (p["dropout"] - 0.2) ** 2 + (0.0 if p["warmup"] else 0.02))


def curve(p: dict, seed: int, epochs: int = EPOCHS) -> list[float]:
    """The validation loss after each epoch."""
    final = final_loss(p)
    u = math.log10(p["lr"])
    speed = min(1.2, max(0.25, 0.6 + 0.25 * (u + 3)))  # high learning rates converge faster...
    start = final + 1.5
    rng = random.Random(hash((round(u, 9), p["width"], round(p["dropout"], 9), p["warmup"], seed)) & 0xFFFFFFFF)
    return [final + (start - final) * (e + 1) ** (-speed) + rng.gauss(0, 0.005) for e in range(epochs)]
