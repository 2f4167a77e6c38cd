"""W&B training scripts, unchanged, under the real `sweeper agent`, with the real wandb package,
offline: their parameters come through wandb.config, their wandb.log rows reach the store live.

Each W&B run costs a few seconds (wandb.init starts wandb-core), so each test runs as few as
it can. The scripts are written as W&B users write them (the seeds' blog posts).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from agentlib import Project
from wandblib import ok, output_of, require_wandb, rows_of

require_wandb()
pytestmark = pytest.mark.usefixtures("wandb_elsewhere")


from sweeper.integrations.wandb import bridge


def script(p: Project, name: str, text: str) -> None:
    p.write(name, textwrap.dedent(text))


def wandb_records(run_dir: str, kind: str) -> list:
    """The records of one kind in the run's .wandb files, decoded as the bridge decodes them."""
    pb = bridge.load_records_module()
    out = []
    for path in sorted(Path(run_dir, "wandb").glob("*run-*/*.wandb")):
        log = bridge.RecordLog(str(path))
        for payload in log.read():
            rec = pb.Record()
            rec.ParseFromString(payload)
            if rec.WhichOneof("record_type") == kind:
                out.append(getattr(rec, kind))
    return out


SEED001 = """\
    import wandb

    # 初始化wandb
    wandb.init()

    # 从wandb获取超参数配置
    config = wandb.config

    # 使用wandb.config设置的超参数
    batch_size = config.batch_size
    learning_rate = config.learning_rate
    print(f"TRAINING batch_size={batch_size!r} learning_rate={learning_rate!r} "
          f"epochs={config.epochs!r} optimizer={dict(config.optimizer)!r}", flush=True)


    def train_one_epoch(batch_size, learning_rate):
        return learning_rate * 1000 / batch_size


    def validate_model():
        return 0.5 + epoch, 0.25 * epoch


    # 训练模型
    for epoch in range(config.epochs):
        train_loss = train_one_epoch(batch_size, learning_rate)
        val_loss, val_acc = validate_model()
        wandb.log({
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "val_accuracy": val_acc
        })
"""


def test_seed001_script_reads_the_grid_points_values_from_wandb_config(project):
    script(project, "train.py", SEED001)
    sid = project.sweep("""
program: train.py
method: grid
metric: {name: val_accuracy, goal: maximize}
parameters:
  batch_size: {values: [16, 64]}
  learning_rate: {value: 1.0e-05}
  epochs: {value: 3}
  optimizer:
    parameters:
      momentum: {value: 0.9}
""")
    proc = ok(project.agent(sid))
    store = project.open()
    runs = sorted(store.runs(sid), key=lambda r: r["number"])
    assert [r["state"] for r in runs] == ["finished", "finished"]
    for run in runs:
        params = run["params"]
        # what the program itself used: the grid point's values, with their types (1e-05 a float)
        line = re.search(r"TRAINING (.*)", output_of(run)).group(1)
        assert line == (f"batch_size={params['batch_size']!r} learning_rate={params['learning_rate']!r} "
                        f"epochs=3 optimizer={{'momentum': 0.9}}")
        assert params["learning_rate"] == 1e-05
        rows = rows_of(store, run)
        assert [r["_step"] for r in rows] == [0, 1, 2]
        assert [r["epoch"] for r in rows] == [0, 1, 2]
        assert all(r["train_loss"] == pytest.approx(1e-05 * 1000 / params["batch_size"]) for r in rows)
        assert run["best_value"] == 0.5 and run["metric_iter"] == 3
        # wandb recorded the same config (the run's config record, as `wandb sync` would upload it)
        config = {}
        for rec in wandb_records(run["run_dir"], "run"):  # the run record carries the config at init
            for item in rec.config.update:
                bridge._put(config, bridge._path(item), json.loads(item.value_json))
        config.pop("_wandb", None)
        assert config == params
        assert list(Path(run["run_dir"], "wandb").glob(f"offline-run-*-{run['id']}/run-{run['id']}.wandb"))
        assert json.loads(Path(run["run_dir"], "wandb-summary.json").read_text())["val_accuracy"] == 0.5
    assert {r["params"]["batch_size"] for r in runs} == {16, 64}
    assert proc.stderr.count("wandb sync ") == 1  # said once per agent
    assert "wandb sync " + str(Path(runs[0]["run_dir"]).parent) + "/*/wandb/offline-run-*" in proc.stderr


def test_seed002_config_update_keeps_the_sweeps_values_with_wandbs_warning(project):
    script(project, "train_with_wandb.py", """\
        import json, os
        import wandb

        defaults = {"learning_rate": 1e-3, "batch_size": 64, "dropout": 0.5}
        run = wandb.init(project="f-mnist", config=defaults)

        cfg = {
            "learning_rate": 1e-3,
            "epochs": 2,
            "batch_size": 64
        }
        wandb.config.update(cfg)
        used = dict(wandb.config)
        with open(os.path.join(os.environ["SWEEPER_RUN_DIR"], "used.json"), "w") as f:
            json.dump(used, f)
        for t in range(wandb.config.epochs):
            wandb.log({"train_loss": wandb.config.learning_rate / (t + 1)}, step=t)
            wandb.log({"test_loss": 1.0 / (t + 1), "test_acc": 0.1 * t}, step=t)
        """)
    sid = project.sweep("""
program: train_with_wandb.py
method: grid
name: fmnist-sweep
project: f-mnist
metric: {name: test_loss, goal: minimize}
parameters:
  learning_rate: {values: [0.01]}
  batch_size: {values: [32]}
""")
    ok(project.agent(sid))
    store = project.open()
    (run,) = store.runs(sid)
    assert run["state"] == "finished"
    used = json.loads(Path(run["run_dir"], "used.json").read_text())
    # the sweep's values beat both the defaults and the update; the rest is the script's
    assert used == {"learning_rate": 0.01, "batch_size": 32, "epochs": 2, "dropout": 0.5}
    log = output_of(run)
    assert "Config item 'learning_rate' was locked by 'sweep' (ignored update)." in log
    assert "Config item 'batch_size' was locked by 'sweep' (ignored update)." in log
    rows = rows_of(store, run)
    # two wandb.log calls at the same step are one W&B history row
    assert [(r["_step"], r["train_loss"], r["test_loss"]) for r in rows] == [(0, 0.01, 1.0), (1, 0.005, 0.5)]
    assert run["best_value"] == 0.5


CURVE = """\
    import time
    import wandb

    run = wandb.init()
    base, lines, tick = wandb.config.base, wandb.config.lines, wandb.config.tick
    for i in range(lines):
        wandb.log({"loss": base / (i + 1), "t": time.time()})
        time.sleep(tick)
    print("REACHED THE END", flush=True)
    wandb.finish()
"""


def test_hyperband_stops_a_bad_wandb_run_at_its_band_while_it_runs(project):
    script(project, "curve.py", CURVE)
    sid = project.sweep("""
program: curve.py
method: grid
metric: {name: loss, goal: minimize}
early_terminate: {type: hyperband, min_iter: 3, eta: 3}
parameters:
  base: {values: [1.0, 5.0]}
  lines: {value: 12}
  tick: {value: 0.3}
""")
    ok(project.agent(sid, "--grace", "5"))
    store = project.open()
    good, bad = sorted(store.runs(sid), key=lambda r: r["number"])
    assert good["state"] == "finished" and good["n_lines"] == 12
    assert "REACHED THE END" in output_of(good)
    assert bad["state"] == "stopped" and bad["band"] == 3
    assert "early terminated by hyperband at band 3" in bad["stop_reason"]
    assert "REACHED THE END" not in output_of(bad)
    rows = rows_of(store, bad)
    assert 3 <= len(rows) <= 8  # its rows reached the store while it ran, and it stopped soon after the 3rd
    assert [r["loss"] for r in rows[:3]] == [5.0, 2.5, 5.0 / 3]
    assert bad["ended_at"] - rows[2]["t"] < 2.0


def test_metric_target_reached_through_wandb_log_finishes_the_sweep(project):
    script(project, "curve.py", CURVE)
    sid = project.sweep("""
program: curve.py
method: grid
metric: {name: loss, goal: minimize, target: 0.5}
parameters:
  base: {values: [3.0, 0.2, 5.0]}
  lines: {value: 2}
  tick: {value: 0.0}
""")
    proc = ok(project.agent(sid))
    assert "metric target reached" in proc.stderr
    store = project.open()
    runs = store.runs(sid)
    assert len(runs) == 2  # the third point never started
    winner = next(r for r in runs if r["params"]["base"] == 0.2)
    sweep = store.get_sweep(sid)
    assert sweep["state"] == "finished" and sweep["target_run_id"] == winner["id"]


def test_argparse_script_with_args_macro_gets_its_metrics(project):
    script(project, "train_args.py", """\
        import argparse
        import wandb

        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser.add_argument("--layers", type=int, default=1)
        parser.add_argument("--act", default="relu")
        args = parser.parse_args()

        wandb.init(project="argparse-demo", config=vars(args), name=f"lr-{args.lr}")
        print(f"ARGS lr={args.lr} layers={args.layers} act={args.act} config_lr={wandb.config.lr}", flush=True)
        for step in range(4):
            wandb.log({"val": {"loss": args.lr * args.layers / (step + 1)}, "step_seen": step})
        wandb.run.summary["test_acc"] = 0.875  # set, never logged
        wandb.summary["step_seen"] = -1        # a logged key, set to something else at the end
        wandb.finish()
        """)
    sid = project.sweep("""
program: train_args.py
method: grid
metric: {name: val.loss, goal: minimize}
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
parameters:
  lr: {values: [0.001]}
  layers: {value: 3}
  act: {value: gelu}
""")
    ok(project.agent(sid))
    store = project.open()
    (run,) = store.runs(sid)
    assert run["state"] == "finished" and run["name"] == "lr-0.001"  # wandb.init(name=...) is the run's name
    assert run["command"][-3:] == ["--act=gelu", "--layers=3", "--lr=0.001"]
    assert "ARGS lr=0.001 layers=3 act=gelu config_lr=0.001" in output_of(run)
    rows = rows_of(store, run)
    assert [r["step_seen"] for r in rows] == [0, 1, 2, 3]
    assert [r["val.loss"] for r in rows] == pytest.approx([0.003, 0.0015, 0.001, 0.00075])  # nested: W&B's name
    assert run["best_value"] == pytest.approx(0.00075) and run["metric_iter"] == 4
    # the run's summary is W&B's: values set only in wandb.summary are in the store, and beat logged ones
    assert run["summary"]["test_acc"] == 0.875 and run["summary"]["step_seen"] == -1
    assert run["summary"]["val.loss"] == pytest.approx(0.00075)
    assert not any(k.startswith("_wandb") for k in run["summary"])
    shown = json.loads(project.cli("runs", sid, "--json", check=True).stdout)
    assert shown[0]["summary"]["test_acc"] == 0.875


def test_notebook_flow_a_train_function_under_sweeper_agent_uses_wandb(project):
    """Seed 000's flow: sweeper.sweep(config) and sweeper.agent(id, function=train), where train
    is a W&B function (wandb imported before the agent forks each run)."""
    script(project, "notebook.py", """\
        import json
        import wandb
        import sweeper

        def train():
            wandb.init()
            for epoch in range(3):
                wandb.log({"val_loss": wandb.config.lr / (epoch + 1), "epoch": epoch})
            print("TRAIN lr", wandb.config.lr, flush=True)

        sweep_id = sweeper.sweep({"method": "grid", "metric": {"name": "val_loss", "goal": "minimize"},
                                  "parameters": {"lr": {"values": [0.1, 0.3]}}})
        print("SWEEP", sweep_id, "EXIT", sweeper.agent(sweep_id, function=train), flush=True)
        """)
    proc = subprocess.run([sys.executable, "notebook.py"], cwd=project.root, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "SWEEPER_STORE": project.store})
    assert proc.returncode == 0, proc.stderr[-3000:]
    sid = re.search(r"SWEEP (\w+) EXIT 0", proc.stdout).group(1)
    store = project.open()
    runs = sorted(store.runs(sid), key=lambda r: r["number"])
    assert [(r["state"], r["params"]["lr"], r["n_lines"]) for r in runs] == [("finished", 0.1, 3), ("finished", 0.3, 3)]
    assert [r["best_value"] for r in runs] == pytest.approx([0.1 / 3, 0.1])
    assert "TRAIN lr 0.3" in output_of(runs[1])
