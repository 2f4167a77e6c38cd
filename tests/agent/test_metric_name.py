"""The sweep's metric as a program logs it: a dotted name reaches into nested objects, as the
results tables (and W&B) name nested keys, and a run that never logs it says so at once."""

from __future__ import annotations

# Logs {"epoch": e, "val": {"loss": ...}} (a nested object), or whatever LOG names.
NESTED = """
import json, math, os, sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
x = float(args["x"])
with open(os.environ["SWEEPER_METRICS"], "a") as f:
    for e in range(3):
        value = (x - 0.3) ** 2 + 1 / (e + 1)
        line = {"epoch": e, "val": {"loss": value, "acc": 1 - value}}
        if os.environ.get("LOG") == "nan":
            line = {"epoch": e, "loss": float("nan")}
        elif os.environ.get("LOG") == "none":
            continue
        f.write(json.dumps(line) + "\\n")
"""


def sweep_of(project, metric: str, extra: str = "") -> str:
    project.write("train.py", NESTED)
    return project.sweep(f"""
program: train.py
method: random
metric: {{name: {metric}, goal: minimize{extra}}}
parameters:
  x: {{min: 0.0, max: 1.0}}
""")


def test_a_dotted_metric_name_reads_a_nested_object(project):
    sid = sweep_of(project, "val.loss")
    proc = project.agent(sid, "--count", "2")
    assert proc.returncode == 0, proc.stderr
    store = project.open()
    for run in store.runs(sid):
        x = run["params"]["x"]
        assert run["metric_iter"] == 3, run  # every line counted, so hyperband sees each band
        assert abs(run["best_value"] - ((x - 0.3) ** 2 + 1 / 3)) < 1e-12
    assert "best val.loss" in proc.stderr and "logged no" not in proc.stderr


def test_a_dotted_metric_target_ends_the_sweep(project):
    sid = sweep_of(project, "val.loss", ", target: 10.0")  # every run's first line beats it
    proc = project.agent(sid, "--count", "5")
    assert proc.returncode == 0, proc.stderr
    assert "metric target reached" in proc.stderr
    assert len(project.open().runs(sid)) == 1


def test_a_run_without_the_metric_says_what_it_logged(project):
    sid = sweep_of(project, "val_loss")  # misspelt: the program logs val.loss
    proc = project.agent(sid, "--count", "2")
    assert proc.returncode == 0, proc.stderr
    said = [line for line in proc.stderr.splitlines() if "finished in" in line]
    assert len(said) == 2, proc.stderr
    for line in said:
        assert ("it logged no 'val_loss'; its metrics lines had: epoch, val.acc, val.loss "
                "(the sweep file's metric.name must match a key the program logs)") in line


def test_a_run_logging_only_nan_or_nothing_says_so(project):
    sid = sweep_of(project, "loss")
    proc = project.agent(sid, "--count", "1", env={"LOG": "nan"})
    assert proc.returncode == 0, proc.stderr
    assert "it logged no usable 'loss' (the last was nan, not a finite number)" in proc.stderr
    proc = project.agent(sid, "--count", "1", env={"LOG": "none"})
    assert proc.returncode == 0, proc.stderr
    assert "it logged no 'loss' (no metrics lines came from it)" in proc.stderr


def test_a_run_with_its_metric_says_nothing_more(project):
    sid = sweep_of(project, "epoch")
    proc = project.agent(sid, "--count", "1")
    assert proc.returncode == 0 and "best epoch 0" in proc.stderr and "logged no" not in proc.stderr


def test_show_says_a_metric_was_not_logged_or_not_finite(project):
    # `show` printed "val_loss (minimize): no value, last " with nothing after "last"
    sid = sweep_of(project, "val_loss")
    assert project.agent(sid, "--count", "1").returncode == 0
    (run,) = project.open().runs(sid)
    shown = project.cli("show", run["id"], env={"COLUMNS": "200"}, check=True).stdout
    assert "val_loss (minimize): not logged\n" in shown
    sid = sweep_of(project, "loss")
    assert project.agent(sid, "--count", "1", env={"LOG": "nan"}).returncode == 0
    (run,) = project.open().runs(sid)
    shown = project.cli("show", run["id"], env={"COLUMNS": "200"}, check=True).stdout
    assert "loss (minimize): no finite value, last NaN\n" in shown
