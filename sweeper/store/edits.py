"""What a user changes about runs and sweeps after the fact: names, tags and notes; stopping
one run; deleting runs and sweeps (their metric lines and run folders with them)."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from .encoding import dumps, run_dict
from .errors import NotFound, Refused

USER_STOP = "stopped by the user (`sweeper stop`)"


class EditsMixin:
    def edit_run(self, run_id: str, name=..., notes=..., add_tags=(), remove_tags=()) -> dict:
        """Set a run's name or notes (None clears them; ... leaves them), add and remove tags.
        Returns the run as it now is."""
        from .tables import runs

        def fn(conn):
            row = conn.execute(runs.select().where(runs.c.id == run_id)).mappings().first()
            if row is None:
                raise NotFound(f"no run '{run_id}' in {self.display_url}")
            tags = list(run_dict(row)["tags"])
            tags += [t for t in dict.fromkeys(add_tags) if t not in tags]
            tags = [t for t in tags if t not in set(remove_tags)]
            values = {"tags": dumps(tags) if tags else None}
            if name is not ...:
                values["name"] = name
            if notes is not ...:
                values["notes"] = notes
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
            return run_dict(conn.execute(runs.select().where(runs.c.id == run_id)).mappings().first())

        return self._tx(fn)

    def request_stop(self, run_id: str, reason: str = USER_STOP) -> dict:
        """Ask a running run's agent (or its own program, for a standalone run) to stop it: it
        does at its next heartbeat, and the run ends `stopped`. Refused for a run not running."""
        from .tables import runs

        def fn(conn):
            row = conn.execute(runs.select().where(runs.c.id == run_id)).mappings().first()
            if row is None:
                raise NotFound(f"no run '{run_id}' in {self.display_url}")
            if row["state"] != "running":
                raise Refused(f"run {run_id} is {row['state']}, not running: there is nothing to stop")
            conn.execute(runs.update().where(runs.c.id == run_id, runs.c.state == "running")
                         .values(stop_requested=reason))
            return run_dict(row)

        return self._tx(fn)

    def delete_runs(self, run_ids) -> list[dict]:
        """Delete runs that have ended: their rows, metric lines, queue entries and, where they
        are on this host under the store's runs folder, their files. Refused (nothing deleted)
        if one is running or unknown. A grid run's point is open again (its sweep, if it had
        finished with its grid, runs again). Returns the deleted runs."""
        from .tables import bands, metrics, priors, queue, runs, sweeps

        run_ids = list(dict.fromkeys(run_ids))

        def fn(conn):
            found = {r["id"]: run_dict(r) for r in conn.execute(
                runs.select().where(runs.c.id.in_(run_ids))).mappings()}
            missing = [r for r in run_ids if r not in found]
            if missing:
                raise NotFound(f"no run {', '.join(repr(m) for m in missing)} in {self.display_url}")
            busy = [r for r in run_ids if found[r]["state"] == "running"]
            if busy:
                raise Refused(f"run {', '.join(busy)} is running: stop it first (`sweeper stop {busy[0]}`), "
                              "then delete it")
            conn.execute(metrics.delete().where(metrics.c.run_id.in_(run_ids)))
            conn.execute(bands.delete().where(bands.c.run_id.in_(run_ids)))
            conn.execute(queue.delete().where(queue.c.run_id.in_(run_ids)))
            conn.execute(queue.delete().where(queue.c.replaces.in_(run_ids), queue.c.run_id.is_(None)))
            conn.execute(priors.delete().where(priors.c.run_id.in_(run_ids)))
            conn.execute(runs.delete().where(runs.c.id.in_(run_ids)))
            # A deleted grid run leaves its point open: found by the gap search, and run again
            # by the sweep (a sweep that had finished with its grid runs again).
            for sweep_id in {found[r]["sweep_id"] for r in run_ids
                             if found[r]["grid_index"] is not None and not found[r]["superseded"]}:
                conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(grid_gaps=True))
                self._reopen(conn, sweep_id)
            return [found[r] for r in run_ids]

        gone = self._tx(fn)
        for run in gone:
            self._remove_run_files(run)
        return gone

    def delete_sweep(self, sweep_id: str) -> dict:
        """Delete a sweep with every run, metric line, agent record, queue entry, revision and
        prior link of it, and its runs' files on this host. Refused while a run is running.
        Returns {"sweep": the sweep, "runs": how many runs}."""
        from sqlalchemy import func, select

        from .tables import agents, bands, metrics, priors, queue, runs, sweep_changes, sweeps

        def fn(conn):
            row = conn.execute(sweeps.select().where(sweeps.c.id == sweep_id)).mappings().first()
            if row is None:
                raise NotFound(f"no sweep '{sweep_id}' in {self.display_url}")
            running = conn.execute(select(func.count()).select_from(runs).where(
                runs.c.sweep_id == sweep_id, runs.c.state == "running")).scalar()
            if running:
                raise Refused(f"sweep {sweep_id} has {running} running run{'s' if running != 1 else ''}: "
                              f"cancel it first (`sweeper cancel {sweep_id}`), then delete it")
            gone = [run_dict(r) for r in conn.execute(runs.select().where(runs.c.sweep_id == sweep_id)).mappings()]
            # By run, through the lines' primary key: no index of lines by sweep is kept (tables.py).
            conn.execute(metrics.delete().where(metrics.c.run_id.in_(
                select(runs.c.id).where(runs.c.sweep_id == sweep_id).scalar_subquery())))
            for table in (queue, sweep_changes, priors, agents, bands, runs):
                conn.execute(table.delete().where(table.c.sweep_id == sweep_id))
            conn.execute(priors.delete().where(priors.c.run_id.in_([r["id"] for r in gone])))
            conn.execute(sweeps.delete().where(sweeps.c.id == sweep_id))
            return dict(row), gone

        sweep, gone = self._tx(fn)
        for run in gone:
            self._remove_run_files(run)
        return {"sweep": sweep, "runs": len(gone)}

    def _remove_run_files(self, run: dict) -> None:
        """A run's folder, if it is on this host and inside this store's runs folder: never a
        folder elsewhere that a stored path happens to name."""
        folder = run.get("run_dir")
        if not folder or (run.get("host") and run["host"] != socket.gethostname()):
            return
        try:
            path, root = Path(folder).resolve(), self.runs_root.resolve()
        except OSError:
            return
        if path != root and root in path.parents and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
