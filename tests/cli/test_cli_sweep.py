"""`sweeper sweep`, `sweeper sweeps`, --version and --help: through click's CliRunner, and
through the installed executable a user runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import run_cli
from sweeper import __version__
from sweeper.cli import COMMANDS, cli
from sweeper.cli.common import EXIT_BAD_INPUT
from sweeper.store.ids import BadId
from sweeper.store import NotFound, open_store
from sweeper.sweepfile import load_file

SEEDS = Path(__file__).parent.parent / "data" / "seeds"
GRID = SEEDS / "seed002_grid.yaml"

BAD = """\
method: grid
parameters:
  lr:
    min: 0.5
    max: 0.1
  opt:
    values: [adam, sgd]
    probabilities: [0.5, 0.6]
paramters: {}
"""


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def sweeps_in(store_url) -> list[dict]:
    store = open_store(store_url)
    try:
        return store.list_sweeps()
    finally:
        store.dispose()


@pytest.fixture
def bad_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD)
    return f


# ---- sweeper sweep, in process -----------------------------------------------------------------

def test_sweep_registers_and_prints_the_id_last(store_url):
    r = invoke("sweep", GRID, "--store", store_url)
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    sweep_id = lines[-1]
    assert lines[0].startswith(f"Created sweep 'fmnist-sweep' {sweep_id} (grid, 6 grid points) in ")
    assert any(line.strip().startswith(f"sweeper agent {sweep_id} --store") for line in lines)
    [sw] = sweeps_in(store_url)
    assert sw["id"] == sweep_id and sw["method"] == "grid" and sw["state"] == "running"
    assert (sw["name"], sw["project"], sw["entity"]) == ("fmnist-sweep", "f-mnist", "jmjeon94")
    assert sw["config"] == load_file(GRID).normalized
    assert sw["config_raw"] == GRID.read_text()


def test_sweep_json(store_url):
    r = invoke("sweep", SEEDS / "seed000_random_hyperband.yaml", "--store", store_url, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["ok"] is True and out["method"] == "random" and out["grid_size"] is None
    assert out["agent_command"][:3] == ["sweeper", "agent", out["id"]]
    sw = open_store(store_url).get_sweep(out["id"])
    assert sw["config"]["early_terminate"] == {"type": "hyperband", "min_iter": 3, "eta": 2, "s": 3, "strict": True}


def test_name_and_project_options_override_the_file(store_url):
    r = invoke("sweep", GRID, "--store", store_url, "--name", "mine", "--project", "elsewhere",
               "--entity", "lab", "--json")
    out = json.loads(r.stdout)
    assert (out["name"], out["project"]) == ("mine", "elsewhere")
    sw = open_store(store_url).get_sweep(out["id"])
    assert (sw["name"], sw["project"], sw["entity"]) == ("mine", "elsewhere", "lab")


def test_bad_file_lists_every_problem_and_registers_nothing(store_url, bad_file):
    r = invoke("sweep", bad_file, "--store", store_url)
    assert r.exit_code == EXIT_BAD_INPUT
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"error: {bad_file}: 5 problems",
        f"  {bad_file}:3:3: error: parameters.lr: grid search needs discrete parameters, and lr is uniform: "
        "give it values, or use int_uniform or q_uniform, or method random or bayes",
        f"  {bad_file}:4:5: error: parameters.lr.min: min must be below max; found min 0.5 and max 0.1",
        f"  {bad_file}:8:5: error: parameters.opt.probabilities: probabilities must sum to 1; they sum to 1.1",
        f"  {bad_file}:8:5: error: parameters.opt.probabilities: grid search runs every value once, "
        "so probabilities mean nothing here; remove them or use method random",
        f"  {bad_file}:9:1: error: paramters: unknown key 'paramters' (did you mean 'parameters'?); expected one of: "
        "program, command, method, metric, parameters, early_terminate, run_cap, name, description, project, "
        "entity, controller, apiVersion, kind, job, image_uri",
    ]
    assert sweeps_in(store_url) == []


def test_bad_file_json(store_url, bad_file):
    r = invoke("sweep", bad_file, "--store", store_url, "--json")
    assert r.exit_code == EXIT_BAD_INPUT
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["file"] == str(bad_file) and "id" not in out
    problems = out["problems"]
    assert len(problems) == 5
    assert all(set(p) == {"path", "line", "column", "message"} for p in problems)
    assert {"path": "parameters.lr.min", "line": 4, "column": 5,
            "message": "min must be below max; found min 0.5 and max 0.1"} in problems
    assert sweeps_in(store_url) == []


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("method: [grid\n", "YAML syntax error"),
    ("- method: grid\n", "a sweep file is a mapping of keys"),
    ("method: random\nparameters:\n  1: {value: 1}\n", "parameter name 1 (integer) is not allowed"),
])
def test_unusable_files_get_a_message_not_a_traceback(tmp_path, store_url, text, message):
    f = tmp_path / "s.yaml"
    f.write_text(text)
    r = invoke("sweep", f, "--store", store_url)
    assert r.exit_code == EXIT_BAD_INPUT
    assert message in r.stderr and "Traceback" not in r.stderr
    assert sweeps_in(store_url) == []


@pytest.mark.parametrize("target, message", [("missing.yaml", "no such file"), (".", "is a directory")])
def test_missing_file_or_directory(workdir, target, message):
    r = invoke("sweep", target)
    assert r.exit_code == EXIT_BAD_INPUT
    assert message in r.stderr
    assert not (workdir / ".sweeper").exists()


def test_dry_run_prints_the_normalized_config_and_registers_nothing(workdir):
    r = invoke("sweep", SEEDS / "seed002_bayes_minimal.yaml", "--dry-run")
    assert r.exit_code == 0, r.output
    head, body = r.stdout.split("\n", 1)
    assert head == f"# {SEEDS / 'seed002_bayes_minimal.yaml'}: valid (bayes); normalized:"
    assert yaml.safe_load(body) == load_file(SEEDS / "seed002_bayes_minimal.yaml").normalized
    assert yaml.safe_load(body)["parameters"]["learning_rate"]["distribution"] == "uniform"
    assert not (workdir / ".sweeper").exists()


def test_dry_run_json(store_url):
    r = invoke("sweep", SEEDS / "seed002_nested.yaml", "--dry-run", "--json", "--store", store_url)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["ok"] is True and out["grid_size"] == 2 and "id" not in out
    assert out["config"]["parameters"]["optimizer"]["parameters"]["lr"] == {
        "values": [0.001, 0.0001], "distribution": "categorical"}
    assert sweeps_in(store_url) == []


def test_dry_run_of_a_bad_file_fails_the_same_way(bad_file):
    r = invoke("sweep", bad_file, "--dry-run")
    assert r.exit_code == EXIT_BAD_INPUT and "5 problems" in r.stderr


def test_warnings_go_to_stderr_and_do_not_stop_the_sweep(tmp_path, store_url):
    f = tmp_path / "s.yaml"
    f.write_text("method: random\nmethod: random\nparameters: {a: {values: [1, 2]}}\n")
    r = invoke("sweep", f, "--store", store_url)
    assert r.exit_code == 0
    assert f"{f}:2:1: warning: method: key 'method' is given twice" in r.stderr
    assert len(sweeps_in(store_url)) == 1


def test_exponent_numbers_in_the_file_are_numbers_in_the_store(tmp_path, store_url):
    f = tmp_path / "s.yaml"
    f.write_text("method: random\nparameters:\n  lr: {min: 1e-5, max: 1e-1}\n")
    out = json.loads(invoke("sweep", f, "--store", store_url, "--json").stdout)
    lr = open_store(store_url).get_sweep(out["id"])["config"]["parameters"]["lr"]
    assert lr == {"min": 1e-5, "max": 0.1, "distribution": "uniform"}


# ---- sweep IDs ---------------------------------------------------------------------------------

def test_sweep_ids_in_every_form(store_url):
    r = invoke("sweep", GRID, "--store", store_url, "--project", "proj", "--json")
    sid = json.loads(r.stdout)["id"]
    store = open_store(store_url)
    for ref in (sid, f"proj/{sid}", f"jmjeon94/proj/{sid}", f" {sid} ", f"proj/{sid}/"):
        assert store.get_sweep(ref)["id"] == sid
    with pytest.raises(NotFound, match="belongs to project 'proj', not 'other'"):
        store.get_sweep(f"other/{sid}")
    with pytest.raises(NotFound, match="no sweep 'zzzzzzzz'"):
        store.get_sweep("zzzzzzzz")
    with pytest.raises(BadId, match="expected ID, project/ID or entity/project/ID"):
        store.get_sweep(f"a/b/c/{sid}")
    with pytest.raises(BadId, match="IDs are 8 lowercase letters and digits"):
        store.get_sweep(sid.upper())


def test_cli_takes_every_id_form(store_url):
    sid = json.loads(invoke("sweep", GRID, "--store", store_url, "--json").stdout)["id"]
    # The file says project f-mnist.
    r = invoke("pause", f"jmjeon94/f-mnist/{sid}", "--store", store_url)
    assert r.exit_code == 0 and r.stdout.strip() == f"sweep {sid} is now paused"
    r = invoke("resume", f"f-mnist/{sid}", "--store", store_url)
    assert r.exit_code == 0 and r.stdout.strip() == f"sweep {sid} is now running"
    r = invoke("pause", f"cifar/{sid}", "--store", store_url)
    assert r.exit_code == EXIT_BAD_INPUT and "belongs to project 'f-mnist'" in r.stderr


# ---- sweeper sweeps ----------------------------------------------------------------------------

def test_sweeps_lists_what_was_registered(store_url):
    r = invoke("sweeps", "--store", store_url)  # nothing registered there yet: no store, and none made
    assert r.exit_code == EXIT_BAD_INPUT and ("no store at" in r.stderr or "no sweeper store in" in r.stderr)
    assert "sweeper sweep" in r.stderr
    a = json.loads(invoke("sweep", GRID, "--store", store_url, "--json").stdout)["id"]
    b = json.loads(invoke("sweep", SEEDS / "seed002_bayes_minimal.yaml", "--store", store_url,
                          "--name", "second", "--json").stdout)["id"]
    listed = json.loads(invoke("sweeps", "--store", store_url, "--json").stdout)
    assert [(s["id"], s["name"], s["method"], s["state"], s["runs"]) for s in listed] == [
        (a, "fmnist-sweep", "grid", "running", {}), (b, "second", "bayes", "running", {})]
    table = invoke("sweeps", "--store", store_url).stdout
    assert a in table and b in table and "fmnist-sweep" in table and "second" in table


def test_a_rejected_file_leaves_the_list_as_it_was(store_url, bad_file):
    invoke("sweep", GRID, "--store", store_url)
    invoke("sweep", bad_file, "--store", store_url)
    assert len(json.loads(invoke("sweeps", "--store", store_url, "--json").stdout)) == 1


# ---- version and help --------------------------------------------------------------------------

def test_version():
    r = invoke("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"sweeper, version {__version__}"


def test_top_level_help_shows_examples():
    r = invoke("--help")
    assert r.exit_code == 0
    assert "sweeper sweep sweep.yaml" in r.stdout and "sweeper agent ID" in r.stdout
    # the group is lazy (cli.commands is empty): its list of names is COMMANDS
    assert list(COMMANDS) and all(name in r.stdout for name in COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_help_shows_an_example(name):
    r = invoke(name, "--help")
    assert r.exit_code == 0
    example = r.stdout.split("Example", 1)
    assert len(example) == 2, f"`sweeper {name} --help` has no Example:\n{r.stdout}"
    assert f"sweeper {name}" in example[1]


# ---- the installed executable ------------------------------------------------------------------

def test_exe_version_and_help(sweeper_exe):
    r = run_cli(sweeper_exe, "--version")
    assert r.returncode == 0 and r.stdout.strip() == f"sweeper, version {__version__}"
    r = run_cli(sweeper_exe, "sweep", "--help")
    assert r.returncode == 0 and "Example:" in r.stdout and "sweeper sweep sweep.yaml --dry-run" in r.stdout


def test_exe_registers_in_the_default_store_of_the_current_folder(sweeper_exe, workdir):
    (workdir / "sweep.yaml").write_text(GRID.read_text())
    r = run_cli(sweeper_exe, "sweep", "sweep.yaml", cwd=workdir)
    assert r.returncode == 0, r.stderr
    sid = r.stdout.strip().splitlines()[-1]
    assert (workdir / ".sweeper").is_dir()
    r = run_cli(sweeper_exe, "sweeps", "--json", cwd=workdir)
    assert [s["id"] for s in json.loads(r.stdout)] == [sid]


def test_exe_with_a_store_url(sweeper_exe, store_url, tmp_path):
    r = run_cli(sweeper_exe, "sweep", SEEDS / "seed002_bayes_full.yaml", "--json", cwd=tmp_path,
                env={"SWEEPER_STORE": store_url})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["name"], out["project"], out["method"]) == ("test_sweep", "my_sweep_test", "bayes")
    assert [s["id"] for s in sweeps_in(store_url)] == [out["id"]]


def test_exe_bad_file_exits_2_without_traceback_and_registers_nothing(sweeper_exe, workdir, bad_file):
    r = run_cli(sweeper_exe, "sweep", bad_file, cwd=workdir)
    assert r.returncode == EXIT_BAD_INPUT
    assert r.stderr.startswith(f"error: {bad_file}: 5 problems\n") and "Traceback" not in r.stderr
    assert r.stdout == ""
    r = run_cli(sweeper_exe, "sweeps", "--json", cwd=workdir)
    assert r.returncode == EXIT_BAD_INPUT and "no store here" in r.stderr and r.stdout == ""
    assert not (workdir / ".sweeper").exists()


def test_exe_bad_file_json(sweeper_exe, workdir, bad_file):
    r = run_cli(sweeper_exe, "sweep", bad_file, "--json", cwd=workdir)
    assert r.returncode == EXIT_BAD_INPUT
    out = json.loads(r.stdout)
    assert out["ok"] is False and len(out["problems"]) == 5
    assert not (workdir / ".sweeper").exists()  # a rejected file does not even open the store


def test_exe_dry_run(sweeper_exe, workdir):
    r = run_cli(sweeper_exe, "sweep", SEEDS / "seed000_random_hyperband.yaml", "--dry-run", cwd=workdir)
    assert r.returncode == 0, r.stderr
    body = r.stdout.split("\n", 1)[1]
    assert yaml.safe_load(body) == load_file(SEEDS / "seed000_random_hyperband.yaml").normalized
    assert not (workdir / ".sweeper").exists()


# ---- what start-up imports ---------------------------------------------------------------------

HEAVY = ("skopt", "sklearn", "scipy", "torch")


def imported_modules(argv: list[str], cwd) -> set[str]:
    """Top-level modules a command imports, read from Python's -X importtime report."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    env.pop("SWEEPER_STORE", None)
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip().split(".")[0]
             for line in r.stderr.splitlines() if line.startswith("import time:") and "|" in line}
    assert "click" in names  # the report is there at all
    return names


@pytest.mark.parametrize("args", [["--help"], ["sweep", "f.yaml", "--dry-run"], ["sweep", "f.yaml"],
                                  ["sweeps"]])
def test_start_up_does_not_import_the_heavy_libraries(sweeper_exe, workdir, args):
    (workdir / "f.yaml").write_text(textwrap.dedent("""\
        method: bayes
        metric: {name: loss}
        parameters:
          lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-1}
    """))
    if args == ["sweeps"]:
        run_cli(sweeper_exe, "sweep", "f.yaml", cwd=workdir)  # a read command needs a store to read
    names = imported_modules([sweeper_exe, *args], workdir)
    assert "sweeper" in names
    assert not names & set(HEAVY), f"`sweeper {' '.join(args)}` imports {sorted(names & set(HEAVY))}"


def test_importing_the_cli_module_stays_light():
    code = ("import sys, sweeper.cli; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY + ('numpy', 'sqlalchemy', 'yaml', 'jsonschema', 'rich')!r}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_python_dash_m_sweeper_is_the_same_cli(tmp_path):
    """`python -m sweeper`, for an interpreter whose scripts folder is not on PATH: the same
    commands, messages and exit codes as the `sweeper` executable."""
    (tmp_path / "sweep.yaml").write_text("program: train.py\nmethod: random\nparameters: {x: {min: 0.0, max: 1.0}}\n")
    env = {k: v for k, v in os.environ.items() if k != "SWEEPER_STORE"}
    none = subprocess.run([sys.executable, "-m", "sweeper", "sweeps"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert none.returncode == 2 and "no store here" in none.stderr
    made = subprocess.run([sys.executable, "-m", "sweeper", "sweep", "sweep.yaml"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    sid = made.stdout.strip().splitlines()[-1]
    listed = subprocess.run([sys.executable, "-m", "sweeper", "sweeps"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert listed.returncode == 0 and sid in listed.stdout
    usage = subprocess.run([sys.executable, "-m", "sweeper", "--help"], capture_output=True, text=True)
    assert usage.returncode == 0 and usage.stdout.startswith("Usage: sweeper ")
