"""Sweeps: register, look up, list, change state."""

from __future__ import annotations

import time

from . import ids, sql
from .encoding import SWEEP_STATES, dumps, sweep_dict
from .errors import NotFound, StoreError


class SweepsMixin:
    def create_sweep(self, config, name=None, project=None, entity=None, priors=()) -> dict:
        """Register a sweep (a checked SweepConfig) as revision 1 of its file; `priors`: IDs of
        runs it learns from (already checked to fit its space: search/priors.py)."""
        from .tables import sweeps

        norm = config.normalized
        now = time.time()
        raw = config.text if config.text is not None else dumps(config.raw)

        def fn(conn):
            if self.is_sqlite:
                # Registering writes into the file: not into one whose pages are already damaged.
                check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                if check != "ok":
                    raise StoreError(f"the store {self.url.database} is damaged (SQLite's quick_check: {check}); "
                                     "nothing was registered: use another store (--store) or restore a copy")
            for _ in range(20):
                sid = ids.new_id()
                if conn.execute(sweeps.select().where(sweeps.c.id == sid)).first() is None:
                    break
            conn.execute(sweeps.insert().values(
                id=sid, name=name or norm.get("name"), project=project or norm.get("project"),
                entity=entity or norm.get("entity"), method=norm["method"], state="running",
                config=dumps(norm), config_raw=raw, source=config.source, created_at=now, updated_at=now))
            self._write_revision(conn, sid, 1, now, ["registered"], norm, raw, config.source)
            return sid

        sweep_id = self._tx(fn)
        if priors:
            self.add_priors(sweep_id, priors)
        return self.get_sweep(sweep_id)

    def get_sweep(self, ref: str) -> dict:
        entity, project, sid = ids.parse_sweep_ref(ref)
        row = self._tx(lambda c: sql.run(c, sql.SWEEP_ROW, self.is_sqlite, sweep=sid).mappings().first(), write=False)
        if row is None:
            raise NotFound(f"no sweep '{sid}' in {self.display_url} (`sweeper sweeps` lists the sweeps there)")
        sweep = sweep_dict(row)
        if project and sweep["project"] and project != sweep["project"]:
            raise NotFound(f"sweep '{sid}' belongs to project '{sweep['project']}', not '{project}'")
        if entity and sweep["entity"] and entity != sweep["entity"]:
            raise NotFound(f"sweep '{sid}' belongs to entity '{sweep['entity']}', not '{entity}'")
        return sweep

    def list_sweeps(self) -> list[dict]:
        """Every sweep, oldest first, with run_counts: its live runs (superseded ones left out) by state."""
        from sqlalchemy import func, select
        from .tables import runs, sweeps

        def fn(conn):
            counts: dict = {}
            # A superseded run was replaced by its rerun: counting both would count a point twice.
            q = (select(runs.c.sweep_id, runs.c.state, func.count())
                 .where(runs.c.sweep_id.is_not(None), runs.c.superseded.is_(False))
                 .group_by(runs.c.sweep_id, runs.c.state))
            for sid, state, n in conn.execute(q):
                counts.setdefault(sid, {})[state] = n
            out = []
            for row in conn.execute(sweeps.select().order_by(sweeps.c.created_at)).mappings():
                d = sweep_dict(row)
                d["run_counts"] = counts.get(d["id"], {})
                out.append(d)
            return out

        return self._tx(fn, write=False)

    def set_sweep_state(self, sweep_id: str, state: str, reason: str | None = None,
                        only_from: tuple | None = None, target_run_id: str | None = None) -> dict:
        from .tables import sweeps

        assert state in SWEEP_STATES
        values = dict(state=state, ended_reason=reason, updated_at=time.time())
        if state == "running":
            values["failure_streak"] = 0  # resume clears the failure guard
        if target_run_id is not None:
            values["target_run_id"] = target_run_id

        def fn(conn):
            q = sweeps.update().where(sweeps.c.id == sweep_id)
            if only_from:
                q = q.where(sweeps.c.state.in_(only_from))
            conn.execute(q.values(**values))

        self._tx(fn)
        return self.get_sweep(sweep_id)
