"""A sweep over its life: each revision of its file (`sweeper sweep --update`), and the runs
of other sweeps it learns from (priors: a warm start, as W&B's --prior_run).

An update happens under the sweep's lock, as a claim does, so no claim sees half of it. A
grid whose points change (values or parameters added) is re-numbered: each live run takes
the index of its parameters in the new grid (none, when they are off it), and the first
points no run covers are the next to run, in the new grid's order (store/history.py).
"""

from __future__ import annotations

import json
import time

from . import sql
from .encoding import dumps, loads, sweep_dict
from .errors import NotFound, Refused


class RevisionsMixin:
    def update_sweep(self, sweep_id: str, config, changes: list[str], revision: int,
                     defaults: dict | None = None, space=None) -> dict:
        """Make `config` (a SweepConfig) the sweep's file from now on, if the sweep is still at
        `revision` (else Refused: it changed meanwhile). `defaults` {dotted key: value} fill in
        parameters that earlier runs did not have; `space`: the new grid's Space, to re-number
        the runs' points when the new method is grid. A sweep that finished because it had
        nothing left runs again if the new file gives it more. Returns {"sweep", "reopened",
        "remapped": runs whose grid point changed}."""
        from .tables import sweeps

        norm = config.normalized
        raw = config.text if config.text is not None else dumps(config.raw)
        lite = self.is_sqlite

        def fn(conn):
            row = sql.run(conn, sql.SWEEP_ROW if lite else sql.SWEEP_ROW_LOCKED, lite, sweep=sweep_id).mappings().first()
            if row is None:
                raise NotFound(f"no sweep '{sweep_id}'")
            old = sweep_dict(row)
            if (old.get("revision") or 1) != revision:
                raise Refused(f"sweep {sweep_id} was updated by someone else meanwhile (now revision "
                              f"{old.get('revision')}): run the update again")
            now = time.time()
            if defaults:
                self._fill_defaults(conn, sweep_id, defaults)
            remapped = self._renumber_grid(conn, sweep_id, space) if norm["method"] == "grid" and space else None
            self._keep_revision(conn, old)  # revision 1 of a sweep registered before revisions were kept
            values = dict(config=dumps(norm), config_raw=raw, source=config.source, method=norm["method"],
                          revision=revision + 1, updated_at=now)
            if norm.get("name") != old["config"].get("name") and norm.get("name"):
                values["name"] = norm["name"]
            reopened = False
            if old["state"] == "finished" and (old["ended_reason"] or "").startswith(("run_cap reached",
                                                                                    "grid exhausted")):
                values.update(state="running", ended_reason=None)
                reopened = True
            conn.execute(sweeps.update().where(sweeps.c.id == sweep_id).values(**values))
            self._write_revision(conn, sweep_id, revision + 1, now, changes, norm, raw, config.source)
            if reopened:
                self._settle(conn, sweep_id)  # finished again at once if the new file gives it nothing to do
            state = conn.execute(sweeps.select().where(sweeps.c.id == sweep_id)).mappings().first()
            return {"sweep": sweep_dict(state), "reopened": reopened and state["state"] == "running",
                    "remapped": remapped}

        return self._tx(fn)

    def sweep_revisions(self, sweep_id: str) -> list[dict]:
        """Every revision of the sweep's file, oldest first: revision, at, changes, config, source.
        A sweep registered before revisions were kept has its first one made up from its row."""
        from .tables import sweep_changes

        def fn(conn):
            q = sweep_changes.select().where(sweep_changes.c.sweep_id == sweep_id).order_by(sweep_changes.c.revision)
            out = [dict(r) | {"changes": json.loads(r["changes"]), "config": loads(r["config"])}
                   for r in conn.execute(q).mappings()]
            if not out or out[0]["revision"] != 1:
                sweep = self.get_sweep(sweep_id)
                out.insert(0, {"sweep_id": sweep_id, "revision": 1, "at": sweep["created_at"],
                               "changes": ["registered"], "config": sweep["config"] if not out else None,
                               "config_raw": sweep["config_raw"] if not out else None, "source": sweep["source"]})
            return out

        return self._tx(fn, write=False)

    # ---- priors ------------------------------------------------------------------------------

    def add_priors(self, sweep_id: str, run_ids) -> int:
        """Let the sweep learn from these runs (already checked to fit its space); returns how
        many were new."""
        from sqlalchemy import select

        from .tables import priors

        def fn(conn):
            have = {r for (r,) in conn.execute(select(priors.c.run_id).where(priors.c.sweep_id == sweep_id))}
            new = [r for r in dict.fromkeys(run_ids) if r not in have]
            now = time.time()
            for rid in new:
                conn.execute(priors.insert().values(sweep_id=sweep_id, run_id=rid, added_at=now))
            return len(new)

        return self._tx(fn)

    def prior_runs(self, sweep_id: str) -> list[dict]:
        """The runs the sweep learns from, each with `source_config`: its own sweep's config
        (None for a standalone run)."""
        return self._tx(lambda c: read_priors(c, sweep_id, self.is_sqlite), write=False)

    # ---- inside the update's transaction ----------------------------------------------------

    def _fill_defaults(self, conn, sweep_id: str, defaults: dict) -> None:
        from .tables import runs

        for rid, params in conn.execute(runs.select().with_only_columns(runs.c.id, runs.c.params)
                                        .where(runs.c.sweep_id == sweep_id)).all():
            nested = loads(params)
            changed = False
            for key, value in defaults.items():
                node = nested
                *parents, leaf = key.split(".")
                for part in parents:
                    node = node.setdefault(part, {}) if isinstance(node, dict) else None
                    if node is None:
                        break
                if isinstance(node, dict) and leaf not in node:
                    node[leaf] = value
                    changed = True
            if changed:
                conn.execute(runs.update().where(runs.c.id == rid).values(params=dumps(nested)))

    def _renumber_grid(self, conn, sweep_id: str, space) -> int:
        """Give each live run the index of its parameters in the new grid. Two runs of one point
        (a random sweep made grid): the one that ran best keeps it (finished, then stopped...)."""
        from sqlalchemy import update

        from .tables import runs, sweeps

        rank = {"finished": 0, "stopped": 1, "running": 2, "failed": 3, "interrupted": 4, "crashed": 5}
        live = conn.execute(runs.select().with_only_columns(runs.c.id, runs.c.params, runs.c.state,
                                                            runs.c.grid_index, runs.c.number)
                            .where(runs.c.sweep_id == sweep_id, runs.c.superseded.is_(False))).all()
        holder: dict = {}
        for rid, params, state, _, number in sorted(live, key=lambda r: (rank.get(r[2], 9), r[4] or 0)):
            point = space.point_index(loads(params))
            if point is not None and point not in holder:
                holder[point] = rid
        new = {rid: point for point, rid in holder.items()}
        moved = sum(1 for rid, _, _, old, _ in live if new.get(rid) != old)
        # Clear first: the unique index of live points must hold after every statement.
        conn.execute(update(runs).where(runs.c.sweep_id == sweep_id, runs.c.superseded.is_(False))
                     .values(grid_index=None))
        for rid, point in new.items():
            conn.execute(update(runs).where(runs.c.id == rid).values(grid_index=point))
        covered = sorted(p for p, rid in holder.items())
        gaps = bool(covered) and covered[-1] != len(covered) - 1
        conn.execute(update(sweeps).where(sweeps.c.id == sweep_id).values(grid_gaps=gaps))
        return moved

    def _keep_revision(self, conn, sweep: dict) -> None:
        from sqlalchemy import select

        from .tables import sweep_changes

        if conn.execute(select(sweep_changes.c.revision).where(sweep_changes.c.sweep_id == sweep["id"],
                                                               sweep_changes.c.revision == 1)).first() is None:
            self._write_revision(conn, sweep["id"], 1, sweep["created_at"], ["registered"], sweep["config"],
                                 sweep["config_raw"], sweep["source"])

    def _write_revision(self, conn, sweep_id, revision, at, changes, config, raw, source) -> None:
        from .tables import sweep_changes

        conn.execute(sweep_changes.insert().values(sweep_id=sweep_id, revision=revision, at=at,
                                                   changes=dumps(list(changes)), config=dumps(config),
                                                   config_raw=raw, source=source))


_PRIORS = ("SELECT runs.*, sweeps.config AS source_config FROM priors JOIN runs ON runs.id = priors.run_id "
           "LEFT OUTER JOIN sweeps ON sweeps.id = runs.sweep_id WHERE priors.sweep_id = :sweep "
           "ORDER BY priors.added_at, runs.created_at")


def read_priors(conn, sweep_id: str, sqlite: bool) -> list[dict]:
    """The prior runs of a sweep, in a transaction of the caller's (a claim's, history.py)."""
    from .encoding import run_dict

    out = []
    for row in sql.run(conn, _PRIORS, sqlite, sweep=sweep_id).mappings():
        run = run_dict({k: v for k, v in row.items() if k != "source_config"})
        run["source_config"] = loads(row["source_config"]) if row["source_config"] else None
        out.append(run)
    return out

