"""What a training program uses: its parameters, a way to log metrics, and a run.

Standard library only: programs import this, and it must cost them nothing.
The protocol underneath needs no sweeper at all: parameters arrive as command-line
arguments (and as JSON in the file $SWEEPER_PARAMS), and metrics are JSON objects
appended one per line to the file named by $SWEEPER_METRICS.

    with sweeper.init(config={"lr": 0.1, "epochs": 10}, project="mnist") as run:
        for epoch in range(sweeper.config.epochs):
            sweeper.log({"epoch": epoch, "val_acc": acc})

Under an agent, `init` merges the sweep's parameters over the defaults, and the sweep's keys
stay locked (objects.Config). Outside any sweep it records a standalone run in the store
(standalone.py), so plain training runs can be listed and compared with the same commands.
"""

from __future__ import annotations

import os
import signal
import sys

from .objects import Config, RunStopped, as_dict

__all__ = ["Run", "RunStopped", "config", "init", "log", "finish", "current"]


def _sweep_params() -> dict:
    path = os.environ.get("SWEEPER_PARAMS")
    if path and os.path.exists(path):
        import json
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return {}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# The current run's parameters, the sweep's keys locked. Read at import only under an agent
# ($SWEEPER_PARAMS set), so a plain import stays free.
_params = _sweep_params()
config = Config(_params, _params)
del _params



class Run:
    """The run a program is part of, as `sweeper.init()` returns it and `sweeper.run` holds it.

    Attributes: id, name, config (sweeper.config), summary (the last logged value of each
    key), dir (its folder: metrics.jsonl, output.log), sweep_id (None outside a sweep), project.
    A context manager: `with sweeper.init(...) as run:` finishes the run on leaving; an
    exception inside marks a standalone run failed (a sweep run fails by its exit code).
    """

    def __init__(self, run_id: str | None, run_dir: str | None, cfg: Config, sweep_id: str | None = None,
                 project: str | None = None, name: str | None = None):
        self.id = run_id
        self.dir = run_dir
        self.config = cfg
        self.sweep_id = sweep_id
        self.project = project
        self.summary: dict = {}
        self._name = name
        self._standalone = None  # the store-side recorder of a run outside any sweep

    @property
    def name(self) -> str | None:
        """The name given to init() (or set here); the run's ID when it has none."""
        return self._name or self.id

    @name.setter
    def name(self, value: str | None):
        self._name = None if value is None else str(value)
        _record_name(self)

    def log(self, data: dict, step: int | None = None):
        log(data, step)

    def finish(self, exit_code: int | None = None):
        if _run is self:
            finish(exit_code)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, _tb):
        if _run is self:
            finish(_exit_code(kind, exc))
        return False

    def __repr__(self):
        return f"<sweeper run {self.id} in {self.dir}>"


_run: Run | None = None
_had_run = False  # init() was called in this process (a forked run: since the fork)
_metrics_file = None
_stop_reason: str | None = None


def current() -> Run | None:
    """The current run (`sweeper.run`), or None before init() and after finish()."""
    return _run


def _on_sigterm(signum, _frame):
    global _stop_reason
    _stop_reason = "the run was stopped (SIGTERM from its agent: early termination, cancel or Ctrl+C)"


def _stop_requested(reason: str):
    global _stop_reason
    _stop_reason = reason


def init(config=None, project: str | None = None, name: str | None = None, **_ignored) -> Run:
    """Start the current run (or return it, if one is going on).

    Args:
        config: the program's defaults: a dict (nested dicts allowed) or an argparse.Namespace.
            Under a sweep, the sweep's parameters are merged over them and locked.
        project: the project a standalone run is recorded under (outside a sweep).
        name: the run's name, kept in the store (`runs.name`); W&B's other keywords (entity,
            save_code, reinit...) are accepted and ignored.

    Returns:
        The Run, also `sweeper.run`; `sweeper.config` holds its parameters. Use it as a
        context manager to finish it on leaving the block.
    """
    global _run
    if _run is not None:
        return _run
    global _had_run
    sweep = _sweep_params()
    cfg = globals()["config"]
    # What the program put in sweeper.config before its first init() is kept (W&B's order:
    # config.update(cfg) then init()); a later run of the same process starts afresh.
    base = {} if _had_run else dict(cfg)
    _had_run = True
    merged = _merge(_merge(base, as_dict(config)), sweep)
    cfg._load(merged, sweep)
    if os.environ.get("SWEEPER_METRICS"):
        _run = Run(os.environ.get("SWEEPER_RUN_ID"), os.environ.get("SWEEPER_RUN_DIR"), cfg,
                   os.environ.get("SWEEPER_SWEEP_ID"), project, name)
        try:
            # The agent stops a run with SIGTERM; turn it into RunStopped at the next log().
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:
            pass  # not in the main thread: SIGTERM keeps its default
        if name is not None:
            _record_name(_run)
    else:
        from .standalone import start
        run_id, run_dir, recorder = start(dict(cfg), project, finish, name=name)
        recorder.on_stop = _stop_requested
        _run = Run(run_id, run_dir, cfg, None, project, name)
        _run._standalone = recorder
    return _run


NAME_FILE = "name.txt"  # in the run's folder: a program's run name, stored by its agent (agents/launch.py)


def _record_name(run: Run) -> None:
    if run._standalone is not None:
        run._standalone.set_name(run._name)
    elif run.dir:
        # Under an agent, program or forked function: the agent owns the run's record and
        # stores the name with the run's end; written whole, then renamed, so never half read.
        path = os.path.join(run.dir, NAME_FILE)
        try:
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write("" if run._name is None else run._name)
            os.replace(path + ".tmp", path)
        except OSError as exc:
            print(f"sweeper: the run's name was not recorded: {exc}", file=sys.stderr, flush=True)


def log(data: dict, step: int | None = None) -> None:
    """Append one metrics line to the run's metrics file.

    Args:
        data: metric names and values (numbers, or anything JSON takes; numpy and torch
            scalars are turned into numbers).
        step: written as `_step` on the line, when given.

    Raises RunStopped once the run has been stopped by its agent. Without $SWEEPER_METRICS
    and no init(), it does nothing.
    """
    global _metrics_file
    if not isinstance(data, dict):
        raise TypeError(f"sweeper.log takes a dict of metrics, not {type(data).__name__}")
    if _stop_reason is not None:
        raise RunStopped(_stop_reason)
    if _metrics_file is None:
        path = os.environ.get("SWEEPER_METRICS")
        if not path:
            return
        _metrics_file = open(path, "a", encoding="utf-8", buffering=1)
    if step is not None:
        data = {**data, "_step": step}
    if _run is not None:
        _run.summary.update(data)
    import json  # here, not at the top: importing sweeper must stay free for programs
    _metrics_file.write(json.dumps(data, default=_plain) + "\n")


def finish(exit_code: int | None = None, **_ignored) -> None:
    """End the current run: close its metrics file; a standalone run is recorded as ended.

    Args:
        exit_code: 0 (or None) records a standalone run finished, anything else failed.
            Under an agent the run's state comes from the program's exit, not from here.
    """
    global _run, _metrics_file
    if _metrics_file is not None:
        _metrics_file.close()
        _metrics_file = None
    run, _run = _run, None
    if run is not None and run._standalone is not None:
        os.environ.pop("SWEEPER_METRICS", None)
        run._standalone.finish(exit_code or 0)


def _exit_code(kind, exc) -> int:
    if kind is None:
        return 0
    if isinstance(exc, SystemExit):
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 1


def _reset_for_child(env: dict) -> None:
    """A forked function run starts clean: its own run, parameters and metrics file."""
    global _run, _metrics_file, _stop_reason, _had_run
    _run, _metrics_file, _stop_reason, _had_run = None, None, None, False
    os.environ.update(env)
    params = _sweep_params()
    config._load(params, params)


def _plain(value):
    """numpy and torch scalars, and anything else with .item() or __float__."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)
