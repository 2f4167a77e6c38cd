"""Helpers for tests that drive the real `sweeper` executable against a real store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE = HERE / "agentprogs" / "probe.py"
BIN = Path(sys.executable).parent


def exe() -> str:
    found = shutil.which("sweeper", path=str(BIN)) or shutil.which("sweeper")
    assert found, "the sweeper console script is not installed (make install)"
    return found


def env_for(store: str, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["SWEEPER_STORE"] = str(store)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # `python` in commands is this one
    env.update(extra or {})
    return env


class Project:
    """A folder with a program and a store, where a user would run sweeper."""

    def __init__(self, root: Path, store: str | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROBE, root / "probe.py")
        self.store = store or str(root / ".sweeper" / "sweeper.db")

    def write(self, name: str, text: str) -> Path:
        p = self.root / name
        p.write_text(text)
        return p

    def cli(self, *args, env=None, timeout=120, check=False):
        proc = subprocess.run([exe(), *map(str, args)], cwd=self.root, env=env_for(self.store, env),
                              capture_output=True, text=True, timeout=timeout)
        if check:
            assert proc.returncode == 0, f"{args} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def sweep(self, yaml_text: str) -> str:
        self.write("sweep.yaml", yaml_text)
        proc = self.cli("sweep", "sweep.yaml", check=True)
        return proc.stdout.strip().splitlines()[-1]

    def agent(self, sweep_id: str, *args, env=None, timeout=120):
        return self.cli("agent", sweep_id, *args, env=env, timeout=timeout)

    def start_agent(self, sweep_id: str, *args, env=None) -> subprocess.Popen:
        return subprocess.Popen([exe(), "agent", sweep_id, *map(str, args)], cwd=self.root,
                                env=env_for(self.store, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def status(self, sweep_id: str) -> dict:
        return json.loads(self.cli("status", sweep_id, "--json", check=True).stdout)

    def open(self):
        from sweeper.store import open_store
        return open_store(self.store)


def wait_for(predicate, timeout=20.0, interval=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def probe_running(store, sweep_id: str, timeout: float = 20.0) -> dict:
    """The first run of the sweep whose probe program has started (its probe.json is written)."""
    run = wait_for(lambda: next((r for r in store.runs(sweep_id) if r["pid"]), None), timeout=timeout,
                   what="a run to start")
    wait_for(lambda: (Path(run["run_dir"]) / "probe.json").exists(), timeout=timeout, what="its program to start")
    return run
