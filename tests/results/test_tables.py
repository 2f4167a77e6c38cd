"""Tables for people at 80 columns (issue 16 item 8), through the real CLI: the best-run marker
stays, numbers are never cut to `0.00…`, columns that do not fit are left out by priority and
named, and running runs stay listed under --limit."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from agentlib import Project, wait_for

BOWL = Path(__file__).resolve().parents[1] / "programs" / "bowl.py"
CURVE = Path(__file__).resolve().parents[1] / "agentprogs" / "curve.py"
WIDE = """
program: bowl.py
method: random
run_cap: 5
metric: {name: validation_loss_of_the_model, goal: minimize}
parameters:
  x: {min: 0.0, max: 1.0}
  y: {min: 0.0, max: 1.0}
  optimizer: {values: [adam, sgd]}
  learning_rate: {distribution: log_uniform_values, min: 0.000001, max: 0.0001}
  batch_size: {values: [16, 32, 64]}
  dropout: {min: 0.0, max: 0.5}
  weight_decay: {distribution: log_uniform_values, min: 0.0000001, max: 0.001}
  lines: {value: 3}
"""


def _project(tmp_path) -> Project:
    proj = Project(tmp_path / "proj")
    # bowl.py logs "loss": a copy that logs it under the sweep's long metric name too.
    text = BOWL.read_text().replace('f.write(json.dumps({"step": i, "loss": loss,',
                                    'f.write(json.dumps({"step": i, "validation_loss_of_the_model": loss, "loss": loss,')
    assert text != BOWL.read_text()
    proj.write("bowl.py", text)
    return proj


def test_runs_and_status_fit_80_columns_by_leaving_columns_out(tmp_path):
    proj = _project(tmp_path)
    sid = proj.sweep(WIDE)
    assert proj.agent(sid).returncode == 0
    best = json.loads(proj.cli("best", sid, "--json", check=True).stdout)["run_id"]
    for command in (("runs", sid), ("status", sid)):
        out = proj.cli(*command, env={"COLUMNS": "80"}, check=True).stdout
        lines = out.splitlines()
        table = [line for line in lines if re.match(r"^[ *]  [a-z0-9]{8}  ", line)]
        assert len(table) == 5, out
        assert all(len(line) <= 80 for line in lines), out
        starred = [line for line in table if line.startswith("*")]
        assert len(starred) == 1 and best in starred[0]
        assert "…" not in "".join(table), out  # no cell is cut: columns are left out instead
        note = next(line for line in lines if line.startswith("not shown in 80 columns: "))
        assert "time" in note and "note" not in note  # every run finished: no note column at all
        header = next(line for line in lines if line.lstrip().startswith("run "))
        assert "batch_size" in header and "best" in header  # the first parameters and the best value stay
    wide = proj.cli("runs", sid, env={"COLUMNS": "250"}, check=True).stdout
    assert "not shown" not in wide and "weight_decay" in wide and "time" in wide
    lr = json.loads(proj.cli("runs", sid, "--json", check=True).stdout)[0]["params"]["learning_rate"]
    assert f"{lr:.4g}" in wide  # 4 significant digits: 1.234e-05, never 0.00…


def test_a_running_run_stays_listed_under_limit(tmp_path):
    proj = _project(tmp_path)
    # The finished runs' x is near the bowl's floor (0.3) and the running run's far from it, so
    # the running run is never among the best: it is listed only because it is running.
    near = WIDE.replace("run_cap: 5", "run_cap: 4").replace("x: {min: 0.0, max: 1.0}", "x: {min: 0.2, max: 0.4}")
    sid = proj.sweep(near.replace("lines: {value: 3}", "lines: {value: 3}\n  sleep: {value: 0}"))
    assert proj.agent(sid, "--count", "3").returncode == 0
    proj.write("slow.yaml", near.replace("x: {min: 0.2, max: 0.4}", "x: {min: 0.9, max: 1.0}").replace(
        "lines: {value: 3}", "lines: {value: 3}\n  sleep: {value: 30}"))
    proj.cli("sweep", "slow.yaml", "--update", sid, check=True)
    agent = proj.start_agent(sid)
    store = proj.open()
    running = wait_for(lambda: next((r for r in store.runs(sid) if r["state"] == "running" and r["n_lines"]), None),
                       timeout=30, what="a running run with a line")
    listed = json.loads(proj.cli("runs", sid, "--limit", "1", "--json", check=True).stdout)
    assert len(listed) == 2 and listed[1]["id"] == running["id"] and listed[1]["state"] == "running"
    table = proj.cli("runs", sid, "--limit", "1", env={"COLUMNS": "80"}, check=True).stdout
    assert running["id"] in table
    proj.cli("cancel", sid, check=True)
    agent.communicate(timeout=60)


def test_chosen_columns_and_a_projects_table_leave_columns_out_instead_of_cutting_them(tmp_path):
    proj = _project(tmp_path)
    sid = proj.sweep(WIDE.replace("metric:", "project: lab\nmetric:"))
    assert proj.agent(sid).returncode == 0
    proj.cli("edit", json.loads(proj.cli("best", sid, "--json", check=True).stdout)["id"], "--name", "champion",
             "--note", "the one", "--tag", "paper", check=True)
    chosen = proj.cli("runs", sid, "--columns", "id,learning_rate,weight_decay,dropout,x,y,created_at,name,notes,tags",
                      env={"COLUMNS": "80"}, check=True).stdout
    project = proj.cli("runs", "--project", "lab", env={"COLUMNS": "80"}, check=True).stdout
    for out in (chosen, project):
        lines = out.splitlines()
        assert all(len(line) <= 80 for line in lines), out
        rows = [line for line in lines if re.match(r"^(\S+  )?[a-z0-9]{8}  ", line)]
        assert len(rows) == 5, out
        assert "…" not in "".join(rows), out  # IDs, numbers and dates whole
        assert any(line.startswith("not shown in 80 columns: ") for line in lines), out
    assert "champion" in proj.cli("runs", sid, env={"COLUMNS": "200"}, check=True).stdout  # a name column
    tagged = json.loads(proj.cli("runs", sid, "--columns", "id,name,tags,notes", "--json", check=True).stdout)
    assert {"id": tagged[0]["id"], "name": "champion", "tags": ["paper"], "notes": "the one"} in tagged


def test_a_column_asked_for_by_name_is_not_cut_when_it_fits(tmp_path):
    """`runs --columns id,stop_reason` on a wide terminal shows the whole stop reason (its value
    and threshold are at the end), not its first 40 characters."""
    project = Project(tmp_path / "proj")
    shutil.copy(CURVE, project.root / "curve.py")
    sid = project.sweep("""
program: curve.py
method: grid
metric: {name: loss, goal: minimize}
early_terminate: {type: hyperband, min_iter: 2, eta: 2}
parameters:
  base: {values: [1.0, 1.2, 5.0]}
  lines: {value: 4}
  tick: {value: 0.1}
""")
    assert project.agent(sid).returncode == 0
    stopped = next(r for r in project.open().runs(sid) if r["state"] == "stopped")
    out = project.cli("runs", sid, "--columns", "id,stop_reason", env={"COLUMNS": "300"}, check=True).stdout
    assert stopped["stop_reason"] in out and len(stopped["stop_reason"]) > 40
    narrow = project.cli("runs", sid, "--columns", "id,stop_reason", env={"COLUMNS": "40"}, check=True).stdout
    assert all(len(line) <= 40 for line in narrow.splitlines())  # still fitted to the width
