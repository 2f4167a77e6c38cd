"""Facts about where runs run: the interpreter `${interpreter}` resolves to, the git commit
of the working directory, the Python version. Asked once per agent."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from . import command as commandline


def interpreter_note(template: list) -> tuple[str | None, str | None]:
    """(the interpreter the runs use, a warning or None) for a command that uses ${interpreter}.

    `${interpreter}` is `python` from PATH, as in W&B. Started from cron, or as
    .venv/bin/sweeper without activating the venv, that is another Python than sweeper's own,
    and every run fails with ModuleNotFoundError: say so before the first run.
    """
    if not any(str(e) == "${interpreter}" for e in template):
        return None, None
    chosen = commandline.interpreter()
    if os.environ.get("SWEEPER_INTERPRETER"):
        return chosen, None
    mine = sys.executable
    if os.path.dirname(os.path.abspath(chosen)) == os.path.dirname(os.path.abspath(mine)):
        return chosen, None  # python and python3 of one environment
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    if not in_venv or _prefix(chosen) == sys.prefix:
        return chosen, None
    return chosen, (f"`python` on PATH is {chosen}, not the Python sweeper runs in ({mine}): the runs will "
                    f"not see its packages. Activate it (source {os.path.dirname(mine)}/activate) or set "
                    f"SWEEPER_INTERPRETER={mine}")


def _prefix(interp: str) -> str | None:
    try:
        out = subprocess.run([interp, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                             timeout=20)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_facts(cwd: str, argv) -> dict:
    """Git commit (and whether the tree is dirty) of `cwd`, and the Python version the run uses."""
    facts = {"git_commit": None, "git_dirty": None, "python_version": None}
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if head.returncode == 0:
            facts["git_commit"] = head.stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                   cwd=cwd, capture_output=True, text=True, timeout=10)
            facts["git_dirty"] = bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    interp = commandline.interpreter()
    if interp in argv:
        facts["python_version"] = python_version(interp)
    else:
        facts["python_version"] = platform.python_version()
    return facts


def python_version(interp: str) -> str | None:
    try:
        v = subprocess.run([interp, "-c", "import platform; print(platform.python_version())"],
                           capture_output=True, text=True, timeout=20)
        return v.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
