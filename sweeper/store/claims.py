"""Claiming a sweep's next run under the sweep's lock, and reaping the runs of dead agents.

A claim takes an exclusive lock for its sweep (BEGIN IMMEDIATE on SQLite, SELECT ... FOR
UPDATE of the sweep's row on PostgreSQL), so two agents never get the same grid point; a
partial unique index on (sweep_id, grid_index) backs that up in the database itself.

A method that fits a model to every run (bayes) does not choose under the lock, or parallel
agents would queue behind each other's fits: the claim reserves the run under the lock (the
sweep's state and run_cap checked, a number given, the run inserted as `running` with no
parameters yet), suggests outside it from every run whose parameters are chosen (running ones
are pending points for the method, so each suggestion sees those committed before it began),
and then writes the parameters into its own run. Runs that finish meanwhile do not change
the suggestion; but if another run got its parameters meanwhile (an agent that suggested at
the same moment, from the same runs, and whose model likely chose the same point), the
suggestion is made again with that run pending. The draws are seeded by the reserved run's
number, so two agents suggesting at once never share a seed.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Callable

from . import ids, sql
from .encoding import RERUN, dumps, loads, run_dict, sweep_dict
from .errors import NotFound
from .history import Snapshot, SweepHistory, method_runs

GRID_EXHAUSTED = "grid exhausted"
# Methods whose choice reads every run and fits a model to them: chosen outside the sweep's lock.
SUGGESTED_OUTSIDE_LOCK = frozenset({"bayes"})
# A reserved run's parameters until its suggestion is written: JSON that every reader can take.
RESERVED_PARAMS: dict = {}
SUGGESTIONS = 3  # suggestions of a reserved run while others are written first; the last under the lock


@dataclass
class Claim:
    """What a claim gave: a run to start, or why there is none (`stop`, in words; `code`)."""
    run: dict | None = None
    stop: str | None = None
    code: str | None = None  # paused, canceled, finished, failing, exhausted, run_cap, target
    detail: str | None = None  # failing: the last failed run's output
    revision: int = 1  # the sweep's revision the run was claimed under (`sweeper sweep --update`)


class ClaimsMixin:
    def claim(self, sweep_id: str, agent_id: str, choose: Callable, retry_failed: bool = False,
              gpu: str | None = None, limit_reason: Callable | None = None,
              max_failures: int | None = None) -> Claim:
        """Pick the sweep's next run under an exclusive lock and record it as running.

        max_failures: the claiming agent's failure guard. A sweep whose failed runs in a row
        already number that many (counted while agents with a looser guard ran) becomes
        failing here, before one more run fails.

        `choose(sweep, history, retry_failed)` returns (params, grid_index) for the next run, or
        None when the method has nothing left (a grid that every point covers); `history` is
        a SweepHistory (history.py), which reads from the database what the method asks.
        """
        from sqlalchemy import select

        from .tables import runs, sweeps

        began = time.monotonic()
        lite = self.is_sqlite

        def fn(conn):
            read.clear()  # a retried transaction starts afresh
            row = sql.run(conn, sql.SWEEP_ROW if lite else sql.SWEEP_ROW_LOCKED, lite,
                          sweep=sweep_id).mappings().first()
            if row is None:
                raise NotFound(f"no sweep '{sweep_id}'")
            sweep = sweep_dict(row)
            now = self._now(conn)
            self._reap(conn, sweep_id, now, sweep_row=row)
            # A grid that ran out may still hold failed points that --retry-failed runs again.
            reopen = (retry_failed and sweep["state"] == "finished"
                      and (sweep["ended_reason"] or "").startswith(GRID_EXHAUSTED))
            if sweep["state"] != "running" and not reopen:
                why = sweep["ended_reason"] or f"the sweep is {sweep['state']}"
                if sweep["state"] == "failing" and sweep.get("last_failed_run"):
                    error = conn.execute(select(runs.c.error).where(
                        runs.c.id == sweep["last_failed_run"])).scalar()
                    return Claim(stop=why, code="failing", detail=error)
                return Claim(stop=why, code=sweep["state"])
            streak = sweep.get("failure_streak") or 0
            if max_failures and streak >= max_failures and not reopen:
                from .runs import mark_failing

                why = mark_failing(conn, sweep_id, streak, sweep.get("last_failed_run"))
                error = conn.execute(select(runs.c.error).where(runs.c.id == sweep.get("last_failed_run"))).scalar()
                return Claim(stop=why, code="failing", detail=error)
            # The method reads what it needs of the runs, from indexes (history.py): a claim
            # costs about the same at 10 runs or 10,000.
            history = SweepHistory(conn, sweep_id, lite, gaps=bool(sweep.get("grid_gaps")))
            cap = sweep["config"].get("run_cap")
            # Queued parameter sets first (queue.py): a user asked for them, so they run even at the run_cap.
            taken = self._take_queued(conn, sweep_id)
            if taken is None:
                if history.has_reached(cap):
                    reason = f"run_cap reached: the sweep has {history.live_count()} runs of {cap}"
                    if not history.running_count():
                        conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                            state="finished", ended_reason=reason, updated_at=now))
                    return Claim(stop=reason, code="run_cap")
                if sweep["config"]["method"] in SUGGESTED_OUTSIDE_LOCK:
                    choice = RESERVED_PARAMS, None  # reserved: chosen after the lock (_suggest_reserved)
                    read["reserved"] = True
                else:
                    choice = choose(sweep, history, retry_failed)
                if choice is None:  # only grid runs out
                    running = history.running_count()
                    if running:
                        # Not finished yet: if one of these crashes, its point must be run again.
                        return Claim(stop=f"every grid point is taken ({running} still running)", code="exhausted")
                    reason = f"{GRID_EXHAUSTED}: every grid point has a run"
                    conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                        state="finished", ended_reason=reason, updated_at=now))
                    return Claim(stop=reason, code="exhausted")
                (params, grid_index), origin = choice, None
            elif taken["replaces"] is not None:
                params, grid_index, origin = taken["params"], taken["replaces"]["grid_index"], "rerun"
            else:
                params, origin = taken["params"], "queued"
                grid_index = self._queued_point(conn, sweep, history, params)
            if reopen:
                conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                    state="running", ended_reason=None, updated_at=now))
            if grid_index is not None and origin != "rerun":
                # If the point was crashed (or failed, with --retry-failed), hand it over.
                sql.run(conn, sql.SUPERSEDE_POINT, lite, sweep=sweep_id, point=grid_index)
            # Every round trip here is made holding the sweep's lock: derive what we can.
            rid = ids.new_id()  # 36^8 IDs: a clash is as likely as a disk error, and the key would refuse it
            values = dict(id=rid, sweep_id=sweep_id, project=sweep["project"], number=history.next_number,
                          state="running", params=dumps(params), grid_index=grid_index, superseded=False,
                          agent_id=agent_id, host=socket.gethostname(), gpu=gpu, created_at=now, heartbeat_at=now,
                          claim_ms=(time.monotonic() - began) * 1000, origin=origin)
            sql.run(conn, sql.NEW_RUN, lite, **values)
            if taken is not None:
                sql.run(conn, sql.QUEUE_TAKEN, lite, run=rid, entry=taken["qid"])
            read["sweep"] = sweep
            return Claim(run=run_dict(values), revision=sweep.get("revision") or 1)

        while True:
            read: dict = {}  # the sweep as the claim's transaction read it; whether it reserved the run
            claim = self._tx(fn)
            if claim.run is None or not read.get("reserved"):
                return claim
            run = self._suggest_reserved(read["sweep"], claim.run, choose, retry_failed, began)
            if run is not None:
                return Claim(run=run, revision=claim.revision)
            # Reaped while its suggestion was made (the agent was away for a whole lease): claim anew.

    def _suggest_reserved(self, sweep: dict, run: dict, choose: Callable, retry_failed: bool,
                          began: float) -> dict | None:
        """Choose a reserved run's parameters outside the sweep's lock and write them into it;
        None if the run was reaped meanwhile. If choosing fails, the run is recorded crashed
        (not left running without parameters) and the error goes on to the caller.

        Agents that suggest at the same moment see the same runs, and a model would send them
        to the same point: so the parameters are written only if no other run got its own since
        this suggestion read the runs; otherwise it is made again, seeing that run pending. An
        agent outpaced SUGGESTIONS - 1 times (a slow one among fast ones) makes its last one
        under the sweep's lock, as every claim once did: never from runs it knows to be stale."""
        try:
            for attempt in range(1, SUGGESTIONS + 1):
                last = attempt == SUGGESTIONS
                outcome = self._tx(lambda c: self._suggest(c, sweep, run, choose, retry_failed, began, last),
                                   write=last)
                if outcome[0] == "stale":  # read outside the lock: check and write under it
                    outcome = self._tx(lambda c: self._write_suggestion(c, sweep["id"], run, *outcome[1:]))
                if outcome[0] != "stale":
                    return outcome[1] if outcome[0] == "written" else None
        except BaseException as exc:
            try:
                self.finish_run(run["id"], "crashed", stop_reason=f"its parameters could not be chosen: {exc!r}"[:500])
            except Exception:  # noqa: BLE001 - the store may be what failed: the lease then runs out
                pass
            raise

    def _suggest(self, conn, sweep, run, choose, retry_failed, began, locked: bool) -> tuple:
        """Read the runs, suggest. Outside the lock: ("stale", params, claim_ms, known) for
        _write_suggestion to check and write; under it (locked): written at once."""
        lite = self.is_sqlite
        if locked and not lite:
            sql.run(conn, sql.SWEEP_ROW_LOCKED, lite, sweep=sweep["id"])
        from .revisions import read_priors

        rows = method_runs(conn, sweep["id"], lite, capped=True)
        others = [r for r in rows if not _unchosen(r)]
        snapshot = Snapshot(others, run["number"], read_priors(conn, sweep["id"], lite))
        params, _ = choose(sweep, snapshot, retry_failed)
        claim_ms = (time.monotonic() - began) * 1000
        same = _same_point(sweep, params, others)
        if locked:
            return self._write_suggestion(conn, sweep["id"], run, params, claim_ms, None, same)
        # What may get parameters after this read: the runs still unchosen in it, and later ones.
        floor = min([r["number"] - 1 for r in rows if _unchosen(r) and r["id"] != run["id"]]
                    + [max((r["number"] for r in others), default=0)])
        return "stale", params, claim_ms, (floor, {r["id"] for r in others}), same

    def _write_suggestion(self, conn, sweep_id: str, run: dict, params: dict, claim_ms: float,
                          known: tuple | None, same: int | None = None) -> tuple:
        """("written", the run) | ("stale",) (a run got parameters after the suggestion read
        the runs) | ("lost",) (reaped). known: (floor, ids): every run numbered above floor that
        had parameters when they were read is in ids; None: the runs were read under the lock."""
        lite = self.is_sqlite
        if known is not None:
            if not lite:  # the check and the write as one step among agents (SQLite: BEGIN IMMEDIATE)
                sql.run(conn, sql.SWEEP_ROW_LOCKED, lite, sweep=sweep_id)
            floor, ids = known
            if any(r not in ids for (r,) in sql.run(conn, sql.CHOSEN_SINCE, lite, sweep=sweep_id, floor=floor)):
                return ("stale",)
        if not sql.run(conn, sql.SET_PARAMS, lite, run=run["id"], params=dumps(params), claim_ms=claim_ms).rowcount:
            return ("lost",)
        written = dict(run, params=params, claim_ms=claim_ms)
        if same is not None:
            written["same_point_as"] = same  # said when the run starts (the agent's line)
        return "written", written

    def _queued_point(self, conn, sweep: dict, history, params: dict) -> int | None:
        """An enqueued parameter set's grid point, when it is one that no live run covers (a
        crashed or interrupted run there is superseded as usual); None otherwise: it runs as
        an extra run beside the grid. Taking a point past the next fresh one leaves a gap."""
        if sweep["config"]["method"] != "grid":
            return None
        from ..search import space_of

        index = space_of(sweep).point_index(params)
        if index is None:
            return None
        state = sql.run(conn, sql.LIVE_POINT_STATE, self.is_sqlite, sweep=sweep["id"], point=index).scalar()
        if state is not None and state not in RERUN:
            return None
        top = history.top_point()
        if index > (-1 if top is None else top) + 1 and not sweep.get("grid_gaps"):
            sql.run(conn, sql.MARK_GRID_GAPS, self.is_sqlite, sweep=sweep["id"])
        return index

    def _settle(self, conn, sweep_id: str, state_config: tuple | None = None):
        """Finish the sweep if nothing is running and nothing is left to run. state_config: the
        sweep's (state, config JSON, grid_gaps), if the caller has read them in this transaction."""
        from .tables import sweeps

        row = state_config or sql.run(conn, sql.SWEEP_STATE_CONFIG, self.is_sqlite, sweep=sweep_id).first()
        if row is None or row[0] != "running":
            return
        history = SweepHistory(conn, sweep_id, self.is_sqlite, gaps=bool(row[2]))
        if history.running_count() or self._waiting_count(conn, sweep_id):
            return
        config = loads(row[1])
        reason = None
        cap = config.get("run_cap")
        if cap and history.has_reached(cap):
            reason = f"run_cap reached: the sweep has {history.live_count()} runs of {cap}"
        elif config["method"] == "grid":
            from ..search import grid, space_of
            if history.open_grid_point(grid.size(space_of({"id": sweep_id, "config": config})), RERUN) is None:
                reason = f"{GRID_EXHAUSTED}: every grid point has a run"
        if reason:
            conn.execute(sweeps.update().where(sweeps.c.id == sweep_id, sweeps.c.state == "running")
                         .values(state="finished", ended_reason=reason, updated_at=time.time()))



def _unchosen(row) -> bool:
    """A run reserved by a claim whose parameters are being chosen (or were never: its agent died)."""
    return row["params"] == {}


def _same_point(sweep: dict, params: dict, runs: list[dict]) -> int | None:
    """The number of the first run with the point just suggested: bayes repeats one only when
    the space (a small discrete one) has no untried point left, which its user should hear."""
    from ..search import space_of

    space = space_of(sweep)
    if not space.searchable or not all("values" in p.spec or p.distribution.startswith(("q_", "int_"))
                                       for p in space.searchable):
        return None  # a continuous parameter: no two suggestions are the same point
    key = space.point_key(params)
    return next((r["number"] for r in runs if r.get("number") and not r.get("superseded")
                 and isinstance(r.get("params"), dict) and space.point_key(r["params"]) == key), None)
