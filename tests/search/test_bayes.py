"""The bayes search method: the space mapping, imputation, parallel agents, goal, speed."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import numpy as np
import pytest

from sweeper.search import bayes, run_rng, unit_cube
from sweeper.sweepfile.space import Space

MIN = {"name": "loss", "goal": "minimize", "impute": "worst", "impute_while_running": "false"}


def spec(**kw):
    """A normalized parameter, as the sweep file loader hands it over."""
    return kw


def run(params, value, state="finished", number=0, summary=None):
    return {"params": params, "state": state, "best_value": value, "number": number,
            "summary": summary if summary is not None else ({"loss": value} if value is not None else None),
            "superseded": False}


def drive(space, objective, n, config=None, seed=0, crash=lambda p: False):
    """n sequential suggestions, each run finished with objective(params) (or crashed)."""
    config = config or {"metric": MIN}
    history = []
    for i in range(n):
        p = bayes.suggest(space, config, history, np.random.default_rng([seed, i]))
        if crash(p):
            history.append(run(p, None, "crashed", i))
        else:
            history.append(run(p, objective(p), number=i))
    return history


EVERY_FORM = {
    "const": spec(distribution="constant", value="fixed"),
    "cat": spec(distribution="categorical",
                values=[1, "a", True, None, [1, 2], {"k": "v"}, 2.5, False]),
    "int": spec(distribution="int_uniform", min=-3, max=7),
    "uni": spec(distribution="uniform", min=-1.0, max=2.0),
    "qu": spec(distribution="q_uniform", min=0.0, max=10.0, q=0.5),
    "qu_int": spec(distribution="q_uniform", min=0, max=20, q=4),
    "log": spec(distribution="log_uniform_values", min=1e-5, max=1e-1),
    "invlog": spec(distribution="inv_log_uniform_values", min=0.01, max=100.0),
    "qlog": spec(distribution="q_log_uniform_values", min=1, max=1000, q=1),
    "normal": spec(distribution="normal", mu=5.0, sigma=2.0),
    "qnormal": spec(distribution="q_normal", mu=0.0, sigma=3.0, q=0.25),
    "lognormal": spec(distribution="log_normal", mu=0.0, sigma=1.0),
    "qlognormal": spec(distribution="q_log_normal", mu=2.0, sigma=0.5, q=1),
    "beta": spec(distribution="beta", a=2.0, b=5.0),
    "qbeta": spec(distribution="q_beta", a=1.0, b=1.0, q=0.1),
    "opt": {"parameters": {"lr": spec(distribution="log_uniform_values", min=1e-4, max=1.0),
                           "kind": spec(distribution="categorical", values=["a", "b"])}},
}


def every_form_objective(p):
    return (abs(p["uni"] - 0.5) + abs(p["int"] - 2) + abs(math.log10(p["log"]) + 3)
            + (0 if p["cat"] == {"k": "v"} else 1) + (p["beta"] - 0.2) ** 2
            + abs(math.log10(p["opt"]["lr"]) + 2))


def is_multiple(x, q):
    return abs(x / q - round(x / q)) < 1e-9


def check_every_form(p):
    assert p["const"] == "fixed"
    values = EVERY_FORM["cat"]["values"]
    assert any(p["cat"] == v and type(p["cat"]) is type(v) for v in values), p["cat"]
    assert type(p["int"]) is int and -3 <= p["int"] <= 7
    assert type(p["uni"]) is float and -1.0 <= p["uni"] <= 2.0
    assert type(p["qu"]) is float and is_multiple(p["qu"], 0.5) and 0 <= p["qu"] <= 10
    assert type(p["qu_int"]) is int and p["qu_int"] % 4 == 0 and 0 <= p["qu_int"] <= 20
    assert 1e-5 <= p["log"] <= 1e-1
    assert 0.01 <= p["invlog"] <= 100.0
    assert type(p["qlog"]) is int and 1 <= p["qlog"] <= 1000
    assert 5.0 - 2 * 3.1 <= p["normal"] <= 5.0 + 2 * 3.1  # the searched 0.001..0.999 quantiles
    assert is_multiple(p["qnormal"], 0.25) and abs(p["qnormal"]) <= 3 * 3.1 + 0.25
    assert 0 < p["lognormal"] <= math.exp(3.1)
    assert type(p["qlognormal"]) is int
    assert 0 <= p["beta"] <= 1
    assert is_multiple(p["qbeta"], 0.1) and 0 <= p["qbeta"] <= 1
    assert set(p["opt"]) == {"lr", "kind"} and 1e-4 <= p["opt"]["lr"] <= 1.0
    assert p["opt"]["kind"] in ("a", "b")


def test_every_distribution_maps_into_bounds_and_types():
    space = Space(EVERY_FORM)
    history = drive(space, every_form_objective, 18)
    for r in history:
        check_every_form(r["params"])
    # the model phase, not only the random one
    assert len(history) > bayes.N_INITIAL
    # a run's suggestion can be read back (it is what the next call encodes)
    cols = unit_cube.Columns(space.searchable)
    X = cols.encode([space.flatten(r["params"]) for r in history])
    assert X.shape == (18, cols.width) and np.all((X >= 0) & (X <= 1))


def test_categorical_values_of_any_yaml_type_come_back_as_themselves():
    values = [None, True, False, {"k": "v", "n": [1, 2]}, [1, "x"], "s", 0, 1.5]
    space = Space({"c": spec(distribution="categorical", values=values),
                   "x": spec(distribution="uniform", min=0.0, max=1.0)})
    best = {"k": "v", "n": [1, 2]}
    history = drive(space, lambda p: (0 if p["c"] == best else 1) + p["x"], 25)
    for r in history:
        assert any(r["params"]["c"] == v and type(r["params"]["c"]) is type(v) for v in values)
    model_phase = [r["params"]["c"] for r in history[bayes.N_INITIAL:]]
    assert model_phase.count(best) >= len(model_phase) // 2
    # True is not 1 and None is a value of its own
    cols = unit_cube.Columns(space.searchable)
    assert cols.encode([{("c",): True, ("x",): 0.5}])[0].argmax() == 1
    assert cols.encode([{("c",): None, ("x",): 0.5}])[0].argmax() == 0


def test_log_scale_reaches_every_decade():
    space = Space({"lr": spec(distribution="log_uniform_values", min=1e-7, max=1.0)})
    # the optimum sits at 1e-6: in linear units, a hair above the lower bound
    history = drive(space, lambda p: (math.log10(p["lr"]) + 6) ** 2, 22)
    found = min(r["params"]["lr"] for r in history[bayes.N_INITIAL:])
    best = min(history, key=lambda r: r["best_value"])["params"]["lr"]
    assert found < 1e-5
    assert 3e-7 < best < 3e-6


def test_quantile_mapping_round_trips():
    for p in Space(EVERY_FORM).searchable:
        if p.distribution in ("normal", "log_normal", "beta"):
            u = np.linspace(0, 1, 11)
            back = unit_cube.to_unit(p, unit_cube.from_unit(p, u))
            assert np.allclose(back, u, atol=1e-6), p.key


def test_crashing_region_is_avoided():
    # the better values lie towards x = 1, but every run above 0.5 crashes
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0),
                   "y": spec(distribution="uniform", min=0.0, max=1.0)})
    history = drive(space, lambda p: -p["x"] + (p["y"] - 0.5) ** 2, 30,
                    crash=lambda p: p["x"] > 0.5)
    late = history[15:]
    crashed = sum(r["state"] == "crashed" for r in late)
    assert crashed <= 4, [round(r["params"]["x"], 2) for r in late]
    assert max(r["best_value"] for r in history if r["best_value"] is not None) > -0.6


@pytest.mark.parametrize("impute", ["worst", "best", "latest"])
def test_imputation_rules(impute):
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0)})
    cols = unit_cube.Columns(space.searchable)
    runs = [run({"x": 0.1}, 1.0), run({"x": 0.2}, 3.0),
            run({"x": 0.3}, None, "failed", summary={"loss": 2.5}),
            run({"x": 0.4}, 0.5, "crashed", summary={"loss": 0.5}),
            run({"x": 0.5}, None, "stopped"),
            run({"x": 0.6}, float("nan"), "finished"),
            run({"x": 0.7}, None, "running")]
    config = {"metric": dict(MIN, impute=impute)}
    _, y, pending = bayes._observations(cols, space, config, runs)
    imputed = {"worst": [3.0, 3.0, 3.0, 3.0], "best": [1.0, 1.0, 1.0, 1.0],
               "latest": [2.5, 0.5, 3.0, 3.0]}[impute]
    assert list(y) == [1.0, 3.0] + imputed
    assert pending.shape == (1, 1) and abs(pending[0, 0] - 0.7) < 1e-12


def test_maximize_negates_and_superseded_runs_are_ignored():
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0)})
    cols = unit_cube.Columns(space.searchable)
    runs = [run({"x": 0.1}, 1.0), run({"x": 0.2}, 3.0), dict(run({"x": 0.3}, 9.0), superseded=True)]
    config = {"metric": dict(MIN, goal="maximize")}
    _, y, _ = bayes._observations(cols, space, config, [r for r in runs if not r["superseded"]])
    assert list(y) == [-1.0, -3.0]
    history = drive(Space({"x": spec(distribution="uniform", min=0.0, max=1.0)}),
                    lambda p: -(p["x"] - 0.3) ** 2, 20, config=config)
    best = max(history, key=lambda r: r["best_value"])
    assert abs(best["params"]["x"] - 0.3) < 0.03


def test_parallel_agents_on_a_fresh_sweep_get_different_points():
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0),
                   "c": spec(distribution="categorical", values=["a", "b"])})
    history = []
    for i in range(12):  # all still running: the store hands each its own position's rng
        p = bayes.suggest(space, {"metric": MIN}, history, run_rng("sweep-x", len(history)))
        history.append(run(p, None, "running", i))
    xs = sorted(r["params"]["x"] for r in history)
    assert min(np.diff(xs)) > 1e-6


def test_pending_runs_after_the_model_phase_are_not_repeated():
    space = Space({"x": spec(distribution="uniform", min=-2.0, max=2.0),
                   "y": spec(distribution="uniform", min=-2.0, max=2.0)})
    history = drive(space, lambda p: p["x"] ** 2 + p["y"] ** 2, 15)
    cols = unit_cube.Columns(space.searchable)
    start = len(history)
    for i in range(10):  # ten agents start one after the other, none has finished
        p = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng([7, start + i]))
        history.append(run(p, None, "running", start + i))
    new = cols.encode([space.flatten(r["params"]) for r in history[start:]])
    gaps = np.linalg.norm(new[:, None, :] - new[None, :, :], axis=2)[np.triu_indices(10, 1)]
    assert gaps.min() >= bayes.MIN_SEPARATION * 0.999
    # ... and even the same generator does not give two agents the same point
    p1 = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(1))
    history.append(run(p1, None, "running", len(history)))
    p2 = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(1))
    assert p1 != p2


def test_discrete_space_does_not_repeat_finished_points_while_others_remain():
    space = Space({"a": spec(distribution="int_uniform", min=0, max=3),
                   "b": spec(distribution="categorical", values=["x", "y", "z"])})
    history = drive(space, lambda p: p["a"] + {"x": 0, "y": 1, "z": 2}[p["b"]], 12)
    seen = [(r["params"]["a"], r["params"]["b"]) for r in history[bayes.N_INITIAL:]]
    before = {(r["params"]["a"], r["params"]["b"]) for r in history[: bayes.N_INITIAL]}
    for i, point in enumerate(seen):
        assert point not in before | set(seen[:i])


def test_converges_on_a_quadratic_better_than_random():
    space = Space({"x": spec(distribution="uniform", min=-5.0, max=5.0),
                   "y": spec(distribution="uniform", min=-5.0, max=5.0),
                   "z": spec(distribution="int_uniform", min=0, max=10)})

    def f(p):
        return (p["x"] - 1.3) ** 2 + 2 * (p["y"] + 0.7) ** 2 + 0.1 * (p["z"] - 4) ** 2

    ours, rand = [], []
    for seed in range(3):
        ours.append(min(r["best_value"] for r in drive(space, f, 30, seed=seed)))
        rand.append(min(f(space.sample(np.random.default_rng([seed, i]))) for i in range(30)))
    assert np.median(ours) < 0.05
    assert np.median(ours) < np.median(rand) / 10


def test_suggestion_with_200_runs_is_fast():
    space = Space({f"x{i}": spec(distribution="uniform", min=0.0, max=1.0) for i in range(6)}
                  | {"c": spec(distribution="categorical", values=["a", "b", "c"])})
    rng = np.random.default_rng(0)
    history = []
    for i in range(200):
        p = space.sample(rng)
        history.append(run(p, sum(p[f"x{j}"] for j in range(6)), number=i))
    bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(1))  # imports
    t = time.perf_counter()
    bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(2))
    assert time.perf_counter() - t < 1.0  # the real target (150 ms) is in the benchmark


def test_cli_help_imports_no_science_stack():
    code = ("import sys\nfrom sweeper import cli\nsys.argv = ['sweeper', '--help']\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "import sweeper.search.bayes\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'skopt', 'sklearn', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_impute_while_running_counts_running_runs_instead_of_lying():
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0)})
    cols = unit_cube.Columns(space.searchable)
    runs = [run({"x": 0.1}, 1.0), run({"x": 0.2}, 3.0),
            run({"x": 0.3}, 0.7, "running"), run({"x": 0.4}, None, "running", summary={})]
    _, y, pending = bayes._observations(cols, space, {"metric": MIN}, runs)
    assert list(y) == [1.0, 3.0] and len(pending) == 2
    config = {"metric": dict(MIN, impute_while_running="best")}
    _, y, pending = bayes._observations(cols, space, config, runs)
    assert list(y) == [1.0, 3.0, 0.7, 0.7] and len(pending) == 0


def test_n_initial_sets_the_random_phase():
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0)})
    history = [run({"x": x}, x) for x in (0.2, 0.4, 0.6)]
    rng = np.random.default_rng(3)
    random_draw = space.sample(np.random.default_rng(3))
    assert bayes.suggest(space, {"metric": MIN}, history, rng) == random_draw  # 3 < N_INITIAL
    assert bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng(3),
                         n_initial=3) != random_draw


@pytest.mark.parametrize("switch", [("PRIOR_SELECT", True), ("STALL_EXPLORE", 3), ("THOMPSON_EVERY", 2)])
def test_exploration_switches_left_off_still_search_the_space(monkeypatch, switch):
    """The exploration variants measured in benchmarks/search_exploration.md (off by default):
    switched on, each still suggests values of every parameter form and beats random search."""
    monkeypatch.setattr(bayes, *switch)
    space = Space(EVERY_FORM)
    for r in drive(space, every_form_objective, 16):
        check_every_form(r["params"])
    quad = Space({"x": spec(distribution="uniform", min=-5.0, max=5.0),
                  "y": spec(distribution="uniform", min=-5.0, max=5.0)})

    def f(p):
        return (p["x"] - 1.3) ** 2 + 2 * (p["y"] + 0.7) ** 2

    ours = [min(r["best_value"] for r in drive(quad, f, 25, seed=s)) for s in range(3)]
    rand = [min(f(quad.sample(np.random.default_rng([s, i]))) for i in range(25)) for s in range(3)]
    assert np.median(ours) < np.median(rand) / 5


def diverged_sweep(seed):
    """A 2-D bowl whose runs diverge (1e9) for x > 4, one such run first: 30 runs."""
    space = Space({"x": spec(distribution="uniform", min=-5.0, max=5.0),
                   "y": spec(distribution="uniform", min=-5.0, max=5.0)})

    def f(p):
        return 1e9 if p["x"] > 4.0 else (p["x"] - 1.3) ** 2 + 2 * (p["y"] + 0.7) ** 2

    history = [run({"x": 4.5, "y": 0.0}, 1e9, number=0)]
    for i in range(1, 30):
        p = bayes.suggest(space, {"metric": MIN}, history, np.random.default_rng([seed, i]))
        history.append(run(p, f(p), number=i))
    rand = min(f(space.sample(np.random.default_rng([seed, i]))) for i in range(30))
    return min(r["best_value"] for r in history), rand


def test_a_diverged_run_does_not_blind_the_model():
    """One run at 1e9 among ordinary ones: the fence over the compressed values (bayes._fence)
    keeps it from setting the model's scale. Median 0.22 over 5 seeds against random's 2.2;
    without the fence (Y_TRANSFORM "compress", the method before) 1.2."""
    ours, rand = zip(*(diverged_sweep(seed) for seed in range(5)))
    assert np.median(ours) < np.median(rand) / 5, (ours, rand)


def test_the_power_transform_left_off_tells_good_runs_apart_beside_a_diverged_one(monkeypatch):
    """The same sweep with y fitted through Yeo-Johnson at the IQR's scale (bayes.Y_TRANSFORM
    "yeojohnson-iqr", measured in benchmarks/search_transform.md and left off for branin's
    sake): switched on, it converges too (at the sd's scale instead of the IQR's: median 2.2,
    the good runs end up 1e-9 apart)."""
    monkeypatch.setattr(bayes, "Y_TRANSFORM", "yeojohnson-iqr")
    ours, rand = zip(*(diverged_sweep(seed) for seed in range(5)))
    assert np.median(ours) < np.median(rand) / 10


def test_a_categoricals_columns_share_one_length_scale():
    """A categorical's one-hot columns share one length scale (the kernel sees only whether
    two runs' values differ); numeric parameters keep one each. Switched to a scale per column
    (bayes.CATEGORICAL_LS "column", the method before), 8 values cost 8 of them."""
    from sweeper.search import gp

    names = ["relu", "gelu", "silu", "tanh", "elu", "selu", "mish", "sigmoid"]
    space = Space({"act": spec(distribution="categorical", values=names),
                   "lr": spec(distribution="log_uniform_values", min=1e-6, max=0.1),
                   "opt": spec(distribution="categorical", values=["adam", "sgd", "adamw"])})
    cols = unit_cube.Columns(space.searchable)  # in the space's order: act, lr, opt
    assert cols.groups.tolist() == [0] * 8 + [1] + [2] * 3
    runs = [space.sample(np.random.default_rng([7, i])) for i in range(14)]
    X = cols.encode([space.flatten(r) for r in runs])
    z = np.array([abs(math.log10(r["lr"]) + 3) + (r["act"] in names[4:]) for r in runs])
    z = (z - z.mean()) / z.std()
    shared = gp.fit(X, z, groups=cols.groups)
    assert np.ptp(shared.ls[:8]) == 0 and np.ptp(shared.ls[9:]) == 0
    per_column = gp.fit(X, z)
    assert np.ptp(per_column.ls[:8]) > 0
    # the shared fit is a real fit: its posterior follows the data
    assert np.corrcoef(shared.fitted_mean(), z)[0, 1] > 0.9


def test_numbers_listed_in_order_are_one_column_by_their_position():
    """A categorical of 3 or more numbers in order (either way) is one column, the value's
    position in the list; a run gets the listed value itself, every position is drawn alike.
    Strings, booleans, two values and numbers out of order stay one-hot."""
    space = Space({"width": spec(distribution="categorical", values=[16, 32, 48, 64, 80, 96, 112, 128]),
                   "bs": spec(distribution="categorical", values=[256, 64, 8.5]),
                   "p": spec(distribution="categorical", values=[1, 2]),
                   "shuffled": spec(distribution="categorical", values=[3, 1, 2]),
                   "flags": spec(distribution="categorical", values=[False, True, 2]),
                   "opt": spec(distribution="categorical", values=["adam", "sgd", "adamw"])})
    cols = unit_cube.Columns(space.searchable)
    widths = {p.path[0]: s.stop - s.start for p, s in zip(cols.params, cols.slices)}
    assert widths == {"bs": 1, "flags": 3, "opt": 3, "p": 2, "shuffled": 3, "width": 1}
    runs = [{"width": 112, "bs": 8.5, "p": 2, "shuffled": 1, "flags": True, "opt": "sgd"},
            {"width": 16, "bs": 256, "p": 1, "shuffled": 3, "flags": 2, "opt": "adam"}]
    X = cols.encode([space.flatten(r) for r in runs])
    by_name = {p.path[0]: s for p, s in zip(cols.params, cols.slices)}
    assert X[:, by_name["width"].start].tolist() == [6 / 7, 0.0]
    assert X[:, by_name["bs"].start].tolist() == [1.0, 0.0]
    back = [space.nest(dict(zip([p.path for p in cols.params], row))) for row in cols.decode(X)]
    assert back == runs and type(back[0]["bs"]) is float and type(back[0]["width"]) is int
    width = [p.path[0] for p in cols.params].index("width")
    # a point between two positions runs the nearer value
    X[0, by_name["width"].start] = 0.5 / 7 + 0.01
    assert cols.decode(cols.snap(X.copy()))[0][width] == 32
    drawn = cols.decode(cols.snap(cols.random(8000, np.random.default_rng(0))))
    counts = np.unique([row[width] for row in drawn], return_counts=True)[1]
    assert len(counts) == 8 and counts.min() > 900


def test_the_space_filling_design_left_off_spreads_the_first_runs(monkeypatch):
    """The initial design measured in benchmarks/search_initial.md (off by default): switched on,
    a sweep's first 8 runs, chosen as the store chooses them (by sweep and run position), put
    one x in each eighth of its range, one lr in each eighth of its decades and each of 4
    integers twice; every parameter form still gets a value of its own type and range."""
    from sweeper.search import choose, initial_design

    monkeypatch.setattr(initial_design, "DESIGN", "sobol")
    sweep = {"id": "sweep-s", "config": {"method": "bayes", "metric": MIN, "parameters": {
        "x": spec(distribution="uniform", min=0.0, max=1.0),
        "lr": spec(distribution="log_uniform_values", min=1e-5, max=1e-1),
        "n": spec(distribution="int_uniform", min=1, max=4)}}}
    history = []
    for i in range(8):
        params, _ = choose(sweep, history)
        history.append(run(params, None, "running", number=i + 1))
    points = [r["params"] for r in history]
    assert sorted(int(p["x"] * 8) for p in points) == list(range(8))
    assert sorted(int((math.log10(p["lr"]) + 5) * 2) for p in points) == list(range(8))
    assert sorted(p["n"] for p in points) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert choose(sweep, history[:3])[0] == history[3]["params"]  # a replay draws the same point
    every = Space(EVERY_FORM)
    for i in range(16):
        check_every_form(initial_design.point(every, 5, i, np.random.default_rng(i)))


def test_a_noiseless_objective_is_refined_to_its_last_digits():
    """The GP's noise floor (gp.NOISE_BOUNDS) is low enough that a noiseless objective is
    interpolated where the runs crowd near its optimum, instead of smoothed at a thousandth of
    y's spread: Branin after 40 runs, median regret over 8 seeds 2.3e-5; with the floor of
    before (1e-6) 8.9e-5 (benchmarks/search_noise_floor.md: 1.2e-5 against 1.1e-4 at 20 seeds)."""
    space = Space({"x": spec(distribution="uniform", min=-5.0, max=10.0),
                   "y": spec(distribution="uniform", min=0.0, max=15.0)})

    def branin(p):
        a, b = p["x"], p["y"]
        return ((b - 5.1 / (4 * math.pi ** 2) * a ** 2 + 5 / math.pi * a - 6) ** 2
                + 10 * (1 - 1 / (8 * math.pi)) * math.cos(a) + 10)

    regrets = [min(r["best_value"] for r in drive(space, branin, 40, seed=seed)) - 0.397887
               for seed in range(8)]
    assert np.median(regrets) < 5e-5, sorted(regrets)


def test_initial_runs_in_a_small_discrete_space_do_not_repeat_a_point():
    # 18 points: ten independent draws repeat one in about 19 sweeps of 20 (the reviewer's sweep
    # ran #3 = #1 and #9 = #2 with 8 points untried)
    space = Space({"act": spec(distribution="categorical", values=["relu", "tanh"]),
                   "bs": spec(distribution="categorical", values=[16, 32, 64]),
                   "opt": spec(distribution="categorical", values=["adam", "sgd", "rmsprop"])})
    for seed in range(20):
        history = []
        for i in range(bayes.N_INITIAL):
            p = bayes.suggest(space, {"metric": MIN}, history, run_rng(f"sweep-{seed}", i))
            history.append(run(p, float(i), number=i + 1))
        points = [tuple(sorted(r["params"].items())) for r in history]
        assert len(set(points)) == bayes.N_INITIAL, (seed, points)


def test_initial_runs_keep_random_draws_where_no_point_repeats():
    # a continuous space: the redraw never triggers, so the draws are method random's
    space = Space({"x": spec(distribution="uniform", min=0.0, max=1.0),
                   "c": spec(distribution="categorical", values=["a", "b"])})
    history = []
    for i in range(5):
        p = bayes.suggest(space, {"metric": MIN}, history, run_rng("sweep-y", i))
        assert p == space.sample(run_rng("sweep-y", i))
        history.append(run(p, float(i), number=i + 1))


def test_a_discrete_space_is_run_through_before_any_point_repeats():
    # 60 points: once the few points of highest acquisition have run, the 200 best candidates
    # (drawn with repeats from 60 points) were all taken, and bayes repeated one while others
    # were still untried
    space = Space({"n": spec(distribution="int_uniform", min=0, max=29),
                   "c": spec(distribution="categorical", values=["a", "b"])})
    history = drive(space, lambda p: (p["n"] - 11) ** 2 / 100 + (p["c"] == "b"), 60)
    points = [(r["params"]["n"], r["params"]["c"]) for r in history]
    assert len(set(points)) == 60
