"""Rules a sweep file must follow that JSON Schema cannot say (or says badly).

W&B's validator lets several of these through and the sweep then fails when runs start
(a grid over a continuous parameter, bayes without a metric). sweeper refuses them at
registration, where the user is still looking.
"""

from __future__ import annotations

import math
import re
import sys

from .macros import ENVVAR, KNOWN_MACROS, macro_name
from .problems import Problem, describe, did_you_mean
from .space import (
    BOUNDED,
    DEPRECATED,
    DISCRETE,
    DISTRIBUTIONS,
    LOG_SCALED,
    flat_key,
    infer_distribution,
)

_NUMBER_KEYS = ("min", "max", "mu", "sigma", "q", "a", "b")
_PARAM_KEYS = ("distribution", "value", "values", "probabilities", "min", "max", "mu",
               "sigma", "q", "a", "b", "parameters")
# `${envvar:name}` whose name is not upper case: W&B's agent leaves it as it is (its rule, kept).
_ENVVAR_NOT_UPPER = re.compile(r"\$\{envvar:([^}]*[^A-Z0-9_}][^}]*)\}")
# A grid axis is held as a list; past this many values that list alone takes seconds and
# hundreds of MB, and no grid that size is ever run to the end.
MAX_GRID_AXIS = 1_000_000
# How deep lists and mappings may nest, the top mapping being level 1. W&B's nested parameters
# take two levels each and need a handful; the schema validator, deepcopy and the YAML dumper
# recurse per level, and the whole path of load_dict first overflows Python's stack near 240.
MAX_DEPTH = 100
# How many nodes (values, lists, mappings) aliases, or objects shared inside a dict, may add once
# each is expanded where it is used. The validator, the store's JSON and the dry-run print all
# expand them: 460 bytes of nine aliases per level stand for 9^9 lists. Reusing an anchor adds
# dozens; a file written out longer than this needs no aliases and is not limited.
MAX_ADDED_NODES = 100_000
_CAP = 10**12  # counts stop here: enough to refuse, and no integers with thousands of digits


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_parameters(params, path, skip: set) -> list[Problem]:
    """Semantic problems of a `parameters:` mapping, recursing into nested ones."""
    out: list[Problem] = []
    if not isinstance(params, dict):
        return out
    for name, spec in params.items():
        here = path + (name,)
        if not isinstance(name, str):
            # YAML reads `1:` or `true:` as a number or a boolean, which the schema's name pattern skips.
            out.append(Problem(here, f"parameter name {describe(name)} is not allowed: a name starts with a "
                                     "letter or _ (quote it if you mean the text)"))
            continue
        if here in skip or not isinstance(spec, dict):
            continue
        out += _check_parameter(spec, here, skip)
    return out


def _check_parameter(spec: dict, here: tuple, skip: set) -> list[Problem]:
    out: list[Problem] = []
    if "parameters" in spec:
        others = sorted(k for k in spec if k != "parameters")
        if others:
            out.append(Problem(here, f"a parameter with nested 'parameters' takes no other keys; found {', '.join(others)}"))
        return out + check_parameters(spec["parameters"], here + ("parameters",), skip)

    dist = infer_distribution(spec)
    if dist is None:
        if "min" in spec or "max" in spec:
            missing = "max" if "min" in spec else "min"
            return [Problem(here, f"'{missing}' is missing: a range needs both min and max")]
        return [Problem(here, "expected one of: value, values, min and max, distribution, or parameters; "
                              f"found {', '.join(sorted(spec)) or 'an empty mapping'}")]
    if dist in DEPRECATED:
        return [_deprecated(spec, here, dist)]
    if dist not in DISTRIBUTIONS:  # the schema reports it
        return out
    takes, requires, _ = DISTRIBUTIONS[dist]
    if spec.get("distribution") == "categorical" and "probabilities" in spec:
        # W&B's schema refuses it; values with probabilities and no distribution key is fine.
        return [Problem(here + ("probabilities",), "distribution: categorical takes no probabilities (W&B refuses "
                                                   "it too): drop the distribution key, or write distribution: "
                                                   "categorical_w_probabilities")]
    if dist == "categorical" and "probabilities" in spec:
        requires = ("values", "probabilities")
    for key in spec:
        if key != "distribution" and key not in takes and key in _PARAM_KEYS:
            out.append(Problem(here + (key,), f"'{key}' does not apply to distribution {dist} "
                                              f"(it takes: {', '.join(takes)})"))
    for key in requires:
        if key not in spec:
            out.append(Problem(here, f"distribution {dist} needs '{key}'"))
    for key in _NUMBER_KEYS:
        if _num(spec.get(key)) and not math.isfinite(spec[key]):
            out.append(Problem(here + (key,), f"expected a finite number; found {spec[key]}"))
    if out:
        return out

    if dist == "int_uniform":
        for key in ("min", "max"):
            v = spec[key]
            if _num(v) and not float(v).is_integer():
                out.append(Problem(here + (key,), f"int_uniform needs integer bounds; found {describe(v)}"))
            elif isinstance(v, float):
                out.append(Problem(here + (key,), f"int_uniform needs integer bounds; found {v!r}, a float (W&B "
                                                  f"refuses it too): write {int(v)}"))
    if dist in BOUNDED and _num(spec.get("min")) and _num(spec.get("max")):
        if not spec["min"] < spec["max"]:
            out.append(Problem(here + ("min",), f"min must be below max; found min {spec['min']} and max {spec['max']}"))
        if dist in LOG_SCALED and spec["min"] <= 0:
            out.append(Problem(here + ("min",), f"{dist} needs min > 0 (it is a bound on the value, "
                                                f"not its logarithm); found {spec['min']}"))
    if "probabilities" in spec and isinstance(spec.get("values"), list) and isinstance(spec["probabilities"], list):
        p, v = spec["probabilities"], spec["values"]
        if len(p) != len(v):
            out.append(Problem(here + ("probabilities",), f"expected {len(v)} probabilities, one per value; found {len(p)}"))
        elif all(_num(x) for x in p) and not math.isclose(sum(p), 1.0, abs_tol=1e-6):
            out.append(Problem(here + ("probabilities",), f"probabilities must sum to 1; they sum to {sum(p):g}"))
    return out


def _deprecated(spec, here, dist) -> Problem:
    new = DEPRECATED[dist]
    hint = ""
    if _num(spec.get("min")) and _num(spec.get("max")):
        try:
            lo, hi = math.exp(spec["min"]), math.exp(spec["max"])
            if dist == "inv_log_uniform":
                lo, hi = math.exp(-spec["max"]), math.exp(-spec["min"])
            hint = f": here that is min: {lo:.6g}, max: {hi:.6g}"
        except OverflowError:  # e^710 and up: no value to suggest
            pass
    return Problem(here + ("distribution",),
                   f"distribution '{dist}' takes min and max as natural logarithms and is deprecated; "
                   f"use '{new}' with the values themselves{hint}")


def leaf_specs(params, path=()):
    """(path, spec) of every leaf parameter, nested ones included, for well-formed input."""
    if not isinstance(params, dict):
        return
    for name, spec in params.items():
        if not isinstance(spec, dict) or not isinstance(name, str):
            continue
        if "parameters" in spec:
            yield from leaf_specs(spec["parameters"], path + (name,))
        else:
            yield path + (name,), spec


def check_sweep(cfg: dict, skip: set) -> list[Problem]:
    """Rules across the whole file: method against parameters, metric, early_terminate, command."""
    out: list[Problem] = []
    params = cfg.get("parameters")
    out += check_parameters(params, ("parameters",), skip)

    leaves = list(leaf_specs(params))
    seen: dict[str, tuple] = {}
    for path, _ in leaves:
        key = flat_key(path)
        if key in seen:
            # Runs, tables and the grid order know a parameter by its flattened name.
            out.append(Problem(("parameters",) + _nested_path(path),
                               f"this parameter and parameters.{'.parameters.'.join(seen[key])} both "
                               f"flatten to '{key}'; rename one"))
        seen[key] = path

    method = cfg.get("method")
    if method == "grid":
        for path, spec in leaves:
            dist = infer_distribution(spec)
            where = ("parameters",) + _nested_path(path)
            if where in skip:  # malformed: its schema problem is already reported
                continue
            if dist not in DISCRETE and dist not in DEPRECATED and dist in DISTRIBUTIONS:
                out.append(Problem(where, f"grid search needs discrete parameters, and {flat_key(path)} is {dist}: "
                                          "give it values, or use int_uniform or q_uniform, or method random or bayes"))
            elif (n := _axis_length(dist, spec)) is not None and n > MAX_GRID_AXIS:
                out.append(Problem(where, f"grid search lists every value of {flat_key(path)}, and this {dist} has "
                                          f"{f'{n:,}' if math.isfinite(n) else 'countless'} of them, "
                                          f"more than the {MAX_GRID_AXIS:,} sweeper enumerates: use "
                                          + ("a larger q" if dist == "q_uniform" else "q_uniform with a q above 1")
                                          + ", or method random"))
            elif "probabilities" in spec:
                out.append(Problem(where + ("probabilities",),
                                   "grid search runs every value once, so probabilities mean nothing here; "
                                   "remove them or use method random"))
    if method == "bayes":
        if "metric" not in cfg:
            out.append(Problem(("method",), "bayes search needs a metric to optimize: add metric: {name: ..., goal: ...}"))
        if leaves and all(infer_distribution(s) == "constant" for _, s in leaves):
            out.append(Problem(("parameters",), "bayes search needs at least one parameter that varies; all are constant"))
    if "early_terminate" in cfg and "metric" not in cfg:
        out.append(Problem(("early_terminate",), "early_terminate judges runs by the sweep metric: add metric: {name: ..., goal: ...}"))

    # JSON Schema's "number" lets .inf and .nan through; hyperband's bands and the target need real numbers.
    for section, keys in (("metric", ("target",)), ("early_terminate", ("eta", "s"))):
        block = cfg.get(section)
        for key in keys if isinstance(block, dict) else ():
            if _num(block.get(key)) and not math.isfinite(block[key]):
                out.append(Problem((section, key), f"expected a finite number; found {block[key]}"))

    et = cfg.get("early_terminate")
    if isinstance(et, dict) and "min_iter" not in et:
        if "max_iter" not in et or "s" not in et:
            missing = [k for k in ("max_iter", "s") if k not in et]
            out.append(Problem(("early_terminate",), "hyperband needs min_iter, or max_iter with s; "
                                                     f"missing {' and '.join(missing)}"))

    command = cfg.get("command")
    if isinstance(command, list):
        for i, element in enumerate(command):
            if not isinstance(element, str):
                continue
            lower = _ENVVAR_NOT_UPPER.search(element)
            if lower:
                out.append(Problem(("command", i), f"${{envvar:{lower.group(1)}}} is not written out: as in W&B's "
                                                   "agent, only upper-case names (A-Z, 0-9, _) are substituted",
                                   warning=True))
            if ENVVAR.fullmatch(element):
                continue  # written out before the command is built: not a macro
            name = macro_name(element)
            if name is not None and name not in KNOWN_MACROS and not lower:
                out.append(Problem(("command", i), f"unknown macro {element}; it would be left out of the command, "
                                                   f"as W&B's agent leaves it out (known: "
                                                   f"{', '.join(sorted(KNOWN_MACROS))}){did_you_mean(name, KNOWN_MACROS)}",
                                   warning=True))
    return out


def _axis_length(dist: str, spec: dict) -> int | None:
    """How many grid values a range gives, counted without listing them (None: not a range)."""
    lo, hi, q = spec.get("min"), spec.get("max"), spec.get("q", 1)
    if dist not in ("int_uniform", "q_uniform") or not all(_num(x) and math.isfinite(x) for x in (lo, hi, q)) or q <= 0:
        return None
    if dist == "int_uniform":
        return int(hi) - int(lo) + 1
    n = (hi - lo) / q
    # Bounds near the float limit make the quotient infinite: too many to list, as any over the cap.
    return max(0, math.ceil(n)) if math.isfinite(n) else math.inf


def _nested_path(path: tuple) -> tuple:
    out: tuple = ()
    for i, part in enumerate(path):
        out += (part,) if i == 0 else ("parameters", part)
    return out


def measure(root, children):
    """Nodes and levels of every container under `root`, shared ones counted where each is used,
    visiting each container once and without recursion (depth cannot exhaust the stack).

    children(x) is None for a leaf, else x's children. Returns (shape, written, loop): shape maps
    id(container) to (nodes, levels) as expanded; written counts nodes as written (a shared
    container once); loop is a container found inside itself (then shape is incomplete).
    """
    shape: dict[int, tuple[int, int]] = {}
    kids = children(root)
    if kids is None:
        return shape, 1, None
    written = 1
    stack = [(root, iter(kids), [1, 1])]
    open_ids = {id(root)}
    while stack:
        node, it, acc = stack[-1]
        for child in it:
            written += 1
            sub = children(child)
            if sub is None:
                acc[0] += 1
                continue
            known = shape.get(id(child))
            if known is None:
                if id(child) in open_ids:
                    return shape, written, child
                open_ids.add(id(child))
                stack.append((child, iter(sub), [1, 1]))
                break
            acc[0], acc[1] = min(acc[0] + known[0], _CAP), max(acc[1], known[1] + 1)
        else:
            stack.pop()
            open_ids.discard(id(node))
            shape[id(node)] = (acc[0], acc[1])
            if stack:
                up = stack[-1][2]
                up[0], up[1] = min(up[0] + acc[0], _CAP), max(up[1], acc[1] + 1)
    return shape, written, None


def _data_children(x):
    if isinstance(x, dict):
        return [part for item in x.items() for part in item]
    return x if isinstance(x, (list, tuple)) else None


def check_shape(cfg: dict) -> list[Problem]:
    """A config dict that every later step (schema, rules, normalize, the store) can walk: no
    container inside itself, at most MAX_DEPTH levels, sharing that adds at most MAX_ADDED_NODES.
    Checked before anything else, since those steps recurse and expand shared objects."""
    shape, written, loop = measure(cfg, _data_children)
    if loop is not None:
        where = next(((k,) for k, v in cfg.items() if measure(v, _data_children)[2] is not None), ())
        return [Problem(where, "holds a list or mapping that contains itself; a sweep config is a tree")]
    nodes, levels = shape[id(cfg)]
    tops = [(shape.get(id(v), (1, 0)), k) for k, v in cfg.items()]
    if levels > MAX_DEPTH:
        key = max(tops, key=lambda t: t[0][1])[1]
        return [Problem((key,), f"lists and mappings nest {levels} levels deep, more than the {MAX_DEPTH} "
                                "a sweep config may have (nested parameters take two levels each)")]
    if nodes - written > MAX_ADDED_NODES:
        key = max(tops, key=lambda t: t[0][0])[1]
        return [Problem((key,), f"objects used in several places expand this config to {count_nodes(nodes)} nodes, "
                                f"{count_nodes(nodes - written)} more than it holds, past the {MAX_ADDED_NODES:,} "
                                "that sharing may add")]
    return []


def check_values(cfg: dict, limit: int = 20) -> list[Problem]:
    """Leaves the rules and the grid can compute with: an integer past the float range makes
    math.isfinite and float() raise, and an unhashable one (a YAML !!set, an array) cannot be
    told apart from the other values. Walks each shared container once (check_shape ran first)."""
    out: list[Problem] = []
    seen: set[int] = set()
    stack: list = [((), cfg)]
    while stack and len(out) < limit:
        path, x = stack.pop()
        if isinstance(x, (dict, list, tuple)):
            if id(x) not in seen:
                seen.add(id(x))
                items = list(x.items() if isinstance(x, dict) else enumerate(x))
                if any(_huge(k) for k, _ in items):  # not in a path: printing it would raise
                    out.append(Problem(path, f"a key here is {_TOO_LARGE}"))
                    continue
                stack.extend((path + (k,), v) for k, v in reversed(items))
        elif _huge(x):
            out.append(Problem(path, f"this is {_TOO_LARGE}"))
        else:
            try:
                hash(x)
            except TypeError:
                out.append(Problem(path, "expected a number, a string, true or false, null, a list or a "
                                         f"mapping; found {describe(x)}"))
    return out


_TOO_LARGE = "an integer too large for a number: sweeper computes with 64-bit floats, up to about 1.8e308"


def _huge(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and abs(x) > sys.float_info.max


def count_nodes(n: int) -> str:
    """A count from measure, which stops counting at _CAP."""
    return f"more than {_CAP:,}" if n >= _CAP else f"{n:,}"
