"""The Run: a context manager, `sweeper.run`, its attributes, its name in the store (issue 15, item 3.2)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import sweeper
from sweeper.store.tables import SCHEMA_VERSION


def test_with_init_records_a_standalone_run_and_its_name(place):
    proc = place.python("plain.py", """
        import json, sweeper
        assert sweeper.run is None
        with sweeper.init(config={"lr": 0.1}, project="plain", name="baseline") as run:
            assert sweeper.run is run
            for e in range(3):
                sweeper.log({"epoch": e, "loss": 1.0 / (e + 1)})
            info = {"id": run.id, "name": run.name, "config": run.config, "summary": run.summary,
                    "dir": run.dir, "sweep_id": run.sweep_id, "project": run.project}
        assert sweeper.run is None
        print(json.dumps(info))
    """)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    (run,) = place.open().runs(project="plain")
    assert run["id"] == info["id"] and run["state"] == "finished" and run["exit_code"] == 0
    assert run["name"] == info["name"] == "baseline"
    assert info["config"] == {"lr": 0.1} and info["sweep_id"] is None and info["project"] == "plain"
    assert info["summary"] == {"epoch": 2, "loss": 1 / 3} == run["summary"]
    assert Path(info["dir"]) == Path(run["run_dir"]) and (Path(info["dir"]) / "metrics.jsonl").exists()


def test_an_exception_inside_with_fails_the_standalone_run(place):
    proc = place.python("boom.py", """
        import sweeper
        with sweeper.init(project="plain") as run:
            sweeper.log({"loss": 1.0})
            raise RuntimeError("boom")
    """)
    assert proc.returncode == 1 and "RuntimeError: boom" in proc.stderr
    (run,) = place.open().runs(project="plain")
    assert run["state"] == "failed" and run["exit_code"] == 1 and run["n_lines"] == 1
    assert run["name"] is None


def test_two_runs_in_one_process_each_their_own(place):
    proc = place.python("two.py", """
        import sweeper
        with sweeper.init(config={"a": 1}, project="p", name="one"):
            sweeper.log({"x": 1})
        with sweeper.init(config={"b": 2}, project="p") as second:
            second.name = "two"
            sweeper.log({"x": 2})
    """)
    assert proc.returncode == 0, proc.stderr
    first, second = place.open().runs(project="p")
    assert (first["name"], first["params"], first["state"]) == ("one", {"a": 1}, "finished")
    assert (second["name"], second["params"], second["state"]) == ("two", {"b": 2}, "finished")


def test_seed000_function_flow_reads_run_id_and_keeps_the_name(place):
    sid = sweeper.sweep({"method": "grid", "metric": {"name": "val_acc", "goal": "maximize"},
                         "parameters": {"lr": {"values": [0.1, 0.2]}}}, project="wandb_demo", store=place.store)

    def train():
        # Seed 000: init with project, config and name, then `model.run_id = wandb.run.id`.
        with sweeper.init(project="wandb_demo", config={"lr": 1.0, "epochs": 2}, name=f"nowtime-{len(sid)}") as run:
            run_id = sweeper.run.id
            for epoch in range(1, sweeper.config.epochs + 1):
                sweeper.log({"epoch": epoch, "val_acc": sweeper.config.lr * epoch})
            r = sweeper.run
            info = {"id": run_id, "name": r.name, "sweep_id": r.sweep_id, "project": r.project,
                    "summary": r.summary, "dir": r.dir, "lr": r.config.lr}
            Path(run.dir, "info.json").write_text(json.dumps(info))
        assert sweeper.run is None

    assert sweeper.agent(sid, function=train, store=place.store) == 0
    runs = place.open().runs(sid)
    assert [r["state"] for r in runs] == ["finished", "finished"]
    for r in runs:
        info = json.loads(Path(r["run_dir"], "info.json").read_text())
        assert info["id"] == r["id"] and info["sweep_id"] == sid and info["project"] == "wandb_demo"
        assert info["summary"] == {"epoch": 2, "val_acc": r["params"]["lr"] * 2} and info["lr"] == r["params"]["lr"]
        assert Path(info["dir"]) == Path(r["run_dir"])
        assert r["name"] == info["name"] == f"nowtime-{len(sid)}"


def test_a_run_without_a_name_is_called_by_its_id(place):
    proc = place.python("noname.py", """
        import sweeper
        run = sweeper.init(project="p")
        print(run.name == run.id)
        sweeper.finish()
    """)
    assert proc.stdout.strip() == "True", proc.stderr


def test_a_version_3_store_gains_the_name_column(place):
    """Schema v4 adds runs.name: a store made before it keeps its runs and gets the column."""
    st = place.open()
    old = st.create_run(project="p", params={"a": 1})
    st.dispose()
    with sqlite3.connect(place.store) as conn:
        conn.execute("ALTER TABLE runs DROP COLUMN name")
        conn.execute("UPDATE sweeper_meta SET value = '3' WHERE key = 'schema_version'")
    again = place.open()
    (run,) = again.runs(project="p")
    assert run["id"] == old["id"] and run["params"] == {"a": 1} and run["name"] is None
    with sqlite3.connect(place.store) as conn:
        assert conn.execute("SELECT value FROM sweeper_meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),)  # and on through every later step
        assert "name" in [row[1] for row in conn.execute("PRAGMA table_info(runs)")]


@pytest.mark.postgres
def test_a_function_runs_name_reaches_postgres(place, pg_url):
    sid = sweeper.sweep({"method": "grid", "parameters": {"x": {"values": [1]}}}, store=pg_url)

    def train():
        with sweeper.init(name="on-pg") as run:
            run.name = f"{run.name}-{sweeper.config.x}"

    assert sweeper.agent(sid, function=train, store=pg_url) == 0
    from sweeper.store import open_store
    (run,) = open_store(pg_url).runs(sid)
    assert run["state"] == "finished" and run["name"] == "on-pg-1"


def test_a_program_under_the_agent_names_its_run(project):
    """`sweeper.init(name=...)` in a program the agent starts (not a forked function): the
    agent stores the name with the run's end, the last one given when it is set again."""
    project.write("named.py", """
import sys
import sweeper
with sweeper.init(name="first") as run:
    run.name = f"lr-{sweeper.config.lr}"
    sweeper.log({"loss": sweeper.config.lr})
""")
    sid = project.sweep("program: named.py\nmethod: grid\nparameters: {lr: {values: [0.1, 0.2]}}\n")
    proc = project.agent(sid)
    assert proc.returncode == 0, proc.stderr
    runs = project.open().runs(sid)
    assert [(r["state"], r["name"]) for r in runs] == [("finished", "lr-0.1"), ("finished", "lr-0.2")]
    shown = project.cli("runs", sid, "--json", check=True).stdout
    assert [r["name"] for r in json.loads(shown)] in (["lr-0.1", "lr-0.2"], ["lr-0.2", "lr-0.1"])
