"""The `command:` macros, by W&B's agent's rules (sweep_utils.create_sweep_command and
wandb_agent.Agent._command_run): `${envvar:NAME}` is written out anywhere in an element, upper-case
names only, an unset NAME giving the name itself; then any whole element `${...}` is a macro, and
an unknown one is left out. The sweep file's check (checks.py) and the agent (agents/command.py)
both read them here."""

from __future__ import annotations

import re

ENVVAR = re.compile(r"\$\{envvar:([A-Z0-9_]*)\}")
KNOWN_MACROS = {"env", "interpreter", "program", "args", "args_no_equals", "args_no_hyphens",
                "args_no_boolean_flags", "args_append_hydra", "args_override_hydra", "args_hydra",
                "args_json", "args_json_file"}


def with_env(element: str, env) -> str:
    """The element with its `${envvar:NAME}` written out from `env`."""
    return ENVVAR.sub(lambda m: env.get(m.group(1), m.group(1)), element)


def macro_name(element: str) -> str | None:
    """NAME for an element `${NAME}` (after with_env), else None."""
    return element[2:-1] if element.startswith("${") and element.endswith("}") else None
