"""Synthetic problems with a known optimum: smooth, multimodal, ill-conditioned, with plateaus,
noisy, integer- and categorical-heavy, log-scaled; 2 to 12 dimensions.

Noise levels are set against the function's spread over its first random points, as the
seed-to-seed variance of a real training run is against a sweep's spread: a few percent.
"""

from __future__ import annotations

import math

import numpy as np

from .problem import Problem, categorical, integer, log_uniform, uniform

# Hartmann 6-D (Dixon & Szego; the published table)
_HA = np.array([1.0, 1.2, 3.0, 3.2])
_HA_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_HA_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])


def _vec(p, n, prefix="x"):
    return np.array([p[f"{prefix}{i}"] for i in range(1, n + 1)], dtype=float)


def _box(n, lo, hi, prefix="x"):
    return {f"{prefix}{i}": uniform(lo, hi) for i in range(1, n + 1)}


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(p):
    x = _vec(p, 6)
    return float(-(_HA * np.exp(-((_HA_A * (x - _HA_P) ** 2).sum(1)))).sum())


def ackley(x):
    d = len(x)
    return float(-20 * np.exp(-0.2 * np.sqrt((x ** 2).sum() / d))
                 - np.exp(np.cos(2 * np.pi * x).sum() / d) + 20 + math.e)


def levy(x):
    w = 1 + (x - 1) / 4
    return float(np.sin(np.pi * w[0]) ** 2
                 + ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2)).sum()
                 + (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2))


def rosenbrock(x):
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def styblinski_tang(x):
    return float(0.5 * (x ** 4 - 16 * x ** 2 + 5 * x).sum())


_ROT = np.linalg.qr(np.random.default_rng(7).normal(size=(6, 6)))[0]
_ELL_SHIFT = np.random.default_rng(8).uniform(-0.5, 0.5, 12)


def rotated_ellipsoid(p):
    """A quadratic with condition number 1e3, its axes rotated off the parameters' axes."""
    z = _ROT @ (_vec(p, 6) - 0.3)
    return float((10 ** (3 * np.arange(6) / 5) * z ** 2).sum())


def ellipsoid12(p):
    """12 parameters of very different importance (scales 1 to 1e4), off-centre optimum."""
    x = _vec(p, 12) - _ELL_SHIFT
    return float((10 ** (4 * np.arange(12) / 11) * x ** 2).sum() / 1e3)


def plateau5(p):
    """Steps: the value changes only across a grid of 0.5-wide cells (a quantized metric)."""
    x = _vec(p, 5)
    return float((np.floor(np.abs(x - 0.7) * 2) ** 2 * np.array([1, 2, 3, 4, 5])).sum())


def log5(p):
    """Five log-scaled parameters (learning rate, weight decay, eps, ...) whose good values sit
    at different decades, with an interaction between the first two."""
    u = np.log10([p["lr"], p["wd"], p["eps"], p["momentum_1m"], p["warmup_frac"]])
    c = np.array([-3.2, -4.5, -7.0, -1.3, -1.6])
    d = u - c
    return float((d ** 2 * np.array([1.0, 0.3, 0.05, 0.6, 0.2])).sum() + 0.5 * d[0] * d[1] + 0.0)


def int6(p):
    """Integer-heavy: layer counts, widths, patience, batch exponent (all ints) and a rate."""
    layers, width, heads, patience, bexp = p["layers"], p["width"], p["heads"], p["patience"], p["batch_exp"]
    return float(0.08 * (layers - 7) ** 2 + ((width - 180) / 60) ** 2 + 0.3 * (heads - 3) ** 2
                 + 0.02 * (patience - 12) ** 2 + 0.4 * (bexp - 6) ** 2
                 + 0.05 * (layers - 7) * (bexp - 6) + 4 * (p["dropout"] - 0.2) ** 2)


_CAT_EFFECT = {"optimizer": {"sgd": 0.5, "adam": 0.0, "adamw": 0.05, "rmsprop": 0.3, "adagrad": 0.8},
               "activation": {"relu": 0.1, "gelu": 0.0, "tanh": 0.4, "silu": 0.05},
               "norm": {"batch": 0.0, "layer": 0.1, "none": 0.6},
               "scheduler": {"cosine": 0.0, "step": 0.15, "constant": 0.35, "linear": 0.1},
               "init": {"xavier": 0.2, "kaiming": 0.0, "normal": 0.5}}


def cat6(p):
    """Categorical-heavy: five categoricals with main effects and two interactions, one rate."""
    v = sum(_CAT_EFFECT[k][p[k]] for k in _CAT_EFFECT)
    if p["optimizer"] == "sgd" and p["scheduler"] == "cosine":
        v -= 0.6                        # sgd is best, but only with cosine
    if p["norm"] == "none" and p["init"] == "kaiming":
        v -= 0.35
    center = -1.5 if p["optimizer"] == "sgd" else -3.0
    return float(v + 0.2 * (math.log10(p["lr"]) - center) ** 2)


_CENTER = {"adam": -3.0, "sgd": -1.5, "rmsprop": -2.5}
_OFFSET = {"adam": 0.0, "sgd": 0.15, "rmsprop": 0.05}


def mixed(p):
    o = p["optimizer"]
    return (_OFFSET[o] + 0.3 * (math.log10(p["lr"]) - _CENTER[o]) ** 2
            + 0.02 * (p["layers"] - 5) ** 2 + 2.0 * (p["dropout"] - 0.15) ** 2
            + 0.05 * abs(math.log2(p["batch_size"]) - 6) + (0.0 if p["warmup"] else 0.1))


_MIXED = {"lr": log_uniform(1e-5, 1.0), "layers": integer(1, 12), "dropout": uniform(0, 0.6),
          "batch_size": categorical([16, 32, 64, 128, 256]),
          "optimizer": categorical(["sgd", "adam", "rmsprop"]), "warmup": categorical([True, False])}

SYNTHETIC = {
    "branin": Problem(_box(0, 0, 0) | {"x1": uniform(-5, 10), "x2": uniform(0, 15)}, branin,
                      0.397887, "dev", "smooth 2-D, three optima"),
    "hartmann6": Problem(_box(6, 0, 1), hartmann6, -3.32237, "dev", "multimodal 6-D"),
    "hartmann6_noisy": Problem(_box(6, 0, 1), hartmann6, -3.32237, "held-out",
                               "multimodal 6-D, noise sd 0.05", noise=0.05),
    "ackley4": Problem(_box(4, -5, 10), lambda p: ackley(_vec(p, 4)), 0.0, "dev",
                       "multimodal 4-D, rugged"),
    "levy8": Problem(_box(8, -10, 10), lambda p: levy(_vec(p, 8)), 0.0, "held-out",
                     "multimodal 8-D"),
    "styblinski_tang5": Problem(_box(5, -5, 5), lambda p: styblinski_tang(_vec(p, 5)),
                                -39.16617 * 5, "dev", "multimodal 5-D, 2^5 local optima"),
    "rosenbrock4": Problem(_box(4, -2, 2), lambda p: rosenbrock(_vec(p, 4)), 0.0, "held-out",
                           "ill-conditioned curved valley 4-D"),
    "rotated_ellipsoid6": Problem(_box(6, -1, 1), rotated_ellipsoid, 0.0, "dev",
                                  "ill-conditioned quadratic, rotated axes, 6-D"),
    "ellipsoid12": Problem(_box(12, -1, 1), ellipsoid12, 0.0, "held-out",
                           "12-D, parameters of very different importance"),
    "plateau5": Problem(_box(5, 0, 3), plateau5, 0.0, "held-out", "plateaus 5-D"),
    "log5": Problem({"lr": log_uniform(1e-6, 1), "wd": log_uniform(1e-8, 1e-1),
                     "eps": log_uniform(1e-10, 1e-4), "momentum_1m": log_uniform(1e-3, 0.5),
                     "warmup_frac": log_uniform(1e-3, 0.5)}, log5, 0.0, "held-out",
                    "five log-scaled parameters"),
    "int6": Problem({"layers": integer(1, 16), "width": integer(16, 512), "heads": integer(1, 8),
                     "patience": integer(1, 30), "batch_exp": integer(3, 10),
                     "dropout": uniform(0, 0.6)}, int6, 0.0, "dev", "integer-heavy 6-D"),
    "cat6": Problem({k: categorical(v) for k, v in _CAT_EFFECT.items()}
                    | {"lr": log_uniform(1e-5, 1)}, cat6, -0.1,
                    "held-out", "categorical-heavy: 5 categoricals, interactions"),
    "mixed": Problem(_MIXED, mixed, 0.0, "dev", "mixed types with a conditional optimum"),
    "mixed_noisy": Problem(_MIXED, mixed, 0.0, "held-out", "mixed, noise sd 0.02", noise=0.02),
}
