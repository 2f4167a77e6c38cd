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
          entity: str | None = None, store: str | None = None, gpus=None, output: str = "plain",
          max_failures: int = 3, exit_on_pause: bool = False) -> int:
    """Run the sweep: call `function` once per claimed run (each in its own forked process),
    or, without one, launch the sweep's program as `sweeper agent` does.

    Args:
        gpus: "0,1", [0, 1], "all" or None; one run per GPU at once (ValueError if malformed).
        max_failures: the sweep's failure guard (failed runs in a row, on any agent).
        exit_on_pause: return 4 when the sweep is paused, instead of waiting for resume.

    Returns the agent's exit code, as `sweeper agent` exits (sweeper.agents.exit_codes.ExitCode):
    0 when the work is done (count reached, or the sweep has no more work), 8 when every run
    it ran failed, 6 when the sweep is failing, 5 canceled, 7 store unreachable, 128+n for a signal.
    """
    from .agents import gpus as gpu_ids
    from .agents.loop import Agent
    from .store import open_store

    gpu_list = gpu_ids.parse(gpus)
    st = open_store(store)
    ref = "/".join(p for p in (entity, project, sweep_id) if p) if "/" not in sweep_id else sweep_id
    sw = st.get_sweep(ref)
    return Agent(st, sw, count=count, gpus=gpu_list, output=output, function=function,
                 max_failures=max_failures, exit_on_pause=exit_on_pause).run()
