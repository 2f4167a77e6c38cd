"""`sweeper sweep`'s check of a Hydra app's command (Hydra itself is imported only in compose.py).

When the sweep's program is a Hydra app (app.py), the command lines its runs would get are
handed to Hydra itself, in the interpreter the runs will use (compose.py): Hydra's parser
and compose API say whether each is accepted, so a typo in a key, a missing `+`, a config
group option that does not exist, or `--lr=0.01` for an app that takes `lr=0.01` shows up
at registration instead of as failed runs. These are warnings: the file is a valid W&B
sweep, and the agents' machines may hold a different program.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from . import app as hydra_app

ARGPARSE_MACROS = {"${args}", "${args_no_equals}", "${args_no_boolean_flags}"}
JSON_MACROS = {"${args_json}", "${args_json_file}"}
MAX_COMMANDS = 40  # command lines checked: the first of each value of each discrete parameter
MAX_WARNINGS = 3  # distinct refusals shown; the rest are counted
TIMEOUT_S = 60


def problems(cfg, cwd: str | Path | None = None) -> list:
    """Warnings (sweepfile Problems) about how the sweep's Hydra app would take its command."""
    from ...sweepfile.problems import Problem

    program = cfg.normalized.get("program")
    app = hydra_app.find(program, cwd)
    if app is None:
        return []
    template = [str(x) for x in cfg.normalized["command"]]
    where = ("command",) if "command" in cfg.raw else ("program",)
    out = []
    wrong = [m for m in template if m in ARGPARSE_MACROS | JSON_MACROS]
    if wrong:
        default = " (the default command)" if "command" not in cfg.raw else ""
        out.append(Problem(where, f"{program} is a Hydra app (@hydra.main): it takes overrides like "
                                  f"lr=0.01, and the command{default} gives it {wrong[0]}, "
                                  f"{'JSON' if wrong[0] in JSON_MACROS else '--lr=0.01'}, which Hydra "
                                  "refuses; use ${args_no_hyphens}, or ${args_hydra} to also set keys "
                                  "its config lacks", warning=True))
        return _located(cfg, out)
    if "${program}" not in template:
        return []
    tail = template[template.index("${program}") + 1:]
    from ...agents.command import program_interpreter

    runner = program_interpreter(template, str(cwd or Path.cwd()))
    argvs = _sample_argvs(cfg, tail, program, cwd)
    answer = _ask_hydra(runner, app, argvs)
    if isinstance(answer, str):
        out.append(Problem(where, answer, warning=True))
        return _located(cfg, out)
    refused = [(argv, error) for argv, error in zip(argvs, answer) if error]
    distinct: dict[str, list[str]] = {}
    for argv, error in refused:
        distinct.setdefault(error, argv)
    shown = list(distinct.items())[:MAX_WARNINGS]
    for i, (error, argv) in enumerate(shown):
        count = (f" ({len(refused)} of the {len(argvs)} command lines tried are refused)"
                 if i == 0 and len(refused) > len(shown) else "")
        out.append(Problem(where, _explain(program, argv, error, template) + count, warning=True))
    return _located(cfg, out)


def _sample_argvs(cfg, tail: list[str], program: str, cwd) -> list[list[str]]:
    import numpy as np

    from ...agents.command import build

    space = cfg.space
    draws = np.random.default_rng(0)
    # One command line with every parameter at its first value (a draw for continuous ones),
    # then one per other value of each discrete parameter: every config group option is tried.
    base = {p.path: (p.grid_values()[0] if p.is_discrete else p.sample(draws)) for p in space}
    sets = [base]
    for p in space:
        if p.is_discrete and not p.is_constant:
            sets.extend({**base, p.path: v} for v in p.grid_values()[1:10])
    sets = sets[:MAX_COMMANDS]
    return [build(tail, space.nest(s), program, args_json_file="args.json") for s in sets]


def _ask_hydra(runner: str, app, argvs: list[list[str]]):
    request = {"config_dir": str(app.config_dir) if app.config_dir else None,
               "config_name": app.config_name, "argvs": argvs}
    script = Path(__file__).with_name("compose.py")
    try:
        done = subprocess.run([runner, str(script)], input=json.dumps(request), capture_output=True,
                              text=True, timeout=TIMEOUT_S, check=False)
    except FileNotFoundError:
        return f"the runs' interpreter {runner} does not exist: each run would fail to start"
    except subprocess.TimeoutExpired:
        return f"could not check the command with Hydra: {runner} did not answer in {TIMEOUT_S} s"
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"could not check the command with Hydra in {runner}: {last}"
    if answer.get("hydra") is None:
        return (f"the program is a Hydra app, and {runner} (the runs' interpreter) cannot import "
                "hydra: each run would fail; install hydra-core there (pip install hydra-core), or run "
                "the agent from the environment that has it (SWEEPER_INTERPRETER names another)")
    return answer["errors"]


def _explain(program: str, argv: list[str], error: str, template: list[str]) -> str:
    head = _one_line(error)
    hint = ""
    if "not in struct" in error or "To append to your config" in error:
        hint = ("; ${args_hydra} sets keys the config lacks (++key=value) and still chooses config "
                "groups (group=option)" if "${args_hydra}" not in template else "")
    elif "${args_append_hydra}" in template:
        hint = "; ${args_append_hydra} (+key=value) only adds keys the config lacks: use ${args_hydra}"
    shown = " ".join(argv)
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return f"Hydra refuses the arguments {program} would get ({shown}): {head}{hint}"


def _one_line(error: str) -> str:
    """Hydra's message on one line: "Available options in 'optim':" and its list become
    "Available options in 'optim': adam, sgd"; other lines are joined with "; "."""
    parts: list[str] = []
    listing = False
    for line in [ln.strip() for ln in error.splitlines() if ln.strip()][:12]:
        if line.startswith("Config search path"):  # where Hydra looked: not the user's problem
            break
        if parts and (listing or parts[-1].endswith(":")):
            parts[-1] += (", " if listing else " ") + line
            listing = True
        else:
            parts.append(line)
    return "; ".join(parts)


def _located(cfg, found: list) -> list:
    from ...sweepfile import yamlfile
    from ...sweepfile.load import _locate

    if not cfg.text:
        return found
    try:
        _, positions, _ = yamlfile.loads(cfg.text)
    except Exception:  # noqa: BLE001 - the file was loaded once already; lines are a nicety
        return found
    return [_locate(p, positions) for p in found]
