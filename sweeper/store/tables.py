"""The store's tables. One definition serves SQLite and PostgreSQL (SQLAlchemy Core).

Bump SCHEMA_VERSION with every change, and add the step from the version before to
MIGRATIONS in migrate.py, so that an older store is migrated and never misread.
"""

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text, text

from .version import SCHEMA_VERSION  # noqa: E402,F401 - read from here by migrate.py and tests

metadata = MetaData()

meta = Table(
    "sweeper_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sweeps = Table(
    "sweeps", metadata,
    Column("id", String(8), primary_key=True),
    Column("name", Text),
    Column("project", Text),
    Column("entity", Text),
    Column("method", String(16), nullable=False),
    Column("state", String(16), nullable=False),  # running, paused, finished, canceled, failing
    Column("config", Text, nullable=False),  # normalized, JSON
    Column("config_raw", Text, nullable=False),  # as given: the file's text, or JSON of a dict
    Column("source", Text),  # the file it came from
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("ended_reason", Text),  # why it is finished or canceled, in words
    Column("target_run_id", String(8)),  # the run that reached metric.target
    # The failure guard: failed runs in a row, on any agent (a finished or stopped run resets it).
    Column("failure_streak", Integer, nullable=False, server_default=text("0")),
    Column("last_failed_run", String(8)),
    # When the store came back after a silence of every agent (an outage): leases are judged
    # only from HEARTBEAT_TIMEOUT after it (store/leases.py).
    Column("resumed_at", Float),
    # Bumped by every `sweeper sweep --update` (sweep_changes keeps each revision): agents reload
    # the config when the revision they hold is older.
    Column("revision", Integer, nullable=False, server_default=text("1")),
    # An update re-numbered the grid (values added, a parameter added): the claimed points may
    # no longer be 0..highest, so the first open point is searched for (store/history.py).
    Column("grid_gaps", Boolean, nullable=False, server_default=text("false")),
)

runs = Table(
    "runs", metadata,
    Column("id", String(8), primary_key=True),
    Column("sweep_id", String(8), index=True),  # NULL for a standalone run
    Column("project", Text),
    Column("number", Integer),  # 1, 2, ... within its sweep, in claim order
    Column("state", String(16), nullable=False),  # running, finished, failed, crashed, stopped, interrupted
    Column("params", Text, nullable=False),  # JSON, nested as the program sees them
    Column("grid_index", Integer),
    # A crashed (or, with --retry-failed, failed) grid point claimed again: the old run
    # stays for the record but no longer covers its point.
    Column("superseded", Boolean, nullable=False, server_default=text("false")),
    Column("agent_id", String(8)),
    Column("host", Text),
    Column("pid", Integer),
    Column("gpu", Text),  # CUDA_VISIBLE_DEVICES of the child
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("heartbeat_at", Float),
    Column("exit_code", Integer),
    Column("signal", Integer),
    Column("git_commit", Text),
    Column("git_dirty", Boolean),
    Column("python_version", Text),
    Column("command", Text),  # JSON list: the argv the child got
    Column("run_dir", Text),  # on `host`
    Column("summary", Text),  # JSON: last value of every key
    Column("best_value", Float),  # best value of the sweep metric, by its goal
    Column("best_step", Integer),
    Column("n_lines", Integer, nullable=False, server_default=text("0")),
    Column("metric_iter", Integer, nullable=False, server_default=text("0")),  # hyperband's iteration
    Column("malformed", Integer, nullable=False, server_default=text("0")),
    Column("stop_reason", Text),  # in words: early terminated at band 9, canceled, Ctrl+C ...
    Column("band", Integer),  # the hyperband band that stopped it
    Column("error", Text),  # last lines of output of a failed run, or a traceback
    Column("claim_ms", Float),  # how long claiming it took, lock wait included: contention shows here
    Column("name", Text),  # sweeper.init(name=...), W&B's display name; NULL when none was given
    Column("tags", Text),  # JSON list of strings (`sweeper edit --tag`); NULL when none
    Column("notes", Text),  # free text (`sweeper edit --note`)
    # How its parameters were chosen: NULL by the method; "queued" (`sweeper enqueue`); "rerun" of
    # an earlier run (`sweeper rerun`), which it supersedes.
    Column("origin", String(16)),
    # `sweeper stop RUN_ID`: the reason, set by the user; the run's agent stops it at its next heartbeat.
    Column("stop_requested", Text),
)
# The partial unique index of live grid points (each point has at most one run that counts) is
# made by PARTIAL_INDEXES below, not declared here: declaring it needs postgresql_where=, whose
# validation imports SQLAlchemy's PostgreSQL dialect into every command, on SQLite too (90 ms).
Index("runs_sweep_state", runs.c.sweep_id, runs.c.state)
# A claim's next run number and the best run so far, from an index at any sweep size (history.py).
Index("runs_sweep_number", runs.c.sweep_id, runs.c.number)
Index("runs_sweep_best", runs.c.sweep_id, runs.c.best_value)
Index("runs_project", runs.c.project)

metrics = Table(
    "metrics", metadata,
    Column("run_id", String(8), primary_key=True),
    Column("seq", Integer, primary_key=True),  # 0, 1, ... line number in the run's metrics file
    Column("sweep_id", String(8)),
    Column("step", Integer),
    Column("ts", Float),
    Column("data", Text, nullable=False),  # the JSON line as written
    Column("mval", Float),  # the sweep metric on this line, if a finite number
    Column("miter", Integer),  # 1-based count of such lines so far: hyperband's iteration
)
# No index by (sweep_id, miter): hyperband reads the bands table, and every line would pay for it.

# Hyperband's view of a sweep: each run's value at each band it reached (its band-th finite value
# of the sweep metric), written with the line that reached it. A judgement reads one band's
# values here, a few rows per run, instead of looking them up among every metric line.
bands = Table(
    "bands", metadata,
    Column("sweep_id", String(8), primary_key=True),
    Column("band", Integer, primary_key=True),
    Column("run_id", String(8), primary_key=True),
    Column("value", Float, nullable=False),
)

# Every revision of a sweep's file: the one it was registered with (1) and each --update.
sweep_changes = Table(
    "sweep_changes", metadata,
    Column("sweep_id", String(8), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("at", Float, nullable=False),
    Column("changes", Text, nullable=False),  # JSON list of sentences: what changed
    Column("config", Text, nullable=False),  # the normalized config from this revision on
    Column("config_raw", Text, nullable=False),
    Column("source", Text),
)

# Parameter sets to run next, before the method picks any: `sweeper enqueue` (Optuna's
# enqueue_trial) and `sweeper rerun` (the same parameters again, superseding an earlier run).
queue = Table(
    "queue", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sweep_id", String(8), nullable=False),
    Column("params", Text, nullable=False),  # JSON, nested as the program gets them
    Column("replaces", String(8)),  # the run a rerun supersedes
    Column("created_at", Float, nullable=False),
    Column("run_id", String(8)),  # the run that took it; NULL while it waits
)
Index("queue_waiting", queue.c.sweep_id, queue.c.run_id)

# Runs of other sweeps (or standalone runs) that a bayes sweep learns from, as W&B's
# --prior_run: read with the sweep's history, never counted as its own runs.
priors = Table(
    "priors", metadata,
    Column("sweep_id", String(8), primary_key=True),
    Column("run_id", String(8), primary_key=True),
    Column("added_at", Float, nullable=False),
)

agents = Table(
    "agents", metadata,
    Column("id", String(8), primary_key=True),
    Column("sweep_id", String(8), index=True),
    Column("host", Text),
    Column("pid", Integer),
    Column("cwd", Text),
    Column("gpus", Text),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("state", String(16), nullable=False),  # running, ended, crashed
    Column("exit_reason", Text),
)


# SQL both engines read alike; made with the tables (migrate.ensure_schema), IF NOT EXISTS.
PARTIAL_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS runs_grid_point ON runs (sweep_id, grid_index) "
    "WHERE grid_index IS NOT NULL AND NOT superseded",
)
