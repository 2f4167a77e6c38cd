"""Random draws and grid axes of every distribution, with W&B's meaning."""

import math
from collections import Counter

import numpy as np
import pytest

from sweeper import sweepfile
from sweeper.search import grid
from sweeper.sweepfile.space import Space


def space_of(params: dict, method="random") -> Space:
    return sweepfile.load_dict({"method": method, "parameters": params}).space


def draws(spec: dict, n=4000, seed=0):
    sp = space_of({"p": spec})
    rng = np.random.default_rng(seed)
    return [sp.sample(rng)["p"] for _ in range(n)]


def test_int_uniform_is_inclusive_and_integer():
    xs = draws({"min": 1, "max": 4})
    assert set(xs) == {1, 2, 3, 4} and all(type(x) is int for x in xs)


def test_uniform_bounds():
    xs = draws({"min": -1.0, "max": 2.0})
    assert -1.0 <= min(xs) < -0.9 and 1.9 < max(xs) <= 2.0 and all(isinstance(x, float) for x in xs)


def test_q_uniform_rounds_and_keeps_int_type():
    xs = draws({"distribution": "q_uniform", "min": 32, "max": 256, "q": 8})
    assert all(type(x) is int and x % 8 == 0 and 32 <= x <= 256 for x in xs)
    counts = Counter(xs)
    # the ends get half weight (round(x/q)*q, as W&B)
    assert counts[32] < 0.75 * counts[64]
    fs = draws({"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.25})
    assert set(fs) <= {0.0, 0.25, 0.5, 0.75, 1.0} and all(isinstance(x, float) for x in fs)


def test_log_uniform_values_covers_decades_evenly():
    xs = draws({"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1})
    assert 1e-5 <= min(xs) and max(xs) <= 1e-1
    decades = Counter(math.floor(math.log10(x)) for x in xs)
    assert set(decades) == {-5, -4, -3, -2}
    assert min(decades.values()) > 0.2 * len(xs)


def test_inv_log_uniform_values_stays_in_bounds():
    xs = draws({"distribution": "inv_log_uniform_values", "min": 0.01, "max": 10.0})
    assert 0.01 <= min(xs) and max(xs) <= 10.0
    assert np.median(xs) == pytest.approx(math.sqrt(0.01 * 10.0), rel=0.15)


def test_q_log_uniform_values():
    xs = draws({"distribution": "q_log_uniform_values", "min": 1, "max": 1000, "q": 1})
    assert all(type(x) is int for x in xs) and min(xs) >= 1 and max(xs) <= 1000


@pytest.mark.parametrize("spec, mean, std", [
    ({"distribution": "normal"}, 0.0, 1.0),
    ({"distribution": "normal", "mu": 100, "sigma": 10}, 100.0, 10.0),
    ({"distribution": "log_normal", "mu": 0.0, "sigma": 0.5}, math.exp(0.125), None),
    ({"distribution": "beta", "a": 2, "b": 5}, 2 / 7, None),
])
def test_continuous_moments(spec, mean, std):
    xs = np.array(draws(spec, n=20000))
    assert xs.mean() == pytest.approx(mean, rel=0.05, abs=0.03)
    if std is not None:
        assert xs.std() == pytest.approx(std, rel=0.05)


def test_quantized_normals_and_beta():
    assert all(x % 5 == 0 and type(x) is int for x in draws({"distribution": "q_normal", "mu": 50, "sigma": 20, "q": 5}))
    assert all(type(x) is int and x >= 0 for x in draws({"distribution": "q_log_normal", "q": 1}))
    assert set(draws({"distribution": "q_beta", "q": 0.5})) <= {0.0, 0.5, 1.0}


def test_probabilities_are_respected():
    xs = draws({"values": ["a", "b", "c"], "probabilities": [0.7, 0.2, 0.1]}, n=10000)
    c = Counter(xs)
    assert c["a"] / 10000 == pytest.approx(0.7, abs=0.03)
    assert c["c"] / 10000 == pytest.approx(0.1, abs=0.02)


EVERY_DISTRIBUTION = [
    {"value": "fixed"},
    {"values": ["a", "b", "c"]},
    {"values": ["a", "b", "c", "d"], "probabilities": [0.5, 0.0, 0.3, 0.2]},
    {"min": -3, "max": 7},
    {"min": -1.0, "max": 2.0},
    {"distribution": "q_uniform", "min": 32, "max": 256, "q": 8},
    {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
    {"distribution": "q_log_uniform_values", "min": 1, "max": 1000, "q": 1},
    {"distribution": "inv_log_uniform_values", "min": 0.01, "max": 10.0},
    {"distribution": "normal", "mu": 100, "sigma": 10},
    {"distribution": "q_normal", "mu": 0, "sigma": 3, "q": 0.25},
    {"distribution": "log_normal", "mu": 0.0, "sigma": 0.5},
    {"distribution": "q_log_normal", "mu": 2.0, "sigma": 0.5, "q": 1},
    {"distribution": "beta", "a": 2, "b": 5},
    {"distribution": "q_beta", "a": 1, "b": 1, "q": 0.1},
]


@pytest.mark.parametrize("spec", EVERY_DISTRIBUTION, ids=lambda s: s.get("distribution") or ",".join(s))
def test_a_value_at_a_quantile_has_the_law_of_a_random_draw(spec):
    """Param.at_quantile, read at evenly spread quantiles, gives the distribution that `sample`
    draws from (bayes's initial design relies on it to keep W&B's meaning), with its types."""
    param = space_of({"p": spec}).params[0]
    n = 4000
    spread = [param.at_quantile((i + 0.5) / n) for i in range(n)]
    drawn = draws(spec, n=n)
    assert {type(x) for x in spread} == {type(x) for x in drawn}
    counts, seen = Counter(map(repr, spread)), Counter(map(repr, drawn))
    if len(seen) <= 11:  # discrete: the same values, as often
        assert set(counts) == set(seen)
        assert all(abs(counts[k] - seen[k]) < 0.05 * n for k in seen)
    else:  # the value at quantile q has a share q of random draws below it (scale-free; a
        # quantized value is an atom: q lies between the shares below and up to it)
        drawn = np.array(drawn)
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            v = np.quantile(spread, q, method="nearest")
            assert np.mean(drawn < v) - 0.03 <= q <= np.mean(drawn <= v) + 0.03
    assert param.at_quantile(0.0) is not None and param.at_quantile(1.0) is not None  # the ends


def test_any_yaml_values_and_nested():
    sp = space_of({"v": {"values": [None, True, [1, 2], {"k": "x"}]},
                   "opt": {"parameters": {"lr": {"value": 0.1}, "inner": {"parameters": {"z": {"value": 1}}}}}})
    rng = np.random.default_rng(1)
    seen = [sp.sample(rng) for _ in range(200)]
    assert all(s["opt"] == {"lr": 0.1, "inner": {"z": 1}} for s in seen)
    kinds = {repr(s["v"]) for s in seen}
    assert kinds == {"None", "True", "[1, 2]", "{'k': 'x'}"}


def test_grid_axes_and_order():
    sp = space_of({
        "b": {"values": [3, 3.0, True, 1, "x", 3]},  # 3 == 3.0 collapses; True and 1 do not
        "a": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25},  # max itself excluded
        "c": {"parameters": {"d": {"min": 1, "max": 2}}},
    }, method="grid")
    assert [p.key for p in sp] == ["a", "b", "c.d"]
    assert sp.params[0].grid_values() == [0.0, 0.25, 0.5, 0.75]
    assert sp.params[1].grid_values() == [3, True, 1, "x"]
    assert grid.size(sp) == 4 * 4 * 2
    points = [grid.point(sp, i) for i in range(grid.size(sp))]
    assert points[0] == {"a": 0.0, "b": 3, "c": {"d": 1}}
    assert points[1] == {"a": 0.0, "b": 3, "c": {"d": 2}}  # the last parameter varies fastest
    assert points[2] == {"a": 0.0, "b": True, "c": {"d": 1}}
    assert len({repr(p) for p in points}) == 32


def test_random_sweep_replays_the_same_draws():
    from sweeper.search import choose
    sweep = {"id": "abcd1234", "config": sweepfile.load_dict(
        {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}).normalized}
    a = [choose(sweep, [{"number": i + 1} for i in range(n)])[0] for n in range(5)]
    b = [choose(sweep, [{"number": i + 1} for i in range(n)])[0] for n in range(5)]
    assert a == b and len({p["x"] for p in a}) == 5
