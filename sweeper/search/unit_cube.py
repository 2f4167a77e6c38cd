"""The unit cube the bayes model works in: each searchable parameter's columns, the way there
and back, and the candidates drawn in it (random, perturbed, other categories).

Linear for uniform forms, log for the log forms, the prior's quantile for normal, log_normal
and beta (in QUANTILE_RANGE), one-hot for categoricals (one column, the list position, for
numbers listed in order: ORDERED_NUMBERS); int and q_ forms snapped with W&B's
round(x / q) * q, so that a candidate is scored at the point that will actually run.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..sweepfile.space import LOG_SCALED, value_key

QUANTILE_RANGE = (0.001, 0.999)  # the part of a normal/log_normal/beta prior searched
# A categorical of 3 or more numbers listed in order (widths, batch sizes, layer counts): one
# column, the value's position in the list, instead of one-hot columns, so that what a run says
# about 96 also says something about 112. False: every categorical one-hot.
ORDERED_NUMBERS = True


class Columns:
    """Where each searchable parameter lives in the unit cube, and the way there and back."""

    def __init__(self, params):
        self.params = params
        # how each parameter is placed, decided once: "one-hot", "ordered" (numbers listed in
        # order: the position in the list) or "number"
        self.kinds = [_kind(p) for p in params]
        widths = [len(p.spec["values"]) if k == "one-hot" else 1 for p, k in zip(params, self.kinds)]
        ends = np.cumsum(widths, dtype=int)
        self.slices = [slice(int(end - w), int(end)) for end, w in zip(ends, widths)]
        self.width = int(ends[-1]) if params else 0
        # the parameter each column belongs to (a categorical's one-hot columns share one)
        self.groups = np.repeat(np.arange(len(params)), widths)
        self.categorical = [s for k, s in zip(self.kinds, self.slices) if k == "one-hot"]
        self.ordered = [(p, s) for p, k, s in zip(params, self.kinds, self.slices) if k == "ordered"]
        self.index = {p.path: {value_key(v): i for i, v in enumerate(p.spec["values"])}
                      for p in params if _is_categorical(p)}

    def encode(self, flat_runs: list[dict]) -> np.ndarray:
        """{path: value} per run -> rows of the cube. Raises KeyError/ValueError if a value
        is missing or is not one of the parameter's (e.g. from an edited sweep)."""
        out = np.zeros((len(flat_runs), self.width))
        for p, kind, s in zip(self.params, self.kinds, self.slices):
            if kind == "one-hot":
                for row, flat in enumerate(flat_runs):
                    out[row, s.start + self.index[p.path][value_key(flat[p.path])]] = 1.0
            elif kind == "ordered":
                out[:, s.start] = [self.index[p.path][value_key(flat[p.path])] / _last(p) for flat in flat_runs]
            else:
                values = np.array([float(flat[p.path]) for flat in flat_runs])
                out[:, s.start] = to_unit(p, values)
        return out

    def decode(self, X: np.ndarray) -> list[list]:
        """Rows of the cube -> each parameter's value, snapped and typed as the run gets it."""
        per_param = []
        for p, kind, s in zip(self.params, self.kinds, self.slices):
            if kind == "one-hot":
                per_param.append([copy.deepcopy(p.spec["values"][i]) for i in X[:, s].argmax(1)])
            elif kind == "ordered":
                per_param.append([copy.deepcopy(p.spec["values"][i]) for i in _positions(p, X[:, s.start])])
            else:
                per_param.append(_typed(p, _snap(p, from_unit(p, X[:, s.start]))))
        return [list(row) for row in zip(*per_param)]

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Move candidates onto the points that can run: int and q grids, one-hot blocks."""
        X = np.clip(X, 0.0, 1.0)
        for p, kind, s in zip(self.params, self.kinds, self.slices):
            if kind == "one-hot":
                X[:, s] = np.eye(s.stop - s.start)[X[:, s].argmax(1)]
            elif kind == "ordered":
                X[:, s.start] = _positions(p, X[:, s.start]) / _last(p)
            elif _is_quantized(p):
                X[:, s.start] = to_unit(p, _snap(p, from_unit(p, X[:, s.start])))
        return X

    def random(self, n: int, rng) -> np.ndarray:
        X = rng.random((n, self.width))
        for s in self.categorical:
            X[:, s] = np.eye(s.stop - s.start)[rng.integers(0, s.stop - s.start, n)]
        for p, s in self.ordered:  # every position equally often
            X[:, s.start] = rng.integers(0, _last(p) + 1, n) / _last(p)
        return X

    def perturb(self, centers: np.ndarray, n: int, rng, low: float, high: float) -> np.ndarray:
        """n points around each center: gaussian steps at a log-uniform scale in [low, high],
        and now and then another value of one categorical."""
        X = np.repeat(centers, n, axis=0)
        scale = np.exp(rng.uniform(math.log(low), math.log(high), (len(X), 1)))
        X = X + rng.normal(size=X.shape) * scale
        # Reflect at the walls: clipping would pile candidates onto the bounds and corners.
        X = 1.0 - np.abs(1.0 - np.abs(X) % 2.0)
        for s in self.categorical:
            flip = rng.random(len(X)) < 1.0 / (len(self.categorical) + 1)
            X[flip, s] = np.eye(s.stop - s.start)[rng.integers(0, s.stop - s.start, flip.sum())]
        return self.snap(X)

    def other_categories(self, centers: np.ndarray) -> np.ndarray:
        """Each center with one categorical parameter set to each of its other values: the
        candidates that random flips may miss, and that decide between categories."""
        out = [np.zeros((0, self.width))]
        for s in self.categorical:
            for i in range(s.stop - s.start):
                X = centers[centers[:, s.start + i] == 0].copy()
                X[:, s] = 0.0
                X[:, s.start + i] = 1.0
                out.append(X)
        return np.vstack(out)


def _is_categorical(p) -> bool:
    return p.distribution in ("categorical", "categorical_w_probabilities")


def _kind(p) -> str:
    """"one-hot" for a categorical, "ordered" for one of 3 or more numbers listed in order
    (either way; ORDERED_NUMBERS), "number" for every other parameter."""
    if not _is_categorical(p):
        return "number"
    values = p.spec["values"]
    if (ORDERED_NUMBERS and p.distribution == "categorical" and len(values) >= 3
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in values)):
        steps = np.diff(np.array(values, dtype=float))
        if np.all(steps > 0) or np.all(steps < 0):
            return "ordered"
    return "one-hot"


def _last(p) -> int:
    """The last position in an ordered categorical's list."""
    return len(p.spec["values"]) - 1


def _positions(p, u: np.ndarray) -> np.ndarray:
    """The list positions nearest to unit-cube values u of an ordered categorical."""
    return np.clip(np.floor(np.clip(u, 0.0, 1.0) * _last(p) + 0.5), 0, _last(p)).astype(int)


def _is_quantized(p) -> bool:
    return p.distribution == "int_uniform" or p.distribution.startswith("q_")


def _quantile_dist(p):
    """(cdf, inverse cdf) of a normal, log_normal or beta prior, on arrays."""
    from scipy import special

    s = p.spec
    if p.distribution.endswith("log_normal"):
        return (lambda x: special.ndtr((np.log(np.maximum(x, 1e-300)) - s["mu"]) / s["sigma"]),
                lambda q: np.exp(s["mu"] + s["sigma"] * special.ndtri(q)))
    if p.distribution.endswith("normal"):
        return (lambda x: special.ndtr((x - s["mu"]) / s["sigma"]),
                lambda q: s["mu"] + s["sigma"] * special.ndtri(q))
    return (lambda x: special.betainc(s["a"], s["b"], np.clip(x, 0.0, 1.0)),
            lambda q: special.betaincinv(s["a"], s["b"], q))


def to_unit(p, x: np.ndarray) -> np.ndarray:
    s = p.spec
    if p.distribution in LOG_SCALED:
        lo, hi = math.log(s["min"]), math.log(s["max"])
        u = (np.log(np.clip(x, s["min"], s["max"])) - lo) / (hi - lo)
    elif "min" in s:
        u = (x - s["min"]) / (s["max"] - s["min"])
    else:
        qlo, qhi = QUANTILE_RANGE
        u = (_quantile_dist(p)[0](x) - qlo) / (qhi - qlo)
    return np.clip(u, 0.0, 1.0)


def from_unit(p, u: np.ndarray) -> np.ndarray:
    s = p.spec
    if p.distribution in LOG_SCALED:
        lo, hi = math.log(s["min"]), math.log(s["max"])
        # clipped: exp(log(min)) can land a rounding error below min (a point on the wall)
        return np.clip(np.exp(lo + u * (hi - lo)), s["min"], s["max"])
    if "min" in s:
        return np.clip(s["min"] + u * (s["max"] - s["min"]), s["min"], s["max"])
    qlo, qhi = QUANTILE_RANGE
    return _quantile_dist(p)[1](qlo + u * (qhi - qlo))


def _snap(p, x: np.ndarray) -> np.ndarray:
    if p.distribution == "int_uniform":
        return np.clip(np.round(x), p.spec["min"], p.spec["max"])
    if p.distribution.startswith("q_"):
        return np.round(x / p.spec["q"]) * p.spec["q"]
    return x


def _typed(p, x: np.ndarray) -> list:
    q = p.spec.get("q")
    as_int = p.distribution == "int_uniform" or (
        p.distribution.startswith("q_") and isinstance(q, int) and not isinstance(q, bool))
    return [int(v) for v in x] if as_int else [float(v) for v in x]
