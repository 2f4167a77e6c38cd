"""Reads for the pages (the dashboard and the report), aggregated by the database.

A sweep may have 10,000 runs of 1,000 lines each: these reads never bring every metric line
into Python, and each answers in one statement what the pages ask, so a dashboard polling the
store every half second costs the database little:

- change_mark: one row that changes whenever anything the pages show changes (a sweep
  registered or moved, a run created, started, ended, or a metric line stored);
- run_marks: per run of a sweep, what changes as it runs (the live page asks for those rows);
- sweep_overviews / project_overviews: each sweep's and project's counts by state, by GROUP BY;
- thinned_lines: a sweep's (or some runs') metric lines, thinned in SQL to a budget of lines
  per run; the last line and the line of a hyperband stop are always kept.
"""

from __future__ import annotations

from .encoding import run_dict

# Counts and maxima over runs and sweeps: any write the pages show moves one of them. n_lines
# is written in the same transaction as a run's metric lines (runs.py), so its sum moves too.
_CHANGE_MARK = (
    "SELECT (SELECT count(*) FROM sweeps), (SELECT max(updated_at) FROM sweeps), "
    "count(*), coalesce(sum(n_lines), 0), max(created_at), max(started_at), max(ended_at), "
    "coalesce(sum(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0) FROM runs")

_RUN_MARKS = ("SELECT id, state, n_lines, ended_at, name FROM runs WHERE sweep_id = :sweep AND NOT superseded")

# Every `stride`-th line of each run, stride chosen per run so that it keeps about :budget
# lines; integer arithmetic in place of `%`, which psycopg would read as a placeholder.
_STRIDE = "(CASE WHEN r.n_lines > :budget THEN (r.n_lines + :budget - 1) / :budget ELSE 1 END)"
_THINNED = (
    "SELECT m.run_id, m.seq, m.step, m.ts, {data} AS data, m.mval, m.miter FROM metrics m "
    "JOIN runs r ON r.id = m.run_id WHERE {where} AND ("
    f"m.seq - (m.seq / {_STRIDE}) * {_STRIDE} = 0 OR m.seq >= r.n_lines - 1 "
    "OR (r.band IS NOT NULL AND m.miter = r.band)) ORDER BY m.run_id, m.seq")


class ReadsMixin:
    def change_mark(self) -> tuple:
        """A tuple that differs whenever a page of the store would show something new."""
        from sqlalchemy import text

        return tuple(self._tx(lambda c: c.execute(text(_CHANGE_MARK)).first(), write=False))

    def run_marks(self, sweep_id: str) -> dict:
        """run id -> (state, n_lines, ended_at, name) of a sweep's live runs."""
        from sqlalchemy import text

        def fn(conn):
            return {r[0]: tuple(r[1:]) for r in conn.execute(text(_RUN_MARKS), {"sweep": sweep_id})}

        return self._tx(fn, write=False)

    def runs_by_id(self, run_ids) -> list[dict]:
        """The runs with these IDs (from any sweeps or projects), in creation order."""
        from .tables import runs

        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return []

        def fn(conn):
            q = runs.select().where(runs.c.id.in_(ids)).order_by(runs.c.created_at)
            return [run_dict(r) for r in conn.execute(q).mappings()]

        return self._tx(fn, write=False)

    def sweep_overviews(self) -> list[dict]:
        """Every sweep, newest first, with its live runs counted by state and its best value."""
        return self.list_sweeps()[::-1]

    def project_overviews(self) -> list[dict]:
        """Every project that has runs: runs by state, how many are standalone, the last activity."""
        from sqlalchemy import func, select

        from .tables import runs

        q = (select(runs.c.project, runs.c.state, runs.c.sweep_id.is_(None), func.count(),
                    func.max(func.coalesce(runs.c.ended_at, runs.c.started_at, runs.c.created_at)))
             .where(runs.c.superseded.is_(False))
             .group_by(runs.c.project, runs.c.state, runs.c.sweep_id.is_(None)))

        def fn(conn):
            out: dict = {}
            for project, state, standalone, n, last in conn.execute(q):
                p = out.setdefault(project, {"project": project, "counts": {}, "standalone": 0, "runs": 0,
                                             "last": None})
                p["counts"][state] = p["counts"].get(state, 0) + n
                p["runs"] += n
                p["standalone"] += n if standalone else 0
                p["last"] = max(p["last"] or 0, last or 0) or None
            return sorted(out.values(), key=lambda p: -(p["last"] or 0))

        return self._tx(fn, write=False)

    def standalone_runs(self, project: str | None) -> list[dict]:
        """Runs outside any sweep in a project (project None: those with no project)."""
        from .tables import runs

        def fn(conn):
            q = runs.select().where(runs.c.sweep_id.is_(None)).order_by(runs.c.created_at)
            q = q.where(runs.c.project.is_(None) if project is None else runs.c.project == project)
            return [run_dict(r) for r in conn.execute(q).mappings()]

        return self._tx(fn, write=False)

    def thinned_lines(self, budget: int, sweep_id: str | None = None, run_ids=None, data: bool = True) -> list[dict]:
        """Metric lines of a sweep's live runs (or of `run_ids`), about `budget` per run, in
        (run, seq) order: every line of a run with fewer, else every k-th, the last, and the
        line where hyperband stopped the run. data=False: a line's JSON text only where it has
        no `_step` (the curves of step and the sweep metric need nothing else: most of the bytes)."""
        from sqlalchemy import bindparam, text

        column = "m.data" if data else "CASE WHEN m.step IS NULL THEN m.data END"
        params: dict = {"budget": max(1, int(budget))}
        if run_ids is not None:
            ids = list(dict.fromkeys(run_ids))
            if not ids:
                return []
            statement = text(_THINNED.format(data=column, where="r.id IN :ids")).bindparams(
                bindparam("ids", expanding=True))
            params["ids"] = ids
        else:
            statement = text(_THINNED.format(data=column, where="r.sweep_id = :sweep AND NOT r.superseded"))
            params["sweep"] = sweep_id

        def fn(conn):
            return [dict(r) for r in conn.execute(statement, params).mappings()]

        return self._tx(fn, write=False)

    def ended_durations(self, sweep_id: str) -> tuple[int, float | None]:
        """(how many of the sweep's live runs have ended after starting, their mean duration in s)."""
        from sqlalchemy import func, select

        from .tables import runs

        q = select(func.count(), func.avg(runs.c.ended_at - runs.c.started_at)).where(
            runs.c.sweep_id == sweep_id, runs.c.superseded.is_(False), runs.c.ended_at.is_not(None),
            runs.c.started_at.is_not(None))
        n, mean = self._tx(lambda c: c.execute(q).first(), write=False)
        return int(n or 0), (float(mean) if mean is not None else None)
