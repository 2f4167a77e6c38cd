"""A run's parameters as Hydra command-line overrides (standard library only).

W&B writes `k=v` with Python's str(): a nested block becomes `optim={'lr': 0.01}` and None
becomes `None`. Hydra's override grammar rejects the first (`no viable alternative at
input`) and reads the second as the string "None". Here nested parameters become dotted
keys (`optim.lr=0.01 optim.name=adam`), None becomes `null`, lists `[1,2]`, and a string
is quoted only where Hydra's grammar would read it as structure (`,` `=` brackets, quotes,
surrounding spaces): a value like `1e-4`, which YAML 1.1 loads as a string, stays unquoted
so that Hydra reads the number the user meant.
"""

from __future__ import annotations

import math
import re

# Characters an unquoted Hydra primitive may hold (hydra/grammar/OverrideLexer.g4: ID, the
# `/-+.$%*@?|:~` specials, backslashes not before quotes, inner whitespace). Anything else,
# or surrounding whitespace, needs quotes.
_PLAIN = re.compile(r"[A-Za-z0-9_/\-+.$%*@?|:~ ]+")
_INTERPOLATION = re.compile(r"\$\{[^{}]*\}")


def leaves(params: dict, prefix: str = "") -> list[tuple[str, object]]:
    """{"optim": {"lr": 0.01}, "bs": 8} -> [("optim.lr", 0.01), ("bs", 8)], in the params' order."""
    out: list[tuple[str, object]] = []
    for key, value in params.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(leaves(value, dotted + "."))
        else:
            out.append((dotted, value))
    return out


def value(v) -> str:
    """One value in Hydra's override grammar."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return str(v)  # Hydra reads True/False as booleans, as W&B writes them
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(f"{_key(k)}:{value(x)}" for k, x in v.items()) + "}"
    return _string(str(v))


def _key(k) -> str:
    k = str(k)
    return k if re.fullmatch(r"[A-Za-z0-9_\-]+", k) else _quote(k)


def _string(s: str) -> str:
    if s and s == s.strip() and (_PLAIN.fullmatch(s) or _only_interpolations(s)):
        return s
    return _quote(s)


def _only_interpolations(s: str) -> bool:
    # `${optim.lr}` is Hydra's own interpolation: passed through, as the user wrote it.
    rest = _INTERPOLATION.sub("", s)
    return bool(_INTERPOLATION.search(s)) and (not rest or bool(_PLAIN.fullmatch(rest)))


def _quote(s: str) -> str:
    # In a quoted Hydra string only backslashes right before a quote (or the closing one) are
    # escapes; each of those is doubled, and the quote itself escaped.
    out = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", s)
    out = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, out)
    return f"'{out}'"


def forms(params: dict, is_group_choice=None) -> dict[str, list[str]]:
    """The Hydra macros' argv elements.

    `args_hydra` (sweeper's own) overrides a config group's choice as `group=option` and
    everything else as `++key=value`, which sets a key whether or not the config has it;
    is_group_choice(key, value) says which is which (see app.py).
    """
    items = [(k, value(v)) for k, v in leaves(params)]
    raw = dict(leaves(params))
    group = is_group_choice or (lambda k, v: False)
    return {
        "args_no_hyphens": [f"{k}={v}" for k, v in items],
        "args_append_hydra": [f"+{k}={v}" for k, v in items],
        "args_override_hydra": [f"++{k}={v}" for k, v in items],
        "args_hydra": [f"{k}={v}" if group(k, raw[k]) else f"++{k}={v}" for k, v in items],
    }
