"""Who owns a running run, judged by the store's clock: heartbeats, leases, reaping, fencing.

The invariant (docs/reliability.md has the argument): each grid point is run by at most one
live run at a time, and exactly one run of it ends up counting.

- A run is leased to the agent that claimed it for HEARTBEAT_TIMEOUT seconds from its last
  heartbeat. Every timestamp here is the store's own clock read inside the transaction that
  writes it (PostgreSQL's clock_timestamp(); for SQLite, one machine's clock, read after the
  write lock is held), never a time taken by the agent before a retry: a heartbeat that waited
  out an outage is dated when it committed.
- A run whose lease ran out is reaped (crashed) by whoever claims next; its grid point is free.
  But a store that was away looks exactly like dead agents: every heartbeat is old at once.
  So each heartbeat and claim first checks whether *any* agent of the sweep heartbeat in the
  last OUTAGE_GAP seconds; when none did, the store (or every agent) was away, and the sweep
  records `resumed_at`: no lease is judged expired until HEARTBEAT_TIMEOUT after that, which
  gives every live agent the time to heartbeat again.
- Fencing: every write an agent makes for a run (metric lines, facts, its end) succeeds only
  while that run is still `running` and claimed by that agent. A reaped run never becomes
  running again, so an agent that comes back after its lease ran out (SIGSTOP, a suspended
  laptop, a partition) has its writes refused: it learns at its next heartbeat or write,
  stops its program, and records nothing over the run that replaced it.
- Same host, dead process: a run whose agent's pid no longer exists on this host is reaped at
  once, whatever the clock says (a kill -9 is known for certain).
"""

from __future__ import annotations

import os
import socket
import time

from . import sql
from .errors import StoreError

HEARTBEAT_TIMEOUT = float(os.environ.get("SWEEPER_HEARTBEAT_TIMEOUT", "60"))
# No heartbeat from any agent of a sweep for this long: the store was away, not the agents.
OUTAGE_GAP = HEARTBEAT_TIMEOUT / 2
CRASHED_REASON = "its agent stopped answering (killed, stopped, or cut off from the store)"
STANDALONE_CRASHED_REASON = ("its program stopped answering: no heartbeat for SWEEPER_HEARTBEAT_TIMEOUT s, or "
                             "its process is gone (killed: SIGKILL, out of memory; or its machine was lost)")


class LeaseLost(StoreError):
    """The run is no longer this agent's: its lease ran out and it was reaped."""


class LeasesMixin:
    def _now(self, conn) -> float:
        """The store's clock, inside the current transaction."""
        if self.is_sqlite:
            import time
            return time.time()
        from sqlalchemy import text
        return float(conn.execute(text("SELECT extract(epoch from clock_timestamp())")).scalar())

    def register_agent(self, sweep_id: str, gpus: str | None = None) -> str:
        from . import ids
        from .tables import agents

        aid = ids.new_id()

        def fn(conn):
            now = self._now(conn)
            self._note_outage(conn, sweep_id, now)
            conn.execute(agents.insert().values(
                id=aid, sweep_id=sweep_id, host=socket.gethostname(), pid=os.getpid(), cwd=os.getcwd(),
                gpus=gpus, started_at=now, heartbeat_at=now, state="running"))

        began = time.monotonic()
        self._tx(fn)
        self._beat_written(sweep_id, began)
        return aid

    def heartbeat(self, agent_id: str, run_ids=()) -> dict:
        """Renew the leases of the agent's running runs; return the sweep's state for it to act
        on, `lost`: those of `run_ids` that are no longer its (reaped while it was away), and
        `stop`: {run id: reason} of those a user asked to stop (`sweeper stop RUN_ID`)."""
        lite = self.is_sqlite

        def fn(conn):
            now = self._now(conn)
            sweep_id = sql.run(conn, sql.AGENT_SWEEP, lite, agent=agent_id).scalar()
            if sweep_id is not None:
                self._note_outage(conn, sweep_id, now)  # before this beat counts
            sql.run(conn, sql.BEAT_AGENT, lite, agent=agent_id, now=now)
            sql.run(conn, sql.BEAT_RUNS, lite, sweep=sweep_id, agent=agent_id, now=now)
            lost: list[str] = []
            stop: dict = {}
            if run_ids:
                mine = dict(sql.run(conn, sql.AGENT_RUNNING, lite, sweep=sweep_id, agent=agent_id).all())
                lost = [r for r in run_ids if r not in mine]
                stop = {r: mine[r] for r in run_ids if mine.get(r)}
            row = sql.run(conn, sql.SWEEP_STATE_REASON, lite, sweep=sweep_id).first()
            state, reason = (row[0], row[1]) if row else (None, None)
            return {"state": state, "reason": reason, "lost": lost, "stop": stop, "sweep_id": sweep_id}

        began = time.monotonic()
        answer = self._tx(fn)
        if answer["sweep_id"] is not None:
            self._beat_written(answer.pop("sweep_id"), began)
        return answer

    def _beat_written(self, sweep_id: str, began: float) -> None:
        """This process's agent beat in the sweep, in a transaction begun at `began` (monotonic)."""
        self._beats[sweep_id] = began

    def live_agents(self, sweep_id: str) -> int:
        """How many agents of the sweep heartbeat within HEARTBEAT_TIMEOUT (waiting ones too)."""
        from sqlalchemy import func, select

        from .tables import agents

        def fn(conn):
            return conn.execute(select(func.count()).select_from(agents).where(
                agents.c.sweep_id == sweep_id, agents.c.state == "running",
                agents.c.heartbeat_at > self._now(conn) - HEARTBEAT_TIMEOUT)).scalar() or 0

        return self._tx(fn, write=False)

    def end_agent(self, agent_id: str, reason: str):
        from .tables import agents

        def fn(conn):
            conn.execute(agents.update().where(agents.c.id == agent_id).values(
                state="ended", ended_at=self._now(conn), exit_reason=reason))

        self._tx(fn)

    def _note_outage(self, conn, sweep_id: str, now: float, resumed_at=None) -> float | None:
        """When no agent of the sweep has heartbeat for OUTAGE_GAP seconds, the store was away:
        record when it came back, so that no lease is judged by the silence it caused. Returns
        the sweep's resumed_at as it now stands (`resumed_at`, as the caller read it, or now)."""
        # Every transaction that writes a heartbeat (register, heartbeat, claim) asks this first,
        # so the first writer after an outage always sees the silence before its own beat hides it.
        # Unless this process's own agent beat less than OUTAGE_GAP / 2 ago (by its clock, from
        # before that transaction began): then the latest beat is at most that old, and there
        # was no silence; a claim, once per run, is spared the query.
        beat = self._beats.get(sweep_id)
        if beat is not None and time.monotonic() - beat < OUTAGE_GAP / 2:
            return resumed_at
        last = sql.run(conn, sql.LAST_AGENT_BEAT, self.is_sqlite, sweep=sweep_id).scalar()
        if last is not None and now - last > OUTAGE_GAP:
            sql.run(conn, sql.SET_RESUMED, self.is_sqlite, sweep=sweep_id, now=now)
            return now
        return resumed_at

    def _reap(self, conn, sweep_id: str, now: float, sweep_row=None) -> list[str]:
        """Mark crashed the running runs whose lease ran out (or whose agent process is gone from
        this host); return their IDs. sweep_row: the sweep's row, if the caller has read it in
        this transaction (a claim has: one round trip fewer under the sweep's lock)."""
        if sweep_row is None:
            resumed = sql.run(conn, sql.SWEEP_RESUMED, self.is_sqlite, sweep=sweep_id).scalar()
        else:
            resumed = sweep_row["resumed_at"]
        resumed = self._note_outage(conn, sweep_id, now, resumed)
        # Leases are only judged over time the store was answering.
        judge_clock = (resumed is None) or (now - resumed > HEARTBEAT_TIMEOUT)
        stale = now - HEARTBEAT_TIMEOUT
        rows = sql.run(conn, sql.REAPABLE, self.is_sqlite, sweep=sweep_id, stale=stale if judge_clock else 0.0,
                       host=socket.gethostname()).all()
        dead = _expired(rows, stale if judge_clock else None)
        for rid in dead:
            sql.run(conn, sql.CRASH_RUN, self.is_sqlite, run=rid, now=now, reason=CRASHED_REASON)
        if dead and judge_clock:
            sql.run(conn, sql.CRASH_AGENTS, self.is_sqlite, sweep=sweep_id, stale=stale)
        return dead

    def reap(self, sweep_id: str) -> list[str]:
        return self._tx(lambda c: self._reap(c, sweep_id, self._now(c)))

    # ---- standalone runs (sweeper.init() outside a sweep) --------------------------------
    # Leased to their own process: it heartbeats (program/standalone.py), `runs.host` and
    # `runs.pid` are its own. No outage allowance: a standalone run has no fellow agents whose
    # silence would tell a store that was away from a dead program.

    def beat_run(self, run_id: str) -> tuple[bool, str | None]:
        """Renew a standalone run's lease: (whether it is still running, False once it was
        reaped; why a user asked to stop it, if one did: `sweeper stop RUN_ID`)."""
        from sqlalchemy import select

        from .tables import runs

        def fn(conn):
            q = runs.update().where(runs.c.id == run_id, runs.c.state == "running")
            if conn.execute(q.values(heartbeat_at=self._now(conn))).rowcount == 0:
                return False, None
            return True, conn.execute(select(runs.c.stop_requested).where(runs.c.id == run_id)).scalar()

        return self._tx(fn)

    def _standalone_expired(self, conn, project: str | None, now: float) -> list[str]:
        from sqlalchemy import select

        from .tables import runs

        q = select(runs.c.id, runs.c.heartbeat_at, runs.c.host, runs.c.pid).where(
            runs.c.sweep_id.is_(None), runs.c.agent_id.is_(None), runs.c.state == "running")
        if project is not None:
            q = q.where(runs.c.project == project)
        return _expired(conn.execute(q).all(), now - HEARTBEAT_TIMEOUT)

    def reap_standalone(self, project: str | None = None) -> list[str]:
        """Mark crashed the standalone runs (of `project`) whose heartbeat is older than
        HEARTBEAT_TIMEOUT or whose process is gone from this host; return their IDs.

        Looks first in a read transaction, so a reader of a store it cannot write (or of one
        with nothing to reap) never takes the write lock; a failed write leaves things as they were."""
        if not self._tx(lambda c: self._standalone_expired(c, project, self._now(c)), write=False):
            return []
        from .tables import runs

        def fn(conn):
            now = self._now(conn)
            dead = self._standalone_expired(conn, project, now)
            if dead:
                conn.execute(runs.update().where(runs.c.id.in_(dead), runs.c.state == "running").values(
                    state="crashed", ended_at=now, stop_reason=STANDALONE_CRASHED_REASON))
            return dead

        try:
            return self._write_briefly(fn)
        except StoreError:
            return []

    def _write_briefly(self, fn, wait_ms: int = 1000):
        """One write transaction that waits at most wait_ms for a lock, else StoreError: a
        reader's housekeeping must not hang behind a writer that was stopped holding one."""
        if not self.is_sqlite:
            def pg(conn):
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
                return fn(conn)
            return self._tx(pg)
        DBAPIError = self._db_errors  # noqa: N806 - SQLAlchemy's, or sqlite3's on a light store (lite.py)
        try:
            with self._write.connect() as conn:
                raw = conn.connection.dbapi_connection
                usual = raw.execute("PRAGMA busy_timeout").fetchone()[0]
                raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
                try:
                    with conn.begin():
                        return fn(conn)
                finally:
                    raw.execute(f"PRAGMA busy_timeout={int(usual)}")
        except DBAPIError as exc:
            raise StoreError(self._explain(exc)) from None


def _expired(rows, stale: float | None) -> list[str]:
    """IDs of (id, heartbeat_at, host, pid) rows whose lease ran out: a pid gone from this host
    (a kill -9 is known for certain), or, when `stale` is given, a heartbeat older than it."""
    me = socket.gethostname()
    dead: list[str] = []
    for rid, beat, host, pid in rows:
        gone_here = host == me and pid is not None and not _pid_alive(pid)
        if gone_here or (stale is not None and (beat or 0) < stale):
            dead.append(rid)
    return dead


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
