"""The parameter space: each parameter's distribution, how to draw from it, and its grid.

A parameter lives at a path: ("optimizer", "lr") for a nested one. Its flattened key,
"optimizer.lr", orders the grid and names the column in tables, as in W&B.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# distribution -> (keys it takes, keys it requires, defaults W&B fills in)
DISTRIBUTIONS: dict[str, tuple[tuple, tuple, dict]] = {
    "constant": (("value",), ("value",), {}),
    "categorical": (("values", "probabilities"), ("values",), {}),
    "categorical_w_probabilities": (("values", "probabilities"), ("values", "probabilities"), {}),
    "int_uniform": (("min", "max"), ("min", "max"), {}),
    "uniform": (("min", "max"), ("min", "max"), {}),
    "q_uniform": (("min", "max", "q"), ("min", "max"), {"q": 1.0}),
    "log_uniform_values": (("min", "max"), ("min", "max"), {}),
    "inv_log_uniform_values": (("min", "max"), ("min", "max"), {}),
    "q_log_uniform_values": (("min", "max", "q"), ("min", "max"), {"q": 1.0}),
    "normal": (("mu", "sigma"), (), {"mu": 0.0, "sigma": 1.0}),
    "q_normal": (("mu", "sigma", "q"), (), {"mu": 0.0, "sigma": 1.0, "q": 1.0}),
    "log_normal": (("mu", "sigma"), (), {"mu": 0.0, "sigma": 1.0}),
    "q_log_normal": (("mu", "sigma", "q"), (), {"mu": 0.0, "sigma": 1.0, "q": 1.0}),
    "beta": (("a", "b"), (), {"a": 1.0, "b": 1.0}),
    "q_beta": (("a", "b", "q"), (), {"a": 1.0, "b": 1.0, "q": 1.0}),
}

# W&B's exponent forms: min and max are natural logs of the bounds. Deprecated there; refused here.
DEPRECATED = {
    "log_uniform": "log_uniform_values",
    "inv_log_uniform": "inv_log_uniform_values",
    "q_log_uniform": "q_log_uniform_values",
}

DISCRETE = {"constant", "categorical", "int_uniform", "q_uniform"}
BOUNDED = {"int_uniform", "uniform", "q_uniform", "log_uniform_values",
           "inv_log_uniform_values", "q_log_uniform_values"}
LOG_SCALED = {"log_uniform_values", "inv_log_uniform_values", "q_log_uniform_values"}


def infer_distribution(spec: dict) -> str | None:
    """The distribution W&B gives a parameter that names none."""
    if "distribution" in spec:
        return spec["distribution"]
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec and "max" in spec:
        if all(_is_int(spec[k]) for k in ("min", "max")):
            return "int_uniform"
        return "uniform"
    return None


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def flat_key(path: tuple) -> str:
    return ".".join(path)


def value_key(value) -> tuple:
    """Identity of a value for collapsing duplicates: 3 == 3.0, but True != 1."""
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, (int, float)):
        return ("num", float(value))
    if isinstance(value, (list, tuple)):
        # A list and a tuple are two values, as in W&B's grid (which tells them apart by their YAML).
        return ("list" if isinstance(value, list) else "tuple", tuple(value_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), value_key(v)) for k, v in value.items())))
    return (type(value).__name__, value)


def _quantize(x: float, q):
    # round(y, 0), not round(y): a float that keeps its sign, as numpy's rounding (W&B's) does:
    # a draw in (-q/2, 0) is -0.0, and W&B's agent passes --p=-0.0.
    out = round(x / q, 0) * q
    if _is_int(q):
        return int(out)
    return float(out)


@dataclass
class Param:
    path: tuple
    distribution: str
    spec: dict = field(repr=False)

    @property
    def key(self) -> str:
        return flat_key(self.path)

    @property
    def is_discrete(self) -> bool:
        return self.distribution in DISCRETE and "probabilities" not in self.spec

    @property
    def is_constant(self) -> bool:
        return self.distribution == "constant"

    def grid_values(self) -> list:
        """This parameter's grid axis: values in first-appearance order, duplicates collapsed.
        Computed once per Param (an int_uniform axis of 10,000 values is not free), a copy each call."""
        return list(self.axis())

    def axis(self) -> tuple:
        """grid_values, not copied: kept once computed."""
        axis = self.__dict__.get("_axis")
        if axis is None:
            axis = self.__dict__["_axis"] = tuple(self._grid_axis())
        return axis

    def _grid_axis(self) -> list:
        d, s = self.distribution, self.spec
        if d == "constant":
            raw = [s["value"]]
        elif d == "categorical":
            raw = list(s["values"])
        elif d == "int_uniform":
            return list(range(int(s["min"]), int(s["max"]) + 1))  # distinct already: no keys to compare
        elif d == "q_uniform":
            raw, q = [], s["q"]
            n = 0
            # Built by multiplication, not repeated addition, so that 0.1 steps don't drift.
            while (x := s["min"] + n * q) < s["max"] - 1e-12 * max(1.0, abs(s["max"])):
                raw.append(_quantize(x, q) if _is_int(q) and _is_int(s["min"]) else x)
                n += 1
        else:
            raise ValueError(f"{self.key}: a {d} parameter has no grid")
        seen, out = set(), []
        for v in raw:
            k = value_key(v)
            if k not in seen:
                seen.add(k)
                out.append(v)
        return out

    def axis_size(self) -> int:
        self.grid_values()  # computes the axis once
        return len(self.__dict__["_axis"])

    def position(self, value) -> int | None:
        """Where `value` sits on this parameter's grid axis, or None when it is not on it."""
        positions = self.__dict__.get("_positions")
        if positions is None:
            positions = self.__dict__["_positions"] = {value_key(v): i for i, v in enumerate(self.grid_values())}
        try:
            return positions.get(value_key(value))
        except TypeError:  # an unhashable value (a set...) is on no axis
            return None

    def canonical(self, value):
        """`value` as this parameter would have drawn it: the listed value it equals (16 for
        16.0, when the file lists 16), an int for an integer parameter; else as it is."""
        d, s = self.distribution, self.spec
        if d in ("constant", "categorical", "categorical_w_probabilities"):
            listed = [s["value"]] if d == "constant" else s["values"]
            key = value_key(value)
            return next((v for v in listed if value_key(v) == key), value)
        integral = d == "int_uniform" or (d.startswith("q_") and _is_int(s.get("q")) and _is_int(s.get("min", 0)))
        if integral and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def misfit(self, value) -> str | None:
        """Why `value` could not have been drawn from this parameter, or None when it could:
        for runs that join a sweep from outside it (enqueued, or priors of a warm start)."""
        d, s = self.distribution, self.spec
        if d == "constant":
            return None if value_key(value) == value_key(s["value"]) else f"the sweep's value is {s['value']!r}"
        if d in ("categorical", "categorical_w_probabilities"):
            known = {value_key(v) for v in s["values"]}
            return None if value_key(value) in known else f"not one of {list(s['values'])!r}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{value!r} is not a number"
        if d == "int_uniform" and not float(value).is_integer():
            return f"{value!r} is not an integer"
        if d in BOUNDED:
            lo, hi = s["min"], s["max"]
            slack = 1e-9 * max(1.0, abs(lo), abs(hi)) + (s.get("q", 0) / 2 if d.startswith("q_") else 0)
            if not lo - slack <= value <= hi + slack:
                return f"{value!r} is outside [{lo}, {hi}]"
        if d in ("log_normal", "q_log_normal") and value < 0:
            return f"{value!r} is negative (a log-normal value is not)"
        if d in ("beta", "q_beta") and not -1e-9 <= value <= 1 + 1e-9:
            return f"{value!r} is outside [0, 1]"
        return None

    def sample(self, rng) -> Any:
        """One independent draw, with W&B's meaning for every distribution."""
        d, s = self.distribution, self.spec
        if d == "constant":
            return s["value"]
        if d in ("categorical", "categorical_w_probabilities"):
            values = s["values"]
            p = s.get("probabilities")
            i = int(rng.choice(len(values), p=_normalized(p) if p else None))
            return values[i]
        if d == "int_uniform":
            return int(rng.integers(int(s["min"]), int(s["max"]) + 1))
        if d == "uniform":
            return float(rng.uniform(s["min"], s["max"]))
        if d == "q_uniform":
            return _quantize(float(rng.uniform(s["min"], s["max"])), s["q"])
        if d in ("log_uniform_values", "q_log_uniform_values"):
            x = math.exp(rng.uniform(math.log(s["min"]), math.log(s["max"])))
            return _quantize(x, s["q"]) if d.startswith("q_") else x
        if d == "inv_log_uniform_values":
            # 1/x is log-uniform on [1/max, 1/min]
            return 1.0 / math.exp(rng.uniform(math.log(1 / s["max"]), math.log(1 / s["min"])))
        if d in ("normal", "q_normal"):
            x = float(rng.normal(s["mu"], s["sigma"]))
            return _quantize(x, s["q"]) if d == "q_normal" else x
        if d in ("log_normal", "q_log_normal"):
            x = float(math.exp(rng.normal(s["mu"], s["sigma"])))
            return _quantize(x, s["q"]) if d == "q_log_normal" else x
        if d in ("beta", "q_beta"):
            x = float(rng.beta(s["a"], s["b"]))
            return _quantize(x, s["q"]) if d == "q_beta" else x
        raise ValueError(f"unknown distribution {d}")

    def at_quantile(self, u: float) -> Any:
        """The value at quantile u in (0, 1) of this parameter's distribution: the same law as
        `sample` when u is uniform, so a space-filling design in u keeps W&B's meaning."""
        import statistics

        d, s = self.distribution, self.spec
        u = min(max(float(u), 1e-12), 1.0 - 1e-12)  # the open interval: ndtri(0) is -inf
        if d == "constant":
            return s["value"]
        if d in ("categorical", "categorical_w_probabilities"):
            values = s["values"]
            p = s.get("probabilities")
            weights = _normalized(p) if p else [1.0 / len(values)] * len(values)
            total = 0.0
            for value, w in zip(values, weights):
                total += w
                if u < total:
                    return value
            return next(v for v, w in zip(reversed(values), reversed(weights)) if w > 0)
        if d == "int_uniform":
            lo, hi = int(s["min"]), int(s["max"])
            return min(lo + int(u * (hi - lo + 1)), hi)
        if d in ("uniform", "q_uniform"):
            x = s["min"] + u * (s["max"] - s["min"])
            return _quantize(x, s["q"]) if d == "q_uniform" else float(x)
        if d in ("log_uniform_values", "q_log_uniform_values"):
            x = math.exp(math.log(s["min"]) + u * (math.log(s["max"]) - math.log(s["min"])))
            return _quantize(x, s["q"]) if d.startswith("q_") else x
        if d == "inv_log_uniform_values":
            lo, hi = math.log(1 / s["max"]), math.log(1 / s["min"])
            return 1.0 / math.exp(lo + u * (hi - lo))
        if d in ("normal", "q_normal", "log_normal", "q_log_normal"):
            # sigma 0 (or below, which numpy refuses to draw from) is the point mu
            x = statistics.NormalDist(s["mu"], s["sigma"]).inv_cdf(u) if s["sigma"] > 0 else float(s["mu"])
            x = math.exp(x) if "log" in d else x
            return _quantize(x, s["q"]) if d.startswith("q_") else float(x)
        if d in ("beta", "q_beta"):
            from scipy import special

            x = float(special.betaincinv(s["a"], s["b"], u))
            return _quantize(x, s["q"]) if d == "q_beta" else x
        raise ValueError(f"unknown distribution {d}")


def _normalized(p):
    total = float(sum(p))
    return [float(x) / total for x in p]


class Space:
    """Every leaf parameter of a normalized `parameters:` block, sorted by flattened key."""

    def __init__(self, parameters: dict):
        self.params: list[Param] = sorted(_leaves(parameters, ()), key=lambda p: p.key)

    def __iter__(self):
        return iter(self.params)

    def __len__(self):
        return len(self.params)

    @property
    def searchable(self) -> list[Param]:
        return [p for p in self.params if not p.is_constant]

    def grid_size(self) -> int:
        """How many points the grid over every parameter has (each axis: Param.grid_values)."""
        return math.prod(len(p.axis()) for p in self.params)

    def sample(self, rng) -> dict:
        return self.nest({p.path: p.sample(rng) for p in self.params})

    def misfits(self, nested: dict, partial: bool = False, params: list | None = None) -> list[str]:
        """'key: why' for each parameter (of `params`, default all) whose value in `nested` this
        space could not have drawn (missing ones too, unless `partial`); empty when they fit."""
        given = self.flatten(nested if isinstance(nested, dict) else {})
        out = []
        for p in self.params if params is None else params:
            if p.path not in given:
                if not partial:
                    out.append(f"{p.key}: missing")
            elif (why := p.misfit(given[p.path])) is not None:
                out.append(f"{p.key}: {why}")
        return out

    def canonical(self, nested: dict) -> dict:
        """A copy of `nested` with each of this space's values as its parameter would have drawn
        it (Param.canonical); keys the space does not have are kept as they are."""
        import copy

        out = copy.deepcopy(nested)
        for p in self.params:
            node = out
            for part in p.path[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and p.path[-1] in node:
                node[p.path[-1]] = p.canonical(node[p.path[-1]])
        return out

    def point_index(self, nested: dict) -> int | None:
        """The grid point these parameters are (grid.point's inverse), or None when one of them
        is missing or off its axis. Keys the space does not have are ignored."""
        index = 0
        given = self.flatten(nested if isinstance(nested, dict) else {})
        for p in self.params:
            if p.path not in given or (pos := p.position(given[p.path])) is None:
                return None
            index = index * p.axis_size() + pos
        return index

    @staticmethod
    def nest(flat: dict) -> dict:
        """{("opt", "lr"): 0.1, ("bs",): 8} -> {"opt": {"lr": 0.1}, "bs": 8}"""
        out: dict = {}
        for path, value in flat.items():
            node = out
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = value
        return out

    def flatten(self, nested: dict) -> dict:
        """Nested run parameters -> {path: value} for this space's leaves (missing ones left out)."""
        out = {}
        for p in self.params:
            node = nested
            try:
                for part in p.path:
                    node = node[part]
            except (KeyError, TypeError):
                continue
            out[p.path] = node
        return out

    def point_key(self, nested: dict) -> tuple:
        """The run's point among the searched parameters, comparable across runs (3 == 3.0)."""
        flat = self.flatten(nested) if isinstance(nested, dict) else {}
        return tuple(value_key(flat.get(p.path)) for p in self.searchable)


def _leaves(parameters: dict, prefix: tuple):
    for name, spec in parameters.items():
        path = prefix + (name,)
        if "parameters" in spec:
            yield from _leaves(spec["parameters"], path)
        else:
            yield Param(path, spec["distribution"], spec)
