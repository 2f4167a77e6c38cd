"""The store: the only state agents share. SQLite by default, PostgreSQL by URL.

Agents coordinate through it alone; one `Store` serves both engines (SQLAlchemy Core).

    base.py      the engine and `_tx`, one transaction retried while the store is away;
                 `_stream`, rows read a batch at a time (exports)
    lite.py      an SQLite store opened to read through sqlite3, without SQLAlchemy (status...)
    sql.py       the statements of the hot paths, as SQL text both engines read
    sweeps.py    sweeps: register, look up, change state
    leases.py    agents, heartbeats and leases by the store's clock; reaping; fencing
    claims.py    the next run of a sweep, under the sweep's lock (bayes: reserved under it,
                 suggested outside it); history.py: what a claim reads of the sweep's runs
    queue.py     parameter sets to run next: enqueued ones, reruns
    revisions.py a sweep's file over its life (--update), and the prior runs it learns from
    edits.py     names, tags, notes; stopping one run; deleting runs and sweeps
    runs.py      a run's updates and end, its metric lines and hyperband's band values, reads
    reads.py     what the pages read, aggregated and thinned by the database
    control.py   a user's moves of a sweep (pause, resume, stop, cancel) and the states they need
    tables.py    the tables; version.py, migrate.py: schema versions; location.py: where the store is

What readers may assume while agents write: every method is one transaction, so a read
sees a run either before or after a write, never half of it; a run's `summary`,
`best_value` and `n_lines` are updated in the same transaction as its metric lines; a run
in state `running` may have ended a moment ago (its agent has not told the store yet).
"""

from __future__ import annotations

from . import location
from .base import StoreBase
from .claims import GRID_EXHAUSTED, Claim, ClaimsMixin
from .encoding import RERUN, SWEEP_STATES, TERMINAL
from .errors import NoStore, NotFound, Refused, StoreError, StoreUnavailable
from .leases import HEARTBEAT_TIMEOUT, LeaseLost, LeasesMixin
from .edits import EditsMixin
from .queue import QueueMixin
from .reads import ReadsMixin
from .revisions import RevisionsMixin
from .runs import RunsMixin
from .sweeps import SweepsMixin

__all__ = ["Store", "open_store", "LeaseLost", "NoStore", "NotFound", "Refused", "StoreError", "StoreUnavailable", "Claim", "TERMINAL",
           "SWEEP_STATES", "RERUN", "GRID_EXHAUSTED", "HEARTBEAT_TIMEOUT"]


class Store(SweepsMixin, RevisionsMixin, LeasesMixin, ClaimsMixin, QueueMixin, EditsMixin, RunsMixin, ReadsMixin,
            StoreBase):
    """One store, SQLite or PostgreSQL. Methods raise StoreError (with a message for the user),
    StoreUnavailable (no answer for SWEEPER_STORE_TIMEOUT s) or NotFound."""


def open_store(url: str | None = None, start=None, create: bool = True, light: bool = False) -> Store:
    """The store at `url` (postgresql://..., sqlite:///PATH, a file path), or the nearest
    .sweeper/ folder upward from `start` (made in `start` when there is none).

    create=False opens only a store that exists (NoStore otherwise): for commands that read.
    light=True (with create=False): an SQLite store is opened without SQLAlchemy when it can
    be (store/lite.py): the read commands' start-up."""
    sa_url, root = location.resolve(url, start, create=create)
    if light and not create and sa_url.startswith("sqlite:///"):
        from .base import NeedsFullStore
        try:
            return Store(sa_url, root, create=False, light=True)
        except NeedsFullStore:
            pass
    return Store(sa_url, root, create=create)
