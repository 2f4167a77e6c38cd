"""A run's life in the store: created, updated, ended; its metric lines; the reads of runs."""

from __future__ import annotations

import time

from . import ids, sql
from .encoding import RERUN, TERMINAL, dumps, encode, run_dict
from .errors import NotFound
from .leases import LeaseLost


class RunsMixin:
    def create_run(self, project: str | None, params: dict, **values) -> dict:
        """A run outside any sweep (sweeper.init() in a plain script)."""
        from .tables import runs

        now = time.time()

        def fn(conn):
            row = dict(id=ids.new_id(), sweep_id=None, project=project, number=None, state="running",
                       params=dumps(params), superseded=False, created_at=now, heartbeat_at=now, **values)
            conn.execute(runs.insert().values(**encode(row)))
            return row

        return run_dict(self._tx(fn))

    def update_run(self, run_id: str, fence: bool = False, **values):
        """Set facts of a run. fence=True (an agent's own writes): only while the run is still
        running, else LeaseLost."""
        values = encode(values)
        statement = sql.update_run(tuple(values), fence)

        def fn(conn):
            if sql.run(conn, statement, self.is_sqlite, run=run_id, **values).rowcount == 0 and fence:
                raise LeaseLost(f"run {run_id} is no longer this agent's: its lease ran out and it was reaped")

        self._tx(fn)

    def finish_run(self, run_id: str, state: str, max_failures: int | None = None, **values) -> dict | None:
        """Record a run's end, if it is still running: a run whose lease ran out was reaped
        (crashed) and its grid point may run elsewhere, so its agent's late word is refused
        (returns {"lost": True}; store/leases.py).

        The last run of a sweep that has nothing left to do (its run_cap reached, every grid
        point run) finishes the sweep too, so that `status` says so even when no agent asks
        for another run.

        The sweep's failure guard: a failed run adds one to the sweep's failure streak, a
        finished or stopped one (the program worked) resets it; crashed and interrupted runs
        say nothing about the program. When the streak reaches `max_failures`, the sweep
        becomes `failing`: no agent starts another run until `sweeper resume`. Returns the
        sweep's {state, failure_streak} after the update (None for a standalone run).
        """
        assert state in TERMINAL
        values = encode(values)
        values.setdefault("ended_at", time.time())
        values["state"] = state
        statement = sql.end_run(tuple(values))
        lite = self.is_sqlite

        def fn(conn):
            # Few round trips: this runs once per run, and on PostgreSQL each waits for the server.
            done = sql.run(conn, statement, lite, run=run_id, **values).first()
            if done is None:
                return {"lost": True, "state": None, "failure_streak": None, "reason": None}
            sweep_id = done[0]
            if sweep_id is None:
                return None
            if state == "failed":
                row = sql.run(conn, sql.ADD_FAILURE, lite, sweep=sweep_id, run=run_id).first()
            else:
                row = sql.run(conn, sql.END_RUN_SWEEP, lite, sweep=sweep_id).first()
                if state in ("finished", "stopped") and row[1]:
                    sql.run(conn, sql.RESET_FAILURES, lite, sweep=sweep_id)
                    row = (row[0], 0, row[2], row[3])
            if state == "failed" and max_failures and row[0] == "running" and row[1] >= max_failures:
                why = mark_failing(conn, sweep_id, row[1], f"{run_id}, {values.get('stop_reason') or 'failed'}")
                return {"state": "failing", "failure_streak": row[1], "reason": why, "lost": False}
            self._settle(conn, sweep_id, (row[0], row[2], row[3]))
            return {"state": row[0], "failure_streak": row[1], "reason": None, "lost": False}

        return self._tx(fn)

    def best_value(self, sweep_id: str, maximize: bool) -> tuple[float, str] | None:
        """The sweep's best value of its metric so far, and the run that has it."""
        statement = sql.BEST["maximize" if maximize else "minimize"]
        row = self._tx(lambda c: sql.run(c, statement, self.is_sqlite, sweep=sweep_id).first(), write=False)
        return (row[0], row[1]) if row else None

    def add_metrics(self, run_id: str, sweep_id: str | None, rows: list[tuple], run_values: dict,
                    bands: list[tuple] = ()):
        """Append metric lines and update the run's summary in one transaction, while the run is
        running (LeaseLost otherwise: nothing is written for a run that was reaped).

        rows: (seq, step, ts, data_text, mval, miter) tuples, as the tailer makes them.
        bands: (band, value) of each hyperband band the run reached in these lines (band_values).
        """
        values = encode(run_values) if run_values else {}
        fence = sql.update_run(tuple(values), True) if values else sql.TOUCH_RUNNING
        lite = self.is_sqlite

        def fn(conn):
            if sql.run(conn, fence, lite, run=run_id, **values).rowcount == 0:
                raise LeaseLost(f"run {run_id} is no longer this agent's: its lease ran out and it was reaped")
            if rows or (bands and sweep_id):
                # Straight to the driver's executemany: hundreds of thousands of lines a second.
                cur = conn.connection.driver_connection.cursor()
                try:
                    if rows:
                        cur.executemany(sql.metric_rows(lite), [(run_id, r[0], sweep_id) + tuple(r[1:]) for r in rows])
                    if bands and sweep_id:
                        cur.executemany(sql.band_rows(lite), [(sweep_id, b, run_id, v) for b, v in bands])
                finally:
                    cur.close()

        self._tx(fn)

    def get_run(self, run_id: str) -> dict:
        from .tables import runs

        row = self._tx(lambda c: c.execute(runs.select().where(runs.c.id == run_id)).mappings().first(),
                       write=False)
        if row is None:
            raise NotFound(f"no run '{run_id}' in {self.display_url}")
        return run_dict(row)

    def runs(self, sweep_id: str | None = None, project: str | None = None,
             include_superseded: bool = True) -> list[dict]:
        """Runs in creation order, as they are: a read writes nothing. (Standalone runs whose
        program is gone are marked crashed by the commands that show them, which call
        leases.reap_standalone first: results/rows.project_rows.)"""
        where = [w for w, on in (("sweep_id = :sweep", sweep_id is not None), ("project = :project", project is not None),
                                 ("NOT superseded", not include_superseded)) if on]
        statement = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at"
        return self._tx(lambda c: [run_dict(r) for r in sql.run(c, statement, self.is_sqlite, sweep=sweep_id,
                                                                 project=project).mappings()], write=False)

    def metric_rows(self, run_id: str) -> list[dict]:
        from .tables import metrics

        def fn(conn):
            q = metrics.select().where(metrics.c.run_id == run_id).order_by(metrics.c.seq)
            return [dict(r) for r in conn.execute(q).mappings()]

        return self._tx(fn, write=False)

    def iter_metric_rows(self, run_id: str):
        """metric_rows, streamed: a run's lines as they are read (exports of any size)."""
        return self._stream(sql.RUN_LINES, run=run_id)

    def iter_runs(self, sweep_id: str):
        """runs(sweep_id), streamed: the sweep's runs in creation order as they are read."""
        return (run_dict(r) for r in self._stream(sql.SWEEP_RUNS_CREATED, sweep=sweep_id))

    def band_values(self, sweep_id: str, band: int, exclude_run: str | None = None) -> list[float]:
        """The sweep metric of every run of the sweep at its `band`-th finite value (a hyperband
        band): kept in the bands table as each run reaches the band, not looked up in its lines."""
        return self._tx(lambda c: [v for (v,) in sql.run(c, sql.BAND_VALUES, self.is_sqlite, sweep=sweep_id,
                                                          band=band, run=exclude_run or "")], write=False)

    def count_runs(self, sweep_id: str) -> dict:
        """Live runs by state, counted by the database."""
        return self._tx(lambda c: {st: n for st, n in sql.run(c, sql.COUNT_BY_STATE, self.is_sqlite, sweep=sweep_id)},
                        write=False)

    def top_runs(self, sweep_id: str, maximize: bool, limit: int) -> list[dict]:
        """The `limit` best live runs by best_value (runs without one last, ties in creation
        order, as results.rows.sort_rows orders them), then every running run not among them:
        what `status` shows of a sweep of any size, sorted by the database."""
        lite = self.is_sqlite

        def fn(conn):
            top = [run_dict(r) for r in sql.run(conn, sql.TOP_RUNS["maximize" if maximize else "minimize"], lite,
                                                sweep=sweep_id, limit=max(0, int(limit))).mappings()]
            seen = {r["id"] for r in top}
            running = sql.run(conn, sql.RUNNING_RUNS, lite, sweep=sweep_id).mappings()
            return top + [run_dict(r) for r in running if r["id"] not in seen]

        return self._tx(fn, write=False)

    def grid_points_done(self, sweep_id: str) -> int:
        """Grid points whose live run counts (not crashed or interrupted), counted by the database."""
        return self._tx(lambda c: sql.run(c, sql.GRID_POINTS_DONE, self.is_sqlite, sweep=sweep_id).scalar() or 0,
                        write=False)


def mark_failing(conn, sweep_id: str, streak: int, last: str) -> str:
    """The failure guard trips: the sweep becomes failing (no agent starts another run until
    `sweeper resume`). last: the last failed run, as the reason names it. Returns the reason."""
    from .tables import sweeps

    why = (f"the sweep is failing: its last {streak} runs failed (the last: run {last}); fix the program, "
           f"then `sweeper resume {sweep_id}` (if runs fail only for some parameters, resume and give "
           "agents a higher --max-failures)")
    conn.execute(sweeps.update().where(sweeps.c.id == sweep_id, sweeps.c.state == "running")
                 .values(state="failing", ended_reason=why, updated_at=time.time()))
    return why
