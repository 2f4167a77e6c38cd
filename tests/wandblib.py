"""What the tests that run W&B scripts with the real wandb package share (tests/integrations).

    require_wandb()   at the top of such a module: the real package, or a skip (a failure in CI,
                      which installs the dev extra)
    wandb_elsewhere   fixture: no WANDB_* setting of the person running the tests reaches wandb,
                      its own files stay in tmp, Hugging Face downloads nothing
    ok, rows_of, output_of
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def require_wandb() -> None:
    try:
        import wandb  # noqa: F401 - the tests run W&B scripts with the real package
    except ImportError:
        if os.environ.get("CI"):  # CI installs the dev extra: a missing wandb is a failure there
            raise
        pytest.skip("wandb is not installed (pip install -e '.[dev]' brings it)", allow_module_level=True)


@pytest.fixture
def wandb_elsewhere(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith(("WANDB_", "SWEEPER_WANDB"))]:
        monkeypatch.delenv(name)
    for name, sub in (("WANDB_CONFIG_DIR", "config"), ("WANDB_CACHE_DIR", "cache"), ("WANDB_DATA_DIR", "data")):
        monkeypatch.setenv(name, str(tmp_path / "wandb-home" / sub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing is downloaded: models are built in the tests


def ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def rows_of(store, run) -> list[dict]:
    return [json.loads(r["data"]) for r in store.metric_rows(run["id"])]


def output_of(run) -> str:
    return (Path(run["run_dir"]) / "output.log").read_text()
