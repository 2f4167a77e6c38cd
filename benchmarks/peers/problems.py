"""The benchmark problems, in plain Python so that every peer's virtualenv can import them.

Each problem: W&B-format `parameters`, the objective on a nested params dict (minimized), and
its known optimum, so regret = best value found - optimum.
"""

from __future__ import annotations

import math

# Hartmann 6-D constants (Dixon & Szego's test function; the published table).
_HA = [1.0, 1.2, 3.0, 3.2]
_HA_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
         [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_HA_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def branin(p: dict) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(p: dict) -> float:
    x = [p[f"x{i}"] for i in range(1, 7)]
    total = 0.0
    for alpha, a, pp in zip(_HA, _HA_A, _HA_P):
        total -= alpha * math.exp(-sum(a[j] * (x[j] - pp[j] * 1e-4) ** 2 for j in range(6)))
    return total


# A stand-in for a training run: a learning rate whose best value depends on the optimizer,
# a layer count, dropout, a batch size (categorical numbers) and a bool. Optimum 0.
_CENTER = {"adam": -3.0, "sgd": -1.5, "rmsprop": -2.5}
_OFFSET = {"adam": 0.0, "sgd": 0.15, "rmsprop": 0.05}


def mixed(p: dict) -> float:
    o = p["optimizer"]
    return (_OFFSET[o]
            + 0.3 * (math.log10(p["lr"]) - _CENTER[o]) ** 2
            + 0.02 * (p["layers"] - 5) ** 2
            + 2.0 * (p["dropout"] - 0.15) ** 2
            + 0.05 * abs(math.log2(p["batch_size"]) - 6)
            + (0.0 if p["warmup"] else 0.1))


PROBLEMS = {
    "branin": {
        "parameters": {"x1": {"distribution": "uniform", "min": -5.0, "max": 10.0},
                       "x2": {"distribution": "uniform", "min": 0.0, "max": 15.0}},
        "objective": branin, "optimum": 0.397887,
    },
    "hartmann6": {
        "parameters": {f"x{i}": {"distribution": "uniform", "min": 0.0, "max": 1.0}
                       for i in range(1, 7)},
        "objective": hartmann6, "optimum": -3.32237,
    },
    "mixed": {
        "parameters": {
            "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1.0},
            "layers": {"distribution": "int_uniform", "min": 1, "max": 12},
            "dropout": {"distribution": "uniform", "min": 0.0, "max": 0.6},
            "batch_size": {"distribution": "categorical", "values": [16, 32, 64, 128, 256]},
            "optimizer": {"distribution": "categorical", "values": ["sgd", "adam", "rmsprop"]},
            "warmup": {"distribution": "categorical", "values": [True, False]},
        },
        "objective": mixed, "optimum": 0.0,
    },
}
