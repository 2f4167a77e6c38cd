"""Sweep files: load, validate against the schema and the rules beside it, normalize.

`load_file(path)` and `load_dict(cfg)` return a SweepConfig or raise SweepConfigError
listing every problem, each with file, line, column and key path.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass, field
from importlib import resources

from . import checks
from .problems import Problem, SweepConfigError, describe, did_you_mean
from .space import DISTRIBUTIONS, Space, infer_distribution

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]
TOP_LEVEL_KEYS = ("program", "command", "method", "metric", "parameters", "early_terminate", "run_cap",
                  "name", "description", "project", "entity", "controller", "apiVersion", "kind",
                  "job", "image_uri")
_UNSUPPORTED = {
    "metrics": "multi-objective sweeps (metrics:) need W&B's custom method, which sweeper does not run",
    "scheduler": "custom schedulers (scheduler:) are W&B Launch features that sweeper does not run",
}


@dataclass
class SweepConfig:
    raw: dict  # as given
    normalized: dict  # defaults filled, distributions named
    source: str | None = None
    text: str | None = None  # the file's text, kept so the store holds exactly what was given
    warnings: list = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.normalized["method"]

    @property
    def metric(self) -> dict | None:
        return self.normalized.get("metric")

    @property
    def space(self) -> Space:
        return Space(self.normalized["parameters"])

    @property
    def grid_size(self) -> int | None:
        """How many points a grid sweep has; None for other methods."""
        return self.space.grid_size() if self.method == "grid" else None


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(resources.files("sweeper.sweepfile").joinpath("schema.json").read_text())


def load_file(path: str | os.PathLike) -> SweepConfig:
    from . import yamlfile

    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise SweepConfigError([Problem((), "no such file")], source) from None
    except IsADirectoryError:
        raise SweepConfigError([Problem((), "is a directory, not a sweep file")], source) from None
    except UnicodeDecodeError as exc:
        raise SweepConfigError([Problem((), f"is not UTF-8 text ({exc.reason} at byte {exc.start})")], source) from None
    except OSError as exc:
        raise SweepConfigError([Problem((), f"cannot be read: {exc.strerror}")], source) from None
    try:
        data, positions, warnings = yamlfile.loads(text)
    except yamlfile.YamlError as exc:
        raise SweepConfigError([exc.problem], source) from None
    if data is None:
        raise SweepConfigError([Problem((), "the file is empty: a sweep file needs at least method and parameters")], source)
    if not isinstance(data, dict):
        kind = describe(data).rsplit("(", 1)[-1].rstrip(")")
        article = "an" if kind[0] in "aeiou" else "a"
        raise SweepConfigError([Problem((), f"a sweep file is a mapping of keys (method:, parameters:, ...); "
                                            f"this one holds {article} {kind}: {describe(data)}",
                                        *positions.get((), (None, None)))], source)
    cfg = load_dict(data, source=source, positions=positions, extra_warnings=warnings)
    cfg.text = text
    return cfg


def load_dict(data: dict, source: str | None = None, positions: dict | None = None,
              extra_warnings: list | None = None) -> SweepConfig:
    if not isinstance(data, dict):
        raise SweepConfigError([Problem((), f"a sweep config is a mapping; found {describe(data)}")], source)
    positions = positions or {}
    # The schema validator, the rules and normalize recurse, and expand shared objects: a dict
    # nested a thousand levels, or inside itself, must be refused before any of them sees it;
    # and the rules compute with every number (an integer past the float range makes them raise).
    shape_problems = checks.check_shape(data) or checks.check_values(data)
    if shape_problems:
        raise SweepConfigError([_locate(p, positions) for p in shape_problems], source)
    schema_problems = _schema_problems(data)
    # A parameter the schema already faults would trip the rules beside it too; say it once.
    skip = {_parameter_of(p.path) for p in schema_problems} - {()}
    problems = schema_problems + checks.check_sweep(data, skip=skip)
    problems = [_locate(p, positions) for p in problems] + list(extra_warnings or [])
    errors = [p for p in problems if not p.warning]
    if errors:
        raise SweepConfigError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)), source)
    return SweepConfig(raw=copy.deepcopy(data), normalized=normalize(data), source=source,
                       warnings=[p for p in problems if p.warning])


def _parameter_of(path: tuple) -> tuple:
    """("parameters", "opt", "parameters", "lr", "min") -> ("parameters", "opt", "parameters", "lr")"""
    i = 0
    while i + 1 < len(path) and path[i] == "parameters":
        i += 2
    return path[:i]


def _locate(p: Problem, positions: dict) -> Problem:
    path = p.path
    while path and path not in positions:
        path = path[:-1]
    line, col = positions.get(path, (None, None))
    return Problem(p.path, p.message, line, col, p.warning)


def _schema_problems(data: dict) -> list[Problem]:
    import jsonschema

    validator = jsonschema.Draft7Validator(schema())
    out = []
    for err in validator.iter_errors(data):
        out += _translate(err, data)
    return out


def _translate(err, data) -> list[Problem]:
    path = tuple(err.absolute_path)
    v = err.validator
    if v == "additionalProperties":
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        out = []
        for key in extra:
            if path == () and key in _UNSUPPORTED:
                out.append(Problem((key,), _UNSUPPORTED[key]))
                continue
            what = "parameter setting" if path and path[0] == "parameters" else "key"
            out.append(Problem(path + (key,), f"unknown {what} '{key}'{did_you_mean(key, allowed)}; "
                                              f"expected one of: {', '.join(allowed)}"))
        return out
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        hint = ""
        if path == ():
            typo = [k for k in err.instance if did_you_mean(k, [missing])]
            if typo:
                hint = f" ('{typo[0]}' is not a key{did_you_mean(typo[0], [missing])})"
        return [Problem(path, f"missing required key '{missing}'{hint}")]
    if v == "enum" and path == ("method",) and err.instance == "custom":
        return [Problem(path, "method custom hands the search to a W&B Launch scheduler, which sweeper "
                              "does not run; expected one of: grid, random, bayes")]
    if v == "enum":
        options = ", ".join(str(o) for o in err.validator_value if o is not False)
        found = err.instance
        return [Problem(path, f"expected one of: {options}; found {describe(found)}"
                              f"{did_you_mean(found, err.validator_value) if isinstance(found, str) else ''}")]
    if v == "type":
        names = {"object": "a mapping", "array": "a list", "number": "a number", "integer": "an integer",
                 "string": "a string", "boolean": "true or false"}
        expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return [Problem(path, f"expected {' or '.join(names.get(e, e) for e in expected)}; "
                              f"found {describe(err.instance)}")]
    if v == "pattern" and "propertyNames" in err.schema_path:
        return [Problem(path + (err.instance,), f"parameter name '{err.instance}' is not allowed: a name starts "
                                                "with a letter or _ and holds only letters, digits, _ . and -")]
    if v == "minLength":
        return [Problem(path, f"expected a non-empty string; found {describe(err.instance)}")]
    if v == "minProperties":
        return [Problem(path, "expected at least one parameter; found none")]
    if v == "minItems":
        return [Problem(path, f"expected at least {err.validator_value} item; found an empty list")]
    if v in ("minimum", "exclusiveMinimum"):
        op = ">=" if v == "minimum" else ">"
        kind = "an integer" if err.schema.get("type") == "integer" else "a number"
        return [Problem(path, f"expected {kind} {op} {err.validator_value}; found {describe(err.instance)}")]
    return [Problem(path, err.message)]


def normalize(data: dict) -> dict:
    """Defaults filled in and every parameter's distribution named, as W&B reads the file."""
    out = copy.deepcopy(data)
    out["parameters"] = _normalize_params(out["parameters"])
    out.setdefault("command", list(DEFAULT_COMMAND))
    if "metric" in out:
        m = out["metric"]
        m.setdefault("goal", "minimize")
        m.setdefault("impute", "worst")
        # W&B spells "off" as the string "false"; an unquoted `false` in YAML means the same.
        if m.get("impute_while_running", False) is False:
            m["impute_while_running"] = "false"
    if "early_terminate" in out:
        et = out["early_terminate"]
        et.setdefault("eta", 3)
        et.setdefault("strict", True)
    return out


def _normalize_params(params: dict) -> dict:
    out = {}
    for name, spec in params.items():
        if "parameters" in spec:
            out[name] = {"parameters": _normalize_params(spec["parameters"])}
            continue
        dist = infer_distribution(spec)
        if dist == "categorical_w_probabilities":
            dist = "categorical"
        filled = dict(spec)
        filled["distribution"] = dist
        for key, default in DISTRIBUTIONS[dist][2].items():
            filled.setdefault(key, default)
        if dist == "int_uniform":
            filled["min"], filled["max"] = int(filled["min"]), int(filled["max"])
        out[name] = filled
    return out
