"""The store's engine and its one way of running a transaction, retried while the store is away.

SQLite: WAL, our own BEGIN IMMEDIATE for writers (pysqlite's deferred BEGIN can fail with
"database is locked" mid-transaction), a 60 s busy timeout. PostgreSQL: a small pool, pre-ping.
Errors reach callers as StoreError (with a sentence fit for a user) or StoreUnavailable.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from .errors import NoStore, StoreError, StoreUnavailable


class NeedsFullStore(Exception):
    """A light store (lite.py) that cannot serve: the schema needs migrating, or is not there."""


class StoreBase:
    def __init__(self, sa_url: str, root: Path, create: bool = True, light: bool = False):
        self.root = Path(root)
        self.unavailable_timeout = float(os.environ.get("SWEEPER_STORE_TIMEOUT", "120"))
        self._said_waiting = False  # "the store does not answer" is said once per process
        self._beats: dict[str, float] = {}  # sweep -> when this process's agent last beat there (leases.py)
        if light:  # an SQLite store opened to read, without SQLAlchemy (lite.py)
            import sqlite3

            from .lite import LiteEngine, LiteURL

            path = sa_url[len("sqlite:///"):]
            self.url, self.is_sqlite, self._db_errors = LiteURL(path), True, (sqlite3.Error,)
            self._write, self._read = LiteEngine(path, "BEGIN IMMEDIATE"), LiteEngine(path, "BEGIN")
            self._check_schema_light()
            return
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import DBAPIError

        self.url = make_url(sa_url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._db_errors = (DBAPIError,)
        if self.is_sqlite:
            self._write = create_engine(sa_url, connect_args={"timeout": 60, "check_same_thread": False})
            self._read = create_engine(sa_url, connect_args={"timeout": 60, "check_same_thread": False})

            def on_connect(dbapi_conn, _record):
                # Manage transactions ourselves: pysqlite's implicit BEGIN is deferred,
                # and a deferred writer can fail with "database is locked" mid-transaction.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.close()

            for engine, begin in ((self._write, "BEGIN IMMEDIATE"), (self._read, "BEGIN")):
                event.listen(engine, "connect", on_connect)
                event.listen(engine, "begin", lambda conn, b=begin: conn.exec_driver_sql(b))
        else:
            # A server that accepts connections and never answers costs connect_timeout per try:
            # short enough that the retries, not one hung attempt, fill SWEEPER_STORE_TIMEOUT.
            connect_timeout = int(max(2, min(10, self.unavailable_timeout / 3)))
            self._write = create_engine(sa_url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                                        connect_args={"connect_timeout": connect_timeout})
            self._read = self._write
        self._ensure_schema(create)

    @property
    def display_url(self) -> str:
        if self.is_sqlite:
            return self.url.database
        return self.url.render_as_string(hide_password=True).replace("+psycopg://", "://", 1)

    @property
    def runs_root(self) -> Path:
        return self.root / "runs"

    def _tx(self, fn: Callable, write: bool = True):
        """Run fn(conn) in one transaction; retry while the store is briefly unreachable."""
        DBAPIError = self._db_errors  # noqa: N806 - SQLAlchemy's, or sqlite3's on the light way
        engine = self._write if write else self._read
        started = time.monotonic()
        deadline = started + self.unavailable_timeout
        delay = 0.05
        while True:
            try:
                with engine.begin() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                if not _transient(exc):
                    if _no_database(exc):
                        raise NoStore(f"no database {self.url.database!r} on the server of {self.display_url}: "
                                      f"create it (createdb {self.url.database}), or give another --store "
                                      f"({_short(exc)})") from None
                    raise StoreError(self._explain(exc)) from None
                if not self._said_waiting and time.monotonic() - started > 2:
                    # Commands that read would otherwise say nothing until SWEEPER_STORE_TIMEOUT.
                    self._said_waiting = True
                    _warn(f"the store at {self.display_url} does not answer ({_short(exc)}); trying again for up "
                          f"to {self.unavailable_timeout:g} s (SWEEPER_STORE_TIMEOUT)")
                if time.monotonic() > deadline:
                    waited = time.monotonic() - started
                    raise StoreUnavailable(f"the store at {self.display_url} did not answer: tried for "
                                           f"{waited:.0f} s (SWEEPER_STORE_TIMEOUT={self.unavailable_timeout:g}): "
                                           f"{_short(exc)}") from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _stream(self, statement: str, batch: int = 1000, **params):
        """The rows of one read statement (`sql.run` text) as they come, as dicts: a few batches
        in memory however many rows there are (PostgreSQL: a server-side cursor). A read
        transaction stays open while the caller iterates; a failure is a StoreError."""
        from . import sql

        DBAPIError = self._db_errors  # noqa: N806
        try:
            with self._read.connect() as conn:
                conn = conn.execution_options(stream_results=True, yield_per=batch)
                with conn.begin():
                    for row in sql.run(conn, statement, self.is_sqlite, **params).mappings():
                        yield dict(row)
        except DBAPIError as exc:
            raise StoreError(self._explain(exc)) from None

    def _explain(self, exc) -> str:
        msg = _short(exc)
        low = msg.lower()
        if self.is_sqlite and ("unable to open" in low or "readonly" in low or "read-only" in low):
            path = self.url.database
            folder = os.path.dirname(path) or "."
            if not os.access(folder, os.W_OK):
                return (f"the folder {folder} that holds the store is read-only (a read-only mount, or no write "
                        f"permission): SQLite needs to create {os.path.basename(path)}-wal and -shm beside the "
                        f"store ({msg})")
            if os.path.exists(path) and not os.access(path, os.W_OK):
                return f"the store file {path} is read-only: {msg}"
        if "readonly" in low or "read-only" in low:
            return f"the store {self.display_url} is read-only: {msg}"
        if self.is_sqlite and ("not a database" in low or "malformed" in low):
            return (f"{self.url.database} is not a usable sweeper store: {msg} (another kind of file, or a "
                    "damaged one; `sqlite3 FILE 'PRAGMA integrity_check'` says more)")
        if self.is_sqlite and "disk i/o error" in low and _nearly_full(os.path.dirname(self.url.database) or "."):
            low += " no space"  # SQLite says "disk I/O error" when its -wal or -shm cannot grow
        if "disk is full" in low or "no space" in low:
            return f"no space left for the store {self.display_url}: {msg} (nothing already recorded was changed)"
        return f"store error ({self.display_url}): {msg}"

    def _check_schema_light(self):
        """The light way serves a store of this schema version only (migrating needs SQLAlchemy)."""
        from .version import SCHEMA_VERSION

        try:
            row = self._tx(lambda c: c.exec_driver_sql(
                "SELECT value FROM sweeper_meta WHERE key = 'schema_version'").first(), write=False)
        except StoreError:
            row = None  # no such table, not a database...: the full store says what is wrong
        if row is None or row[0] != str(SCHEMA_VERSION):
            self.dispose()
            raise NeedsFullStore()

    def _ensure_schema(self, create: bool = True):
        from .migrate import ensure_schema
        ensure_schema(self, create)

    def dispose(self):
        self._write.dispose()
        if self._read is not self._write:
            self._read.dispose()


def _no_database(exc) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    text = str(orig or exc).lower()
    return code == "3D000" or ("database" in text and "does not exist" in text)


def _warn(message: str) -> None:
    import sys

    try:
        print(f"sweeper: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _nearly_full(folder: str) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < (1 << 20)


def _transient(exc) -> bool:
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code and (code.startswith("08") or code in ("40001", "40P01", "57P01", "57P02", "57P03")):
        return True
    text = str(orig or exc).lower()
    return any(s in text for s in ("database is locked", "database is busy", "server closed the connection",
                                   "connection refused", "could not connect", "terminating connection",
                                   "connection is closed", "the database system is starting up",
                                   "the database system is shutting down", "consuming input failed",
                                   "timeout expired", "timed out", "could not receive data",
                                   "no route to host", "network is unreachable"))


def _short(exc) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__
