"""Search methods. Each picks the next run's parameters from the sweep's history.

bayes.py (the method: observations, pending runs, imputation), gp.py (its Gaussian process),
acquisition.py (log expected improvement, sampled and climbed), unit_cube.py (parameters <-> the
cube the model works in).

`choose` is what the store calls inside a claim (under the sweep's lock), so a method sees
every run that exists, running ones included, and no two agents get the same grid point.
The history answers only what is asked (store/history.py): random needs the next run's
number, grid the first point that needs a run, bayes every run and the prior runs it learns
from (search/priors.py: other sweeps' runs, in its history with number 0 and prior=True).
"""

from __future__ import annotations

import zlib


def choose(sweep: dict, history, retry_failed: bool = False):
    """(params, grid_index) for the next run, or None when the method has nothing left.

    history: a store.history.SweepHistory, or a list of run dicts."""
    from ..store.history import RunList

    if isinstance(history, list):
        history = RunList(history)
    config = sweep["config"]
    space = space_of(sweep)
    method = config["method"]
    if method == "grid":
        from . import grid
        return grid.next_point(space, history, retry_failed)
    # Seeded by the run's position in the sweep (number - 1): the same draws on every replay.
    rng = run_rng(sweep["id"], history.next_number - 1)
    if method == "random":
        from . import random as random_search
        return random_search.suggest(space, rng), None
    if method == "bayes":
        from . import bayes
        from .priors import as_history
        # Prior runs (a warm start) come first, numbered 0 and marked prior: observations only.
        return bayes.suggest(space, config, as_history(config, history.priors()) + history.runs(), rng,
                             design=(zlib.crc32(sweep["id"].encode()), history.next_number - 1)), None
    raise ValueError(f"unknown method {method!r}")


_SPACES: dict = {}  # sweep id -> (its parameters, their Space): one per sweep an agent works on


def space_of(sweep: dict):
    """The sweep's Space, kept between claims while its parameters stay the same (a grid's axes
    are computed once, not once per claim)."""
    from ..sweepfile.space import Space

    parameters = sweep["config"]["parameters"]
    kept = _SPACES.get(sweep["id"])
    if kept is None or kept[0] != parameters:
        if len(_SPACES) > 64:
            _SPACES.clear()
        kept = _SPACES[sweep["id"]] = (parameters, Space(parameters))
    return kept[1]


def run_rng(sweep_id: str, n: int):
    """A generator seeded by the sweep and the run's position: a sweep replays the same draws."""
    import numpy as np

    return np.random.default_rng([zlib.crc32(sweep_id.encode()), n])
