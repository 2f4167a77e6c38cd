"""What changes when a registered sweep gets a new file (`sweeper sweep FILE --update ID`).

A pure comparison of the sweep's normalized config with the new one: the changes in words,
what cannot change (the metric: the runs' best values are of it), and the value earlier runs
are taken to have had for each parameter the new file adds. The store applies the plan
(store/revisions.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .space import Space


@dataclass
class UpdatePlan:
    changes: list[str] = field(default_factory=list)  # sentences, in file order
    refusals: list[str] = field(default_factory=list)  # why it cannot be applied
    defaults: dict = field(default_factory=dict)  # dotted key -> value earlier runs get
    needs_default: list[str] = field(default_factory=list)  # added parameters with no value for earlier runs
    warnings: list[str] = field(default_factory=list)  # applied all the same, but worth a look

    @property
    def ok(self) -> bool:
        return not self.refusals and not self.needs_default


def _show(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def plan(old: dict, new: dict, defaults: dict | None = None, has_runs: bool = True) -> UpdatePlan:
    """Compare normalized configs `old` and `new`. defaults: {dotted key: value} given by the
    user for parameters the new file adds."""
    out = UpdatePlan()
    defaults = dict(defaults or {})
    for key in sorted(set(old) | set(new) - {"parameters"}, key=_key_order):
        if key == "parameters" or old.get(key) == new.get(key):
            continue
        if key == "metric":
            _metric(old.get(key) or {}, new.get(key) or {}, out)
        elif key not in new:
            out.changes.append(f"{key}: removed (was {_show(old[key])})")
        elif key not in old:
            out.changes.append(f"{key}: {_show(new[key])} (new)")
        else:
            out.changes.append(f"{key}: {_show(old[key])} -> {_show(new[key])}")
    before = {p.key: p for p in Space(old["parameters"])}
    after = {p.key: p for p in Space(new["parameters"])}
    for key in sorted(set(before) | set(after)):
        if key not in after:
            out.changes.append(f"parameters.{key}: removed (earlier runs keep the value they had)")
        elif key not in before:
            p = after[key]
            if key in defaults:
                value = defaults.pop(key)
            elif p.is_constant:
                value = p.spec["value"]
            elif not has_runs:
                out.changes.append(f"parameters.{key}: added ({_spec(p)})")
                continue
            else:
                out.needs_default.append(key)
                continue
            value = p.canonical(value)
            why = p.misfit(value)
            if why is not None:
                out.warnings.append(f"--default {key}={_show(value)}: {why}; earlier runs are on no point of the new "
                                    "parameter's space" + (" (a grid runs every point again)" if new["method"] == "grid"
                                                            else ""))
            out.defaults[key] = value
            out.changes.append(f"parameters.{key}: added ({_spec(p)}); earlier runs count as {key}={_show(value)}")
        elif before[key].spec != after[key].spec:
            out.changes.append(f"parameters.{key}: {_spec_change(before[key], after[key])}")
    for key in defaults:
        out.refusals.append(f"--default {key}: the new file adds no parameter {key}"
                            + (" (it was there before)" if key in before else ""))
    return out


def _key_order(key: str) -> tuple:
    from .load import TOP_LEVEL_KEYS

    return (TOP_LEVEL_KEYS.index(key) if key in TOP_LEVEL_KEYS else len(TOP_LEVEL_KEYS), key)


def _metric(old: dict, new: dict, out: UpdatePlan) -> None:
    for part in ("name", "goal"):
        if old.get(part) != new.get(part):
            out.refusals.append(
                f"metric.{part} cannot change ({_show(old.get(part))} -> {_show(new.get(part))}): the runs' "
                "best values are of the old one; register the file as a new sweep instead, and let it learn "
                "from this one with --prior-sweep")
    for part in sorted((set(old) | set(new)) - {"name", "goal"}):
        if old.get(part) != new.get(part):
            out.changes.append(f"metric.{part}: {_show(old.get(part))} -> {_show(new.get(part))}")


def _spec(p) -> str:
    body = {k: v for k, v in p.spec.items() if k != "distribution"}
    return f"{p.distribution} {_show(body)}"


def _spec_change(a, b) -> str:
    if a.distribution != b.distribution:
        return f"{_spec(a)} -> {_spec(b)}"
    if "values" in a.spec and "values" in b.spec:
        from .space import value_key

        was = {value_key(v) for v in a.spec["values"]}
        now = {value_key(v) for v in b.spec["values"]}
        added = [v for v in b.spec["values"] if value_key(v) not in was]
        removed = [v for v in a.spec["values"] if value_key(v) not in now]
        bits = ([f"values added {_show(added)}"] if added else []) + ([f"removed {_show(removed)}"] if removed else [])
        rest = {k for k in set(a.spec) | set(b.spec) if k != "values" and a.spec.get(k) != b.spec.get(k)}
        bits += [f"{k} {_show(a.spec.get(k))} -> {_show(b.spec.get(k))}" for k in sorted(rest)]
        return ", ".join(bits) or "values reordered"
    keys = sorted(k for k in set(a.spec) | set(b.spec) if a.spec.get(k) != b.spec.get(k))
    return ", ".join(f"{k} {_show(a.spec.get(k))} -> {_show(b.spec.get(k))}" for k in keys)
