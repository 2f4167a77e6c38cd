"""Seed 000's flow in a real Jupyter kernel (nbclient + ipykernel), and under
contextlib.redirect_stdout: sys.stdout is then an object without .buffer (issue 15, item 3.4).

Before: the agent ran 0 runs and said it succeeded. Now every run runs, its output reaches
its output.log and the cell (or the StringIO)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import pytest

import sweeper

CELLS = [
    """import sweeper
sweep_config = {"method": "grid", "metric": {"name": "val_acc", "goal": "maximize"},
                "parameters": {"lr": {"values": [0.1, 0.2, 0.3]}, "epochs": {"value": 2}}}
sweep_id = sweeper.sweep(sweep_config, project="wandb_demo")
""",
    """import sys
def train():
    with sweeper.init(project="wandb_demo", config={"lr": 1e-4, "epochs": 15}, name="nb") as run:
        for epoch in range(1, sweeper.config.epochs + 1):
            print(f"epoch {epoch} of run {sweeper.run.id}: lr={sweeper.config.lr}")
            sweeper.log({"epoch": epoch, "val_acc": sweeper.config.lr * epoch})
        print(f"stderr of run {run.id}", file=sys.stderr)
""",
    """code = sweeper.agent(sweep_id, function=train, count=3)
print("agent exit", code)
""",
]


def _texts(cell, stream=None) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and (stream is None or o.get("name") == stream))


def test_seed000_flow_in_a_jupyter_kernel(place, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(place.root)}})
    client.execute()
    out = _texts(nb.cells[2])
    assert "agent exit 0" in out, out

    (sw,) = place.open().list_sweeps()
    runs = place.open().runs(sw["id"])
    assert [r["state"] for r in runs] == ["finished"] * 3
    assert sorted(r["params"]["lr"] for r in runs) == [0.1, 0.2, 0.3]
    stdout = _texts(nb.cells[2], "stdout")
    for r in runs:
        assert r["name"] == "nb" and r["best_value"] == pytest.approx(r["params"]["lr"] * 2)
        lines = [f"epoch {e} of run {r['id']}: lr={r['params']['lr']}" for e in (1, 2)]
        log = Path(r["run_dir"], "output.log").read_text()
        assert all(line in log for line in lines) and f"stderr of run {r['id']}" in log
        assert all(line in stdout for line in lines), stdout  # the cell shows each run's output
        assert f"run {r['id']} (#{r['number']}) finished" in out  # and the agent's line for it


def test_agent_under_redirect_stdout(place):
    sid = sweeper.sweep({"method": "grid", "parameters": {"x": {"values": [1, 2, 3]}}}, store=place.store)

    def train():
        with sweeper.init() as run:
            print(f"run {run.id} x={sweeper.config.x}")
            sweeper.log({"x": sweeper.config.x})

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = sweeper.agent(sid, function=train, count=3, store=place.store)
    assert code == 0
    runs = place.open().runs(sid)
    assert [r["state"] for r in runs] == ["finished"] * 3
    for r in runs:
        line = f"run {r['id']} x={r['params']['x']}"
        assert line in Path(r["run_dir"], "output.log").read_text()
        assert line in captured.getvalue()  # where this process's prints go, the runs' go too
