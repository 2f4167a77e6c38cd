"""The sweep's parameters are locked in sweeper.config, as W&B locks them: a program's defaults
never overwrite them, whichever way they are set (issue 15, item 3.1)."""

from __future__ import annotations

import copy
import json
import pickle
import warnings
from pathlib import Path

import pytest

import sweeper
from sweeper.program.objects import Config, ConfigLocked

# Seed 002's program (the F-MNIST blog post), reduced to its config handling: init, then
# `wandb.config.update(cfg)` with the script's defaults, then training with the config.
SEED002 = """
    import json, os, sweeper
    run = sweeper.init(project="f-mnist")
    cfg = {"learning_rate": 1e-3, "epochs": 5, "batch_size": 64}
    sweeper.config.update(cfg)
    c = sweeper.config
    json.dump({"learning_rate": c.learning_rate, "batch_size": c["batch_size"], "epochs": c.epochs},
              open(os.path.join(run.dir, "ran.json"), "w"))
    sweeper.log({"test_loss": c.learning_rate * c.batch_size})
"""


def _grid(place, program: str, parameters: dict) -> str:
    return sweeper.sweep({"program": program, "method": "grid", "metric": {"name": "test_loss"},
                          "parameters": parameters}, store=place.store)


def test_seed002_update_keeps_the_grid_point(place):
    place.write("train.py", SEED002)
    sid = _grid(place, "train.py", {"learning_rate": {"values": [0.01, 0.1]}, "batch_size": {"values": [128]}})
    proc = place.cli("agent", sid)
    assert proc.returncode == 0, proc.stderr
    runs = place.open().runs(sid)
    assert [r["state"] for r in runs] == ["finished", "finished"]
    for r in runs:
        ran = json.loads((Path(r["run_dir"]) / "ran.json").read_text())
        # What the program ran with is what the store records (before: 0.001 / 64 ran, 0.01 / 128 recorded).
        assert ran == {**r["params"], "epochs": 5}
        assert r["summary"]["test_loss"] == pytest.approx(r["params"]["learning_rate"] * 128)
        log = (Path(r["run_dir"]) / "output.log").read_text()
        assert (f"config item 'learning_rate' was locked by the sweep (ignored update): it keeps the sweep's "
                f"value {r['params']['learning_rate']!r}, not 0.001") in log
        assert "config item 'batch_size' was locked by the sweep" in log and "not 64" in log
        assert "'epochs'" not in log  # not a sweep key: updated without a word


def test_every_way_of_setting_keeps_the_sweeps_values(place):
    place.write("train.py", """
        import argparse, json, os, sweeper
        # Before init (W&B's order in some scripts): kept, and still locked.
        sweeper.config.update({"lr": 1.0, "extra": "pre"})
        run = sweeper.init(config={"lr": 0.5, "bs": 8, "epochs": 2, "opt": {"name": "adam", "beta": 0.9}})
        c = sweeper.config
        c.update({"lr": 2.0, "epochs": 3}, allow_val_change=True)
        c["bs"] = 16
        c.bs = 32
        c.opt.name = "sgd"
        c["opt"] = {"name": "rmsprop", "beta": 0.5, "eps": 1e-8}
        c.update(opt={"name": "lamb"})
        c.update(argparse.Namespace(lr=3.0, seed=7))
        c |= {"bs": 64, "depth": 4}
        got_default = c.setdefault("lr", 4.0)
        c.setdefault("dropout", 0.1)
        c.warmup = 5
        json.dump({"config": c, "setdefault": got_default, "run_config_is_it": run.config is c},
                  open(os.path.join(run.dir, "ran.json"), "w"))
    """)
    sid = _grid(place, "train.py", {"lr": {"values": [0.01]}, "bs": {"values": [128]},
                                    "opt": {"parameters": {"name": {"values": ["adamw"]}}}})
    proc = place.cli("agent", sid)
    assert proc.returncode == 0, proc.stderr
    (run,) = place.open().runs(sid)
    assert run["state"] == "finished" and run["params"] == {"lr": 0.01, "bs": 128, "opt": {"name": "adamw"}}
    ran = json.loads((Path(run["run_dir"]) / "ran.json").read_text())
    assert ran["config"] == {"lr": 0.01, "bs": 128, "epochs": 3, "extra": "pre", "seed": 7, "depth": 4,
                             "dropout": 0.1, "warmup": 5, "opt": {"name": "adamw", "beta": 0.5, "eps": 1e-8}}
    assert ran["setdefault"] == 0.01 and ran["run_config_is_it"] is True
    log = (Path(run["run_dir"]) / "output.log").read_text()
    for key, kept, given in [("lr", 0.01, 2.0), ("bs", 128, 16), ("bs", 128, 32), ("opt.name", "adamw", "'sgd'"),
                             ("opt.name", "adamw", "'rmsprop'"), ("opt.name", "adamw", "'lamb'"),
                             ("lr", 0.01, 3.0), ("bs", 128, 64)]:
        assert f"config item '{key}' was locked by the sweep (ignored update): it keeps the sweep's value " \
               f"{kept!r}, not {given}" in log, (key, given)


def test_a_function_run_is_locked_too(place):
    sid = _grid(place, "unused.py", {"lr": {"values": [0.01, 0.02]}})
    seen = place.root / "seen.jsonl"

    def train():
        with sweeper.init(config={"lr": 0.5, "epochs": 1}):
            sweeper.config.update({"lr": 0.001, "epochs": 4})
            with open(seen, "a") as f:
                f.write(json.dumps(dict(sweeper.config)) + "\n")

    assert sweeper.agent(sid, function=train, store=place.store) == 0
    assert [json.loads(line) for line in seen.read_text().splitlines()] == [
        {"lr": 0.01, "epochs": 4}, {"lr": 0.02, "epochs": 4}]


def test_standalone_config_is_not_locked(place):
    proc = place.python("plain.py", """
        import sweeper
        sweeper.init(config={"lr": 0.1}, project="plain")
        sweeper.config.update({"lr": 0.2})
        sweeper.config.lr = 0.3
        print(sweeper.config.lr)
    """)
    assert proc.returncode == 0 and proc.stdout.strip() == "0.3" and "locked" not in proc.stderr


def test_config_object_semantics():
    """The Config itself: same value no warning; copies and pickles keep values and locks."""
    params = {"lr": 0.01, "opt": {"name": "adam"}}
    c = Config({"lr": 0.01, "epochs": 2, "opt": {"name": "adam", "beta": 0.9}}, params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c.update({"lr": 0.01, "opt": {"name": "adam"}})  # the sweep's own values: nothing to say
        c.epochs = 5
    with pytest.warns(ConfigLocked, match=r"'opt\.name' was locked by the sweep .* keeps the sweep's value 'adam'"):
        c.opt["name"] = "sgd"
    with pytest.warns(ConfigLocked):
        c.opt = "sgd"
    assert c == {"lr": 0.01, "epochs": 5, "opt": {"name": "adam", "beta": 0.9}} and c.opt.beta == 0.9
    for twin in (copy.deepcopy(c), pickle.loads(pickle.dumps(c))):
        assert twin == c and isinstance(twin.opt, Config)
        with pytest.warns(ConfigLocked):
            twin.lr = 1.0
        assert twin.lr == 0.01
    with pytest.raises(AttributeError, match="no parameter 'missing'"):
        c.missing
