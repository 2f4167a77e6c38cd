"""Create the schema on first use; migrate an older one step by step; refuse a newer one."""

from __future__ import annotations

from .errors import NoStore, StoreError
from .tables import PARTIAL_INDEXES, SCHEMA_VERSION, meta, metadata


def _add_claim_ms(conn):
    from sqlalchemy import text
    conn.execute(text("ALTER TABLE runs ADD COLUMN claim_ms FLOAT"))


def _add_failure_guard(conn):
    from sqlalchemy import text
    conn.execute(text("ALTER TABLE sweeps ADD COLUMN failure_streak INTEGER NOT NULL DEFAULT 0"))
    conn.execute(text("ALTER TABLE sweeps ADD COLUMN last_failed_run VARCHAR(8)"))
    conn.execute(text("ALTER TABLE sweeps ADD COLUMN resumed_at FLOAT"))


def _add_run_name(conn):
    from sqlalchemy import inspect, text
    if "name" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
        conn.execute(text("ALTER TABLE runs ADD COLUMN name TEXT"))


def _add_claim_indexes(conn):
    from sqlalchemy import text
    conn.execute(text("CREATE INDEX IF NOT EXISTS runs_sweep_number ON runs (sweep_id, number)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS runs_sweep_best ON runs (sweep_id, best_value)"))


def _add_lifecycle(conn):
    from sqlalchemy import inspect, text

    from .tables import priors, queue, sweep_changes

    have = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in ("sweeps", "runs")}
    for table, column, ddl in (
            ("sweeps", "revision", "INTEGER NOT NULL DEFAULT 1"),
            ("sweeps", "grid_gaps", "BOOLEAN NOT NULL DEFAULT false"),
            ("runs", "tags", "TEXT"), ("runs", "notes", "TEXT"), ("runs", "origin", "VARCHAR(16)"),
            ("runs", "stop_requested", "TEXT")):
        if column not in have[table]:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
    for table in (sweep_changes, queue, priors):
        table.create(conn, checkfirst=True)


def _band_table(conn):
    """The bands table, filled from the metric lines of every sweep with early_terminate; then
    the index of every line by (sweep_id, miter), which only hyperband read, goes."""
    import json

    from sqlalchemy import text

    from ..search.hyperband import bands
    from .tables import bands as band_table

    band_table.create(conn, checkfirst=True)
    for sweep_id, config in conn.execute(text("SELECT id, config FROM sweeps")).all():
        early = json.loads(config).get("early_terminate")
        if early:
            conn.execute(text(
                "INSERT INTO bands (sweep_id, band, run_id, value) SELECT sweep_id, miter, run_id, mval "
                f"FROM metrics WHERE sweep_id = :sweep AND miter IN ({', '.join(str(int(b)) for b in bands(early))}) "
                "AND mval IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bands b WHERE b.sweep_id = metrics.sweep_id "
                "AND b.band = metrics.miter AND b.run_id = metrics.run_id)"), {"sweep": sweep_id})
    conn.execute(text("DROP INDEX IF EXISTS metrics_band"))


# version -> function(conn) that brings a store at that version to version + 1
MIGRATIONS: dict = {
    1: _add_claim_ms,  # v2: runs.claim_ms, how long each claim took
    2: _add_failure_guard,  # v3: sweeps.failure_streak and last_failed_run, the sweep's failure guard
    3: _add_run_name,  # v4: runs.name, the name sweeper.init(name=...) was given
    4: _add_claim_indexes,  # v5: indexes for claims and the best run that cost the same at any size
    5: _add_lifecycle,  # v6: sweep revisions, the run queue, priors, run tags/notes/origin, stopping one run
    6: _band_table,  # v7: the bands table (hyperband's values per band), no index of lines by band
}


def ensure_schema(store, create: bool = True) -> None:
    from sqlalchemy import inspect, select

    def fn(conn):
        if not store.is_sqlite:
            # Many agents may start at once on a fresh database: one creates, the others wait.
            from sqlalchemy import text
            conn.execute(text("SELECT pg_advisory_xact_lock(7419001)"))
        existing = set(inspect(conn).get_table_names())
        if "sweeper_meta" not in existing:
            if not create:
                raise NoStore(f"no sweeper store in {store.display_url}: it holds no sweeper tables yet "
                              "(`sweeper sweep FILE --store URL` makes them)")
            if existing & {"sweeps", "runs", "metrics", "agents"}:
                raise StoreError(f"{store.display_url} holds tables named like sweeper's but no schema "
                                 "version: it was not made by sweeper, or is damaged; refusing to touch it")
            metadata.create_all(conn)
            for ddl in PARTIAL_INDEXES:
                conn.exec_driver_sql(ddl)
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            return
        row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(f"{store.display_url} was written by a newer sweeper (schema version {version}; "
                             f"this one reads up to {SCHEMA_VERSION}): upgrade sweeper to use it")
        while version < SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step is None:
                raise StoreError(f"{store.display_url} has schema version {version}, which this sweeper "
                                 f"cannot migrate (it knows {sorted(MIGRATIONS) or 'no older versions'})")
            step(conn)
            version += 1
            conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version)))

    store._tx(fn)
