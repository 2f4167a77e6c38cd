"""Every sweep file in configs/ passes `sweeper sweep FILE --dry-run` (the installed executable)
without a warning, names a program that exists relative to the repository root (where the agent
runs), and every parameter it passes is one the program reads (no "ignoring arguments" from an
argparse program; for a Hydra app, Hydra itself composes the command lines: tests/integrations).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
HYDRA_APPS = {"hydra_app.yaml"}  # the program takes Hydra overrides, not --k=v
SEED_FILES = ["seed000_mnist_random_hyperband.yaml", "seed002_fmnist_grid.yaml", "seed002_fmnist_bayes.yaml",
              "quickstart.yaml"]


def test_the_seed_files_are_there():
    names = {p.name for p in CONFIGS}
    assert set(SEED_FILES) <= names, names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_dry_run_accepts_it(path, sweeper_exe, tmp_path):
    proc = run_cli(sweeper_exe, "sweep", path, "--dry-run", cwd=ROOT,
                   env={"SWEEPER_STORE": str(tmp_path / "never-made" / "s.db"),
                        # `python` is the venv's, as for the agent in the README's quick start
                        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stdout
    assert "warning" not in proc.stderr, proc.stderr
    assert not (tmp_path / "never-made").exists()  # a dry run opens no store


def _sample(spec: dict):
    """One value of a parameter spec: enough to check the name and the type the program takes."""
    if "value" in spec:
        return spec["value"]
    if "values" in spec:
        return spec["values"][0]
    if "min" in spec:
        return spec["min"]
    if "mu" in spec:
        return spec["mu"]
    raise AssertionError(f"no value to sample in {spec}")


def _load_program(path: Path):
    spec = importlib.util.spec_from_file_location(f"cfgprog_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", [p for p in CONFIGS if p.name not in HYDRA_APPS], ids=lambda p: p.name)
def test_its_program_exists_and_reads_every_parameter(path):
    config = yaml.safe_load(path.read_text())
    program = ROOT / config["program"]
    assert not os.path.isabs(config["program"]) and program.exists(), config["program"]
    for name, spec in config["parameters"].items():
        assert "parameters" not in spec, f"{name}: nested parameters would reach the program as a dict"
    argv = [f"--{name}={_sample(spec)}" for name, spec in config["parameters"].items()]
    module = _load_program(program)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        parsed = module.parse_args(argv)
    parsed = parsed[0] if isinstance(parsed, tuple) else parsed  # noisy_function returns extras too
    assert "ignoring" not in err.getvalue(), f"{path.name}: {err.getvalue()}"
    assert parsed is not None


def test_quickstart_is_small():
    config = yaml.safe_load((ROOT / "configs" / "quickstart.yaml").read_text())
    assert config["program"] == "programs/mnist_cnn.py"
    assert config["parameters"]["epochs"]["value"] <= 5 and config["run_cap"] <= 12


def test_seed000_file_keeps_the_seeds_search():
    config = yaml.safe_load((ROOT / "configs" / "seed000_mnist_random_hyperband.yaml").read_text())
    p = config["parameters"]
    assert config["method"] == "random" and config["metric"] == {"name": "val_acc", "goal": "maximize"}
    assert p["optim_type"]["values"] == ["Adam", "SGD", "AdamW"]
    assert p["hidden_layer_width"]["values"] == [16, 32, 48, 64, 80, 96, 112, 128]
    assert p["lr"] == {"distribution": "log_uniform_values", "min": 1e-6, "max": 0.1}
    assert p["batch_size"] == {"distribution": "q_uniform", "q": 8, "min": 32, "max": 256}
    assert p["dropout_p"] == {"distribution": "uniform", "min": 0, "max": 0.6}
    assert p["epochs"] == {"value": 10} and p["project_name"] == {"value": "wandb_demo"}
    assert config["early_terminate"] == {"type": "hyperband", "min_iter": 3, "eta": 2, "s": 3}


def test_seed002_grid_is_six_points():
    config = yaml.safe_load((ROOT / "configs" / "seed002_fmnist_grid.yaml").read_text())
    p = config["parameters"]
    assert config["method"] == "grid" and config["metric"] == {"name": "test_loss", "goal": "minimize"}
    assert len(p["learning_rate"]["values"]) * len(p["batch_size"]["values"]) == 6


@pytest.mark.parametrize("script", ["multi_gpu.sh", "slurm_array.sh"])
def test_shell_examples_parse(script):
    import shutil
    import subprocess

    path = ROOT / "configs" / script
    assert path.exists()
    bash = shutil.which("bash")
    if bash:
        proc = subprocess.run([bash, "-n", str(path)], check=False, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert "sweeper agent" in path.read_text()
