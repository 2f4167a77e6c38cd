"""Helpers for the program side's tests (tests/program/): a folder with a store, programs run as real
processes. Its `place` fixture is made visible to every test by tests/conftest.py (a second
conftest.py would shadow the first as the module `conftest`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SWEEPER = str(BIN / "sweeper")


class Place:
    """A folder with its own SQLite store, where scripts and agents run as real processes."""

    def __init__(self, root: Path):
        self.root = root
        self.store = str(root / "store" / "sweeper.db")

    def env(self, **extra) -> dict:
        env = dict(os.environ)
        env["SWEEPER_STORE"] = self.store
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # `python` in a sweep's command is this one
        for key in ("SWEEPER_PARAMS", "SWEEPER_METRICS", "SWEEPER_RUN_ID", "SWEEPER_RUN_DIR", "SWEEPER_SWEEP_ID"):
            env.pop(key, None)
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def write(self, name: str, body: str) -> Path:
        path = self.root / name
        path.write_text(textwrap.dedent(body))
        return path

    def python(self, name: str, body: str, timeout=120, **env) -> subprocess.CompletedProcess:
        path = self.write(name, body)
        return subprocess.run([sys.executable, str(path)], cwd=self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)

    def popen(self, name: str, body: str, **env) -> subprocess.Popen:
        path = self.write(name, body)
        return subprocess.Popen([sys.executable, str(path)], cwd=self.root, env=self.env(**env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def cli(self, *args, timeout=120, **env) -> subprocess.CompletedProcess:
        return subprocess.run([SWEEPER, *map(str, args)], cwd=self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)

    def runs_json(self, project: str, **env) -> list[dict]:
        proc = self.cli("runs", "--project", project, "--json", **env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def open(self):
        from sweeper.store import open_store
        return open_store(self.store)


@pytest.fixture
def place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = Place(tmp_path)
    monkeypatch.setenv("SWEEPER_STORE", p.store)
    for key in ("SWEEPER_PARAMS", "SWEEPER_METRICS", "SWEEPER_RUN_ID", "SWEEPER_RUN_DIR", "SWEEPER_SWEEP_ID"):
        monkeypatch.delenv(key, raising=False)
    return p
