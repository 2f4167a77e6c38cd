"""Shared fixtures: a real SQLite store in a temp folder, a real PostgreSQL database, the CLI."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from programlib import place  # noqa: F401 - the fixture of tests/program/
from wandblib import wandb_elsewhere  # noqa: F401 - the fixture of tests/integrations/

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
PG_ADMIN = os.environ.get("SWEEPER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL server answers at {PG_ADMIN}: {str(exc).strip().splitlines()[0]}"


_PG_REASON = _pg_available()


@contextlib.contextmanager
def fresh_pg_database():
    """The URL of a fresh, empty PostgreSQL database, dropped on exit (skips, or fails under
    SWEEPER_REQUIRE_POSTGRES, when no server answers). For fixtures of any scope."""
    if _PG_REASON:
        if os.environ.get("SWEEPER_REQUIRE_POSTGRES"):
            pytest.fail(_PG_REASON + " (SWEEPER_REQUIRE_POSTGRES is set, as in CI)")
        pytest.skip(_PG_REASON)
    import psycopg

    name = "sweeper_t_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """Each store-backed test runs on both kinds of store."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "sweeper.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def project(tmp_path):
    """A folder with a program and a store, where a user would run sweeper (agentlib.Project)."""
    from agentlib import Project

    return Project(tmp_path / "proj")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh current directory with no .sweeper/ above it and no SWEEPER_STORE."""
    d = tmp_path / "work"
    d.mkdir()
    monkeypatch.chdir(d)
    monkeypatch.delenv("SWEEPER_STORE", raising=False)
    return d


@pytest.fixture
def sweeper_exe():
    """The installed `sweeper` console script (the one a user runs)."""
    exe = shutil.which("sweeper", path=str(Path(sys.executable).parent)) or shutil.which("sweeper")
    assert exe, "the sweeper console script is not installed (make install)"
    return exe


def run_cli(exe, *args, cwd=None, env=None, timeout=120, input=None):
    full_env = dict(os.environ)
    full_env.pop("SWEEPER_STORE", None)
    full_env.update(env or {})
    return subprocess.run([exe, *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout, input=input)
