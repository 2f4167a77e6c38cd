"""The example programs in programs/: each runs as a real subprocess, speaks the metrics protocol
(JSON lines to $SWEEPER_METRICS), takes W&B-style arguments, and needs no torchvision.

The torch programs are skipped, with the reason printed, where PyTorch is not installed
(`make demo-deps` or `pip install torch==2.13.0` brings the CPU wheel); with
SWEEPER_REQUIRE_TORCH=1 (CI) they fail instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PROGRAMS = ROOT / "programs"
sys.path.insert(0, str(PROGRAMS))

import argtypes
import datasets

try:
    import torch  # noqa: F401

    TORCH_REASON = None
except ImportError as exc:
    TORCH_REASON = f"PyTorch is not installed ({exc}); `make demo-deps` installs torch==2.13.0"

if TORCH_REASON and os.environ.get("SWEEPER_REQUIRE_TORCH"):
    # CI sets it: there the example programs must really run, not skip.
    def needs_torch(test):
        return pytest.mark.usefixtures("_torch_required")(test)
else:
    needs_torch = pytest.mark.skipif(TORCH_REASON is not None, reason=TORCH_REASON or "")
if TORCH_REASON:
    print(f"test_programs.py: skipping the torch programs: {TORCH_REASON}", file=sys.stderr)


@pytest.fixture
def _torch_required():
    pytest.fail(f"{TORCH_REASON} (SWEEPER_REQUIRE_TORCH is set, as in CI)")


def run_program(name: str, *args, metrics: Path | None = None, run_dir: Path | None = None, cwd=None,
                extra_env: dict | None = None, pythonpath: Path | None = None, timeout: float = 300):
    env = dict(os.environ)
    for key in ("SWEEPER_METRICS", "SWEEPER_RUN_DIR", "SWEEPER_PARAMS", "SWEEPER_RUN_ID", "SWEEPER_SWEEP_ID",
                "SWEEPER_DATA_DIR"):
        env.pop(key, None)
    if metrics is not None:
        env["SWEEPER_METRICS"] = str(metrics)
    if run_dir is not None:
        env["SWEEPER_RUN_DIR"] = str(run_dir)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra_env or {})
    return subprocess.run([sys.executable, str(PROGRAMS / name), *map(str, args)], cwd=cwd, env=env,
                          check=False, capture_output=True, text=True, timeout=timeout)


def read_lines(path: Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n"), "every metrics line ends with a newline"
    rows = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(r, dict) for r in rows)
    return rows


def ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def hide_module(tmp_path: Path, *names: str) -> Path:
    """A folder for PYTHONPATH whose modules of these names fail to import, as if not installed."""
    d = tmp_path / "hidden"
    d.mkdir(exist_ok=True)
    for name in names:
        (d / f"{name}.py").write_text(f"raise ImportError('{name} is hidden by the test')\n")
    return d


# ---------------------------------------------------------------- argument types


def test_argtypes_read_what_an_agent_writes():
    assert argtypes.boolean("True") is True and argtypes.boolean("False") is False
    assert argtypes.boolean("yes") is True and argtypes.boolean("0") is False
    with pytest.raises(argparse.ArgumentTypeError):
        argtypes.boolean("maybe")
    opt_int = argtypes.optional(argtypes.integer)
    assert opt_int("None") is None and opt_int("null") is None and opt_int("64") == 64
    assert argtypes.integer("64.0") == 64  # a q_uniform value with a float q
    with pytest.raises(argparse.ArgumentTypeError):
        argtypes.integer("64.5")
    assert argtypes.optional(str)("None") is None and argtypes.optional(str)("a.pt") == "a.pt"


# ---------------------------------------------------------------- synthetic_curve.py (stdlib only)


def test_synthetic_curve_writes_one_line_per_epoch(tmp_path):
    m = tmp_path / "m.jsonl"
    started = time.perf_counter()
    ok(run_program("synthetic_curve.py", "--lr=0.001", "--batch_size=64", "--dropout=0.2", "--epochs=12",
                   metrics=m))
    assert time.perf_counter() - started < 10  # an interpreter start and microseconds of work
    rows = read_lines(m)
    assert [r["epoch"] for r in rows] == list(range(1, 13))
    for r in rows:
        assert set(r) == {"epoch", "train_loss", "val_loss", "val_acc", "best_val_acc"}
        assert all(math.isfinite(v) for v in r.values())
        assert 0.0 <= r["val_acc"] <= 1.0
    assert rows[-1]["val_acc"] > rows[0]["val_acc"] + 0.2  # it learns
    assert rows[-1]["best_val_acc"] == max(r["val_acc"] for r in rows)


def test_synthetic_curve_is_deterministic_given_the_seed(tmp_path):
    def curve(name, *extra):
        m = tmp_path / name
        ok(run_program("synthetic_curve.py", "--lr=0.01", "--epochs=6", *extra, metrics=m))
        return read_lines(m)

    assert curve("a", "--seed=3") == curve("b", "--seed=3")
    assert curve("c", "--seed=3") != curve("d", "--seed=4")


def test_synthetic_curve_rewards_good_hyperparameters_early_and_late(tmp_path):
    def final_and_early(lr):
        m = tmp_path / f"lr{lr}"
        ok(run_program("synthetic_curve.py", f"--lr={lr}", "--epochs=10", "--noise=0", metrics=m))
        rows = read_lines(m)
        return rows[2]["val_acc"], rows[-1]["val_acc"]

    good, bad, diverged = final_and_early(1e-3), final_and_early(1e-5), final_and_early(0.5)
    assert good[0] > bad[0] and good[1] > bad[1]  # better early and better at the end
    assert diverged[1] < 0.2  # far too high a learning rate: chance level


def test_synthetic_curve_takes_wandb_style_and_seed000_arguments(tmp_path):
    m = tmp_path / "m.jsonl"
    proc = ok(run_program("synthetic_curve.py", "--lr=0.001", "--epochs=3", "--seed=None", "--flag=True",
                          "--x=None", "--optim_type=AdamW", "--dropout_p=0.3", "--hidden_layer_width=32",
                          "--batch_size=64.0", "--project_name=wandb_demo", metrics=m))
    assert len(read_lines(m)) == 3
    assert "ignoring arguments it does not use: --flag=True --x=None" in proc.stderr


def test_synthetic_curve_without_sweeper_metrics_prints(tmp_path):
    proc = ok(run_program("synthetic_curve.py", "--epochs=2", cwd=tmp_path))
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert list(tmp_path.iterdir()) == []


def test_synthetic_curve_fail_epoch_crashes_after_the_earlier_lines(tmp_path):
    m = tmp_path / "m.jsonl"
    proc = run_program("synthetic_curve.py", "--epochs=5", "--fail_epoch=3", metrics=m)
    assert proc.returncode == 1
    assert [r["epoch"] for r in read_lines(m)] == [1, 2]


# ---------------------------------------------------------------- noisy_function.py (stdlib only)


def test_noisy_function_branin_one_line_per_step(tmp_path):
    m = tmp_path / "m.jsonl"
    ok(run_program("noisy_function.py", f"--x1={math.pi}", "--x2=2.275", "--steps=4", "--noise=0.1", metrics=m))
    rows = read_lines(m)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(abs(r["true_loss"] - 0.397887) < 1e-5 for r in rows)
    assert all(abs(r["loss"] - r["true_loss"]) < 1.0 for r in rows)
    m2 = tmp_path / "m2.jsonl"
    ok(run_program("noisy_function.py", f"--x1={math.pi}", "--x2=2.275", "--steps=4", "--noise=0.1", metrics=m2))
    assert read_lines(m2) == rows  # deterministic given the seed


def test_noisy_function_quadratic_takes_any_parameters(tmp_path):
    m = tmp_path / "m.jsonl"
    proc = ok(run_program("noisy_function.py", "--function=quadratic", "--a=0.5", "--b=1.5", "--c=None",
                          "--flag=True", "--noise=0", "--steps=2", metrics=m))
    rows = read_lines(m)
    assert len(rows) == 2 and rows[-1]["loss"] == pytest.approx(1.0)
    assert "ignoring" not in proc.stderr


def test_noisy_function_rosenbrock_minimum(tmp_path):
    m = tmp_path / "m.jsonl"
    ok(run_program("noisy_function.py", "--function=rosenbrock", "--x=1", "--y=1", "--noise=0", "--steps=1",
                   metrics=m))
    assert read_lines(m) == [{"step": 1, "loss": 0.0, "true_loss": 0.0}]


# ---------------------------------------------------------------- datasets.py


def fake_idx(folder: Path, n_train=40, n_test=20, gz=False, seed=0):
    """Tiny MNIST-format files: class k draws a bright k-th row band, so a network can learn them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    suffix = ".gz" if gz else ""
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            images[i, 2 + 2 * k:4 + 2 * k, 4:24] = 255
        datasets.write_idx(str(folder / f"{split}-images-idx3-ubyte{suffix}"), images)
        datasets.write_idx(str(folder / f"{split}-labels-idx1-ubyte{suffix}"), labels)
    return folder


@pytest.mark.parametrize("layout,gz", [("MNIST/raw", False), ("MNIST/raw", True), (".", False)])
def test_datasets_reads_idx_files_in_torchvision_layout_or_directly(tmp_path, layout, gz):
    fake_idx(tmp_path / layout, gz=gz)
    data = datasets.load("mnist", str(tmp_path))
    assert data.name == "mnist" and not data.is_fallback
    assert data.x_train.shape == (40, 1, 28, 28) and data.x_test.shape == (20, 1, 28, 28)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert 0.0 <= data.x_train.min() and data.x_train.max() == 1.0
    assert "MNIST from the IDX files" in data.description
    assert datasets.load("mnist", str(tmp_path), train_stride=5).x_train.shape[0] == 8
    if layout != ".":  # MNIST's folder is not Fashion-MNIST's (files directly in data_dir serve either)
        assert datasets.load("fashion_mnist", str(tmp_path)).is_fallback


def test_datasets_fashion_mnist_folder(tmp_path):
    fake_idx(tmp_path / "FashionMNIST" / "raw")
    data = datasets.load("fashion_mnist", str(tmp_path), limit_train=10, limit_test=5)
    assert data.name == "fashion_mnist" and len(data.y_train) == 10 and len(data.y_test) == 5


def test_datasets_falls_back_to_digits_and_says_so(tmp_path):
    data = datasets.load("mnist", str(tmp_path / "nothing"))
    assert data.is_fallback and "FALLBACK" in data.description and "digits" in data.description
    assert data.x_train.shape[1:] == (1, 28, 28) and len(data.y_train) + len(data.y_test) == 1797
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert sorted(set(data.y_test.tolist())) == list(range(10))
    again = datasets.load("mnist", str(tmp_path / "nothing"))
    assert np.array_equal(again.y_test, data.y_test)  # the same split every time
    small = datasets.load("mnist", str(tmp_path / "nothing"), limit_train=100, limit_test=50, seed=1)
    assert small.x_train.shape == (100, 1, 28, 28) and small.x_test.shape == (50, 1, 28, 28)


def test_datasets_refuses_a_corrupt_idx_file(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\x00" * 10)
    with pytest.raises(ValueError, match="header says"):
        datasets.read_idx(str(p))


def test_no_program_imports_torchvision():
    for path in PROGRAMS.glob("*.py"):
        assert "import torchvision" not in path.read_text() and "from torchvision" not in path.read_text(), path


# ---------------------------------------------------------------- mnist_cnn.py (torch)

TINY_CNN = ["--epochs=2", "--limit_train=600", "--limit_test=300", "--batch_size=32", "--hidden_layer_width=32",
            "--lr=0.003", "--optim_type=Adam", "--dropout_p=0.1"]


@needs_torch
def test_mnist_cnn_learns_on_digits_and_keeps_the_best_checkpoint(tmp_path):
    m, run_dir = tmp_path / "m.jsonl", tmp_path / "run"
    run_dir.mkdir()
    # torchvision hidden: the program must not need it (it does not import under torch 2.13 here anyway)
    proc = ok(run_program("mnist_cnn.py", *TINY_CNN, "--data_dir", tmp_path / "no-data", metrics=m,
                          run_dir=run_dir, cwd=tmp_path, pythonpath=hide_module(tmp_path, "torchvision")))
    assert "FALLBACK: scikit-learn digits" in proc.stdout
    rows = read_lines(m)
    assert [r["epoch"] for r in rows] == [1, 2]
    for r in rows:
        assert {"epoch", "val_acc", "best_val_acc"} <= set(r)
        assert 0.0 <= r["val_acc"] <= 1.0 and r["best_val_acc"] >= r["val_acc"]
    assert rows[-1]["best_val_acc"] > 0.3, rows  # chance is 0.1
    ckpt = run_dir / "checkpoint.pt"  # relative ckpt_path: inside $SWEEPER_RUN_DIR
    assert ckpt.exists() and not (tmp_path / "checkpoint.pt").exists()
    import torch

    sys.path.insert(0, str(PROGRAMS))
    from mnist_cnn import create_net

    net = create_net(32, 0.1)
    net.load_state_dict(torch.load(ckpt))  # seed 000's network, as a state_dict


@needs_torch
def test_mnist_cnn_takes_wandb_style_values(tmp_path):
    m, run_dir = tmp_path / "m.jsonl", tmp_path / "run"
    run_dir.mkdir()
    proc = ok(run_program("mnist_cnn.py", "--epochs=1", "--limit_train=64", "--limit_test=None",
                          "--batch_size=32.0", "--hidden_layer_width=8", "--lr=0.001", "--optim_type=AdamW",
                          "--dropout_p=0", "--project_name=wandb_demo", "--save_ckpt=False", "--seed=None",
                          "--flag=True", "--x=None", "--train_stride=None", metrics=m, run_dir=run_dir))
    assert "ignoring arguments it does not use: --flag=True --x=None" in proc.stderr
    assert "359 test images" in proc.stdout  # --limit_test=None: all of the digits' test split
    assert len(read_lines(m)) == 1
    assert not (run_dir / "checkpoint.pt").exists()  # --save_ckpt=False


@needs_torch
def test_mnist_cnn_standalone_prints_metrics_and_saves_in_cwd(tmp_path):
    proc = ok(run_program("mnist_cnn.py", "--epochs=1", "--limit_train=64", "--limit_test=64",
                          "--hidden_layer_width=8", "--batch_size=32", "--ckpt_path=best.pt", cwd=tmp_path))
    lines = [json.loads(line.split("metrics: ", 1)[1]) for line in proc.stdout.splitlines()
             if line.startswith("metrics: ")]
    assert [r["epoch"] for r in lines] == [1]
    assert (tmp_path / "best.pt").exists()


@needs_torch
def test_mnist_cnn_reads_mnist_idx_files(tmp_path):
    fake_idx(tmp_path / "data" / "MNIST" / "raw", n_train=100, n_test=40, gz=True)
    m = tmp_path / "m.jsonl"
    proc = ok(run_program("mnist_cnn.py", "--epochs=1", "--hidden_layer_width=8", "--batch_size=16",
                          "--train_stride=1", "--ckpt_path=None", metrics=m, cwd=tmp_path))
    assert "dataset: MNIST from the IDX files" in proc.stdout and "100 train / 40 test" in proc.stdout
    assert len(read_lines(m)) == 1 and not (tmp_path / "checkpoint.pt").exists()


@needs_torch
def test_mnist_cnn_rejects_an_unknown_optimizer(tmp_path):
    proc = run_program("mnist_cnn.py", "--optim_type=RMSprop", "--epochs=1", cwd=tmp_path)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


# ---------------------------------------------------------------- fmnist_mlp.py (torch)

TINY_MLP = ["--epochs=2", "--limit_train=300", "--limit_test=100", "--learning_rate=0.01", "--batch_size=32",
            "--optimizer=adam"]


def check_mlp_rows(rows):
    assert [r["epoch"] for r in rows] == [0, 1]
    for r in rows:
        assert {"train_loss", "test_loss", "test_acc"} <= set(r)
        assert math.isfinite(r["test_loss"]) and 0.0 <= r["test_acc"] <= 1.0
    assert rows[-1]["test_acc"] > 0.3  # chance is 0.1


@needs_torch
def test_fmnist_mlp_logs_through_sweeper(tmp_path):
    m = tmp_path / "m.jsonl"
    proc = ok(run_program("fmnist_mlp.py", *TINY_MLP, "--x=None", metrics=m, cwd=tmp_path,
                          pythonpath=hide_module(tmp_path, "torchvision")))
    assert "logging with sweeper.log" in proc.stdout and "FALLBACK" in proc.stdout
    rows = read_lines(m)
    check_mlp_rows(rows)
    assert [r["_step"] for r in rows] == [0, 1]  # sweeper.log(row, step=epoch), as the seed's wandb.log


@needs_torch
def test_fmnist_mlp_without_sweeper_writes_plain_lines(tmp_path):
    m = tmp_path / "m.jsonl"
    proc = ok(run_program("fmnist_mlp.py", *TINY_MLP, metrics=m, cwd=tmp_path,
                          pythonpath=hide_module(tmp_path, "sweeper", "torchvision")))
    assert "sweeper is not importable" in proc.stdout
    check_mlp_rows(read_lines(m))


@needs_torch
def test_fmnist_mlp_saves_the_model_in_the_run_dir(tmp_path):
    m, run_dir = tmp_path / "m.jsonl", tmp_path / "run"
    run_dir.mkdir()
    ok(run_program("fmnist_mlp.py", "--epochs=1", "--limit_train=64", "--limit_test=32", "--save_model=model.pth",
                   metrics=m, run_dir=run_dir, cwd=tmp_path))
    assert (run_dir / "model.pth").exists()


# ---------------------------------------------------------------- a real sweep through the agent


def _agent_reason() -> str | None:
    import shutil

    from conftest import run_cli

    exe = shutil.which("sweeper", path=str(Path(sys.executable).parent)) or shutil.which("sweeper")
    if not exe:
        return "the sweeper console script is not installed"
    proc = run_cli(exe, "agent", "--help", timeout=60)
    if proc.returncode != 0:
        return f"`sweeper agent --help` failed (exit {proc.returncode}): the agent command is not there yet"
    return None


@needs_torch
@pytest.mark.slow
def test_a_short_real_sweep_over_the_cnn(tmp_path, sweeper_exe):
    reason = _agent_reason()
    if reason:
        pytest.skip(reason)
    from conftest import run_cli

    from sweeper.store import open_store

    store = tmp_path / "store" / "s.db"
    sweep_file = tmp_path / "cnn.yaml"
    sweep_file.write_text("""
program: programs/mnist_cnn.py
method: grid
metric: {name: val_acc, goal: maximize}
parameters:
  hidden_layer_width: {values: [16, 32]}
  epochs: {value: 2}
  lr: {value: 0.003}
  batch_size: {value: 32}
  optim_type: {value: Adam}
  limit_train: {value: 400}
  limit_test: {value: 200}
  ckpt_path: {value: checkpoint.pt}
  project_name: {value: wandb_demo}
""")
    # `python` in the command is this venv's (it has torch); the program path is relative to the repo root
    env = {"SWEEPER_STORE": str(store), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SWEEPER_DATA_DIR": str(tmp_path / "no-data")}
    made = run_cli(sweeper_exe, "sweep", sweep_file, env=env, cwd=ROOT)
    assert made.returncode == 0, made.stdout + made.stderr
    sweep_id = made.stdout.strip().splitlines()[-1]
    agent = run_cli(sweeper_exe, "agent", sweep_id, env=env, cwd=ROOT, timeout=600)
    assert agent.returncode == 0, agent.stdout[-3000:] + agent.stderr[-3000:]

    s = open_store(str(store))
    runs = s.runs(sweep_id)
    assert len(runs) == 2 and all(r["state"] == "finished" for r in runs), [r["state"] for r in runs]
    for r in runs:
        rows = [json.loads(m["data"]) for m in s.metric_rows(r["id"])]
        assert [row["epoch"] for row in rows] == [1, 2]
        assert all(0.0 <= row["val_acc"] <= 1.0 for row in rows)
        assert (Path(r["run_dir"]) / "checkpoint.pt").exists()  # each run's own best checkpoint
    best = run_cli(sweeper_exe, "best", sweep_id, env=env, cwd=ROOT)
    assert best.returncode == 0 and "hidden_layer_width" in best.stdout
