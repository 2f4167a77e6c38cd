"""A light way into an SQLite store for the commands that read (status, runs, export, best):
the standard library's sqlite3 instead of SQLAlchemy, whose import is most of such a
command's start-up (about 0.1-0.2 s of CPU, more than the rest of `status` at 10,000 runs).

It offers what the store's statements use (`begin()`, `connect()`, `exec_driver_sql`, results
with `mappings`, `first`, `scalar`, `all`, `rowcount`), so the SQL text of store/sql.py runs
unchanged. A SQLAlchemy expression that reaches it (a path not written as SQL text) is
compiled for SQLite then, paying the import only there: the light way is never wrong, at
worst not light. Booleans come back as SQLite keeps them (0 and 1), as through `sql.run`.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager


class LiteURL:
    """What the store reads of its URL (sqlalchemy.engine.URL's names)."""

    def __init__(self, path: str):
        self.database = path

    def get_backend_name(self) -> str:
        return "sqlite"

    def render_as_string(self, hide_password: bool = True) -> str:
        return f"sqlite:///{self.database}"

    def __str__(self) -> str:
        return self.render_as_string()


class LiteEngine:
    """One sqlite3 connection, transactions begun with `begin_sql` (BEGIN or BEGIN IMMEDIATE)."""

    def __init__(self, path: str, begin_sql: str):
        self.path, self.begin_sql = path, begin_sql
        self._conn: sqlite3.Connection | None = None

    def _raw(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=60000")
            self._conn = conn
        return self._conn

    @contextmanager
    def begin(self):
        conn = LiteConnection(self._raw(), self.begin_sql)
        with conn.begin():
            yield conn

    @contextmanager
    def connect(self):
        yield LiteConnection(self._raw(), self.begin_sql)

    def dispose(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class LiteConnection:
    def __init__(self, raw: sqlite3.Connection, begin_sql: str = "BEGIN"):
        self.raw = raw
        self.begin_sql = begin_sql

    @property
    def connection(self):
        """SQLAlchemy's pooled connection's names for the driver's own connection."""
        return _Driver(self.raw)

    @contextmanager
    def begin(self):
        self.raw.execute(self.begin_sql)
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def execution_options(self, **_options) -> "LiteConnection":
        return self  # sqlite3 reads rows as they are fetched already

    def exec_driver_sql(self, statement: str, params=None) -> "LiteResult":
        return LiteResult(self.raw.execute(statement, params or ()))

    def execute(self, clause, params=None) -> "LiteResult":
        """A SQLAlchemy expression, compiled for SQLite here (the import is paid on this path only)."""
        statement, values = _compile(clause)
        if params:
            values = {**values, **params}
        return LiteResult(self.raw.execute(statement, values))


class _Driver:
    def __init__(self, raw):
        self.dbapi_connection = self.driver_connection = raw


class LiteResult:
    def __init__(self, cursor: sqlite3.Cursor):
        self.cursor = cursor
        self.rowcount = cursor.rowcount
        self._names = [d[0] for d in cursor.description] if cursor.description else []

    def __iter__(self):
        return iter(self.cursor)

    def first(self):
        row = self.cursor.fetchone()
        self.cursor.close()
        return row

    def scalar(self):
        row = self.first()
        return None if row is None else row[0]

    def all(self) -> list:
        return self.cursor.fetchall()

    def mappings(self) -> "LiteMappings":
        return LiteMappings(self)


class LiteMappings:
    def __init__(self, result: LiteResult):
        self.result = result

    def __iter__(self):
        names = self.result._names
        return (dict(zip(names, row)) for row in self.result.cursor)

    def first(self) -> dict | None:
        row = self.result.first()
        return None if row is None else dict(zip(self.result._names, row))

    def all(self) -> list[dict]:
        return list(self)


_DIALECT = []


def _compile(clause) -> tuple[str, dict]:
    if not _DIALECT:
        from sqlalchemy.dialects import sqlite
        _DIALECT.append(sqlite.dialect(paramstyle="named"))
    compiled = clause.compile(dialect=_DIALECT[0], compile_kwargs={"render_postcompile": True})
    return str(compiled), dict(compiled.params)
