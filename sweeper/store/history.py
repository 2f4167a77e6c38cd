"""What a claim knows of its sweep's runs: read from the database as the search method asks.

A claim holds the sweep's lock, and a sweep may have 10,000 runs: reading them all for every
claim made each claim cost more than the last. Each method asks only for what it uses, and
each answer comes from an index, so a claim costs about the same at any size:

- random: the next run's number (its draws are seeded by it) -- max(number), index (sweep_id, number);
- grid: the first point that needs a run -- the lowest re-runnable point (index (sweep_id, state)),
  else the point after the highest one claimed (the unique index of live grid points). Points
  are claimed lowest first, so the claimed ones are always 0..highest: a point above it has no run.
  Unless the sweep has `grid_gaps` (a `sweep --update` re-numbered its grid, or an enqueued point
  was taken out of order): then the lowest point with no live run is searched for (one pass over
  the index of live grid points);
- bayes: up to CAPPED_FROM live runs, every run; beyond, what its model keeps (search/bayes.py
  conditions on at most OBSERVATION_CAP runs: the best half and the most recent half, failures
  imputed with the worst or best value seen): the KEPT_ROWS best and worst by best_value (index
  (sweep_id, best_value)), the KEPT_ROWS most recent (index (sweep_id, number)) and the running
  ones (pending points), so the model sees the same runs and the read costs the same at 2,000
  runs or 100,000. Read outside the lock for a run already reserved (claims.py, Snapshot
  below), with the prior runs of other sweeps it learns from (a warm start).

The run_cap check counts the live runs only when the sweep has a run_cap and as many runs in all.
"""

from __future__ import annotations

from . import sql
from .encoding import loads

_COUNT_ALL = "SELECT count(*) FROM runs WHERE sweep_id = :sweep"  # from the index (sweep_id, number) alone
_COUNT_LIVE = "SELECT count(*) FROM runs WHERE sweep_id = :sweep AND NOT superseded"
_TOP_NUMBER = "SELECT max(number) FROM runs WHERE sweep_id = :sweep"
_COUNT_RUNNING = "SELECT count(*) FROM runs WHERE sweep_id = :sweep AND state = 'running' AND NOT superseded"
_TOP_POINT = ("SELECT max(grid_index) FROM runs "
              "WHERE sweep_id = :sweep AND grid_index IS NOT NULL AND NOT superseded")
_LIVE_POINT = "SELECT 1 FROM runs WHERE sweep_id = :sweep AND grid_index = 0 AND NOT superseded"
_FIRST_GAP = ("SELECT min(a.grid_index) + 1 FROM runs a WHERE a.sweep_id = :sweep AND a.grid_index IS NOT NULL "
              "AND NOT a.superseded AND NOT EXISTS (SELECT 1 FROM runs b WHERE b.sweep_id = :sweep "
              "AND b.grid_index = a.grid_index + 1 AND NOT b.superseded)")


# What a search method reads of each run (bayes, search/priors.py): not the command, the
# error or the timings. Read as plain rows and decoded here: SQLAlchemy's row mappings and
# run_dict cost about 3x as much at 10,000 runs (benchmarks/scale.py, bayes).
METHOD_COLUMNS = ("id", "sweep_id", "number", "state", "params", "grid_index", "superseded", "best_value",
                  "best_step", "summary", "metric_iter", "band", "n_lines", "origin")
SWEEP_RUNS = f"SELECT {', '.join(METHOD_COLUMNS)} FROM runs WHERE sweep_id = :sweep ORDER BY number"

# Beyond CAPPED_FROM live runs a bayes claim reads only the runs its model can keep. KEPT_ROWS
# is well above search/bayes.py's OBSERVATION_CAP (tests/store/test_bayes_claims.py checks it):
# the most recent half of what the model keeps is counted among runs that give a value, and
# some of the most recent runs may be running.
CAPPED_FROM = 1000
KEPT_ROWS = 400
_LIVE = "FROM runs WHERE sweep_id = :sweep AND NOT superseded"
_KEPT_IDS = " UNION ".join([  # each part in a subquery of its own: SQLite takes LIMIT only there
    f"SELECT id FROM (SELECT id {_LIVE} AND best_value IS NOT NULL ORDER BY best_value, number LIMIT :k) b",
    f"SELECT id FROM (SELECT id {_LIVE} AND best_value IS NOT NULL ORDER BY best_value DESC, number LIMIT :k) w",
    f"SELECT id FROM (SELECT id {_LIVE} ORDER BY number DESC LIMIT :k) r",
    f"SELECT id {_LIVE} AND state = 'running'",
])
KEPT_RUNS = (f"SELECT {', '.join(METHOD_COLUMNS)} FROM runs WHERE sweep_id = :sweep AND id IN ({_KEPT_IDS}) "
             "ORDER BY number")


def method_runs(conn, sweep_id: str, sqlite: bool, capped: bool = False) -> list[dict]:
    """The sweep's runs as a search method reads them, in number order: every run, or with
    capped=True and more than CAPPED_FROM live runs, those a bayes model keeps (above)."""
    statement, extra = SWEEP_RUNS, {}
    if capped and (sql.run(conn, _COUNT_LIVE, sqlite, sweep=sweep_id).scalar() or 0) > CAPPED_FROM:
        statement, extra = KEPT_RUNS, {"k": KEPT_ROWS}
    out = []
    for row in sql.run(conn, statement, sqlite, sweep=sweep_id, **extra).all():
        run = dict(zip(METHOD_COLUMNS, row))
        run["params"] = loads(run["params"])
        run["summary"] = loads(run["summary"]) if run["summary"] else None
        run["superseded"] = bool(run["superseded"])
        out.append(run)
    return out


def _reopened(states: tuple[str, ...]) -> str:
    # Not min(grid_index) in SQL: SQLite then walks the grid index (every live point) instead of
    # the few runs in these states by (sweep_id, state). states are the code's words, not a user's.
    marks = ", ".join(f"'{s}'" for s in states)
    return f"SELECT grid_index FROM runs WHERE sweep_id = :sweep AND state IN ({marks}) AND NOT superseded"


class _History:
    """What both kinds of history answer alike from their counts."""

    def has_reached(self, cap: int | None) -> bool:
        """Whether the live runs number `cap` or more: counted only once the total does."""
        return cap is not None and self.total_count() >= cap and self.live_count() >= cap


class SweepHistory(_History):
    """The runs of one sweep as seen inside the claim's transaction; each figure read once."""

    def __init__(self, conn, sweep_id: str, sqlite: bool, gaps: bool = False):
        self._conn, self._sweep, self._sqlite, self._gaps = conn, sweep_id, sqlite, gaps
        self._memo: dict = {}

    def _scalar(self, statement: str):
        if statement not in self._memo:
            self._memo[statement] = sql.run(self._conn, statement, self._sqlite, sweep=self._sweep).scalar()
        return self._memo[statement]

    @property
    def next_number(self) -> int:
        """The number the next run gets: 1, 2, ... in claim order."""
        return (self._scalar(_TOP_NUMBER) or 0) + 1

    def total_count(self) -> int:
        """Every run, superseded ones too: an upper bound of live_count that costs less."""
        return int(self._scalar(_COUNT_ALL) or 0)

    def live_count(self) -> int:
        """Runs that count (a re-run grid point's earlier run does not)."""
        return int(self._scalar(_COUNT_LIVE) or 0)
    def running_count(self) -> int:
        return int(self._scalar(_COUNT_RUNNING) or 0)

    def open_grid_point(self, size: int, rerun_states: tuple[str, ...]) -> tuple[int, bool] | None:
        """(index, has a run) of the lowest grid point that needs a run: one whose live run
        ended in one of rerun_states, else the next one never claimed; None when none is left."""
        statement = _reopened(tuple(rerun_states))
        if statement not in self._memo:
            self._memo[statement] = min((i for (i,) in sql.run(self._conn, statement, self._sqlite, sweep=self._sweep)
                                         if i is not None), default=None)
        again = self._memo[statement]
        top = self.top_point()
        fresh = 0 if top is None else top + 1
        if self._gaps and top is not None:
            fresh = 0 if self._scalar(_LIVE_POINT) is None else self._scalar(_FIRST_GAP)
        if again is not None and again < fresh:
            return again, True
        return (fresh, False) if fresh < size else None

    def top_point(self) -> int | None:
        """The highest grid point a live run holds."""
        return self._scalar(_TOP_POINT)

    def priors(self) -> list[dict]:
        """The runs of elsewhere the sweep learns from (revisions.py), with their sweep's config."""
        if "priors" not in self._memo:
            from .revisions import read_priors
            self._memo["priors"] = read_priors(self._conn, self._sweep, self._sqlite)
        return self._memo["priors"]

    def runs(self) -> list[dict]:
        """Every run of the sweep, in number order (superseded ones included)."""
        if "runs" not in self._memo:
            self._memo["runs"] = method_runs(self._conn, self._sweep, self._sqlite, capped=True)
        return self._memo["runs"]


class RunList(_History):
    """The same questions asked of runs already in memory (tests, a sweep read in full)."""

    def __init__(self, runs: list[dict], priors: list[dict] | None = None):
        self._runs = list(runs)
        self._priors = list(priors or [])

    @property
    def next_number(self) -> int:
        return max((r.get("number") or 0 for r in self._runs), default=0) + 1

    def total_count(self) -> int:
        return len(self._runs)

    def live_count(self) -> int:
        return sum(1 for r in self._runs if not r.get("superseded"))

    def running_count(self) -> int:
        return sum(1 for r in self._runs if not r.get("superseded") and r.get("state") == "running")

    def open_grid_point(self, size: int, rerun_states: tuple[str, ...]) -> tuple[int, bool] | None:
        live = {r["grid_index"]: r["state"] for r in self._runs
                if r.get("grid_index") is not None and not r.get("superseded")}
        for i in range(size):
            if i not in live or live[i] in rerun_states:
                return i, i in live
        return None

    def top_point(self) -> int | None:
        return max((r["grid_index"] for r in self._runs
                    if r.get("grid_index") is not None and not r.get("superseded")), default=None)

    def priors(self) -> list[dict]:
        return self._priors

    def runs(self) -> list[dict]:
        return self._runs


class Snapshot(RunList):
    """Runs read outside the sweep's lock for a run already reserved with its number: the
    method's draws are seeded by that number, whatever was claimed since."""

    def __init__(self, runs: list[dict], number: int, priors: list[dict] | None = None):
        super().__init__(runs, priors)
        self._number = number

    @property
    def next_number(self) -> int:
        return self._number
