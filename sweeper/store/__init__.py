"""The store: the only state agents share. SQLite by default, PostgreSQL by URL.

Agents coordinate through it alone. A claim takes an exclusive lock for its sweep
(BEGIN IMMEDIATE on SQLite, SELECT ... FOR UPDATE of the sweep's row on PostgreSQL),
so two agents never get the same grid point, and a partial unique index on
(sweep_id, grid_index) backs that up in the database itself.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import ids
from . import location
from .errors import NotFound, StoreError, StoreUnavailable

__all__ = ["Store", "open_store", "NotFound", "StoreError", "StoreUnavailable", "Claim",
           "TERMINAL"]

TERMINAL = ("finished", "failed", "crashed", "stopped")
SWEEP_STATES = ("running", "paused", "finished", "canceled")
GRID_EXHAUSTED = "grid exhausted"
HEARTBEAT_TIMEOUT = float(os.environ.get("SWEEPER_HEARTBEAT_TIMEOUT", "60"))


def dumps(value) -> str:
    return json.dumps(value, default=str)


@dataclass
class Claim:
    """What a claim gave: a run to start, or why there is none (`stop`, in words; `code`)."""
    run: dict | None = None
    stop: str | None = None
    code: str | None = None  # paused, canceled, finished, exhausted, run_cap, target


def open_store(url: str | None = None, start=None) -> "Store":
    sa_url, root = location.resolve(url, start)
    return Store(sa_url, root)


class Store:
    def __init__(self, sa_url: str, root: Path):
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url

        self.url = make_url(sa_url)
        self.root = Path(root)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.unavailable_timeout = float(os.environ.get("SWEEPER_STORE_TIMEOUT", "120"))
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
            self._write = create_engine(sa_url, pool_pre_ping=True, pool_size=2, max_overflow=4,
                                        connect_args={"connect_timeout": 10})
            self._read = self._write
        self._ensure_schema()

    # ---- plumbing -----------------------------------------------------------------

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
        from sqlalchemy.exc import DBAPIError

        engine = self._write if write else self._read
        deadline = time.monotonic() + self.unavailable_timeout
        delay = 0.05
        while True:
            try:
                with engine.begin() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                if not _transient(exc):
                    raise StoreError(self._explain(exc)) from None
                if time.monotonic() > deadline:
                    raise StoreUnavailable(f"the store at {self.display_url} has not answered for "
                                           f"{self.unavailable_timeout:.0f} s: {_short(exc)}") from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _explain(self, exc) -> str:
        msg = _short(exc)
        low = msg.lower()
        if self.is_sqlite and "unable to open" in low:
            path = self.url.database
            folder = os.path.dirname(path) or "."
            if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
                return (f"the store {path} is read-only: SQLite needs to write the file and to create "
                        f"its -wal and -shm files beside it in {folder} ({msg})")
        if "readonly" in low or "read-only" in low:
            return f"the store {self.display_url} is read-only: {msg}"
        if "disk is full" in low or "no space" in low:
            return f"no space left for the store {self.display_url}: {msg} (nothing already recorded was changed)"
        return f"store error ({self.display_url}): {msg}"

    def _ensure_schema(self):
        from .migrate import ensure_schema
        ensure_schema(self)

    def dispose(self):
        self._write.dispose()
        if self._read is not self._write:
            self._read.dispose()

    # ---- sweeps --------------------------------------------------------------------

    def create_sweep(self, config, name=None, project=None, entity=None) -> dict:
        from .tables import sweeps

        norm = config.normalized
        now = time.time()
        raw = config.text if config.text is not None else dumps(config.raw)

        def fn(conn):
            for _ in range(20):
                sid = ids.new_id()
                if conn.execute(sweeps.select().where(sweeps.c.id == sid)).first() is None:
                    break
            conn.execute(sweeps.insert().values(
                id=sid, name=name or norm.get("name"), project=project or norm.get("project"),
                entity=entity or norm.get("entity"), method=norm["method"], state="running",
                config=dumps(norm), config_raw=raw, source=config.source, created_at=now, updated_at=now))
            return sid

        return self.get_sweep(self._tx(fn))

    def get_sweep(self, ref: str) -> dict:
        from .tables import sweeps

        entity, project, sid = ids.parse_sweep_ref(ref)
        row = self._tx(lambda c: c.execute(sweeps.select().where(sweeps.c.id == sid)).mappings().first(),
                       write=False)
        if row is None:
            raise NotFound(f"no sweep '{sid}' in {self.display_url} (`sweeper sweeps` lists the sweeps there)")
        sweep = _sweep_dict(row)
        if project and sweep["project"] and project != sweep["project"]:
            raise NotFound(f"sweep '{sid}' belongs to project '{sweep['project']}', not '{project}'")
        if entity and sweep["entity"] and entity != sweep["entity"]:
            raise NotFound(f"sweep '{sid}' belongs to entity '{sweep['entity']}', not '{entity}'")
        return sweep

    def list_sweeps(self) -> list[dict]:
        from sqlalchemy import func, select
        from .tables import runs, sweeps

        def fn(conn):
            counts: dict = {}
            q = (select(runs.c.sweep_id, runs.c.state, func.count())
                 .where(runs.c.sweep_id.is_not(None)).group_by(runs.c.sweep_id, runs.c.state))
            for sid, state, n in conn.execute(q):
                counts.setdefault(sid, {})[state] = n
            out = []
            for row in conn.execute(sweeps.select().order_by(sweeps.c.created_at)).mappings():
                d = _sweep_dict(row)
                d["run_counts"] = counts.get(d["id"], {})
                out.append(d)
            return out

        return self._tx(fn, write=False)

    def set_sweep_state(self, sweep_id: str, state: str, reason: str | None = None,
                        only_from: tuple | None = None, target_run_id: str | None = None) -> dict:
        from .tables import sweeps

        assert state in SWEEP_STATES
        values = dict(state=state, ended_reason=reason, updated_at=time.time())
        if target_run_id is not None:
            values["target_run_id"] = target_run_id

        def fn(conn):
            q = sweeps.update().where(sweeps.c.id == sweep_id)
            if only_from:
                q = q.where(sweeps.c.state.in_(only_from))
            conn.execute(q.values(**values))

        self._tx(fn)
        return self.get_sweep(sweep_id)

    # ---- agents --------------------------------------------------------------------

    def register_agent(self, sweep_id: str, gpus: str | None = None) -> str:
        from .tables import agents

        aid = ids.new_id()
        now = time.time()
        self._tx(lambda c: c.execute(agents.insert().values(
            id=aid, sweep_id=sweep_id, host=socket.gethostname(), pid=os.getpid(), cwd=os.getcwd(),
            gpus=gpus, started_at=now, heartbeat_at=now, state="running")))
        return aid

    def heartbeat(self, agent_id: str) -> dict:
        """Mark the agent and its running runs alive; return the sweep's state for it to act on."""
        from sqlalchemy import select
        from .tables import agents, runs, sweeps

        now = time.time()

        def fn(conn):
            conn.execute(agents.update().where(agents.c.id == agent_id).values(heartbeat_at=now))
            conn.execute(runs.update().where(runs.c.agent_id == agent_id, runs.c.state == "running")
                         .values(heartbeat_at=now))
            row = conn.execute(select(sweeps.c.state, sweeps.c.ended_reason)
                               .select_from(sweeps.join(agents, agents.c.sweep_id == sweeps.c.id))
                               .where(agents.c.id == agent_id)).first()
            return {"state": row[0], "reason": row[1]} if row else {"state": None, "reason": None}

        return self._tx(fn)

    def end_agent(self, agent_id: str, reason: str):
        from .tables import agents

        self._tx(lambda c: c.execute(agents.update().where(agents.c.id == agent_id).values(
            state="ended", ended_at=time.time(), exit_reason=reason)))

    # ---- claiming --------------------------------------------------------------------

    def claim(self, sweep_id: str, agent_id: str, choose: Callable, retry_failed: bool = False,
              gpu: str | None = None, limit_reason: Callable | None = None) -> Claim:
        """Pick the sweep's next run under an exclusive lock and record it as running.

        `choose(sweep, runs, retry_failed)` returns (params, grid_index) for the next run, or
        None when the method has nothing left (a grid that every point covers).
        """
        from sqlalchemy import select
        from .tables import runs, sweeps

        began = time.time()

        def fn(conn):
            q = sweeps.select().where(sweeps.c.id == sweep_id)
            if not self.is_sqlite:
                q = q.with_for_update()
            row = conn.execute(q).mappings().first()
            if row is None:
                raise NotFound(f"no sweep '{sweep_id}'")
            sweep = _sweep_dict(row)
            now = time.time()
            self._reap(conn, sweep_id, now)
            # A grid that ran out may still hold failed points that --retry-failed runs again.
            reopen = (retry_failed and sweep["state"] == "finished"
                      and (sweep["ended_reason"] or "").startswith(GRID_EXHAUSTED))
            if sweep["state"] != "running" and not reopen:
                why = sweep["ended_reason"] or f"the sweep is {sweep['state']}"
                return Claim(stop=why, code=sweep["state"])
            if sweep["method"] == "bayes":
                q = runs.select()
            else:  # grid and random need no parameters or metrics: skip decoding them
                q = select(runs.c.id, runs.c.number, runs.c.state, runs.c.grid_index, runs.c.superseded)
            history = [_run_dict(r) for r in conn.execute(
                q.where(runs.c.sweep_id == sweep_id).order_by(runs.c.number)).mappings()]
            live = [r for r in history if not r["superseded"]]
            cap = sweep["config"].get("run_cap")
            if cap is not None and len(live) >= cap:
                reason = f"run_cap reached: the sweep has {len(live)} runs of {cap}"
                if not any(r["state"] == "running" for r in live):
                    conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                        state="finished", ended_reason=reason, updated_at=now))
                return Claim(stop=reason, code="run_cap")
            choice = choose(sweep, history, retry_failed)
            if choice is None:
                running = sum(1 for r in live if r["state"] == "running")
                if running:
                    # Not finished yet: if one of these crashes, its point must be run again.
                    return Claim(stop=f"every grid point is taken ({running} still running)", code="exhausted")
                reason = f"{GRID_EXHAUSTED}: every grid point has a run"
                conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                    state="finished", ended_reason=reason, updated_at=now))
                return Claim(stop=reason, code="exhausted")
            if reopen:
                conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                    state="running", ended_reason=None, updated_at=now))
            params, grid_index = choice
            if grid_index is not None and any(r["grid_index"] == grid_index for r in live):
                # The point was crashed (or failed, with --retry-failed): hand it over.
                conn.execute(runs.update().where(runs.c.sweep_id == sweep_id, runs.c.grid_index == grid_index,
                                                 runs.c.superseded.is_(False), runs.c.state.in_(TERMINAL))
                             .values(superseded=True))
            # Every round trip here is made holding the sweep's lock: derive what we can.
            number = max((r["number"] or 0 for r in history), default=0) + 1
            rid = ids.new_id()  # 36^8 IDs: a clash is as likely as a disk error, and the key would refuse it
            values = dict(id=rid, sweep_id=sweep_id, project=sweep["project"], number=number, state="running",
                          params=dumps(params), grid_index=grid_index, superseded=False, agent_id=agent_id,
                          host=socket.gethostname(), gpu=gpu, created_at=now, heartbeat_at=now,
                          claim_ms=(time.time() - began) * 1000)
            conn.execute(runs.insert().values(**values))
            return Claim(run=_run_dict(values))

        return self._tx(fn)

    def create_run(self, project: str | None, params: dict, **values) -> dict:
        """A run outside any sweep (sweeper.init() in a plain script)."""
        from .tables import runs

        now = time.time()

        def fn(conn):
            row = dict(id=ids.new_id(), sweep_id=None, project=project, number=None, state="running",
                       params=dumps(params), superseded=False, created_at=now, heartbeat_at=now, **values)
            conn.execute(runs.insert().values(**_encode(row)))
            return row

        return _run_dict(self._tx(fn))

    def _reap(self, conn, sweep_id: str, now: float) -> list[str]:
        """Mark crashed the running runs whose agent is gone; return their IDs."""
        from sqlalchemy import select
        from .tables import agents, runs

        dead: list[str] = []
        stale = now - HEARTBEAT_TIMEOUT
        rows = conn.execute(select(runs.c.id, runs.c.heartbeat_at, agents.c.host, agents.c.pid)
                            .select_from(runs.outerjoin(agents, agents.c.id == runs.c.agent_id))
                            .where(runs.c.sweep_id == sweep_id, runs.c.state == "running")).all()
        me = socket.gethostname()
        dead_agents = set()
        for rid, beat, host, pid in rows:
            gone_here = host == me and pid is not None and not _pid_alive(pid)
            if gone_here or (beat or 0) < stale:
                dead.append(rid)
                if gone_here:
                    dead_agents.add(pid)
        if dead:
            conn.execute(runs.update().where(runs.c.id.in_(dead), runs.c.state == "running").values(
                state="crashed", ended_at=now,
                stop_reason="its agent stopped answering (killed, or lost the store)"))
            conn.execute(agents.update().where(agents.c.sweep_id == sweep_id, agents.c.state == "running",
                                               agents.c.heartbeat_at < stale).values(state="crashed"))
        return dead

    def reap(self, sweep_id: str) -> list[str]:
        return self._tx(lambda c: self._reap(c, sweep_id, time.time()))

    # ---- runs ------------------------------------------------------------------------

    def update_run(self, run_id: str, **values):
        from .tables import runs

        values = _encode(values)
        self._tx(lambda c: c.execute(runs.update().where(runs.c.id == run_id).values(**values)))

    def finish_run(self, run_id: str, state: str, **values):
        """Record a run's end; a run already ended (crashed by a reaper, say) keeps the new facts.

        The last run of a sweep that has nothing left to do (its run_cap reached, every grid
        point run) finishes the sweep too, so that `status` says so even when no agent asks
        for another run.
        """
        from .tables import runs

        assert state in TERMINAL
        values = _encode(values)
        values.setdefault("ended_at", time.time())

        def fn(conn):
            conn.execute(runs.update().where(runs.c.id == run_id).values(state=state, **values))
            sweep_id = conn.execute(runs.select().with_only_columns(runs.c.sweep_id)
                                    .where(runs.c.id == run_id)).scalar()
            if sweep_id is not None:
                self._settle(conn, sweep_id)

        self._tx(fn)

    def _settle(self, conn, sweep_id: str):
        from sqlalchemy import select
        from .tables import runs, sweeps

        row = conn.execute(select(sweeps.c.state, sweeps.c.config).where(sweeps.c.id == sweep_id)).first()
        if row is None or row[0] != "running":
            return
        live = conn.execute(select(runs.c.state, runs.c.grid_index).where(
            runs.c.sweep_id == sweep_id, runs.c.superseded.is_(False))).all()
        if any(state == "running" for state, _ in live):
            return
        config = json.loads(row[1])
        reason = None
        if config.get("run_cap") and len(live) >= config["run_cap"]:
            reason = f"run_cap reached: the sweep has {len(live)} runs of {config['run_cap']}"
        elif config["method"] == "grid":
            from ..methods import grid
            from ..space import Space
            covered = {g for state, g in live if g is not None and state != "crashed"}
            if len(covered) >= grid.size(Space(config["parameters"])):
                reason = f"{GRID_EXHAUSTED}: every grid point has a run"
        if reason:
            conn.execute(sweeps.update().where(sweeps.c.id == sweep_id, sweeps.c.state == "running")
                         .values(state="finished", ended_reason=reason, updated_at=time.time()))

    def add_metrics(self, run_id: str, sweep_id: str | None, rows: list[tuple], run_values: dict):
        """Append metric lines and update the run's summary in one transaction.

        rows: (seq, step, ts, data_text, mval, miter) tuples, as the tailer makes them.
        """
        from .tables import runs

        def fn(conn):
            if rows:
                dbapi = conn.connection.driver_connection
                sql = ("INSERT INTO metrics (run_id, seq, sweep_id, step, ts, data, mval, miter) "
                       "VALUES ({p},{p},{p},{p},{p},{p},{p},{p})").format(p="?" if self.is_sqlite else "%s")
                cur = dbapi.cursor()
                try:
                    cur.executemany(sql, [(run_id, r[0], sweep_id) + tuple(r[1:]) for r in rows])
                finally:
                    cur.close()
            if run_values:
                conn.execute(runs.update().where(runs.c.id == run_id).values(**_encode(run_values)))

        self._tx(fn)

    def get_run(self, run_id: str) -> dict:
        from .tables import runs

        row = self._tx(lambda c: c.execute(runs.select().where(runs.c.id == run_id)).mappings().first(),
                       write=False)
        if row is None:
            raise NotFound(f"no run '{run_id}' in {self.display_url}")
        return _run_dict(row)

    def runs(self, sweep_id: str | None = None, project: str | None = None,
             include_superseded: bool = True) -> list[dict]:
        from .tables import runs

        def fn(conn):
            q = runs.select().order_by(runs.c.created_at)
            if sweep_id is not None:
                q = q.where(runs.c.sweep_id == sweep_id)
            if project is not None:
                q = q.where(runs.c.project == project)
            if not include_superseded:
                q = q.where(runs.c.superseded.is_(False))
            return [_run_dict(r) for r in conn.execute(q).mappings()]

        return self._tx(fn, write=False)

    def metric_rows(self, run_id: str) -> list[dict]:
        from .tables import metrics

        def fn(conn):
            q = metrics.select().where(metrics.c.run_id == run_id).order_by(metrics.c.seq)
            return [dict(r) for r in conn.execute(q).mappings()]

        return self._tx(fn, write=False)

    def band_values(self, sweep_id: str, band: int, exclude_run: str | None = None) -> list[float]:
        """The sweep metric of every run of the sweep at its `band`-th finite value."""
        from sqlalchemy import select
        from .tables import metrics

        q = select(metrics.c.mval).where(metrics.c.sweep_id == sweep_id, metrics.c.miter == band)
        if exclude_run is not None:
            q = q.where(metrics.c.run_id != exclude_run)
        return self._tx(lambda c: [v for (v,) in c.execute(q)], write=False)

    def count_runs(self, sweep_id: str) -> dict:
        from sqlalchemy import func, select
        from .tables import runs

        def fn(conn):
            q = (select(runs.c.state, func.count()).where(runs.c.sweep_id == sweep_id,
                                                          runs.c.superseded.is_(False))
                 .group_by(runs.c.state))
            return {s: n for s, n in conn.execute(q)}

        return self._tx(fn, write=False)


def _encode(values: dict) -> dict:
    """The runs table keeps params, command and summary as JSON text."""
    out = dict(values)
    for key in ("params", "command", "summary"):
        if out.get(key) is not None and not isinstance(out[key], str):
            out[key] = dumps(out[key])
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_dict(row) -> dict:
    d = dict(row)
    d["config"] = json.loads(d["config"])
    return d


def _run_dict(row) -> dict:
    d = dict(row)
    for key in ("params", "command", "summary"):
        if isinstance(d.get(key), str):
            d[key] = json.loads(d[key])
    d.setdefault("summary", None)
    d["superseded"] = bool(d.get("superseded"))
    return d


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
                                   "the database system is shutting down", "consuming input failed"))


def _short(exc) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__
