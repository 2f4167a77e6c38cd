"""Search quality of the bayes method with fixed seeds: what it must do, not how fast.

Better than random at equal budget on a multimodal, a mixed-type and a network-shaped problem, no duplicate
suggestions, pending runs respected by a batch of concurrent agents (no collapse), and runs
stopped by hyperband informing the model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeper.search import bayes, unit_cube
from sweeper.sweepfile.space import Space

MIN = {"name": "loss", "goal": "minimize", "impute": "worst", "impute_while_running": "false"}
U = {"distribution": "uniform", "min": 0.0, "max": 1.0}


def run(params, value, state="finished", number=0):
    return {"params": params, "state": state, "best_value": value, "number": number,
            "summary": {"loss": value} if value is not None else {}, "superseded": False}


_HA = np.array([1.0, 1.2, 3.0, 3.2])
_HA_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_HA_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])


def hartmann6(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-(_HA * np.exp(-((_HA_A * (x - _HA_P) ** 2).sum(1)))).sum())


def mixed(p):
    center = {"adam": -3.0, "sgd": -1.5}[p["optimizer"]]
    return (0.3 * (math.log10(p["lr"]) - center) ** 2 + 0.02 * (p["layers"] - 5) ** 2
            + (0.0 if p["warmup"] else 0.1) + (0.1 if p["optimizer"] == "sgd" else 0.0))


WIDTHS = [16, 32, 48, 64, 80, 96, 112, 128]


def network(p):
    """A training run's shape (seed 000's CNN): widths as a categorical of 8 numbers, the
    optimizer deciding the good learning rates, a stepped batch size, dropout."""
    center = {"adam": -3.0, "adamw": -3.0, "sgd": -1.5}[p["optimizer"]]
    return (min(1.0, 0.1 * (math.log10(p["lr"]) - center) ** 2) + 0.03 * abs(math.log2(p["width"] / 96))
            + 0.1 * (p["dropout"] - 0.2) ** 2 + 0.02 * abs(p["batch_size"] - 64) / 192)


PROBLEMS = {
    "hartmann6": (Space({f"x{i}": U for i in range(6)}), hartmann6),
    "mixed": (Space({"lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1.0},
                     "layers": {"distribution": "int_uniform", "min": 1, "max": 12},
                     "optimizer": {"distribution": "categorical", "values": ["adam", "sgd"]},
                     "warmup": {"distribution": "categorical", "values": [True, False]}}), mixed),
    "network": (Space({"optimizer": {"distribution": "categorical", "values": ["adam", "sgd", "adamw"]},
                       "width": {"distribution": "categorical", "values": WIDTHS},
                       "lr": {"distribution": "log_uniform_values", "min": 1e-6, "max": 0.1},
                       "batch_size": {"distribution": "q_uniform", "q": 8, "min": 32, "max": 256},
                       "dropout": {"distribution": "uniform", "min": 0.0, "max": 0.6}}), network),
}


def drive(space, f, n, seed):
    history = []
    for i in range(n):
        p = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng([seed, i]))
        history.append(run(p, f(p), number=i))
    return history


@pytest.mark.parametrize("name", PROBLEMS)
def test_better_than_random_at_equal_budget(name):
    space, f = PROBLEMS[name]
    ours = [min(r["best_value"] for r in drive(space, f, 25, seed)) for seed in range(3)]
    rand = [min(f(space.sample(np.random.default_rng([seed, i]))) for i in range(25)) for seed in range(3)]
    assert sum(o < r for o, r in zip(ours, rand)) >= 2, (ours, rand)
    assert np.median(ours) < np.median(rand)


def test_no_duplicate_suggestions():
    space, f = PROBLEMS["mixed"]
    history = drive(space, f, 30, seed=5)
    keys = [tuple(sorted(r["params"].items())) for r in history]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("agents", [4, 8])
def test_a_batch_of_pending_runs_does_not_collapse(agents):
    """agents ask one after another while none has finished: each sees the others as pending
    and goes elsewhere, yet stays where the model expects good values (better than random)."""
    space, f = PROBLEMS["hartmann6"]
    history = drive(space, f, 15, seed=1)
    cols = unit_cube.Columns(space.searchable)
    start = len(history)
    for i in range(agents):
        p = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng([1, start + i]))
        history.append(run(p, None, "running", start + i))
    batch = cols.encode([space.flatten(r["params"]) for r in history[start:]])
    gaps = np.linalg.norm(batch[:, None] - batch[None], axis=2)[np.triu_indices(agents, 1)]
    assert gaps.min() >= bayes.MIN_SEPARATION * 0.999
    assert np.median(gaps) > 0.1  # spread out, not a cloud around one point
    values = [f(r["params"]) for r in history[start:]]
    rand = [f(space.sample(np.random.default_rng([9, i]))) for i in range(200)]
    assert np.median(values) < np.median(rand)


def test_kriging_believer_lowers_the_acquisition_at_a_pending_point():
    space, f = PROBLEMS["hartmann6"]
    history = drive(space, f, 15, seed=2)
    first = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(0))
    history.append(run(first, None, "running", len(history)))
    second = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(0))
    cols = unit_cube.Columns(space.searchable)
    a, b = cols.encode([space.flatten(first), space.flatten(second)])
    assert np.linalg.norm(a - b) > bayes.MIN_SEPARATION


def test_runs_stopped_by_hyperband_inform_the_model(monkeypatch):
    """Finished runs only in x < 0.5 and improving towards 0.5: the model extrapolates the
    improvement past 0.5. Runs that hyperband stopped in x > 0.55 with bad values say the
    region is poor: with them the next suggestion stays out of it; left out, it goes there."""
    space = Space({"x": U, "y": U})
    history = [run({"x": x, "y": y}, 1.0 - x + 0.2 * (y - 0.5) ** 2, number=i)
               for i, (x, y) in enumerate(np.random.default_rng(0).uniform([0, 0], [0.5, 1], (12, 2)))]
    stopped = [run({"x": x, "y": y}, 3.0, "stopped", number=12 + i)
               for i, (x, y) in enumerate(np.random.default_rng(1).uniform([0.55, 0], [1, 1], (8, 2)))]
    with_stopped = bayes.suggest(space, {"metric": MIN}, history + stopped, np.random.default_rng(3))
    assert with_stopped["x"] < 0.55
    monkeypatch.setattr(bayes, "STOPPED", "ignore")
    without = bayes.suggest(space, {"metric": MIN}, history + stopped, np.random.default_rng(3))
    assert without["x"] > 0.5
