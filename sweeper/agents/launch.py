"""One run, start to end: its folder and files, the child process, its metrics, its record.

A mixin of Agent (loop.py), which owns the store, the sweep, the reaper and the stop events;
this part turns one claimed run into an Outcome.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..integrations.wandb import hook as wandb_hook
from ..results.format import printable
from ..store import LeaseLost
from . import command as commandline
from .child import Child
from .facts import run_facts
from .tail import Tailer, metrics_path


@dataclass
class Outcome:
    state: str
    line: str


class LaunchMixin:
    def _execute(self, run: dict, gpu) -> Outcome:
        run_id = run["id"]
        run_dir = self.store.runs_root / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        params = run["params"]
        params_path = run_dir / "params.json"
        params_path.write_text(json.dumps(params, indent=2))
        args_json = run_dir / "args.json"
        args_json.write_text(json.dumps(params))
        log_path = run_dir / "output.log"
        mpath = metrics_path(str(run_dir))
        Path(mpath).touch()
        env = dict(os.environ)
        env.update(SWEEPER_SWEEP_ID=self.sweep["id"], SWEEPER_RUN_ID=run_id, SWEEPER_RUN_DIR=str(run_dir),
                   SWEEPER_METRICS=mpath, SWEEPER_PARAMS=str(params_path))
        env.setdefault("PYTHONUNBUFFERED", "1")  # so that the program's output is seen live
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = str(gpu)
        wandb_run = wandb_hook.prepare(self, run, run_dir, env)  # a W&B script's sweep config, offline
        if self.function is not None:
            argv = self.function
            shown = commandline.for_function(self.function)
        else:
            argv = shown = commandline.build(self.config["command"], params, self.config.get("program"),
                                             args_json_file=str(args_json), env=env)
        (run_dir / "command.json").write_text(json.dumps(shown))

        try:
            child = Child(argv, env, self.cwd, str(log_path), echo=self._echo_for(run_id))
        except OSError as exc:
            return self._not_started(run, shown, exc, run_dir, log_path, env.get("CUDA_VISIBLE_DEVICES"))
        self.reaper.watch(child.pid, run_id)
        tailer = Tailer(mpath, self.store, run, self.config, log_path=str(log_path),
                        on_stop=lambda decision: self._stop_child(child, "early terminated", "stopped"),
                        on_target=lambda value: self._target_reached(run, value),
                        on_poll=wandb_run.look)  # starts the bridge once the program starts a W&B run
        with self.lock:
            self.active[run_id] = child
        if self.halt.is_set():
            self._stop_child(child, self.halt_reason, self.halt_state)
        if self._facts is None:
            self._facts = run_facts(self.cwd, shown)
        lost = False
        try:
            self.store.update_run(run_id, fence=True, pid=child.pid, command=shown, started_at=child.started,
                                  run_dir=str(run_dir), gpu=env.get("CUDA_VISIBLE_DEVICES"), **self._facts)
        except LeaseLost:
            lost = True
            child.signal_group(signal.SIGKILL)
        tailer.start()
        # Block until the program ends; stopping it (hyperband, cancel, a signal, a lost lease) is
        # done by other threads through _stop_child, so the wait costs nothing per run.
        child.wait()
        wandb_run.stop()  # the bridge's last rows are in the metrics file before the tailer's last read
        with self.lock:
            self.active.pop(run_id, None)
        child.signal_group(signal.SIGKILL)  # what the program left behind in its group goes too
        self.reaper.forget(child.pid)
        try:
            tailer.finish(summary=wandb_run.summary())
        except LeaseLost:
            lost = True
        if lost or child.stop_state == "superseded":
            return self._superseded(run)
        return self._record(run, child, tailer)

    def _superseded(self, run) -> Outcome:
        return Outcome("superseded", f"run {run['id']} (#{run['number']}) was not recorded: its lease ran out "
                                     "while this agent was away (stopped, or cut off from the store), and the "
                                     "run was reaped; its grid point is run by another run")

    def _not_started(self, run, shown, exc: OSError, run_dir, log_path, gpu) -> Outcome:
        """The program could not be started (no such executable, not executable): a failed run
        whose log holds the OS error, counted by the failure guard like any other failure."""
        what = shown[0] if shown else "the program"
        why = exc.strerror or str(exc)
        if isinstance(exc, FileNotFoundError) and os.sep not in str(what):
            why += f": '{what}' is not on PATH"
        message = f"[sweeper] could not start {what}: {why}\n"
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(message)
        now = time.time()
        self.store.update_run(run["id"], command=shown, started_at=now, run_dir=str(run_dir), gpu=gpu)
        settled = self.store.finish_run(run["id"], "failed", max_failures=self.max_failures, exit_code=None,
                                        stop_reason=f"could not start {what}: {why}", error=message, ended_at=now)
        self._after_failure(settled, message)
        line = f"run {run['id']} (#{run['number']}) failed: could not start {printable(what)}: {printable(why)}"
        return Outcome("failed", line)

    def _record(self, run, child: Child, tailer: Tailer) -> Outcome:
        values = {"exit_code": child.exit_code, "signal": child.exit_signal}
        took = time.time() - child.started
        if tailer.decision is not None:
            state = "stopped"
            values.update(stop_reason=tailer.decision.reason(self.config["metric"]["goal"]),
                          band=tailer.decision.band)
        elif child.terminated_by_us:
            state = child.stop_state or "stopped"
            values["stop_reason"] = child.terminated_by_us
        elif child.exit_code == 0:
            state = "finished"
        else:
            state = "failed"
            how = (f"killed by signal {child.exit_signal} ({_signame(child.exit_signal)})"
                   if child.exit_signal else f"exit code {child.exit_code}")
            values["stop_reason"] = how
            values["error"] = child.last_lines(20)
        if child.log_error:  # a full disk cut output.log short: the run's record says so
            values["stop_reason"] = "; ".join(filter(None, (values.get("stop_reason"), child.log_error)))
        name = _program_name(self.store.runs_root / run["id"])
        if name is not None:
            values["name"] = name
        settled = self.store.finish_run(run["id"], state, max_failures=self.max_failures, **values)
        if settled and settled.get("lost"):
            return self._superseded(run)
        if state == "failed":
            self._after_failure(settled, values.get("error"))
        metric = self.config.get("metric", {}).get("name")
        bits = [f"run {run['id']} (#{run['number']}) {state} in {took:.1f}s"]
        if metric and tailer.best_value is not None:
            bits.append(f"best {printable(metric)} {tailer.best_value:.6g}")
        if values.get("stop_reason"):
            bits.append(printable(values["stop_reason"]))
        missing = tailer.missing_metric() if state in ("finished", "stopped") else None
        if missing:
            # without it, bayes learns nothing from the run and hyperband and metric.target never act
            bits.append(printable(missing) + " (the sweep file's metric.name must match a key the "
                        "program logs)")
        if state == "interrupted":
            # Only a grid runs an interrupted point again by itself; `sweeper rerun` does it for any method.
            bits.append("its point will be run again" if self.config["method"] == "grid" else
                        f"`sweeper rerun {self.sweep['id']} {run['id']}` runs its parameters again")
        if state == "failed":
            tail = child.last_lines(5).rstrip()
            if tail:
                bits.append("last output:\n    " + printable(tail).replace("\\n", "\n    "))
            if self.interpreter_warning and "ModuleNotFoundError" in child.last_lines(40):
                bits.append(f"note: {self.interpreter_warning}")
        return Outcome(state, "; ".join(bits))

    def _after_failure(self, settled: dict | None, output: str | None):
        """This failure tripped the sweep's failure guard: start no more runs, say why."""
        if settled and settled["state"] == "failing" and settled.get("reason"):
            from .exit_codes import ExitCode
            self._set_stop(ExitCode.FAILING, settled["reason"], output)

    def _stop_child(self, child: Child, reason: str, state: str):
        threading.Thread(target=child.stop, args=(reason, self.grace, self.kill_now, state),
                         name=f"stop-{child.pid}", daemon=True).start()

    def _target_reached(self, run, value):
        metric = self.config["metric"]
        reason = (f"metric target reached: run {run['id']} logged {metric['name']} {value:.6g} "
                  f"(target {metric['target']})")
        self.store.set_sweep_state(self.sweep["id"], "finished", reason=reason, only_from=("running",),
                                   target_run_id=run["id"])
        self.say(printable(reason))

    def _echo_for(self, run_id: str):
        if self.output == "none":
            return None
        out = getattr(sys.stdout, "buffer", None)
        if out is None:
            return None  # a notebook's or a redirected stdout: the run's log has it all
        prefix = f"[{run_id}] ".encode() if self.output == "prefix" else b""
        pending = [b""]  # output comes in chunks; prefixed, a line is shown once whole, so runs never mix in one

        def echo(data: bytes):
            if prefix:
                data = pending[0] + data
                cut = data.rfind(b"\n") + 1
                data, pending[0] = data[:cut], data[cut:]
                if not data:
                    return
                data = prefix + data[:-1].replace(b"\n", b"\n" + prefix) + b"\n"
            with self._out_lock:
                out.write(data)
                out.flush()
        return echo


def _program_name(run_dir) -> str | None:
    """The name the program gave its run (sweeper.init(name=...) writes it in the run's folder)."""
    from ..program.runtime import NAME_FILE

    try:
        with open(os.path.join(run_dir, NAME_FILE), encoding="utf-8") as f:
            return f.read() or None
    except (OSError, UnicodeDecodeError):
        return None


def _signame(n) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return "?"
