"""Search methods. Each picks the next run's parameters from the sweep's history.

`choose` is what the store calls inside a claim (under the sweep's lock), so a method sees
every run that exists, running ones included, and no two agents get the same grid point.
"""

from __future__ import annotations

import zlib


def choose(sweep: dict, history: list[dict], retry_failed: bool = False):
    """(params, grid_index) for the next run, or None when the method has nothing left."""
    from ..sweepfile.space import Space

    config = sweep["config"]
    space = Space(config["parameters"])
    method = config["method"]
    if method == "grid":
        from . import grid
        return grid.next_point(space, history, retry_failed)
    rng = run_rng(sweep["id"], len(history))
    if method == "random":
        from . import random as random_search
        return random_search.suggest(space, rng), None
    if method == "bayes":
        from . import bayes
        return bayes.suggest(space, config, history, rng), None
    raise ValueError(f"unknown method {method!r}")


def run_rng(sweep_id: str, n: int):
    """A generator seeded by the sweep and the run's position: a sweep replays the same draws."""
    import numpy as np

    return np.random.default_rng([zlib.crc32(sweep_id.encode()), n])
