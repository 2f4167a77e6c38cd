"""Results through the real CLI on real sweeps: runs, export, importance, report.

The sweeps are made by `sweeper sweep` and run by `sweeper agent` on tests/programs/bowl.py,
whose loss depends strongly on x and not at all on y, so the numbers can be checked.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agentlib import Project, wait_for

BOWL = Path(__file__).parent.parent / "programs" / "bowl.py"
HOSTILE = "<script>alert(1)</script>"

# x in [0.3, 1]: the loss 10 (x - 0.3)^2 rises with x there, so Spearman sees it too; no
# noise, so the order of the runs is the order of x.
BOWL_SWEEP = f"""
name: bowl
program: bowl.py
method: random
metric: {{name: loss, goal: minimize}}
run_cap: 16
parameters:
  x: {{min: 0.3, max: 1.0}}
  y: {{min: 0.0, max: 1.0}}
  noise: {{value: 0}}
  lines: {{value: 4}}
  opt: {{values: [adam, sgd, "{HOSTILE}"]}}
  sched: {{parameters: {{lr: {{distribution: log_uniform_values, min: 0.0001, max: 0.1}}}}}}
"""

# One run of each awkward kind: a normal one, NaN on every line, nothing logged, a failure.
EDGE_SWEEP = """
name: edges
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  mode: {values: [ok, nan, silent, fail]}
  x: {value: 0.5}
  lines: {value: 4}
"""


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, which strict JSON does not have."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    p = Project(tmp_path_factory.mktemp("results") / "proj")
    shutil.copy(BOWL, p.root / "bowl.py")
    return p


@pytest.fixture(scope="module")
def bowl(project):
    sid = project.sweep(BOWL_SWEEP)
    # the hostile value runs whatever the random draws (seeded by the sweep's ID): queued first
    project.cli("enqueue", sid, "-p", "x=0.6", "-p", "y=0.4", "-p", f"opt={HOSTILE}", "-p", "sched.lr=0.001",
                check=True)
    proc = project.agent(sid, "--output", "none")
    assert proc.returncode == 0, proc.stderr  # run_cap reached
    return sid


@pytest.fixture(scope="module")
def edges(project):
    sid = project.sweep(EDGE_SWEEP)
    proc = project.agent(sid, "--output", "none")
    assert proc.returncode == 0, proc.stderr  # grid exhausted
    return sid


def runs_json(project, sid, *args):
    proc = project.cli("runs", sid, "--json", *args, check=True)
    return strict_loads(proc.stdout)


# ---- runs ----------------------------------------------------------------------------------------


def test_runs_best_first_by_goal(project, bowl):
    rows = runs_json(project, bowl)
    assert len(rows) == 16 and all(r["state"] == "finished" for r in rows)
    best = [r["best"] for r in rows]
    assert best == sorted(best)
    assert rows[0]["is_best"] and not any(r["is_best"] for r in rows[1:])
    # The best run is the one with x nearest 0.3, whatever y is.
    assert rows[0]["params"]["x"] == min(r["params"]["x"] for r in rows)
    # Every run row has the flattened parameters and the logged metrics' last values.
    assert set(rows[0]["params"]) == {"x", "y", "noise", "lines", "opt", "sched.lr"}
    assert set(rows[0]["summary"]) == {"step", "loss", "acc", "val.loss"}
    assert rows[0]["last"] == rows[0]["summary"]["loss"]
    assert rows[0]["duration"] > 0


def test_runs_sort_reverse_limit_columns(project, bowl):
    by_y = runs_json(project, bowl, "--sort", "y")
    ys = [r["params"]["y"] for r in by_y]
    assert ys == sorted(ys)
    rev = runs_json(project, bowl, "--sort", "y", "--reverse", "--limit", "3")
    assert [r["params"]["y"] for r in rev] == sorted(ys, reverse=True)[:3]
    worst = runs_json(project, bowl, "--reverse", "--limit", "1")[0]
    assert worst["best"] == max(r["best"] for r in by_y)
    picked = runs_json(project, bowl, "--columns", "id,sched.lr,val.loss,loss", "--sort", "val.loss")
    assert list(picked[0]) == ["id", "sched.lr", "val.loss", "loss"]
    assert [r["val.loss"] for r in picked] == sorted(r["val.loss"] for r in picked)


def test_runs_maximize_sorts_descending(project):
    sid = project.sweep("""
program: bowl.py
method: grid
metric: {name: acc, goal: maximize}
parameters:
  x: {values: [0.9, 0.3, 0.6]}
  lines: {value: 2}
""")
    assert project.agent(sid, "--output", "none").returncode == 0
    rows = runs_json(project, sid)
    assert [r["params"]["x"] for r in rows] == [0.3, 0.6, 0.9]
    assert rows[0]["best"] > rows[1]["best"] > rows[2]["best"]
    assert project.cli("best", sid, "--format", "json", check=True).stdout.count("0.3") == 1


def test_runs_edge_cases_come_last_and_say_why(project, edges):
    rows = runs_json(project, edges)
    by_mode = {r["params"]["mode"]: r for r in rows}
    assert [r["params"]["mode"] for r in rows[:2]] == ["ok", "fail"]  # the two with a value, best first
    assert {r["params"]["mode"] for r in rows[2:]} == {"nan", "silent"}
    nan, silent, fail = by_mode["nan"], by_mode["silent"], by_mode["fail"]
    assert nan["state"] == "finished" and nan["best"] is None and nan["last"] is None  # NaN -> null
    assert nan["n_lines"] == 4
    assert silent["state"] == "finished" and silent["n_lines"] == 0 and silent["summary"] == {}
    assert silent["best"] is None and silent["last"] is None
    assert fail["state"] == "failed" and fail["n_lines"] == 2 and "exit code 1" in fail["stop_reason"]
    human = project.cli("runs", edges, env={"COLUMNS": "200"}, check=True).stdout
    assert "logged nothing" in human and "NaN" in human and "failed" in human
    only_failed = runs_json(project, edges, "--state", "failed")
    assert [r["params"]["mode"] for r in only_failed] == ["fail"]
    # Sorting by a key that NaN-valued and missing runs lack still puts them last.
    by_acc = runs_json(project, edges, "--sort", "acc", "--reverse")
    assert [r["params"]["mode"] for r in by_acc[:2]] == ["ok", "fail"]


def test_runs_bad_input(project, bowl):
    for args, words in [(("--sort", "nosuch"), "no column 'nosuch'"), (("--state", "asleep"), "unknown state"),
                        (("--columns", "id,nosuch"), "unknown column nosuch")]:
        proc = project.cli("runs", bowl, *args)
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    proc = project.cli("runs", "zzzzzzzz")
    assert proc.returncode == 2 and "no sweep" in proc.stderr


def test_runs_while_the_sweep_runs(project):
    sid = project.sweep("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  x: {values: [0.4, 0.5]}
  lines: {value: 200}
  sleep: {value: 0.05}
""")
    agent = project.start_agent(sid, "--count", "1", "--output", "none")
    try:
        store = project.open()
        wait_for(lambda: any(r["state"] == "running" and r["n_lines"] >= 2 for r in store.runs(sid)),
                 timeout=30, what="a running run with metric lines")
        (row,) = runs_json(project, sid)
        assert row["state"] == "running" and row["best"] is not None and row["ended_at"] is None
        assert row["duration"] > 0
        assert project.cli("report", sid, "-o", "live.html").returncode == 0
        assert project.cli("export", sid, "--history", "--format", "jsonl").stdout.count("\n") >= 2
    finally:
        agent.terminate()
        agent.wait(timeout=30)


# ---- export --------------------------------------------------------------------------------------


def test_export_csv_has_every_parameter_and_metric(project, bowl):
    text = project.cli("export", bowl, check=True).stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 16
    cols = list(table[0])
    assert cols[:3] == ["id", "number", "state"]
    for col in ("x", "y", "noise", "lines", "opt", "sched.lr", "loss", "acc", "val.loss", "step", "best", "last",
                "duration", "stop_reason", "created_at", "started_at", "ended_at"):
        assert col in cols, col
    assert cols.index("sched.lr") < cols.index("acc")  # parameters, then metrics
    assert {r["opt"] for r in table} <= {"adam", "sgd", HOSTILE}
    for r in table:
        assert float(r["last"]) == float(r["loss"])
        assert float(r["ended_at"]) >= float(r["started_at"])


def test_export_formats_and_file(project, edges, tmp_path):
    records = strict_loads(project.cli("export", edges, "--format", "json", check=True).stdout)
    assert len(records) == 4 and {"params", "summary"} <= set(records[0])
    nan = next(r for r in records if r["params"]["mode"] == "nan")
    assert nan["summary"]["loss"] is None and nan["last"] is None  # strict JSON: NaN -> null
    lines = project.cli("export", edges, "--format", "jsonl", check=True).stdout.splitlines()
    assert [strict_loads(x)["id"] for x in lines] == [r["id"] for r in records]
    out = tmp_path / "edges.csv"
    proc = project.cli("export", edges, "-o", out, check=True)
    assert "wrote 4 runs" in proc.stderr and proc.stdout == ""
    rows = {r["mode"]: r for r in csv.DictReader(out.open())}
    assert rows["nan"]["loss"] == "nan" and rows["nan"]["best"] == ""
    assert rows["silent"]["loss"] == "" and rows["silent"]["n_lines"] == "0"


def _exported_before(store, sweep, fmt, history) -> str:
    """What `export` wrote before it streamed: the whole sweep read into memory, then written."""
    from sweeper.results import rows as R

    all_runs, out = store.runs(sweep["id"]), io.StringIO()
    if history:
        rows = [line for run in all_runs for line in R.history_rows(run["id"], store.metric_rows(run["id"]))]
        if fmt == "jsonl":
            out.writelines(json.dumps(R.strict_json(line), default=str) + "\n" for line in rows)
        elif fmt == "json":
            json.dump(R.strict_json(rows), out, default=str)
            out.write("\n")
        else:
            cols = ["run_id", "seq", "step"]
            cols += sorted({k for r in rows for k in r} - set(cols))
            writer = csv.writer(out)
            writer.writerow(cols)
            writer.writerows([R.csv_cell(r.get(c)) for c in cols] for r in rows)
        return out.getvalue()
    rows = R.run_rows(sweep, all_runs)
    if fmt == "csv":
        flats = [R.flat_row(r) for r in rows]
        params = R.parameter_keys(sweep)
        params += sorted({k for r in rows for k in r["params"]} - set(params))
        param_cols = [k if k not in R.FIXED_COLUMNS else f"params.{k}" for k in params]
        cols = list(R.FIXED_COLUMNS) + param_cols + sorted({k for f in flats for k in f} - set(R.FIXED_COLUMNS)
                                                           - set(param_cols))
        writer = csv.writer(out)
        writer.writerow(cols)
        writer.writerows([R.csv_cell(f.get(c)) for c in cols] for f in flats)
    elif fmt == "json":
        json.dump(R.strict_json([R.export_record(r) for r in rows]), out, indent=2, default=str)
        out.write("\n")
    else:
        out.writelines(json.dumps(R.strict_json(R.export_record(r)), default=str) + "\n" for r in rows)
    return out.getvalue()


@pytest.mark.parametrize("history", [False, True], ids=["runs", "history"])
def test_export_streams_what_it_wrote_before(project, edges, bowl, history, tmp_path):
    """Streamed (issue 17), every format writes the same text as when the sweep was read whole."""
    store = project.open()
    for sid in (edges, bowl):
        sweep = store.get_sweep(sid)
        for fmt in ("csv", "json", "jsonl"):
            out = tmp_path / f"{sid}.{fmt}"
            project.cli("export", sid, "--format", fmt, "-o", out, *(["--history"] if history else []), check=True)
            with open(out, encoding="utf-8", newline="") as f:  # CSV's \r\n kept
                got = f.read()
            assert got == _exported_before(store, sweep, fmt, history), (sid, fmt)


def test_export_history_every_line(project, edges, bowl):
    store = project.open()
    runs = store.runs(edges)
    text = project.cli("export", edges, "--history", "--format", "csv", check=True).stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == ["run_id", "seq", "step", "acc", "loss", "val.loss"]
    assert len(table) == sum(r["n_lines"] for r in runs) == 4 + 4 + 0 + 2
    nan_id = next(r["id"] for r in runs if r["params"]["mode"] == "nan")
    assert [r["loss"] for r in table if r["run_id"] == nan_id] == ["nan"] * 4
    assert [r["step"] for r in table if r["run_id"] == nan_id] == ["0", "1", "2", "3"]
    lines = project.cli("export", bowl, "--history", "--format", "jsonl", check=True).stdout.splitlines()
    assert len(lines) == 16 * 4
    first = strict_loads(lines[0])
    assert set(first) == {"run_id", "seq", "step", "acc", "loss", "val.loss"}


# ---- importance ----------------------------------------------------------------------------------


def test_importance_finds_x_not_y(project):
    """On a grid, x and y are exactly independent: the numbers can be pinned down."""
    sid = project.sweep("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  x: {values: [0.3, 0.45, 0.6, 0.8, 1.0]}
  y: {values: [0.0, 0.5, 1.0]}
  opt: {values: [adam, sgd]}
  lines: {value: 2}
""")
    assert project.agent(sid, "--output", "none").returncode == 0
    result = strict_loads(project.cli("importance", sid, "--json", check=True).stdout)
    assert result["n_runs"] == 30 and result["metric"] == "loss" and result["note"] is None
    by_key = {p["key"]: p for p in result["params"]}
    assert [p["key"] for p in result["params"]][0] == "x" and set(by_key) == {"x", "y", "opt"}
    assert by_key["x"]["importance"] > 0.95
    assert by_key["y"]["importance"] < 0.02 and by_key["opt"]["importance"] < 0.02
    assert by_key["x"]["correlation"] > 0.95  # loss rises with x on [0.3, 1]
    assert abs(by_key["y"]["correlation"]) < 0.2
    assert by_key["opt"]["correlation"] == pytest.approx(0.0, abs=0.05)  # two values: coded 0/1
    human = project.cli("importance", sid, env={"COLUMNS": "120"}, check=True).stdout
    table = [line.split() for line in human.splitlines() if line.split()[:1] in (["x"], ["y"], ["opt"])]
    assert [row[0] for row in table] == ["x", "y", "opt"] and "█" in table[0][2]


def test_importance_on_random_search_with_nested_and_categorical(project, bowl):
    result = strict_loads(project.cli("importance", bowl, "--json", check=True).stdout)
    assert result["n_runs"] == 16
    by_key = {p["key"]: p for p in result["params"]}
    assert set(by_key) == {"x", "y", "opt", "sched.lr"}  # flattened; constants left out
    assert sum(p["importance"] for p in result["params"]) == pytest.approx(1.0)
    # Random draws can make y look related to x by chance: only the clear facts are checked.
    assert result["params"][0]["key"] == "x" and by_key["x"]["importance"] > 0.5
    assert by_key["x"]["correlation"] > 0.9
    assert by_key["opt"]["kind"] == "categorical" and by_key["opt"]["correlation"] is None  # 3 values
    assert by_key["sched.lr"]["kind"] == "numeric"


def test_importance_of_a_parameter_with_values_beyond_float32(project):
    # scikit-learn reads a forest's inputs as float32: 1e308 was "infinity" to it, and the
    # command (and the dashboard's importance panel) failed.
    sid = project.sweep("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  x: {values: [0.3, 0.6, 1.0]}
  big: {values: [1, 1.0e+308]}
  lines: {value: 1}
""")
    assert project.agent(sid, "--output", "none").returncode == 0
    proc = project.cli("importance", sid, "--json")
    assert proc.returncode == 0, proc.stderr
    by_key = {p["key"]: p for p in strict_loads(proc.stdout)["params"]}
    assert set(by_key) == {"x", "big"} and by_key["x"]["importance"] > 0.9


@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_importance_of_a_metric_in_odd_units(project, scale):
    # A forest's tree takes a node whose variance is below about 1e-16 as pure: a loss that varied
    # by 1e-12 gave every parameter 0 importance (beside a correlation of +1).
    sid = project.sweep(f"""
program: bowl.py
method: grid
metric: {{name: loss, goal: minimize}}
parameters:
  x: {{values: [0.3, 0.45, 0.6, 0.8, 1.0]}}
  y: {{values: [0.0, 0.5, 1.0]}}
  noise: {{value: 0}}
  scale: {{value: {scale}}}
  lines: {{value: 1}}
""")
    assert project.agent(sid, "--output", "none").returncode == 0
    result = strict_loads(project.cli("importance", sid, "--json", check=True).stdout)
    by_key = {p["key"]: p for p in result["params"]}
    assert result["note"] is None and by_key["x"]["importance"] > 0.95 and by_key["y"]["importance"] < 0.05
    assert by_key["x"]["correlation"] == pytest.approx(1.0)


def test_importance_of_a_metric_that_never_changes_says_so(project):
    sid = project.sweep("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  x: {value: 0.5}
  y: {values: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]}
  noise: {value: 0}
  lines: {value: 1}
""")
    assert project.agent(sid, "--output", "none").returncode == 0
    proc = project.cli("importance", sid)
    assert proc.returncode == 0 and proc.stderr == ""  # scipy's ConstantInputWarning was printed here
    assert "all 6 runs have the same value of loss (1.4): nothing tells the parameters apart" in proc.stdout
    result = strict_loads(project.cli("importance", sid, "--json", check=True).stdout)
    assert result["params"] == [] and result["n_runs"] == 6 and "the same value" in result["note"]


def test_importance_with_too_few_runs_says_so(project, edges):
    proc = project.cli("importance", edges)
    assert proc.returncode == 0
    assert "only 2 runs with a value of loss (at least 5 are needed)" in proc.stdout
    result = strict_loads(project.cli("importance", edges, "--json", check=True).stdout)
    assert result["params"] == [] and "only 2 runs" in result["note"]


# ---- report --------------------------------------------------------------------------------------


def report_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="sweeper-data">(.*?)</script>', page, re.DOTALL)
    assert m, "the report has no data block"
    return json.loads(m.group(1))


def test_report_is_self_contained_and_escaped(project, bowl, tmp_path):
    out = tmp_path / "bowl.html"
    proc = project.cli("report", bowl, "-o", out, check=True)
    assert str(out) in proc.stdout
    page = out.read_text()
    # Offline: plotly.js and the page script are inside, nothing is fetched.
    assert "plotly.js v" in page
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=["\']?https?:', page)
    # The hostile value is data, never markup, and never closes a <script>: the page shows it as text.
    assert HOSTILE not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    data = report_data(page)
    assert data["mode"] == "snapshot" and set(data["snapshot"]) == {"sweep", "importance", "curves"}
    sweep = data["snapshot"]["sweep"]
    assert sorted(sweep["keys"]) == ["opt", "sched.lr", "x", "y"]
    assert HOSTILE in {r["params"]["opt"] for r in sweep["rows"]}
    # Every run is there; the best run is the one `sweeper runs` lists first.
    assert len(sweep["rows"]) == 16 and sweep["best"]["id"] == runs_json(project, bowl)[0]["id"]
    assert set(data["snapshot"]["curves"]["runs"]) == {r["id"] for r in sweep["rows"]}
    assert data["snapshot"]["importance"]["params"][0]["key"] == "x"


def test_report_marks_early_terminated_and_odd_runs(project, edges, tmp_path):
    sid = project.sweep("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
early_terminate: {type: hyperband, min_iter: 2, eta: 2}
parameters:
  x: {values: [0.3, 0.9, 1.5]}
  lines: {value: 8}
  sleep: {value: 0.1}
""")
    assert project.agent(sid, "--output", "none", "--grace", "2").returncode == 0
    store = project.open()
    stopped = [r for r in store.runs(sid) if r["band"] is not None]
    assert stopped, "hyperband stopped no run"
    page_path = tmp_path / "et.html"
    project.cli("report", sid, "-o", page_path, check=True)
    snap = report_data(page_path.read_text())["snapshot"]
    rows = {r["id"]: r for r in snap["sweep"]["rows"]}
    for r in stopped:
        assert rows[r["id"]]["early_terminated"] and rows[r["id"]]["band"] == r["band"]
        curve = snap["curves"]["runs"][r["id"]]
        # The mark goes on the line of the band-th metric value (bowl.py's step band - 1),
        # whatever the run logged after it.
        assert curve.get("_step", curve["seq"])[curve["stop"]] == r["band"] - 1
    # A sweep whose runs include NaN, nothing logged and a failure still makes a report.
    odd = tmp_path / "edges.html"
    project.cli("report", edges, "-o", odd, check=True)
    snap = report_data(odd.read_text())["snapshot"]
    assert "no metric lines" in {r["note"] for r in snap["sweep"]["rows"]}
    assert "only 2 runs with a value of loss" in snap["importance"]["note"]


def test_a_sweep_without_metric(project, tmp_path):
    sid = project.sweep("""
program: bowl.py
method: grid
parameters:
  x: {values: [0.9, 0.3]}
  lines: {value: 2}
""")
    assert project.agent(sid, "--output", "none").returncode == 0
    rows = runs_json(project, sid)
    assert [r["number"] for r in rows] == [1, 2] and all(r["best"] is None for r in rows)
    assert [r["params"]["x"] for r in runs_json(project, sid, "--sort", "loss")] == [0.3, 0.9]
    assert "has no metric" in project.cli("importance", sid, check=True).stdout
    project.cli("report", sid, "-o", tmp_path / "nometric.html", check=True)
    assert "x" in project.cli("runs", sid, check=True).stdout


@pytest.mark.postgres
def test_results_on_postgresql(pg_url, tmp_path):
    p = Project(tmp_path / "pgproj", store=pg_url)
    shutil.copy(BOWL, p.root / "bowl.py")
    sid = p.sweep(EDGE_SWEEP)
    assert p.agent(sid, "--output", "none").returncode == 0
    rows = runs_json(p, sid)
    assert [r["params"]["mode"] for r in rows[:2]] == ["ok", "fail"]
    assert {r["params"]["mode"] for r in rows[2:]} == {"nan", "silent"}
    history = p.cli("export", sid, "--history", "--format", "csv", check=True).stdout
    assert len(history.splitlines()) == 1 + 4 + 4 + 2
    p.cli("report", sid, "-o", tmp_path / "pg.html", check=True)
    assert "only 2 runs" in p.cli("importance", sid, check=True).stdout


# ---- the CLI itself ------------------------------------------------------------------------------


def test_help_is_light_and_has_examples():
    code = ("import sys\nfrom sweeper.cli import cli\n"
            "for args in (['--help'], ['runs', '--help'], ['export', '--help'], ['importance', '--help'], "
            "['report', '--help']):\n"
            "    try:\n        cli(args, prog_name='sweeper')\n    except SystemExit:\n        pass\n"
            "print('HEAVY', sorted(m for m in ('sklearn', 'plotly', 'numpy', 'scipy', 'sqlalchemy') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert out.count("Example:") >= 4
    for cmd in ("runs", "export", "importance", "report"):
        assert re.search(rf"^\s+{cmd}\s", out, re.MULTILINE), cmd


def test_sort_helpers_nan_and_text():
    """The ordering rules on rows the agent would not easily make: mixed types, inf, ties."""
    from sweeper.results.rows import Metric, sort_rows

    def row(i, v, p):
        return {"id": str(i), "number": i, "state": "finished", "best": v, "last": v, "best_step": None,
                "params": {"p": p}, "summary": {}, "duration": None, "n_lines": 1, "stop_reason": None,
                "early_terminated": False, "created_at": i, "started_at": None, "ended_at": None, "host": None,
                "gpu": None, "superseded": False}

    rows = [row(1, math.nan, "b"), row(2, 2.0, 3), row(3, None, "a"), row(4, -math.inf, 1), row(5, 2.0, None)]
    assert [r["id"] for r in sort_rows(rows, Metric("loss", False))] == ["4", "2", "5", "1", "3"]
    assert [r["id"] for r in sort_rows(rows, Metric("loss", True))] == ["2", "5", "4", "1", "3"]
    assert [r["id"] for r in sort_rows(rows, Metric("loss", False), "p")] == ["4", "2", "3", "1", "5"]
    assert [r["id"] for r in sort_rows(rows, Metric("loss", False), "p", reverse=True)] == ["2", "4", "1", "3", "5"]
    _ = time


def test_best_for_machines_the_record_and_the_value_alone(project, bowl):
    """`best --json`: the run's ID, state, metric, value, parameters and command; `--format value`:
    the value alone, as Python writes a float, for `[ "$(sweeper best ID --format value)" ... ]`."""
    record = strict_loads(project.cli("best", bowl, "--json", check=True).stdout)
    rows = strict_loads(project.cli("runs", bowl, "--json", check=True).stdout)
    top = rows[0]
    assert record["run_id"] == top["id"] and record["value"] == top["best"] and record["state"] == "finished"
    assert record["metric"] == "loss" and record["goal"] == "minimize" and record["sweep_id"] == bowl
    assert record["params"]["x"] == top["params"]["x"] and record["command"][-1].startswith("--")
    value = project.cli("best", bowl, "--format", "value", check=True).stdout
    assert value == f"{top['best']!r}\n"


def test_best_says_when_the_best_run_failed(project):
    # a run that logs its best value and then fails was printed as if it had finished
    project.write("logs_then_fails.py", """
import json, os, sys
loss = float(sys.argv[1].split("=")[1])
with open(os.environ["SWEEPER_METRICS"], "a") as f:
    f.write(json.dumps({"loss": loss}) + "\\n")
sys.exit(3 if loss < 1 else 0)
""")
    sid = project.sweep("""
program: logs_then_fails.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  loss: {values: [2.0, 0.5, 1.5]}
""")
    project.agent(sid, "--output", "none", "--max-failures", "5")
    record = strict_loads(project.cli("best", sid, "--json", check=True).stdout)
    assert record["state"] == "failed" and record["params"] == {"loss": 0.5}
    shown = project.cli("best", sid, check=True)
    assert shown.stdout.startswith(f"# run {record['run_id']} (failed): loss = 0.5\n")
    value = project.cli("best", sid, "--format", "value", check=True)
    assert value.stdout == "0.5\n"  # what scripts read stays the value alone
    assert value.stderr == f"note: run {record['run_id']} failed after logging this value\n"


def test_json_timestamps_are_numbers_and_iso_8601(project, bowl):
    import datetime

    rows = strict_loads(project.cli("runs", bowl, "--json", check=True).stdout)
    exported = [json.loads(line) for line in project.cli("export", bowl, "--format", "jsonl",
                                                         check=True).stdout.splitlines()]
    sweeps = strict_loads(project.cli("sweeps", "--json", check=True).stdout)
    for record in rows + exported + sweeps:
        for key in ("created_at", "started_at", "ended_at"):
            if key in record and record[key] is not None:
                parsed = datetime.datetime.fromisoformat(record[f"{key}_iso"].replace("Z", "+00:00"))
                assert abs(parsed.timestamp() - record[key]) < 0.001, (key, record)
    assert all("created_at_iso" in r for r in rows + exported + sweeps)
