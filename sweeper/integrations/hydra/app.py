"""Whether a program is a Hydra app, and where its configs are (standard library only).

Read from the program's source, never by importing it: the `@hydra.main(config_path=...,
config_name=...)` decorator names the config directory (relative to the program's file)
and the primary config. A config group is a directory in it; `optim=sgd` chooses a group
option when `optim/sgd.yaml` is there.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class HydraApp:
    program: Path
    config_dir: Path | None  # None: the app composes its config from overrides alone
    config_name: str | None

    def is_group_choice(self, key: str, value) -> bool:
        """Does `key=value` choose an option of a config group (rather than set a value)?

        A directory of the config's is a group whether or not it has the option: for one it
        lacks, Hydra's own message lists those it has.
        """
        if self.config_dir is None or not isinstance(value, str) or not value:
            return False
        return (self.config_dir / key.replace(".", "/")).is_dir()

    def groups(self) -> list[str]:
        if self.config_dir is None or not self.config_dir.is_dir():
            return []
        return sorted(str(d.relative_to(self.config_dir)) for d in self.config_dir.rglob("*")
                      if d.is_dir() and any(d.glob("*.yaml")))


def find(program: str | None, cwd: str | Path | None = None) -> HydraApp | None:
    """The Hydra app that `program` (as the sweep names it) is, or None if it is not one.

    Asked for every run's command: one stat() when the answer is known (kept per file and
    modification time)."""
    if not program or not program.endswith(".py"):
        return None
    path = os.path.join(cwd or os.getcwd(), program)
    try:
        return _parse(path, os.stat(path).st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=32)
def _parse(name: str, _mtime: int) -> HydraApp | None:
    path = Path(name).resolve()
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return None
    names = _hydra_main_names(tree)
    if not names:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and _dotted(deco.func) in names:
                    return _app(path, deco)
                if _dotted(deco) in names:  # bare @hydra.main: no config
                    return HydraApp(path, None, None)
    return None


def _hydra_main_names(tree: ast.Module) -> set[str]:
    """The names `hydra.main` goes by in this module (`hydra.main`, `main`, `hm.main`...)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "hydra":
                    names.add(f"{alias.asname or 'hydra'}.main")
        elif isinstance(node, ast.ImportFrom) and node.module == "hydra":
            for alias in node.names:
                if alias.name == "main":
                    names.add(alias.asname or "main")
    return names


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _app(path: Path, call: ast.Call) -> HydraApp:
    given = {name: arg for name, arg in zip(("config_path", "config_name"), call.args)}
    given.update({kw.arg: kw.value for kw in call.keywords if kw.arg})
    config_path = _constant(given.get("config_path"))
    config_name = _constant(given.get("config_name"))
    config_dir = None
    if isinstance(config_path, str):
        # An absolute path or `pkg://` search path is used as is; a relative one is relative to
        # the program's file (Hydra's rule for config_path).
        if config_path.startswith(("pkg://", "file://")):
            config_path = config_path.split("://", 1)[1] if config_path.startswith("file://") else None
        if config_path is not None:
            config_dir = (path.parent / config_path).resolve()
    if isinstance(config_name, str):
        config_name = config_name.removesuffix(".yaml").removesuffix(".yml")
    return HydraApp(path, config_dir, config_name if isinstance(config_name, str) else None)


def _constant(node):
    return node.value if isinstance(node, ast.Constant) else None
