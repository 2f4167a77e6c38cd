"""Grid search, in W&B's order.

Parameters sorted by flattened name; the cartesian product with the last parameter varying
fastest; each axis keeps its values' first-appearance order with duplicates collapsed.
Point i of the grid is found by mixed-radix arithmetic, so a grid of millions of points
costs nothing to hold.
"""

from __future__ import annotations


def axes(space) -> list[list]:
    return [p.grid_values() for p in space]


def size(space) -> int:
    return space.grid_size()


def point(space, index: int) -> dict:
    values = {}
    for param, axis in reversed(list(zip(space, axes(space)))):
        index, j = divmod(index, len(axis))
        values[param.path] = axis[j]
    return space.nest({p.path: values[p.path] for p in space})


def rerun_states(retry_failed: bool = False) -> tuple[str, ...]:
    """States whose grid point needs another run: crashed and interrupted (and failed, when
    retrying those)."""
    from ..store.encoding import RERUN

    return RERUN + ("failed",) if retry_failed else RERUN


def covered(history: list[dict], retry_failed: bool = False) -> set[int]:
    """Grid points that have a run that counts: in any state but those of rerun_states."""
    skip = rerun_states(retry_failed)
    return {r["grid_index"] for r in history
            if r["grid_index"] is not None and not r["superseded"] and r["state"] not in skip}


def next_point(space, history, retry_failed: bool = False):
    """(params, index) of the lowest grid point that needs a run, or None. history: a
    store.history.SweepHistory or RunList."""
    found = history.open_grid_point(size(space), rerun_states(retry_failed))
    if found is None:
        return None
    return point(space, found[0]), found[0]
