"""The statements an agent makes for every run, as SQL text prepared once per engine.

SQLAlchemy's expression language builds each statement anew, computes its cache key and
binds every parameter on every execution: about a millisecond of CPU per statement here,
and an agent makes a dozen per run (claim, facts, metric lines, end). These are written
once, as plain SQL both engines accept, with `:name` parameters turned into the driver's
own style once, and run with `exec_driver_sql` inside the same transactions (`_tx`), so
retries, errors and the engines' settings are those of every other statement. Everything
that is not on the per-run path stays in SQLAlchemy Core (tables.py), where it reads best.

Kept to SQL that SQLite (3.35+, for RETURNING) and PostgreSQL read alike: `false` for a
boolean, no casts, no `%` (psycopg's placeholder character).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .encoding import RERUN, TERMINAL

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@cache
def for_engine(sql: str, sqlite: bool) -> str:
    """`sql` with its `:name` parameters in the driver's style: sqlite3 reads `:name`
    itself; psycopg wants `%(name)s`."""
    if "%" in sql:
        raise ValueError("a '%' in hot-path SQL would be read by psycopg as a placeholder")
    return sql if sqlite else _NAMED.sub(r"%(\1)s", sql)


def run(conn, sql: str, sqlite: bool, **params):
    """Execute one statement (a CursorResult: .first(), .scalar(), .mappings(), .rowcount)."""
    return conn.exec_driver_sql(for_engine(sql, sqlite), params)


def insert(table: str, columns) -> str:
    """INSERT INTO table (columns) VALUES (:column, ...)."""
    cols = tuple(columns)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"


def update(table: str, columns, where: str) -> str:
    """UPDATE table SET column = :column, ... WHERE where."""
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    return f"UPDATE {table} SET {sets} WHERE {where}"


# ---- claims (claims.py): under the sweep's lock, so as few and as short as they can be -------

SWEEP_ROW = "SELECT * FROM sweeps WHERE id = :sweep"
SWEEP_ROW_LOCKED = SWEEP_ROW + " FOR UPDATE"  # PostgreSQL: the sweep's lock (SQLite: BEGIN IMMEDIATE)
# For reaping: the running runs whose lease ran out (heartbeat before :stale), and those of
# agents on this host (a dead pid there is known for certain): a few rows, not every live run.
REAPABLE = (
    "SELECT runs.id, runs.heartbeat_at, agents.host, agents.pid FROM runs "
    "LEFT OUTER JOIN agents ON agents.id = runs.agent_id "
    "WHERE runs.sweep_id = :sweep AND runs.state = 'running' "
    "AND (coalesce(runs.heartbeat_at, 0) < :stale OR agents.host = :host)")
CRASH_RUN = ("UPDATE runs SET state = 'crashed', ended_at = :now, stop_reason = :reason "
             "WHERE id = :run AND state = 'running'")
CRASH_AGENTS = ("UPDATE agents SET state = 'crashed' "
                "WHERE sweep_id = :sweep AND state = 'running' AND heartbeat_at < :stale")
SWEEP_RESUMED = "SELECT resumed_at FROM sweeps WHERE id = :sweep"
SET_RESUMED = "UPDATE sweeps SET resumed_at = :now WHERE id = :sweep"
LAST_AGENT_BEAT = ("SELECT max(heartbeat_at) FROM agents "
                   "WHERE sweep_id = :sweep AND state = 'running'")
SUPERSEDE_POINT = (  # a crashed (or failed, with --retry-failed) grid point's run, claimed again
    "UPDATE runs SET superseded = true WHERE sweep_id = :sweep AND grid_index = :point AND NOT superseded "
    f"AND state IN ({', '.join(repr(s) for s in TERMINAL)})")
SWEEP_STATE_CONFIG = "SELECT state, config, grid_gaps FROM sweeps WHERE id = :sweep"
RUN_COLUMNS = ("id", "sweep_id", "project", "number", "state", "params", "grid_index", "superseded",
               "agent_id", "host", "gpu", "created_at", "heartbeat_at", "claim_ms", "origin")
NEW_RUN = insert("runs", RUN_COLUMNS)
QUEUE_TAKEN = "UPDATE queue SET run_id = :run WHERE id = :entry"
LIVE_POINT_STATE = "SELECT state FROM runs WHERE sweep_id = :sweep AND grid_index = :point AND NOT superseded"
MARK_GRID_GAPS = "UPDATE sweeps SET grid_gaps = true WHERE id = :sweep"
# A reserved run (SUGGESTED_OUTSIDE_LOCK): what its suggestion reads, and what writes it back.
CHOSEN_SINCE = "SELECT id FROM runs WHERE sweep_id = :sweep AND number > :floor AND params <> '{}'"
SET_PARAMS = "UPDATE runs SET params = :params, claim_ms = :claim_ms WHERE id = :run AND state = 'running'"

# ---- heartbeats (leases.py): every HEARTBEAT_SECONDS per agent ----------------------------------

AGENT_SWEEP = "SELECT sweep_id FROM agents WHERE id = :agent"
BEAT_AGENT = "UPDATE agents SET heartbeat_at = :now WHERE id = :agent"
# By sweep and state first: the index (sweep_id, state) finds the few running runs of a sweep of any size.
BEAT_RUNS = ("UPDATE runs SET heartbeat_at = :now "
             "WHERE sweep_id = :sweep AND state = 'running' AND agent_id = :agent")
AGENT_RUNNING = ("SELECT id, stop_requested FROM runs "
                 "WHERE sweep_id = :sweep AND state = 'running' AND agent_id = :agent")
SWEEP_STATE_REASON = "SELECT state, ended_reason FROM sweeps WHERE id = :sweep"

# ---- a run's life (runs.py) -----------------------------------------------------------------

BEST = {goal: ("SELECT best_value, id FROM runs WHERE sweep_id = :sweep AND best_value IS NOT NULL "
               f"AND NOT superseded ORDER BY best_value {order}, created_at, number LIMIT 1")
        for goal, order in (("maximize", "DESC"), ("minimize", "ASC"))}
TOUCH_RUNNING = "UPDATE runs SET heartbeat_at = heartbeat_at WHERE id = :run AND state = 'running'"
END_RUN_SWEEP = "SELECT state, failure_streak, config, grid_gaps FROM sweeps WHERE id = :sweep"
ADD_FAILURE = ("UPDATE sweeps SET failure_streak = failure_streak + 1, last_failed_run = :run "
               "WHERE id = :sweep RETURNING state, failure_streak, config, grid_gaps")
RESET_FAILURES = "UPDATE sweeps SET failure_streak = 0 WHERE id = :sweep"


@lru_cache(maxsize=256)
def update_run(columns: tuple, fenced: bool) -> str:
    """UPDATE runs SET (columns) for :run, only while it is running if fenced."""
    return update("runs", _run_columns(columns), "id = :run" + (" AND state = 'running'" if fenced else ""))


@lru_cache(maxsize=64)
def end_run(columns: tuple) -> str:
    """A run's end: its state and facts, only while it is still running; the sweep it is of."""
    return update("runs", _run_columns(columns), "id = :run AND state = 'running'") + " RETURNING sweep_id"


def _run_columns(columns: tuple) -> tuple:
    """Column names go into the SQL text: only the runs table's own (callers' keyword arguments)."""
    from .tables import runs

    unknown = [c for c in columns if c not in runs.c or c == "run"]
    if unknown:
        raise ValueError(f"not columns of runs: {', '.join(map(str, unknown))}")
    return columns


# ---- reads of `status` (runs.py), as SQL text so that a light store (lite.py) runs them --------

_LIVE = "sweep_id = :sweep AND NOT superseded"
TOP_RUNS = {goal: f"SELECT * FROM runs WHERE {_LIVE} ORDER BY best_value IS NULL, best_value {order}, created_at "
                  "LIMIT :limit" for goal, order in (("maximize", "DESC"), ("minimize", "ASC"))}
RUNNING_RUNS = f"SELECT * FROM runs WHERE {_LIVE} AND state = 'running' ORDER BY created_at"
COUNT_BY_STATE = f"SELECT state, count(*) FROM runs WHERE {_LIVE} GROUP BY state"
GRID_POINTS_DONE = (f"SELECT count(DISTINCT grid_index) FROM runs WHERE {_LIVE} AND grid_index IS NOT NULL "
                    f"AND state NOT IN ({', '.join(repr(s) for s in RERUN)})")

# ---- reads streamed (base._stream): exports ----------------------------------------------------

RUN_LINES = "SELECT * FROM metrics WHERE run_id = :run ORDER BY seq"
SWEEP_RUNS_CREATED = "SELECT * FROM runs WHERE sweep_id = :sweep ORDER BY created_at"

BAND_VALUES = "SELECT value FROM bands WHERE sweep_id = :sweep AND band = :band AND run_id <> :run"


def band_rows(sqlite: bool) -> str:
    """The bands table's INSERT, positional, for executemany: (sweep_id, band, run_id, value)."""
    p = "?" if sqlite else "%s"
    return f"INSERT INTO bands (sweep_id, band, run_id, value) VALUES ({p}, {p}, {p}, {p})"


def metric_rows(sqlite: bool) -> str:
    """The metric lines' INSERT with positional placeholders, for the driver's executemany."""
    p = "?" if sqlite else "%s"
    return f"INSERT INTO metrics (run_id, seq, sweep_id, step, ts, data, mval, miter) VALUES ({', '.join([p] * 8)})"
