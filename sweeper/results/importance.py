"""Which parameters matter: random-forest importance and Spearman correlation to the sweep metric.

As W&B's parameter-importance panel: a random forest learns the metric from the parameters,
and each parameter's share of the forest's impurity decrease is its importance (it sees
non-linear and interacting effects); Spearman's rank correlation says which way a parameter
pushes the metric (it only sees monotonic effects).

Each run with a finite value of the sweep metric (its best, by the goal) is one sample.
Nested parameters are flattened ("optimizer.lr"). A numeric parameter is one feature; a
categorical one (strings, booleans, lists) is one-hot encoded for the forest and its
importance is the sum over its columns. Spearman needs an order: a categorical parameter
with two values is coded 0/1 in the order the sweep file lists them; with more values,
which have no order, its correlation is left empty. Constants are left out.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .rows import Metric, is_finite, is_number, parameter_keys

MIN_RUNS = 5  # fewer runs with a metric value than this and a forest learns noise
# The forest learns from at most this many runs, drawn by a seeded generator: at 10,000 runs a
# forest of all of them took 4.8 s (1.8 s with 2,000), for the same ranking and shares within
# 0.04 (benchmarks/report_scale.py's sweep). Spearman's correlation always uses every run.
FOREST_SAMPLES = 2_000


@dataclass
class ParamImportance:
    key: str
    kind: str  # "numeric" or "categorical"
    importance: float | None  # share of the forest's importance, 0..1, the parameters summing to 1
    correlation: float | None  # Spearman's rho with the metric, -1..1
    distinct: int  # how many different values the scored runs had


@dataclass
class Analysis:
    metric: str | None
    goal: str
    n_runs: int  # runs with a finite metric value, the samples
    params: list[ParamImportance]
    note: str | None = None  # why there is no analysis, in words

    def to_dict(self) -> dict:
        return {"metric": self.metric, "goal": self.goal, "n_runs": self.n_runs, "min_runs": MIN_RUNS,
                "note": self.note, "params": [asdict(p) for p in self.params]}


def analyze(sweep: dict, rows: list[dict], metric: Metric, seed: int = 0) -> Analysis:
    """rows: run rows from results.run_rows (superseded runs already left out)."""
    scored = [r for r in rows if is_finite(r["best"])]
    n = len(scored)
    if metric.name is None:
        return Analysis(None, metric.goal, 0, [], "the sweep has no metric: key, so nothing to relate "
                                                  "the parameters to")
    if n < MIN_RUNS:
        return Analysis(metric.name, metric.goal, n, [],
                        f"only {n} run{'s' if n != 1 else ''} with a value of {metric.name} "
                        f"(at least {MIN_RUNS} are needed)")
    y = [r["best"] for r in scored]
    if min(y) == max(y):
        return Analysis(metric.name, metric.goal, n, [],
                        f"all {n} runs have the same value of {metric.name} ({y[0]:.6g}): nothing "
                        "tells the parameters apart")
    keys = [k for k in _varied_keys(sweep, scored)]
    columns = {k: [r["params"].get(k) for r in scored] for k in keys}
    kinds = {k: ("numeric" if all(is_number(v) for v in vals) else "categorical") for k, vals in columns.items()}
    distinct = {k: len({_hashable(v) for v in vals}) for k, vals in columns.items()}
    varied = [k for k in keys if distinct[k] > 1]
    importance = _forest_importance(varied, columns, kinds, y, seed) if varied else {}
    order = _config_order(sweep)
    out = []
    for k in keys:
        corr = _spearman(columns[k], kinds[k], y, order.get(k)) if distinct[k] > 1 else None
        out.append(ParamImportance(k, kinds[k], importance.get(k, 0.0 if distinct[k] <= 1 else None), corr,
                                   distinct[k]))
    out.sort(key=lambda p: (-(p.importance or 0.0), -abs(p.correlation or 0.0), p.key))
    return Analysis(metric.name, metric.goal, n, out)


def _varied_keys(sweep: dict, rows: list[dict]) -> list[str]:
    from ..sweepfile.space import Space

    space = Space(sweep["config"]["parameters"])
    keys = [p.key for p in space.searchable]
    # Parameters a run has beyond the sweep file (none today) still get analyzed.
    extra = sorted({k for r in rows for k in r["params"]} - set(parameter_keys(sweep)))
    return keys + extra


def _config_order(sweep: dict) -> dict:
    """The listed values of each categorical parameter, for a stable 0/1 coding."""
    from ..sweepfile.space import Space

    return {p.key: list(p.spec["values"]) for p in Space(sweep["config"]["parameters"])
            if "values" in p.spec}


def _hashable(v):
    from ..sweepfile.space import value_key

    return value_key(v)


def _forest_importance(keys, columns, kinds, y, seed) -> dict:
    import numpy as np
    from scipy.stats import rankdata
    from sklearn.ensemble import RandomForestRegressor

    if len(y) > FOREST_SAMPLES:
        pick = sorted(np.random.default_rng(seed).choice(len(y), FOREST_SAMPLES, replace=False))
        columns = {k: [columns[k][i] for i in pick] for k in keys}
        y = [y[i] for i in pick]

    blocks, owner = [], []
    for k in keys:
        if kinds[k] == "numeric":
            col = np.array(columns[k], dtype=float)
            col[~np.isfinite(col)] = np.nanmedian(col[np.isfinite(col)]) if np.isfinite(col).any() else 0.0
            # A tree splits on order alone, so ranks give the same forest; and scikit-learn reads X
            # as float32, where a value beyond 3.4e38 (1e308 is a float) is not finite.
            blocks.append(rankdata(col)[:, None])
            owner.append(k)
        else:
            levels = sorted({_hashable(v) for v in columns[k]}, key=repr)
            codes = [levels.index(_hashable(v)) for v in columns[k]]
            onehot = np.zeros((len(codes), len(levels)))
            onehot[np.arange(len(codes)), codes] = 1.0
            blocks.append(onehot)
            owner.extend([k] * len(levels))
    X = np.hstack(blocks)
    forest = RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1, min_samples_leaf=1)
    forest.fit(X, _standardized(y))
    totals: dict = {k: 0.0 for k in keys}
    for k, share in zip(owner, forest.feature_importances_):
        totals[k] += float(share)
    whole = sum(totals.values())
    # A metric the forest cannot explain at all (every run the same) gives all zeros.
    return {k: (v / whole if whole > 0 else 0.0) for k, v in totals.items()}


def _standardized(y):
    """y at unit spread. scikit-learn's trees take a node whose variance is below about 1e-16 as
    pure and never split it, so a metric that varies by 1e-8 (a loss near its floor, a metric
    logged in odd units) would give every parameter no importance. The shares are the same at
    any scale otherwise. Divided by its largest magnitude first, so that values near 1e308
    cannot overflow."""
    import numpy as np

    y = np.asarray(y, dtype=float)
    y = y / np.max(np.abs(y))
    y = y - y.mean()
    sd = y.std()
    return y / sd if sd > 0 else y


def _spearman(values, kind, y, listed) -> float | None:
    from scipy.stats import spearmanr

    if kind == "numeric":
        x = [float(v) for v in values]
    else:
        levels = []
        for v in list(listed or []) + list(values):
            if _hashable(v) not in [_hashable(u) for u in levels]:
                levels.append(v)
        seen = {_hashable(v) for v in values}
        levels = [v for v in levels if _hashable(v) in seen]
        if len(levels) != 2:
            return None
        x = [float(_hashable(v) == _hashable(levels[1])) for v in values]
    pairs = [(a, b) for a, b in zip(x, y) if math.isfinite(a)]
    if len(pairs) < 3:
        return None
    rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic
    return float(rho) if rho is not None and math.isfinite(rho) else None
