"""What a training program uses: its parameters, a way to log metrics, and a run.

Standard library only: programs import this, and it must cost them nothing.
The protocol underneath needs no sweeper at all: parameters arrive as command-line
arguments (and as JSON in the file $SWEEPER_PARAMS), and metrics are JSON objects
appended one per line to the file named by $SWEEPER_METRICS.

    run = sweeper.init(config={"lr": 0.1, "epochs": 10}, project="mnist")
    for epoch in range(sweeper.config.epochs):
        sweeper.log({"epoch": epoch, "val_acc": acc})
    sweeper.finish()

Under an agent, `init` merges the sweep's parameters over the defaults. Outside any sweep
it records a standalone run in the store, so plain training runs can be listed and
compared with the same commands.
"""

from __future__ import annotations

import os
import signal

from .objects import Config, RunStopped


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


def _replace(cfg: Config, data: dict) -> None:
    dict.clear(cfg)
    dict.update(cfg, Config(data))


# The current run's parameters. Read at import only under an agent ($SWEEPER_PARAMS set),
# so a plain import stays free.
config = Config(_sweep_params())


class Run:
    """The run a program is part of: `run.id`, `run.dir`, `run.config`."""

    def __init__(self, run_id: str | None, run_dir: str | None, cfg: Config, sweep_id: str | None = None,
                 project: str | None = None):
        self.id = run_id
        self.dir = run_dir
        self.config = cfg
        self.sweep_id = sweep_id
        self.project = project
        self._standalone = None  # the store-side recorder of a run outside any sweep

    def log(self, data: dict, step: int | None = None):
        log(data, step)

    def finish(self):
        finish()

    def __repr__(self):
        return f"<sweeper run {self.id} in {self.dir}>"


_run: Run | None = None
_metrics_file = None
_stop_reason: str | None = None


def _on_sigterm(signum, _frame):
    global _stop_reason
    _stop_reason = "the run was stopped (SIGTERM from its agent: early termination, cancel or Ctrl+C)"


def init(config: dict | None = None, project: str | None = None, **_ignored) -> Run:
    """Start (or join) the current run; returns it. Extra W&B keywords (entity, name...) are ignored."""
    global _run
    if _run is not None:
        return _run
    merged = _merge(dict(config or {}), _sweep_params())
    _replace(globals()["config"], merged)
    if os.environ.get("SWEEPER_METRICS"):
        _run = Run(os.environ.get("SWEEPER_RUN_ID"), os.environ.get("SWEEPER_RUN_DIR"), globals()["config"],
                   os.environ.get("SWEEPER_SWEEP_ID"), project)
        try:
            # The agent stops a run with SIGTERM; turn it into RunStopped at the next log().
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:
            pass  # not in the main thread: SIGTERM keeps its default
    else:
        from .standalone import start
        run_id, run_dir, recorder = start(merged, project, finish)
        _run = Run(run_id, run_dir, Config(merged), None, project)
        _run._standalone = recorder
    return _run


def log(data: dict, step: int | None = None) -> None:
    """Append one metrics line. Without $SWEEPER_METRICS and no init(), it does nothing."""
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
    import json  # here, not at the top: importing sweeper must stay free for programs
    _metrics_file.write(json.dumps(data, default=_plain) + "\n")


def finish(exit_code: int = 0) -> None:
    """End the current run: close its metrics file; a standalone run is recorded as ended."""
    global _run, _metrics_file
    if _metrics_file is not None:
        _metrics_file.close()
        _metrics_file = None
    run, _run = _run, None
    if run is not None and run._standalone is not None:
        run._standalone.finish(exit_code)
        os.environ.pop("SWEEPER_METRICS", None)


def _reset_for_child(env: dict) -> None:
    """A forked function run starts clean: its own run, parameters and metrics file."""
    global _run, _metrics_file, _stop_reason
    _run, _metrics_file, _stop_reason = None, None, None
    os.environ.update(env)
    _replace(config, _sweep_params())


def _plain(value):
    """numpy and torch scalars, and anything else with .item() or __float__."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)
