"""The store on real SQLite files and a real PostgreSQL database."""

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from sweeper import sweepfile
from sweeper.store import NotFound, StoreError, open_store
from sweeper.store.tables import SCHEMA_VERSION

GRID = {"method": "grid", "parameters": {"a": {"values": [1, 2, 3]}}}


def test_create_and_get_sweep(store_url):
    store = open_store(store_url)
    cfg = sweepfile.load_dict(GRID)
    sw = store.create_sweep(cfg, name="first", project="proj")
    assert len(sw["id"]) == 8 and sw["id"].isalnum() and sw["id"] == sw["id"].lower()
    got = store.get_sweep(sw["id"])
    assert got["name"] == "first" and got["project"] == "proj" and got["state"] == "running"
    assert got["config"]["parameters"]["a"]["distribution"] == "categorical"
    assert store.get_sweep(f"proj/{sw['id']}")["id"] == sw["id"]
    assert store.get_sweep(f"me/proj/{sw['id']}")["id"] == sw["id"]
    with pytest.raises(NotFound, match="belongs to project 'proj'"):
        store.get_sweep(f"other/{sw['id']}")
    with pytest.raises(NotFound):
        store.get_sweep("zzzzzzzz")


def test_ids_are_unique(store_url):
    store = open_store(store_url)
    cfg = sweepfile.load_dict(GRID)
    ids = {store.create_sweep(cfg)["id"] for _ in range(30)}
    assert len(ids) == 30
    assert [s["id"] for s in store.list_sweeps()] and len(store.list_sweeps()) == 30


def test_config_kept_as_given(store_url, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("# my comment\nmethod: random\nparameters:\n  lr: {min: 1e-4, max: 0.1}\n")
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_file(f))
    assert sw["config_raw"].startswith("# my comment")
    assert sw["config"]["parameters"]["lr"] == {"min": 1e-4, "max": 0.1, "distribution": "uniform"}


def test_newer_schema_refused(tmp_path):
    db = tmp_path / "s.db"
    open_store(str(db)).dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sweeper_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer sweeper"):
        open_store(str(db))


def test_foreign_tables_refused(tmp_path):
    db = tmp_path / "s.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE runs (x int)")
    with pytest.raises(StoreError, match="not made by sweeper"):
        open_store(str(db))


def test_default_store_found_like_git(workdir):
    sub = workdir / "a" / "b"
    sub.mkdir(parents=True)
    store = open_store(None, start=workdir)
    assert store.root == workdir / ".sweeper"
    assert open_store(None, start=sub).root == workdir / ".sweeper"


def test_parallel_writers_never_see_locked(tmp_path):
    url = str(tmp_path / "s.db")
    cfg = sweepfile.load_dict(GRID)
    open_store(url)
    errors = []

    def work():
        try:
            s = open_store(url)
            for _ in range(25):
                s.create_sweep(cfg)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(open_store(url).list_sweeps()) == 150


def test_older_schema_without_a_migration_is_refused(tmp_path):
    db = tmp_path / "s.db"
    open_store(str(db)).dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sweeper_meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 0, which this sweeper cannot migrate"):
        open_store(str(db))


def test_older_schema_is_migrated_step_by_step(tmp_path, monkeypatch):
    from sweeper.store import migrate

    db = tmp_path / "s.db"
    open_store(str(db)).dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sweeper_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),))
    steps = []
    monkeypatch.setitem(migrate.MIGRATIONS, SCHEMA_VERSION - 1, lambda conn: steps.append("ran"))
    open_store(str(db)).dispose()
    assert steps == ["ran"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM sweeper_meta").fetchone() == (str(SCHEMA_VERSION),)


def test_a_version_1_store_is_migrated(store_url):
    """A store made before runs.claim_ms existed keeps its runs and gains the column."""
    from sqlalchemy import create_engine, text

    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(GRID))
    claim = store.claim(sw["id"], "agent001", lambda s, h, r: ({"a": 1}, 0))
    store.dispose()
    engine = create_engine(store.url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE runs DROP COLUMN claim_ms"))
        conn.execute(text("ALTER TABLE sweeps DROP COLUMN failure_streak"))
        conn.execute(text("ALTER TABLE sweeps DROP COLUMN last_failed_run"))
        conn.execute(text("ALTER TABLE sweeps DROP COLUMN resumed_at"))
        conn.execute(text("UPDATE sweeper_meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()
    again = open_store(store_url)
    (run,) = again.runs(sw["id"])
    assert run["id"] == claim.run["id"] and run["params"] == {"a": 1} and run["claim_ms"] is None
    assert again._tx(lambda c: c.execute(text("SELECT value FROM sweeper_meta")).scalar()) == str(SCHEMA_VERSION)


V4_STORE = Path(__file__).resolve().parents[1] / "data" / "stores" / "v4.db"


def _rows_as_written(path, like=None, tables=("sweeps", "runs", "metrics")) -> dict:
    """Every row of `tables`, in the columns the store `like` (default: `path` itself) has:
    a migration adds columns, and must change nothing in those that were there."""
    with sqlite3.connect(like or path) as conn:
        columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT {', '.join(columns[t])} FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def test_a_store_written_by_the_previous_release_migrates_with_its_data(tmp_path):
    """tests/data/stores/v4.db was written by 859a7c7 (schema 4): a grid sweep (1rj4peof, 6 points,
    4 run, the third failed) and a random one (i8xkz5m4, run_cap 10, 5 run). Opened by this
    sweeper, it gains the claim indexes, keeps every run and line, and both sweeps go on where
    they stopped: the grid at its fifth point, the random sweep with the draws it would have made."""
    from agentlib import Project

    from sweeper.search import choose

    project = Project(tmp_path / "proj")
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "stores" / "prog.py", project.root / "prog.py")
    (project.root / ".sweeper").mkdir()
    shutil.copy(V4_STORE, project.root / ".sweeper" / "sweeper.db")
    before = _rows_as_written(V4_STORE)
    status = project.cli("status", "1rj4peof", "--json", check=True)
    assert [r["state"] for r in json.loads(status.stdout)["runs"]].count("finished") == 3
    store = project.open()
    with sqlite3.connect(project.root / ".sweeper" / "sweeper.db") as conn:
        assert conn.execute("SELECT value FROM sweeper_meta").fetchone() == (str(SCHEMA_VERSION),)
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"runs_sweep_number", "runs_sweep_best"} <= indexes
    assert _rows_as_written(project.root / ".sweeper" / "sweeper.db", like=V4_STORE) == before  # nothing changed
    old_random = store.runs("i8xkz5m4")
    sweep = store.get_sweep("i8xkz5m4")
    assert [choose(sweep, old_random[:k])[0] for k in range(5)] == [r["params"] for r in old_random]

    grid = project.agent("1rj4peof")
    assert grid.returncode == 0 and "grid exhausted" in grid.stderr, grid.stderr
    again = project.agent("1rj4peof", "--retry-failed", "--count", "1")  # a=3 fails again: exit 8
    assert again.returncode == 8, again.stderr
    runs = {r["number"]: r for r in project.open().runs("1rj4peof")}
    assert [runs[n]["params"]["a"] for n in (5, 6, 7)] == [5, 6, 3]  # the grid's rest, then the failed point
    assert runs[3]["superseded"] and not runs[7]["superseded"] and runs[7]["grid_index"] == 2
    more = project.agent("i8xkz5m4")
    assert more.returncode == 0, more.stderr
    after = project.open().runs("i8xkz5m4")
    assert [r["number"] for r in after] == list(range(1, 11))
    assert after[5]["params"] == choose(sweep, old_random)[0]


V5_STORE = Path(__file__).resolve().parents[1] / "data" / "stores" / "v5.db"


def test_a_store_written_by_the_release_before_schema_6_keeps_its_data_and_takes_the_new_commands(tmp_path):
    """tests/data/stores/v5.db was written by 6bf340b (schema 5): a grid sweep (97ij8opb, 6
    points, 4 run, the third failed), a random one (ut616uwb, run_cap 10, 5 run) and a
    standalone run (dw2o7lfx, project v5proj, named by-hand). Opened by this sweeper it gains
    schema 6 with every row as it was, and the commands of a sweep's life work on its sweeps."""
    from agentlib import Project

    project = Project(tmp_path / "proj")
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "stores" / "prog.py", project.root / "prog.py")
    (project.root / ".sweeper").mkdir()
    db = project.root / ".sweeper" / "sweeper.db"
    shutil.copy(V5_STORE, db)
    before = _rows_as_written(V5_STORE)
    history = json.loads(project.cli("history", "97ij8opb", "--json", check=True).stdout)
    assert [(r["revision"], r["changes"]) for r in history["revisions"]] == [(1, ["registered"])]
    assert _rows_as_written(db, like=V5_STORE) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM sweeper_meta").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT count(*) FROM runs WHERE tags IS NOT NULL OR origin IS NOT NULL").fetchone() == (0,)
    solo = json.loads(project.cli("runs", "--project", "v5proj", "--json", check=True).stdout)
    assert [(r["id"], r["name"]) for r in solo] == [("dw2o7lfx", "by-hand")]

    failed = [r["id"] for r in project.open().runs("97ij8opb") if r["state"] == "failed"]
    project.cli("rerun", "97ij8opb", check=True)
    assert project.agent("97ij8opb").returncode == 0  # the failed point first (it fails again), then 5 and 6
    runs = project.open().runs("97ij8opb")
    assert [r["params"]["a"] for r in runs if r["number"] > 4] == [3, 5, 6]
    assert [r["id"] for r in runs if r["superseded"]] == failed
    project.cli("enqueue", "ut616uwb", "-p", "b=0.25", check=True)
    assert project.agent("ut616uwb", "--count", "1").returncode == 0
    (new,) = [r for r in project.open().runs("ut616uwb") if r["number"] == 6]
    assert new["params"] == {"a": 1, "b": 0.25} and new["origin"] == "queued"
    project.write("wider.yaml", "program: prog.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\n"
                                "parameters:\n  a: {values: [1, 2, 3, 4, 5, 6, 7]}\n")
    project.cli("sweep", "wider.yaml", "--update", "97ij8opb", check=True)
    assert project.agent("97ij8opb").returncode == 0
    assert [r["params"]["a"] for r in project.open().runs("97ij8opb")][-1] == 7
