"""The package's shape, as docs/architecture.md states it: checked, so it cannot drift.

- no import cycle between sweeper's modules, counting imports inside functions too;
- nothing outside sweeper/cli/ imports the CLI;
- what a training program imports (`import sweeper`) loads no third-party library;
- no module is much over 400 lines;
- sweeper never imports torch, wandb or hydra, except in the scripts it runs with a program's
  own interpreter (integrations/*/bridge.py, compose.py);
- `sweeper.agent` and `sweeper.sweep` stay the W&B-style functions whatever got imported.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent.parent / "sweeper"
MAX_LINES = 420


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every sweeper module `path` imports, anywhere in the file."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from . import x` names a module x when there is one
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


TOOLS = {"torch", "wandb", "hydra", "omegaconf", "lightning", "transformers"}
RUN_BY_THE_PROGRAMS_PYTHON = {"sweeper.integrations.wandb.bridge", "sweeper.integrations.hydra.compose"}


def test_sweeper_never_imports_the_tools_it_runs():
    found = []
    for name, path in modules().items():
        if name in RUN_BY_THE_PROGRAMS_PYTHON:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{name}: {m}" for m in mods if m.split(".")[0] in TOOLS]
    assert found == []


def test_no_import_cycles():
    g = graph()
    # Parent packages are imported on the way to a submodule; their own imports count, but a
    # package importing its submodules is not a cycle with them.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g[n]):
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [m]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if n not in state:
            visit(n)


def test_nothing_outside_the_cli_imports_it():
    # `python -m sweeper` (sweeper/__main__.py) is the CLI's other entry point, as the console script is.
    offenders = {n: sorted(m for m in deps if m.startswith("sweeper.cli"))
                 for n, deps in graph().items() if not n.startswith("sweeper.cli") and n != "sweeper.__main__"}
    assert {n: d for n, d in offenders.items() if d} == {}


def test_no_module_is_much_over_400_lines():
    long = {n: len(p.read_text().splitlines()) for n, p in modules().items()}
    assert {n: k for n, k in long.items() if k > MAX_LINES} == {}


def test_a_program_importing_sweeper_loads_only_the_standard_library():
    code = ("import sys, sweeper\n"
            "third = sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names) - {'sweeper'})\n"
            "print(third)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    # Only what the interpreter itself may bring (site hooks of an editable install).
    assert [m for m in eval(r.stdout) if not m.startswith("_") and m not in ("editables",)] == []


def test_the_w_and_b_style_functions_survive_importing_every_module():
    code = ("import importlib, sweeper, pkgutil\n"
            "for m in pkgutil.walk_packages(sweeper.__path__, 'sweeper.'):\n"
            "    importlib.import_module(m.name)\n"
            "import inspect\n"
            "print(inspect.isfunction(sweeper.agent), inspect.isfunction(sweeper.sweep))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True"]
