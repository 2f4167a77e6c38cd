"""Hydra apps (seed 004) as sweep programs: the real app in programs/hydra_app, real hydra-core.

Each run's config as the app composed it (programs/hydra_app writes it, resolved, to
hydra_config.json in the run's directory) is what these tests read: the overrides reached
Hydra and meant what the sweep file says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from agentlib import Project
from hydra.core.override_parser.overrides_parser import OverridesParser
from hypothesis import given, settings
from hypothesis import strategies as st

from sweeper.agents.command import build
from sweeper.integrations.hydra import app as hydra_app
from sweeper.integrations.hydra import overrides

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "programs" / "hydra_app"
FILE = REPO / "configs" / "hydra_app.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path) -> Project:
    p = Project(tmp_path / "proj")
    shutil.copytree(APP, p.root / "programs" / "hydra_app")
    return p


def sweep_file(**changes) -> str:
    data = yaml.safe_load(FILE.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return yaml.safe_dump(data, sort_keys=False)


def composed(project: Project, sweep_id: str) -> list[dict]:
    """Each finished run's parameters, with the config the app composed from its arguments."""
    return [{"params": r["params"], "state": r["state"],
             "config": json.loads((Path(r["run_dir"]) / "hydra_config.json").read_text())}
            for r in project.open().runs(sweep_id)]


def test_the_example_sweep_chooses_groups_sets_values_and_adds_keys(project):
    """configs/hydra_app.yaml under ${args_hydra}: group choice, a value inside it, a nested block,
    None as null, a key the config lacks; interpolation follows the swept value."""
    project.write("sweep.yaml", FILE.read_text())
    reg = project.cli("sweep", "sweep.yaml", check=True)
    assert "warning" not in reg.stderr, reg.stderr
    sweep_id = reg.stdout.strip().splitlines()[-1]
    done = project.agent(sweep_id, timeout=300)
    assert done.returncode == 0, done.stderr
    runs = composed(project, sweep_id)
    assert len(runs) == 16 and {r["state"] for r in runs} == {"finished"}
    seen = set()
    for r in runs:
        p, c = r["params"], r["config"]
        assert c["optim"]["algo"] == p["optim"]  # conf/optim/<choice>.yaml was composed
        assert c["optim"]["lr"] == p["optim.lr"]
        assert c["optim"]["weight_decay"] == p["optim.lr"]  # ${optim.lr} follows the override
        assert c["model"]["width"] == p["model"]["width"]
        assert c["model"]["dropout"] == p["model"]["dropout"]  # None arrives as None, not "None"
        assert c["model"]["layers"] == 2 and c["epochs"] == 5  # the rest from the config files
        assert c["seed"] == 0
        seen.add((p["optim"], p["model"]["dropout"]))
    assert seen == {("adam", None), ("sgd", None), ("adam", 0.2), ("sgd", 0.2)}
    status = project.status(sweep_id)
    assert status["best"]["value"] == pytest.approx(min(
        _final_loss(project, r) for r in project.open().runs(sweep_id)))


def _final_loss(project, run) -> float:
    lines = (Path(run["run_dir"]) / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[-1])["loss"]


def test_wandb_nested_parameters_under_args_no_hyphens(project):
    """W&B's Hydra form: a nested `parameters:` block reached Hydra as optim={'lr': 0.01, ...},
    which it refuses; now as optim.lr=0.01 optim.momentum=0.5."""
    text = sweep_file(parameters={
        "optim": {"parameters": {"lr": {"values": [0.01, 0.1]}, "momentum": {"value": 0.5}}},
        "batch_size": {"values": [32]},
    }, command=["${env}", "${interpreter}", "${program}", "${args_no_hyphens}"])
    project.write("sweep.yaml", text)
    reg = project.cli("sweep", "sweep.yaml", check=True)
    assert "warning" not in reg.stderr, reg.stderr
    sweep_id = reg.stdout.strip().splitlines()[-1]
    done = project.agent(sweep_id, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    runs = composed(project, sweep_id)
    assert sorted(r["config"]["optim"]["lr"] for r in runs) == [0.01, 0.1]
    assert {r["config"]["optim"]["momentum"] for r in runs} == {0.5}
    assert {r["config"]["optim"]["algo"] for r in runs} == {"adam"}  # the default group option kept
    assert {r["config"]["batch_size"] for r in runs} == {32}


def test_none_reaches_hydra_as_null_under_args_no_hyphens(project):
    text = sweep_file(parameters={"model": {"parameters": {"dropout": {"values": [None]}}}},
                      command=["${env}", "${interpreter}", "${program}", "${args_no_hyphens}"])
    sweep_id = project.sweep(text)
    assert project.agent(sweep_id, timeout=120).returncode == 0
    [run] = composed(project, sweep_id)
    assert run["config"]["model"]["dropout"] is None


def test_a_large_model_choice_and_its_keys_together(project):
    """Choosing a config group's option and setting a key inside it in one run."""
    text = sweep_file(parameters={"model": {"values": ["large"]}, "model.width": {"value": 256},
                                  "batch_size": {"value": 16}})
    sweep_id = project.sweep(text)
    assert project.agent(sweep_id, timeout=120).returncode == 0
    [run] = composed(project, sweep_id)
    assert run["config"]["model"] == {"_target_": "parts.Model", "layers": 3, "width": 256, "dropout": 0.3}
    assert run["config"]["batch_size"] == 16


# --- `sweeper sweep` says when Hydra would refuse the command -------------------------------

def warnings_for(project: Project, text: str, env=None) -> list[str]:
    project.write("sweep.yaml", text)
    proc = project.cli("sweep", "sweep.yaml", "--dry-run", env=env)
    assert proc.returncode == 0, proc.stderr
    return [ln for ln in proc.stderr.splitlines() if "warning" in ln]


def test_sweep_warns_when_the_command_gives_a_hydra_app_argparse_flags(project):
    [w] = warnings_for(project, sweep_file(command=None))  # the default command: ${args}
    assert w.startswith("sweep.yaml:") and "warning: program:" in w
    assert "Hydra app" in w and "${args_no_hyphens}" in w and "default command" in w


def test_sweep_warns_on_a_key_the_config_lacks_under_args_no_hyphens(project):
    text = sweep_file(command=["${env}", "${interpreter}", "${program}", "${args_no_hyphens}"])
    [w] = warnings_for(project, text)
    assert "sweep.yaml:2" in w  # the command: key's line
    assert "Could not override 'seed'" in w and "${args_hydra}" in w


def test_sweep_warns_on_a_config_group_option_that_does_not_exist(project):
    data = yaml.safe_load(FILE.read_text())
    data["parameters"]["optim"]["values"] = ["adam", "rmsprop"]
    [w] = warnings_for(project, yaml.safe_dump(data, sort_keys=False))
    assert "Could not find 'optim/rmsprop'" in w and "Available options in 'optim': adam, sgd" in w
    assert "Config search path" not in w


def test_sweep_warns_when_the_runs_interpreter_has_no_hydra(project, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "python").symlink_to(shutil.which("python3", path="/usr/bin:/bin"))
    [w] = warnings_for(project, FILE.read_text(), env={"SWEEPER_INTERPRETER": str(bare / "python")})
    assert "cannot import hydra" in w and str(bare / "python") in w


def test_a_valid_hydra_sweep_and_a_plain_program_get_no_warning(project):
    assert warnings_for(project, FILE.read_text()) == []
    plain = "program: probe.py\nmethod: grid\nparameters:\n  x: {values: [1, 2]}\n"
    assert warnings_for(project, plain) == []


# --- the overrides themselves, through Hydra's own parser -----------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def same(v, parsed) -> bool:
    """Hydra read back what was written; a string left unquoted on purpose (`1e-4`, which YAML 1.1
    loads as a string where the user meant the number; `null`; `True`) may read as that type."""
    if isinstance(v, list):
        return isinstance(parsed, list) and len(parsed) == len(v) and all(map(same, v, parsed))
    if isinstance(v, str) and parsed != v:
        return not overrides.value(v).startswith("'") and not isinstance(parsed, str)
    return parsed == v and type(parsed) is type(v)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_every_value_parses_back_to_itself_in_hydra(v):
    text = overrides.value(v)
    parsed = OverridesParser.create().parse_override(f"k={text}").value()
    assert same(v, parsed), (v, text, parsed)


def test_nested_keys_become_dotted_in_every_hydra_form():
    params = {"optim": {"lr": 0.01, "name": "adam"}, "bs": 8}
    assert build(["${args_no_hyphens}"], params, "t.py") == ["optim.lr=0.01", "optim.name=adam", "bs=8"]
    assert build(["${args_append_hydra}"], params, "t.py") == ["+optim.lr=0.01", "+optim.name=adam", "+bs=8"]
    assert build(["${args_override_hydra}"], params, "t.py") == ["++optim.lr=0.01", "++optim.name=adam", "++bs=8"]
    # argparse forms keep W&B's str(), as argparse programs written for W&B expect
    assert build(["${args}"], params, "t.py") == ["--optim={'lr': 0.01, 'name': 'adam'}", "--bs=8"]


def test_the_app_is_found_from_its_source(tmp_path):
    found = hydra_app.find(str(APP / "train.py"))
    assert found.config_dir == APP / "conf" and found.config_name == "config"
    assert found.groups() == ["model", "optim"]
    assert found.is_group_choice("optim", "sgd") and not found.is_group_choice("optim.lr", 0.1)
    (tmp_path / "aliased.py").write_text("from hydra import main as hm\n@hm(config_path='c')\ndef f(cfg): ...\n")
    assert hydra_app.find(str(tmp_path / "aliased.py")).config_dir == tmp_path / "c"
    (tmp_path / "plain.py").write_text("import argparse\ndef main(): ...\n")
    assert hydra_app.find(str(tmp_path / "plain.py")) is None
    assert hydra_app.find(str(tmp_path / "missing.py")) is None
    (tmp_path / "broken.py").write_text("def (:\n")
    assert hydra_app.find(str(tmp_path / "broken.py")) is None
