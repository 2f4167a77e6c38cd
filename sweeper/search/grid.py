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


def covered(history: list[dict], retry_failed: bool = False) -> set[int]:
    """Grid points that have a run: in any state but crashed or interrupted (and failed, when
    retrying those)."""
    skip = {"crashed", "interrupted", "failed"} if retry_failed else {"crashed", "interrupted"}
    return {r["grid_index"] for r in history
            if r["grid_index"] is not None and not r["superseded"] and r["state"] not in skip}


def next_point(space, history: list[dict], retry_failed: bool = False):
    done = covered(history, retry_failed)
    for i in range(size(space)):
        if i not in done:
            return point(space, i), i
    return None
