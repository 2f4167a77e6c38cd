"""`sweeper status` on a sweep bigger than a screen, through the real CLI on both stores: the
table lists the best runs and the running ones, read and sorted by the database, while the
counts, progress and best run still cover every run (issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from agentlib import Project, env_for


def fill(project: Project, sid: str, values: list, running: int = 0, crash_every: int = 0) -> list[str]:
    """Runs through the store's API, as agents record them: run i gets loss values[i] (None:
    no line); the last `running` runs are left running."""
    from sweeper.agents.loop import _choose

    store = project.open()
    agent = store.register_agent(sid)
    ids = []
    for i, value in enumerate(values):
        run = store.claim(sid, agent, _choose).run
        ids.append(run["id"])
        if value is not None:
            line = json.dumps({"loss": value})
            store.add_metrics(run["id"], sid, [(0, None, time.time(), line, value, 1)],
                              {"summary": {"loss": value}, "best_value": value, "best_step": 0, "n_lines": 1,
                               "metric_iter": 1})
        if i < len(values) - running:
            state = "crashed" if crash_every and i % crash_every == 0 else "finished"
            store.finish_run(run["id"], state)
    store.dispose()
    return ids


@pytest.mark.parametrize("goal", ["minimize", "maximize"])
def test_status_lists_the_best_and_the_running_runs_and_counts_them_all(tmp_path, store_url, goal):
    project = Project(tmp_path / "proj", store=store_url)
    sid = project.sweep(f"program: probe.py\nmethod: random\nmetric: {{name: loss, goal: {goal}}}\n"
                        "parameters: {x: {min: 0.0, max: 1.0}}\n")
    values = [float((i * 37) % 50) for i in range(45)] + [None] * 3 + [1000.0, -1000.0]
    ids = fill(project, sid, values, running=2)
    full = project.status(sid)  # --json: every run, as before
    assert full["shown"] == len(full["runs"]) == 50
    short = json.loads(project.cli("status", sid, "--json", "--limit", "5", check=True).stdout)
    # The best five of every run by the goal, ties in run order, then the running one that is not
    # among them (one of the two running runs logged the best value of all: -1000 or 1000).
    assert [r["id"] for r in short["runs"]][:5] == [r["id"] for r in full["runs"]][:5]
    assert len(short["runs"]) == short["shown"] == 6 and set(ids[-2:]) <= {r["id"] for r in short["runs"]}
    assert short["best"] == full["best"] and short["counts"] == full["counts"] == {"finished": 48, "running": 2}
    assert full["best"]["value"] == (1000.0 if goal == "maximize" else -1000.0)
    assert short["progress"] == full["progress"]

    people = project.cli("status", sid, check=True).stdout
    listed = [line.split()[1] if line.startswith("*") else line.split()[0] for line in people.splitlines()
              if any(line.lstrip("* ").startswith(i) for i in ids)]
    assert len(listed) == 21 and set(ids[-2:]) <= set(listed)
    assert "21 of 50 runs listed" in people and "--all" in people
    every = project.cli("status", sid, "--all", check=True).stdout
    assert sum(any(line.lstrip("* ").startswith(i) for i in ids) for line in every.splitlines()) == 50
    assert "runs listed" not in every


def test_a_grid_sweeps_progress_is_counted_in_the_database(tmp_path, store_url):
    project = Project(tmp_path / "proj", store=store_url)
    sid = project.sweep("program: probe.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\n"
                        "parameters: {i: {min: 1, max: 40}}\n")
    fill(project, sid, [float(i) for i in range(30)], crash_every=7)  # 5 crashed points: to be run again
    short = json.loads(project.cli("status", sid, "--json", "--limit", "3", check=True).stdout)
    full = project.status(sid)
    assert short["progress"] == full["progress"] and full["progress"]["grid_done"] == 25
    assert full["progress"]["grid_total"] == 40 and len(short["runs"]) == 3


def test_limit_and_all_together_are_refused(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {x: {min: 0.0, max: 1.0}}\n")
    proc = project.cli("status", sid, "--all", "--limit", "3")
    assert proc.returncode == 2 and "give --limit N or --all, not both" in proc.stderr


def test_runs_of_a_sweep_too_long_for_rich_is_the_same_table_as_plain_text(project):
    """Above render.PLAIN_ROWS rows `sweeper runs` draws the table itself (rich measured every
    cell: 12 s at 10,000 runs): the same columns, order and cells, aligned; values still escaped."""
    from sweeper.cli.render import PLAIN_ROWS

    sid = project.sweep("program: probe.py\nmethod: grid\nmetric: {name: loss, goal: maximize}\n"
                        "parameters:\n  i: {min: 1, max: 600}\n  tag: {values: [\"\\e[31mred\"]}\n")
    n = PLAIN_ROWS + 20
    fill(project, sid, [float(i % 97) for i in range(n)])
    long = project.cli("runs", sid, check=True).stdout.splitlines()
    short = project.cli("runs", sid, "--limit", "12", check=True).stdout.splitlines()
    assert len(long) == 2 + n and len(short) == 2 + 12
    assert [line.split() for line in long[:14]] == [line.split() for line in short]
    assert "\x1b" not in "\n".join(long) and "\\x1b[31mred" in long[2]
    state_at = long[1].index("state")
    assert all(line[state_at:].startswith("finished") for line in long[2:])
    assert [float(line.split()[-2]) for line in long[2:]] == sorted((float(i % 97) for i in range(n)), reverse=True)


PROBE_MODULES = ("import sys, json\nfrom sweeper.cli import main\nsys.argv[0] = 'sweeper'\n"
                 "try:\n    main()\nfinally:\n"
                 "    print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')),"
                 " file=sys.stderr)\n")


def _heavy(project: Project, *args) -> tuple[str, list]:
    """A command's output, and the SQLAlchemy modules it imported."""
    proc = subprocess.run([sys.executable, "-c", PROBE_MODULES, *args], cwd=project.root,
                          env=env_for(project.store), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(proc.stderr.strip().splitlines()[-1])


def test_the_read_commands_open_an_sqlite_store_without_sqlalchemy(tmp_path):
    """status, runs, export and best read an SQLite store through sqlite3 (store/lite.py):
    SQLAlchemy's import was most of their start-up. They say what the full store says."""
    from sweeper.results import progress
    from sweeper.store import open_store

    project = Project(tmp_path / "proj")
    sid = project.sweep("program: probe.py\nmethod: grid\nmetric: {name: loss, goal: minimize}\n"
                        "parameters: {i: {min: 1, max: 40}}\n")
    ids = fill(project, sid, [float(i % 9) for i in range(30)], running=2, crash_every=7)
    for args in (["status", sid], ["status", sid, "--json"], ["status", sid, "--all"], ["runs", sid],
                 ["runs", sid, "--json"], ["export", sid], ["export", sid, "--history", "--format", "jsonl"],
                 ["best", sid]):
        out, modules = _heavy(project, *args)
        assert modules == [], (args, modules)
        assert out.strip() and (ids[-1] in out or args[0] == "best"), args  # a running run is listed
    db = str(project.root / ".sweeper" / "sweeper.db")
    light, full = open_store(db, create=False, light=True), open_store(db, create=False)
    assert type(light._read).__name__ == "LiteEngine" and type(full._read).__name__ == "Engine"
    for limit in (None, 5):
        a, b = (progress.summarize(s, s.get_sweep(sid), limit=limit) for s in (light, full))
        for report in (a, b):
            for row in report["runs"] + report["_rows"]:
                row.pop("duration")
        assert a == b
    assert light.runs(sid) == full.runs(sid) and light.queued(sid) == full.queued(sid)
    # a crashed agent's runs are reaped through the light store too
    assert light.reap(sid) == full.reap(sid) == []


def test_a_store_to_migrate_is_read_through_sqlalchemy(tmp_path):
    """The light way reads only the current schema: an older store is migrated first."""
    import sqlite3

    from sweeper.store import open_store
    from sweeper.store.tables import SCHEMA_VERSION

    project = Project(tmp_path / "proj")
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {x: {min: 0.0, max: 1.0}}\n")
    db = project.root / ".sweeper" / "sweeper.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE bands")
        conn.execute("UPDATE sweeper_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),))
    out, modules = _heavy(project, "status", sid)
    assert sid in out and "sqlalchemy" in modules
    assert type(open_store(str(db), create=False, light=True)._read).__name__ == "LiteEngine"  # migrated


@pytest.mark.parametrize("goal", ["minimize", "maximize"])
def test_runs_with_a_limit_reads_the_best_from_the_database_and_shows_the_same(tmp_path, store_url, goal):
    """`runs ID --limit N` takes the best N and the running runs from the database (as status
    does): the same rows as sorting every run, and the head still counts every run."""
    project = Project(tmp_path / "proj", store=store_url)
    sid = project.sweep(f"program: probe.py\nmethod: random\nmetric: {{name: loss, goal: {goal}}}\n"
                        "parameters: {x: {min: 0.0, max: 1.0}}\n")
    values = [float((i * 37) % 50) for i in range(45)] + [None] * 3 + [7.0, 7.0]
    ids = fill(project, sid, values, running=2, crash_every=9)
    every = json.loads(project.cli("runs", sid, "--json", check=True).stdout)
    quick = json.loads(project.cli("runs", sid, "--json", "--limit", "6", check=True).stdout)
    # The full path sorts every run; --sort loss takes it too, with the same order.
    sorted_all = json.loads(project.cli("runs", sid, "--json", "--limit", "6", "--sort", "loss", check=True).stdout)
    assert quick == sorted_all
    assert [r["id"] for r in quick][:6] == [r["id"] for r in every][:6]
    assert set(ids[-2:]) <= {r["id"] for r in quick}
    people = project.cli("runs", sid, "--limit", "6", check=True).stdout
    assert f"{len(values)} runs" in people.splitlines()[0]
