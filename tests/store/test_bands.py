"""Hyperband's values per band, kept in the bands table as each run reaches a band (issue 17):
written with the line that reached it, fenced like the line, read without touching the lines,
and filled from the lines when a store of schema 5 is opened."""

import shutil
import sqlite3
from pathlib import Path

import pytest

from sweeper import sweepfile
from sweeper.agents.tail import Tailer
from sweeper.store import LeaseLost, open_store
from sweeper.store.tables import SCHEMA_VERSION

HYPERBAND = {"method": "random", "metric": {"name": "loss", "goal": "minimize"},
             "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 2},
             "parameters": {"x": {"min": 0.0, "max": 1.0}}}


def _claim(store, sweep_id):
    from sweeper.search import choose

    return store.claim(sweep_id, "agent001", choose).run


def test_the_tailer_keeps_each_value_at_a_band_with_its_line(store_url, tmp_path):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(HYPERBAND))
    runs = [_claim(store, sw["id"]) for _ in range(3)]
    for k, run in enumerate(runs):
        path = tmp_path / f"m{k}.jsonl"
        # 6 values of the metric (bands 1, 2, 4 reached) among lines without it and one NaN
        lines = [f'{{"loss": {10 * k + i}}}' for i in range(1, 4)] + ['{"other": 1}', '{"loss": NaN}']
        lines += [f'{{"loss": {10 * k + i}}}' for i in range(4, 7)]
        path.write_text("\n".join(lines) + "\n")
        tailer = Tailer(str(path), store, run, sw["config"])
        tailer.finish()
    assert sorted(store.band_values(sw["id"], 1)) == [1.0, 11.0, 21.0]
    assert sorted(store.band_values(sw["id"], 4, exclude_run=runs[0]["id"])) == [14.0, 24.0]
    assert store.band_values(sw["id"], 8) == []  # nobody reached it
    assert store.band_values(sw["id"], 3) == []  # not a band: not kept


def test_a_reaped_runs_band_values_are_refused_with_its_lines(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(HYPERBAND))
    run = _claim(store, sw["id"])
    store.finish_run(run["id"], "crashed")  # as the reaper leaves it
    with pytest.raises(LeaseLost):
        store.add_metrics(run["id"], sw["id"], [(0, None, 0.0, '{"loss": 1}', 1.0, 1)], {"n_lines": 1},
                          bands=[(1, 1.0)])
    assert store.band_values(sw["id"], 1) == [] and store.metric_rows(run["id"]) == []


V5_STORE = Path(__file__).resolve().parents[1] / "data" / "stores" / "v5_hyperband.db"


def test_a_schema_5_store_gets_its_band_values_from_its_lines(tmp_path):
    """tests/data/stores/v5_hyperband.db was written by 6bf340b (schema 5): random sweep 9xddf4ce with
    hyperband (min_iter 1, eta 2), run_cap 4, 4 runs of 3 lines each (two stopped at band 2).
    Opened now (through schema 6 to 7), its bands table holds every run's value at bands 1 and 2,
    taken from the lines, the index of lines by band is gone, and no run or line changed."""
    db = tmp_path / "sweeper.db"
    shutil.copy(V5_STORE, db)
    with sqlite3.connect(V5_STORE) as conn:  # later schemas add columns: compare those of schema 5
        columns = {t: ", ".join(r[1] for r in conn.execute(f"PRAGMA table_info({t})")) for t in ("sweeps", "runs", "metrics")}
        before = {t: conn.execute(f"SELECT {c} FROM {t} ORDER BY 1, 2").fetchall() for t, c in columns.items()}
        lines = conn.execute("SELECT run_id, miter, mval FROM metrics WHERE miter IN (1, 2)").fetchall()
    store = open_store(str(db))
    assert len(lines) == 8
    for band in (1, 2):
        assert sorted(store.band_values("9xddf4ce", band)) == sorted(v for _, b, v in lines if b == band)
        run, _, value = next(line for line in lines if line[1] == band)
        assert value not in store.band_values("9xddf4ce", band, exclude_run=run)
    store.dispose()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM sweeper_meta").fetchone() == (str(SCHEMA_VERSION),)
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "metrics_band" not in indexes
        for table, rows in before.items():
            assert conn.execute(f"SELECT {columns[table]} FROM {table} ORDER BY 1, 2").fetchall() == rows, table


def test_the_band_migration_can_run_twice(store_url):
    """The step is idempotent: a store half-migrated (the table there, the index too) ends the same."""
    from sqlalchemy import text

    from sweeper.store.migrate import _band_table

    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(HYPERBAND))
    run = _claim(store, sw["id"])
    store.add_metrics(run["id"], sw["id"], [(0, None, 0.0, '{"loss": 1}', 1.0, 1)], {"n_lines": 1}, bands=[(1, 1.0)])
    store._tx(lambda c: c.execute(text("CREATE INDEX IF NOT EXISTS metrics_band ON metrics (sweep_id, miter)")))
    store._tx(_band_table)
    store._tx(_band_table)
    assert store.band_values(sw["id"], 1) == [1.0]
