"""Turning a sweep's `command:` and a run's parameters into the argv of the child process.

W&B's macros each replace a whole element; `${envvar:NAME}` may stand anywhere inside
one. The `--k=v` forms write values as W&B does (Python's str(): True, None, 0.001,
{'lr': 0.1}), so argparse programs written for W&B work unchanged. The `k=v` forms are
Hydra's: nested parameters as dotted keys, None as null (integrations/hydra/overrides.py);
W&B's own str() there gives overrides Hydra rejects. The argv goes to the OS as a list: no
shell ever sees a parameter value.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys

from ..integrations.hydra import app as hydra_app
from ..integrations.hydra import overrides as hydra_overrides
from ..sweepfile.macros import macro_name, with_env


class CommandError(ValueError):
    pass


def interpreter() -> str:
    """`python` from PATH, as W&B does; SWEEPER_INTERPRETER overrides it."""
    chosen = os.environ.get("SWEEPER_INTERPRETER")
    if chosen:
        return chosen
    return shutil.which("python") or shutil.which("python3") or sys.executable


_PYTHON = re.compile(r"^python[0-9.]*$")


def program_interpreter(template, cwd: str, path: str | None = None) -> str:
    """The Python a run of this command runs in: `${interpreter}`'s; the command's first
    element named python* (a path from cwd, else found on `path`, the runs' PATH); else
    `python` on PATH. The W&B hook asks it whether wandb imports; the Hydra check composes with it."""
    for element in map(str, template or []):
        if element == "${interpreter}":
            return interpreter()
        if macro_name(element) is not None or not _PYTHON.match(os.path.basename(element)):
            continue
        if os.sep in element:
            return os.path.join(cwd, element)
        return shutil.which(element, path=path) or element
    return interpreter()


def fmt(value) -> str:
    return str(value)


def args_forms(params: dict, program: str | None = None) -> dict[str, list[str]]:
    items = list(params.items())
    app = hydra_app.find(program)
    return {
        "args": [f"--{k}={fmt(v)}" for k, v in items],
        "args_no_equals": [x for k, v in items for x in (f"--{k}", fmt(v))],
        "args_no_boolean_flags": [f"--{k}" if v is True else f"--{k}={fmt(v)}"
                                  for k, v in items if v is not False],
        "args_json": [json.dumps(params)],
        **hydra_overrides.forms(params, app.is_group_choice if app else None),
    }


def build(template: list, params: dict, program: str | None, args_json_file: str | None = None,
          env: dict | None = None) -> list[str]:
    env = os.environ if env is None else env
    forms = None
    argv: list[str] = []
    for element in template:
        element = with_env(str(element), env)
        name = macro_name(element)
        if name is not None:
            if name == "env":
                argv.append("/usr/bin/env")
            elif name == "interpreter":
                argv.append(interpreter())
            elif name == "program":
                if not program:
                    raise CommandError("the command uses ${program}, but the sweep has no program: key "
                                       "(add program: train.py to the sweep file, or run it from Python "
                                       "with sweeper.agent(ID, function=...))")
                argv.append(program)
            elif name == "args_json_file":
                if args_json_file is None:
                    raise CommandError("${args_json_file} needs a run directory")
                argv.append(args_json_file)
            else:
                forms = forms or args_forms(params, program)
                argv.extend(forms.get(name, []))  # W&B drops unknown macros
            continue
        argv.append(element)
    return argv


def for_function(function) -> list[str]:
    """What a run of a Python function (sweeper.agent(function=...)) records as its command:
    it has no argv, only a name to show."""
    return [f"<function {getattr(function, '__qualname__', repr(function))}>"]


def function_name(argv: list[str]) -> str | None:
    """The function's name when argv is what for_function recorded; None for a real command."""
    if len(argv) == 1 and argv[0].startswith("<function ") and argv[0].endswith(">"):
        return argv[0][len("<function "):-1]
    return None
