"""Parameter sets that run next, before the method picks any: enqueued by a user (Optuna's
enqueue_trial) or the same parameters again (a rerun of a failed, crashed, interrupted or
stopped run, which the new run then supersedes: a grid point is covered by its new run).

A claim takes the oldest waiting entry of its sweep first (claims.py, `_take_queued`), under
the sweep's lock, so an entry runs once. A user asked for each of them, so they run even once
run_cap is reached: a rerun leaves the sweep's live run count as it is; an enqueued set is a
new run and counts (the method then has that many fewer to choose).
"""

from __future__ import annotations

import time

from .encoding import TERMINAL, dumps, loads, sweep_dict
from .errors import NotFound, Refused

# A rerun of a run in these states, when no run or state is named.
RERUN_BY_DEFAULT = ("failed", "crashed", "interrupted")
_WAITING = "SELECT id, params, replaces FROM queue WHERE sweep_id = :sweep AND run_id IS NULL ORDER BY id"
_QUEUED = "SELECT * FROM queue WHERE sweep_id = :sweep AND run_id IS NULL ORDER BY id"


class QueueMixin:
    def enqueue(self, sweep_id: str, param_sets: list[dict]) -> dict:
        """Queue parameter sets (already checked against the sweep's space) for the sweep's
        next runs. Returns {"queued": [entry ids], "reopened": bool}."""
        from .tables import queue

        def fn(conn):
            self._open_for_more(conn, sweep_id)
            now = time.time()
            ids = [conn.execute(queue.insert().values(sweep_id=sweep_id, params=dumps(p), created_at=now))
                   .inserted_primary_key[0] for p in param_sets]
            return {"queued": ids, "reopened": self._reopen(conn, sweep_id)}

        return self._tx(fn)

    def rerun(self, sweep_id: str, run_ids=(), states=()) -> dict:
        """Queue the parameters of the sweep's runs again: those named (any ended state), and
        those in `states` (default, when neither is given: failed, crashed, interrupted).
        Each new run supersedes the one it repeats when it starts. Returns {"queued": [run
        dicts repeated], "skipped": {run id: why}, "reopened": bool}."""
        from sqlalchemy import select

        from .encoding import run_dict
        from .tables import queue, runs

        states = tuple(states) or (() if run_ids else RERUN_BY_DEFAULT)

        def fn(conn):
            self._open_for_more(conn, sweep_id)
            chosen: dict = {}
            skipped: dict = {}
            if run_ids:
                found = {r["id"]: run_dict(r) for r in conn.execute(
                    runs.select().where(runs.c.id.in_(list(run_ids)))).mappings()}
                for rid in run_ids:
                    run = found.get(rid)
                    if run is None or run["sweep_id"] != sweep_id:
                        raise NotFound(f"no run '{rid}' in sweep {sweep_id}")
                    chosen[rid] = run
            if states:
                q = runs.select().where(runs.c.sweep_id == sweep_id, runs.c.state.in_(states),
                                        runs.c.superseded.is_(False)).order_by(runs.c.number)
                for r in conn.execute(q).mappings():
                    chosen.setdefault(r["id"], run_dict(r))
            waiting = {rid for (rid,) in conn.execute(select(queue.c.replaces).where(
                queue.c.sweep_id == sweep_id, queue.c.run_id.is_(None), queue.c.replaces.is_not(None)))}
            now = time.time()
            queued = []
            for rid, run in chosen.items():
                why = None
                if run["state"] not in TERMINAL:
                    why = f"it is {run['state']}: stop it first (`sweeper stop {rid}`)"
                elif run["superseded"]:
                    why = "a later run already repeats it"
                elif rid in waiting:
                    why = "it is already queued"
                if why:
                    skipped[rid] = why
                    continue
                conn.execute(queue.insert().values(sweep_id=sweep_id, params=dumps(run["params"]),
                                                   replaces=rid, created_at=now))
                queued.append(run)
            return {"queued": queued, "skipped": skipped,
                    "reopened": self._reopen(conn, sweep_id) if queued else False}

        return self._tx(fn)

    def queued(self, sweep_id: str) -> list[dict]:
        """The sweep's waiting entries, oldest (next) first: id, params, replaces, created_at."""
        from . import sql

        def fn(conn):  # SQL text: `status` reads it, also on a light store (lite.py)
            rows = sql.run(conn, _QUEUED, self.is_sqlite, sweep=sweep_id).mappings()
            return [dict(r) | {"params": loads(r["params"])} for r in rows]

        return self._tx(fn, write=False)

    def clear_queue(self, sweep_id: str) -> int:
        """Drop the sweep's waiting entries; returns how many there were."""
        from .tables import queue

        return self._tx(lambda c: c.execute(queue.delete().where(
            queue.c.sweep_id == sweep_id, queue.c.run_id.is_(None))).rowcount)

    # ---- inside other transactions -------------------------------------------------------

    def _open_for_more(self, conn, sweep_id: str) -> dict:
        from .tables import sweeps

        row = conn.execute(sweeps.select().where(sweeps.c.id == sweep_id)).mappings().first()
        if row is None:
            raise NotFound(f"no sweep '{sweep_id}'")
        if row["state"] == "canceled":
            raise Refused(f"sweep {sweep_id} was canceled: it starts no more runs (register the file again "
                          "for a new sweep)")
        return sweep_dict(row)

    def _reopen(self, conn, sweep_id: str) -> bool:
        """A sweep that finished because it had nothing left (run_cap, grid) runs again once it
        has more to do; one stopped by its user, or by its metric target, stays finished."""
        from .tables import sweeps

        row = conn.execute(sweeps.select().where(sweeps.c.id == sweep_id)).mappings().first()
        reason = row["ended_reason"] or ""
        if row["state"] != "finished" or not reason.startswith(("run_cap reached", "grid exhausted")):
            return False
        conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(
            state="running", ended_reason=None, updated_at=time.time()))
        return True

    def _waiting_count(self, conn, sweep_id: str) -> int:
        from sqlalchemy import func, select

        from .tables import queue

        return conn.execute(select(func.count()).select_from(queue).where(
            queue.c.sweep_id == sweep_id, queue.c.run_id.is_(None))).scalar() or 0

    def _take_queued(self, conn, sweep_id: str) -> dict | None:
        """The next waiting entry that can run now, as {params, replaces: old run | None, qid}:
        its old run superseded if it is a rerun. Entries whose run was repeated meanwhile are
        dropped."""
        from . import sql
        from .tables import queue, runs

        for qid, params, replaces in sql.run(conn, _WAITING, self.is_sqlite, sweep=sweep_id).all():
            if replaces is None:
                return {"qid": qid, "params": loads(params), "replaces": None}
            old = conn.execute(runs.select().where(runs.c.id == replaces)).mappings().first()
            if old is None or old["superseded"] or old["state"] not in TERMINAL:
                conn.execute(queue.delete().where(queue.c.id == qid))
                continue
            conn.execute(runs.update().where(runs.c.id == replaces).values(superseded=True))
            return {"qid": qid, "params": loads(params), "replaces": dict(old)}
        return None
