"""Sweeps from Python, with W&B's names: `sweeper.sweep(config)` and `sweeper.agent(id, function)`.

    sweep_id = sweeper.sweep(sweep_config, project="mnist")
    sweeper.agent(sweep_id, function=train, count=5)

Importing this module costs nothing; the store and the agent load when first called.
"""

from __future__ import annotations

import os


def sweep(config, project: str | None = None, entity: str | None = None, store: str | None = None,
          prior_runs=None) -> str:
    """Validate a sweep config as `sweeper sweep` does, and register it.

    Args:
        config: the sweep config: a dict (W&B's format), or the path of a YAML file.
        project: the project it belongs to (the config's `project:` otherwise).
        entity: kept with it, as W&B's entity.
        store: the store's URL or path (default: SWEEPER_STORE, or the nearest .sweeper/).
        prior_runs: IDs of runs (of other sweeps, or standalone) a bayes sweep learns from, as
            W&B's; those whose parameters do not fit the sweep's are left out with a warning.

    Returns:
        The sweep ID, for `sweeper.agent`.

    Raises SweepConfigError listing every problem; nothing is registered then.
    """
    from .store import open_store
    from .sweepfile.load import load_dict, load_file

    if isinstance(config, (str, os.PathLike)):
        cfg = load_file(config)
    else:
        cfg = load_dict(config, source="sweep config")
    st = open_store(store)
    priors = []
    if prior_runs:
        import warnings

        from .search.priors import candidates, check

        priors, refused, _ = check(cfg.normalized, candidates(st, list(prior_runs)))
        for rid, why in refused.items():
            warnings.warn(f"prior run {rid} left out: {why}", stacklevel=2)
    return st.create_sweep(cfg, project=project, entity=entity, priors=priors)["id"]


def agent(sweep_id: str, function=None, count: int | None = None, project: str | None = None,
          entity: str | None = None, store: str | None = None, gpus=None, output: str = "plain",
          max_failures: int = 3, exit_on_pause: bool = False, grace: float = 10.0) -> int:
    """Run the sweep: call `function` once per claimed run, each in its own forked process,
    or, without one, launch the sweep's program as `sweeper agent` does.

    Works from a script or a notebook (Jupyter): a run's output goes to its output.log and
    to this process's stdout (the cell).

    Args:
        sweep_id: the sweep's ID (or ENTITY/PROJECT/ID).
        function: called with no arguments for each run; it calls sweeper.init() and reads
            sweeper.config. An exception fails that run only; the agent goes on.
        count: at most this many runs (default: until the sweep has no more work).
        project, entity: where to look the sweep up, as W&B's.
        store: the store's URL or path (default: SWEEPER_STORE, or the nearest .sweeper/).
        gpus: "0,1", [0, 1], "all" or None; one run per GPU at once (ValueError if malformed).
        output: "plain", "prefix" (each line marked with its run) or "none".
        max_failures: the sweep's failure guard (failed runs in a row, on any agent).
        exit_on_pause: return 4 when the sweep is paused, instead of waiting for resume.
        grace: seconds between the SIGTERM that stops a run (hyperband, cancel, Ctrl+C) and
            the SIGKILL, as `sweeper agent --grace`: the time a run has to save a checkpoint
            after sweeper.log raised RunStopped.

    Returns:
        The agent's exit code, as `sweeper agent` exits (sweeper.agents.exit_codes.ExitCode):
        0 when the work is done (count reached, or the sweep has no more work), 8 when every
        run it ran failed, 6 when the sweep is failing, 5 canceled, 7 store unreachable,
        128+n for a signal.
    """
    from .agents import gpus as gpu_ids
    from .agents.loop import Agent
    from .store import open_store

    gpu_list = gpu_ids.parse(gpus)
    if grace is None or grace < 0:
        raise ValueError(f"grace must be a number of seconds, 0 or more, not {grace!r}")
    st = open_store(store)
    ref = "/".join(p for p in (entity, project, sweep_id) if p) if "/" not in sweep_id else sweep_id
    sw = st.get_sweep(ref)
    return Agent(st, sw, count=count, gpus=gpu_list, output=output, function=function,
                 max_failures=max_failures, exit_on_pause=exit_on_pause, grace=float(grace)).run()
