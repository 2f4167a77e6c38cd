"""Claiming a sweep's next run under the sweep's lock, and reaping the runs of dead agents.

A claim takes an exclusive lock for its sweep (BEGIN IMMEDIATE on SQLite, SELECT ... FOR
UPDATE of the sweep's row on PostgreSQL), so two agents never get the same grid point; a
partial unique index on (sweep_id, grid_index) backs that up in the database itself.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Callable

from . import ids, sql
from .encoding import RERUN, dumps, loads, run_dict, sweep_dict
from .errors import NotFound
from .history import SweepHistory

GRID_EXHAUSTED = "grid exhausted"


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
              gpu: str | None = None, limit_reason: Callable | None = None) -> Claim:
        """Pick the sweep's next run under an exclusive lock and record it as running.

        `choose(sweep, history, retry_failed)` returns (params, grid_index) for the next run, or
        None when the method has nothing left (a grid that every point covers); `history` is
        a SweepHistory (history.py), which reads from the database what the method asks.
        """
        from sqlalchemy import select

        from .tables import runs, sweeps

        began = time.monotonic()
        lite = self.is_sqlite

        def fn(conn):
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
            # The method reads what it needs of the runs, from indexes (history.py): a claim
            # costs about the same at 10 runs or 10,000.
            history = SweepHistory(conn, sweep_id, lite, gaps=bool(sweep.get("grid_gaps")))
            cap = sweep["config"].get("run_cap")
            # Queued parameter sets first (queue.py): a rerun runs even at the run_cap.
            taken = self._take_queued(conn, sweep_id, lambda: history.has_reached(cap))
            if taken is None:
                if history.has_reached(cap):
                    reason = f"run_cap reached: the sweep has {history.live_count()} runs of {cap}"
                    if not history.running_count():
                        conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
                            state="finished", ended_reason=reason, updated_at=now))
                    return Claim(stop=reason, code="run_cap")
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
            return Claim(run=run_dict(values), revision=sweep.get("revision") or 1)

        return self._tx(fn)

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

