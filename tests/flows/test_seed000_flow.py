"""Seed 000's notebook flow (dict config, random + hyperband, function `train` with the CNN)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sweeper.store import open_store

ROOT = Path(__file__).resolve().parent.parent.parent


def test_seed000_notebook_flow_with_tiny_epochs(tmp_path):
    pytest.importorskip("torch", reason="the CNN needs PyTorch (make install brings torch==2.13.0)")
    env = dict(os.environ, SWEEPER_STORE=str(tmp_path / "s.db"))
    proc = subprocess.run([sys.executable, str(ROOT / "programs" / "seed000_notebook.py"), "--count", "2",
                           "--epochs", "2", "--limit_train", "300", "--limit_test", "200"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    store = open_store(str(tmp_path / "s.db"))
    (sweep,) = store.list_sweeps()
    assert sweep["project"] == "wandb_demo" and sweep["config"]["early_terminate"]["min_iter"] == 3
    runs = store.runs(sweep["id"])
    assert len(runs) == 2 and all(r["state"] in ("finished", "stopped") for r in runs)
    for r in runs:
        lines = [json.loads(m["data"]) for m in store.metric_rows(r["id"])]
        assert [line["epoch"] for line in lines] == [1, 2][:len(lines)] and lines
        assert all(0.0 <= line["val_acc"] <= 1.0 for line in lines)
        assert (Path(r["run_dir"]) / "checkpoint.pt").exists()
        assert r["params"]["optim_type"] in ("Adam", "SGD", "AdamW") and r["params"]["batch_size"] % 8 == 0
