"""Sweeps from Python, with W&B's names: `sweeper.sweep(config)` and `sweeper.agent(id, function)`.

    sweep_id = sweeper.sweep(sweep_config, project="mnist")
    sweeper.agent(sweep_id, function=train, count=5)

Importing this module costs nothing; the store and the agent load when first called.
"""

from __future__ import annotations

import os


def sweep(config, project: str | None = None, entity: str | None = None, store: str | None = None) -> str:
    """Validate a sweep config (a dict, or the path of a YAML file) as `sweeper sweep` does, and
    register it. Returns the sweep ID. Raises SweepConfigError listing every problem."""
    from .store import open_store
    from .sweepfile.load import load_dict, load_file

    if isinstance(config, (str, os.PathLike)):
        cfg = load_file(config)
    else:
        cfg = load_dict(config, source="sweep config")
    st = open_store(store)
    return st.create_sweep(cfg, project=project, entity=entity)["id"]


def agent(sweep_id: str, function=None, count: int | None = None, project: str | None = None,
          entity: str | None = None, store: str | None = None, gpus=None, output: str = "plain") -> int:
    """Run the sweep: call `function` once per claimed run (each in its own forked process),
    or, without one, launch the sweep's program as `sweeper agent` does. Returns the agent's
    exit code (0: count reached; 3: the sweep has no more work; see `sweeper agent --help`)."""
    from .store import open_store
    from .agents.loop import Agent

    st = open_store(store)
    ref = "/".join(p for p in (entity, project, sweep_id) if p) if "/" not in sweep_id else sweep_id
    sw = st.get_sweep(ref)
    return Agent(st, sw, count=count, gpus=list(gpus) if gpus else None, output=output, function=function).run()
