"""The agent: claim the next run, launch the program, follow its metrics, record, repeat.

One agent runs one run at a time, or one per GPU with `gpus` (a slot thread each). It
coordinates with other agents only through the store. Its exit code says why it ended
(see EXIT_CODES).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..store import StoreError, StoreUnavailable
from . import command as commandline
from .child import Child
from .exit_codes import MEANING as EXIT_CODES
from .exit_codes import ExitCode
from .reaper import Reaper
from .tail import Tailer, metrics_path

COUNT_DONE, ERROR, SWEEP_DONE, PAUSED, CANCELED, FAILING, STORE_LOST = (
    ExitCode.OK, ExitCode.ERROR, ExitCode.SWEEP_DONE, ExitCode.PAUSED, ExitCode.CANCELED, ExitCode.FAILING,
    ExitCode.STORE_LOST)
_CLAIM_CODES = {"paused": PAUSED, "canceled": CANCELED, "finished": SWEEP_DONE, "exhausted": SWEEP_DONE,
                "run_cap": SWEEP_DONE, "target": SWEEP_DONE}
HEARTBEAT_SECONDS = float(os.environ.get("SWEEPER_HEARTBEAT_SECONDS", "3"))


class AgentError(Exception):
    """The agent cannot start (no program, bad command...): nothing was claimed."""


@dataclass
class Outcome:
    state: str
    line: str


class Agent:
    def __init__(self, store, sweep: dict, count: int | None = None, gpus: list[str] | None = None,
                 retry_failed: bool = False, grace: float = 10.0, max_failures: int = 3,
                 output: str = "auto", cwd: str | None = None, say=None, function=None):
        self.store = store
        self.sweep = sweep
        self.config = sweep["config"]
        self.count = count
        self.gpus = gpus or [None]
        self.retry_failed = retry_failed
        self.grace = grace
        self.max_failures = max_failures
        self.output = ("prefix" if len(self.gpus) > 1 else "plain") if output == "auto" else output
        self.cwd = cwd or os.getcwd()
        self.function = function  # run this callable in a forked process instead of the program
        self.say = say or (lambda msg: print(f"sweeper: {msg}", file=sys.stderr, flush=True))

        self.lock = threading.Lock()
        self.started = 0
        self.ended = 0
        self.failures_in_a_row = 0
        self.stop_code: int | None = None
        self.stop_reason: str | None = None
        self.halt = threading.Event()  # stop running children (cancel, signal, lost store)
        self.halt_reason = ""
        self.kill_now = threading.Event()  # second Ctrl+C: no grace
        self.signal_number: int | None = None
        self.agent_id: str | None = None
        self._out_lock = threading.Lock()
        self._facts: dict | None = None
        self.finished = threading.Event()
        self.active: dict[str, Child] = {}  # run id -> its running program

    # ---- the whole life of an agent ---------------------------------------------------

    def preflight(self):
        """Refuse to start, before claiming anything, when no run could possibly work."""
        if self.function is not None:
            if not callable(self.function):
                raise AgentError(f"function must be callable, not {type(self.function).__name__}")
            return
        template = self.config.get("command") or []
        program = self.config.get("program")
        argv = commandline.build(template, {}, program, args_json_file="args.json")
        uses_program = any(str(e) == "${program}" for e in template)
        if uses_program and not os.path.exists(os.path.join(self.cwd, program)):
            raise AgentError(f"program '{program}' not found in {self.cwd} (the agent starts the sweep's "
                             "program relative to the directory it runs in)")
        if not argv:
            raise AgentError("the sweep's command is empty")

    def run(self) -> int:
        self.preflight()
        self.agent_id = self.store.register_agent(self.sweep["id"], ",".join(g for g in self.gpus if g) or None)
        self.reaper = Reaper()
        previous = self._install_signals()
        beat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        beat.start()
        slots = [threading.Thread(target=self._slot, args=(gpu,), name=f"slot-{gpu}") for gpu in self.gpus]
        for t in slots:
            t.start()
        try:
            while any(t.is_alive() for t in slots):
                for t in slots:
                    t.join(0.1)
        finally:
            self.finished.set()
            self.reaper.close()
            self._restore_signals(previous)
        code = self._final_code()
        self.say(self._final_line(code))
        try:
            self.store.end_agent(self.agent_id, self.stop_reason or "")
        except StoreError:
            pass
        return code

    def _final_code(self) -> int:
        if self.signal_number is not None:
            return 128 + self.signal_number
        if self.stop_code is not None:
            return self.stop_code
        return COUNT_DONE

    def _final_line(self, code: int) -> str:
        ran = f"{self.ended} run{'s' if self.ended != 1 else ''}"
        if self.signal_number is not None:
            return f"stopped by {signal.Signals(self.signal_number).name} after {ran} (exit {code})"
        verb = "done" if code in (COUNT_DONE, SWEEP_DONE) else "stopped"
        return f"{verb} after {ran}: {self.stop_reason or EXIT_CODES.get(code, '')} (exit {code})"

    def _set_stop(self, code: int, reason: str):
        with self.lock:
            if self.stop_code is None:
                self.stop_code, self.stop_reason = code, reason

    # ---- slots: one run at a time each ------------------------------------------------

    def _slot(self, gpu):
        while True:
            with self.lock:
                if self.stop_code is not None or self.signal_number is not None:
                    return
                if self.count is not None and self.started >= self.count:
                    self.stop_code = COUNT_DONE
                    self.stop_reason = f"ran --count {self.count}"
                    return
                self.started += 1
            claim = None
            try:
                claim = self.store.claim(self.sweep["id"], self.agent_id, _choose,
                                         retry_failed=self.retry_failed, gpu=gpu)
                if claim.run is None:
                    with self.lock:
                        self.started -= 1
                    self._set_stop(_CLAIM_CODES.get(claim.code, SWEEP_DONE), claim.stop)
                    return
                outcome = self._execute(claim.run, gpu)
            except StoreUnavailable as exc:
                self._lost_store(exc)
                return
            except (StoreError, OSError) as exc:
                # A store that refuses writes (full disk, read-only) or run files that cannot be
                # written: stop cleanly, say why; the run is reaped as crashed by whoever looks next.
                self._set_stop(ERROR, str(exc))
                self._halt(f"the agent hit an error: {exc}")
                return
            self.say(outcome.line)
            with self.lock:
                self.ended += 1
                if outcome.state == "failed":
                    self.failures_in_a_row += 1
                elif outcome.state == "finished":
                    self.failures_in_a_row = 0
                failing = self.failures_in_a_row >= self.max_failures
            if failing:
                self._set_stop(FAILING, f"the program failed {self.failures_in_a_row} times in a row "
                                        f"(--max-failures {self.max_failures}); see `sweeper logs RUN_ID`")

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
        if self.function is not None:
            argv = self.function
            shown = [f"<function {getattr(self.function, '__qualname__', repr(self.function))}>"]
        else:
            argv = shown = commandline.build(self.config["command"], params, self.config.get("program"),
                                             args_json_file=str(args_json), env=env)
        (run_dir / "command.json").write_text(json.dumps(shown))

        child = Child(argv, env, self.cwd, str(log_path), echo=self._echo_for(run_id))
        self.reaper.watch(child.pid)
        tailer = Tailer(mpath, self.store, run, self.config, log_path=str(log_path),
                        on_stop=lambda decision: self._stop_child(child, "early terminated"),
                        on_target=lambda value: self._target_reached(run, value))
        with self.lock:
            self.active[run_id] = child
        if self.halt.is_set():
            self._stop_child(child, self.halt_reason)
        facts = self._run_facts(shown)
        self.store.update_run(run_id, pid=child.pid, command=shown, started_at=child.started, run_dir=str(run_dir),
                              gpu=env.get("CUDA_VISIBLE_DEVICES"), **facts)
        tailer.start()
        # Block until the program ends; stopping it (hyperband, cancel, a signal) is done by
        # other threads through _stop_child, so the wait costs nothing per run.
        child.wait()
        with self.lock:
            self.active.pop(run_id, None)
        child.signal_group(signal.SIGKILL)  # what the program left behind in its group goes too
        self.reaper.forget(child.pid)
        tailer.finish()
        return self._record(run, child, tailer)

    def _record(self, run, child: Child, tailer: Tailer) -> Outcome:
        values = {"exit_code": child.exit_code, "signal": child.exit_signal}
        took = time.time() - child.started
        if tailer.decision is not None:
            state = "stopped"
            values.update(stop_reason=tailer.decision.reason(self.config["metric"]["goal"]),
                          band=tailer.decision.band)
        elif child.terminated_by_us:
            state = "stopped"
            values["stop_reason"] = child.terminated_by_us
        elif child.exit_code == 0:
            state = "finished"
        else:
            state = "failed"
            how = (f"killed by signal {child.exit_signal} ({_signame(child.exit_signal)})"
                   if child.exit_signal else f"exit code {child.exit_code}")
            values["stop_reason"] = how
            values["error"] = child.last_lines(20)
        self.store.finish_run(run["id"], state, **values)
        metric = self.config.get("metric", {}).get("name")
        bits = [f"run {run['id']} (#{run['number']}) {state} in {took:.1f}s"]
        if metric and tailer.best_value is not None:
            bits.append(f"best {metric} {tailer.best_value:.6g}")
        if values.get("stop_reason"):
            bits.append(values["stop_reason"])
        if state == "failed":
            tail = child.last_lines(5).rstrip()
            if tail:
                bits.append("last output:\n    " + tail.replace("\n", "\n    "))
        return Outcome(state, "; ".join(bits))

    def _stop_child(self, child: Child, reason: str):
        threading.Thread(target=child.stop, args=(reason, self.grace, self.kill_now),
                         name=f"stop-{child.pid}", daemon=True).start()

    def _halt(self, reason: str):
        """Stop every running program: the sweep was canceled, a signal came, the store is gone."""
        self.halt_reason = reason
        self.halt.set()
        with self.lock:
            children = list(self.active.values())
        for child in children:
            self._stop_child(child, reason)

    def _target_reached(self, run, value):
        metric = self.config["metric"]
        reason = (f"metric target reached: run {run['id']} logged {metric['name']} {value:.6g} "
                  f"(target {metric['target']})")
        self.store.set_sweep_state(self.sweep["id"], "finished", reason=reason, only_from=("running",),
                                   target_run_id=run["id"])
        self.say(reason)

    # ---- output ---------------------------------------------------------------------

    def _echo_for(self, run_id: str):
        if self.output == "none":
            return None
        out = sys.stdout.buffer
        prefix = f"[{run_id}] ".encode() if self.output == "prefix" else b""

        def echo(line: bytes):
            with self._out_lock:
                out.write(prefix + line)
                out.flush()
        return echo

    def _run_facts(self, argv) -> dict:
        """Git commit of the working directory and the Python version: asked once per agent."""
        if self._facts is None:
            facts = {"git_commit": None, "git_dirty": None, "python_version": None}
            try:
                head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.cwd, capture_output=True,
                                      text=True, timeout=10)
                if head.returncode == 0:
                    facts["git_commit"] = head.stdout.strip()
                    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                           cwd=self.cwd, capture_output=True, text=True, timeout=10)
                    facts["git_dirty"] = bool(dirty.stdout.strip())
            except (OSError, subprocess.SubprocessError):
                pass
            interp = commandline.interpreter()
            if interp in argv:
                try:
                    v = subprocess.run([interp, "-c", "import platform; print(platform.python_version())"],
                                       capture_output=True, text=True, timeout=20)
                    facts["python_version"] = v.stdout.strip() or None
                except (OSError, subprocess.SubprocessError):
                    pass
            else:
                facts["python_version"] = platform.python_version()
            self._facts = facts
        return self._facts

    # ---- heartbeat, signals, the store going away ---------------------------------------

    def _heartbeat(self):
        while not self.finished.wait(HEARTBEAT_SECONDS):
            try:
                state = self.store.heartbeat(self.agent_id)
            except StoreUnavailable as exc:
                self._lost_store(exc)
                return
            except StoreError as exc:
                self.say(f"heartbeat failed: {exc}")
                continue
            if state["state"] == "canceled":
                self._set_stop(CANCELED, state["reason"] or "the sweep was canceled")
                self._halt("the sweep was canceled")
            elif state["state"] == "paused":
                self._set_stop(PAUSED, "the sweep is paused: running runs finish, no new ones start")
            elif state["state"] == "finished":
                self._set_stop(SWEEP_DONE, state["reason"] or "the sweep is finished")

    def _lost_store(self, exc):
        self._set_stop(STORE_LOST, f"lost the store: {exc}")
        self._halt("the agent lost the store")

    def _install_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    def _restore_signals(self, previous):
        for sig, handler in (previous or {}).items():
            signal.signal(sig, handler)

    def _on_signal(self, signum, _frame):
        if self.signal_number is not None:
            self.say("second signal: killing runs now")
            self.kill_now.set()
            return
        self.signal_number = signum
        name = signal.Signals(signum).name
        self.say(f"got {name}: stopping runs (SIGTERM, then SIGKILL after {self.grace:g}s; "
                 "Ctrl+C again to kill now)")
        self._halt(f"the agent got {name}")


def _choose(sweep, history, retry_failed):
    from ..search import choose
    return choose(sweep, history, retry_failed)


def _signame(n) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return "?"
