"""The agent: claim the next run, launch the program, follow its metrics, record, repeat.

One agent runs one run at a time, or one per GPU with `gpus` (a slot thread each). It
coordinates with other agents only through the store. Its exit code says why it ended
(exit_codes.py): 0 when the work is done, non-zero when a person should look.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from ..results.format import params_line, printable
from ..store import NotFound, StoreError, StoreUnavailable
from . import command as commandline
from .child import Child
from .exit_codes import MEANING, ExitCode, for_signal
from .facts import interpreter_note
from .launch import LaunchMixin
from .reaper import Reaper

HEARTBEAT_SECONDS = float(os.environ.get("SWEEPER_HEARTBEAT_SECONDS", "3"))
PAUSE_POLL_SECONDS = float(os.environ.get("SWEEPER_PAUSE_POLL_SECONDS", "2"))
# What a claim that gave no run means for the agent; "paused" waits unless --exit-on-pause.
_CLAIM_CODES = {"paused": ExitCode.PAUSED, "canceled": ExitCode.CANCELED, "failing": ExitCode.FAILING}
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class AgentError(Exception):
    """The agent cannot start (no program, bad command...): nothing was claimed."""


class _Interrupted(BaseException):
    """A signal before any run started: unwind whatever the agent was doing (a store retry)."""


class Agent(LaunchMixin):
    def __init__(self, store, sweep: dict, count: int | None = None, gpus: list[str] | None = None,
                 retry_failed: bool = False, grace: float = 10.0, max_failures: int = 3,
                 output: str = "auto", cwd: str | None = None, say=None, function=None,
                 exit_on_pause: bool = False):
        self.store = store
        self.sweep = sweep
        self.config = sweep["config"]
        self.count = count
        self.gpus = gpus or [None]
        self.retry_failed = retry_failed
        self.grace = grace
        self.max_failures = max_failures
        self.exit_on_pause = exit_on_pause
        self.output = ("prefix" if len(self.gpus) > 1 else "plain") if output == "auto" else output
        self.cwd = cwd or os.getcwd()
        self.function = function  # run this callable in a forked process instead of the program
        self.say = say or _say

        self.lock = threading.Lock()
        self.started = 0
        self.ended = 0
        self.failed_runs = 0
        self.stop_code: int | None = None
        self.stop_reason: str | None = None
        self.stop_detail: str | None = None
        self.halt = threading.Event()  # stop running children (cancel, signal, lost store)
        self.halt_reason = ""
        self.halt_state = "interrupted"
        self.kill_now = threading.Event()  # second Ctrl+C: no grace
        self.signal_number: int | None = None
        self.agent_id: str | None = None
        self.interpreter_warning: str | None = None
        self.wandb_python: str | None = None  # the runs' interpreter, as the W&B hook found it (once)
        self._slots_started = False
        self._paused_said = False
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
        # Signals first: Ctrl+C or a SIGTERM at any moment, start-up included, ends with 128 + n.
        previous = self._install_signals()
        try:
            try:
                self.preflight()
                self.agent_id = self.store.register_agent(self.sweep["id"],
                                                          ",".join(g for g in self.gpus if g) or None)
                self._announce()
                self.reaper = Reaper()
                self._slots_started = True  # from here on a signal stops runs instead of unwinding
            except _Interrupted:
                code = for_signal(self.signal_number)
                self.say(f"stopped by {signal.Signals(self.signal_number).name} before any run (exit {code})")
                return code
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
        finally:
            self._restore_signals(previous)
        code = self._final_code()
        self.say(self._final_line(code))
        try:
            self.store.end_agent(self.agent_id, self.stop_reason or "")
        except StoreError:
            pass
        return code

    def _announce(self):
        cfg = self.config
        what = cfg["method"]
        if cfg["method"] == "grid":
            from ..search import space_of  # kept: the claims that follow use the same axes
            what += f", {space_of(self.sweep).grid_size()} grid points"
        gpus = [g for g in self.gpus if g is not None]
        self.say(f"agent {self.agent_id} on sweep {self.sweep['id']} ({what}): "
                 + (f"{self.count} run{'s' if self.count != 1 else ''}" if self.count else "until the sweep is done")
                 + (f", one at a time on each of GPUs {','.join(gpus)}" if gpus else ""))
        if self.function is None:
            interp, warning = interpreter_note(cfg.get("command") or [])
            if interp:
                self.say(f"runs use the interpreter {interp} (`python` on PATH; SWEEPER_INTERPRETER overrides it)")
            if warning:
                self.interpreter_warning = warning
                self.say(f"warning: {warning}")

    def _final_code(self) -> int:
        if self.signal_number is not None:
            return for_signal(self.signal_number)
        if self.stop_code is not None and self.stop_code != ExitCode.OK:
            return self.stop_code
        if self.ended and self.failed_runs == self.ended:
            return ExitCode.RUNS_FAILED
        return ExitCode.OK

    def _final_line(self, code: int) -> str:
        ran = f"{self.ended} run{'s' if self.ended != 1 else ''}"
        if self.signal_number is not None:
            return f"stopped by {signal.Signals(self.signal_number).name} after {ran} (exit {code})"
        if code == ExitCode.RUNS_FAILED:
            why = (f"{'its run' if self.ended == 1 else f'all {self.ended} of its runs'} failed "
                   "(`sweeper logs RUN_ID` has the output)")
            return f"stopped after {ran}: {why} (exit {code})"
        verb = "done" if code == ExitCode.OK else "stopped"
        line = f"{verb} after {ran}: {printable(self.stop_reason or MEANING.get(code, ''))} (exit {code})"
        if self.stop_detail:
            line += "\nlast failed run's output:\n    " + printable(self.stop_detail.rstrip()[-2000:]).replace(
                "\\n", "\n    ")
        return line

    def _set_stop(self, code: int, reason: str, detail: str | None = None):
        with self.lock:
            if self.stop_code is None:
                self.stop_code, self.stop_reason, self.stop_detail = code, reason, detail

    # ---- slots: one run at a time each ------------------------------------------------

    def _slot(self, gpu):
        while True:
            with self.lock:
                if self.stop_code is not None or self.signal_number is not None:
                    return
                if self.count is not None and self.started >= self.count:
                    self.stop_code = ExitCode.OK
                    self.stop_reason = f"ran --count {self.count}"
                    return
                self.started += 1
                number = self.started
            try:
                claim = self.store.claim(self.sweep["id"], self.agent_id, _choose,
                                         retry_failed=self.retry_failed, gpu=gpu, max_failures=self.max_failures)
                if claim.run is None:
                    with self.lock:
                        self.started -= 1
                    if claim.code == "paused" and not self.exit_on_pause:
                        self._wait_paused()
                        continue
                    self._set_stop(_CLAIM_CODES.get(claim.code, ExitCode.OK), claim.stop, claim.detail)
                    return
                self._resumed()
                if claim.revision != (self.sweep.get("revision") or 1):
                    self._reload_sweep()
                self._announce_run(claim.run, gpu, number)
                outcome = self._execute(claim.run, gpu)
            except StoreUnavailable as exc:
                self._lost_store(exc)
                return
            except NotFound:
                self._deleted()
                return
            except (StoreError, OSError) as exc:
                # A store that refuses writes (full disk, read-only) or run files that cannot be
                # written: stop cleanly, say why; the run is reaped as crashed by whoever looks next.
                self._set_stop(ExitCode.ERROR, str(exc))
                self._halt(f"the agent hit an error: {exc}")
                return
            self.say(outcome.line)
            with self.lock:
                self.ended += 1
                if outcome.state == "failed":
                    self.failed_runs += 1

    def _reload_sweep(self):
        """`sweeper sweep --update` changed the sweep's file: this run and the next use it."""
        sweep = self.store.get_sweep(self.sweep["id"])
        with self.lock:
            self.sweep, self.config = sweep, sweep["config"]
        self.say(f"sweep {sweep['id']} was updated (revision {sweep.get('revision')}): "
                 "runs from here on use its new file")

    def _announce_run(self, run: dict, gpu, number: int):
        of = f"{number}/{self.count}" if self.count else f"{number}"
        line = f"run {run['id']} (#{run['number']}) starts [{of}]"
        if gpu is not None:
            line += f", on GPU {gpu}"
        line += f": {params_line(run['params']) or '(no parameters)'}"
        if run.get("same_point_as"):
            line += (f" (the same point as run #{run['same_point_as']}: bayes repeats one when every point "
                     "of the space has a run)")
        metric = self.config.get("metric") or {}
        if metric.get("name"):
            best = self.store.best_value(self.sweep["id"], metric.get("goal") == "maximize")
            if best is not None:
                line += f"; best so far {printable(metric['name'])} {best[0]:.6g} (run {best[1]})"
        self.say(line)

    def _wait_paused(self):
        with self.lock:
            say, self._paused_said = not self._paused_said, True
        if say:
            self.say(f"sweep {self.sweep['id']} is paused: waiting for `sweeper resume {self.sweep['id']}` "
                     f"(checking every {PAUSE_POLL_SECONDS:g} s; Ctrl+C to leave)")
        self.halt.wait(PAUSE_POLL_SECONDS)

    def _resumed(self):
        with self.lock:
            was, self._paused_said = self._paused_said, False
        if was:
            self.say(f"sweep {self.sweep['id']} resumed")

    def _halt(self, reason: str, state: str = "interrupted"):
        """Stop every running program: a signal came, the store is gone (their points will be
        run again: interrupted), or the sweep was canceled (stopped)."""
        self.halt_reason, self.halt_state = reason, state
        self.halt.set()
        with self.lock:
            children = list(self.active.values())
        for child in children:
            self._stop_child(child, reason, state)

    # ---- heartbeat, signals, the store going away ---------------------------------------

    def _heartbeat(self):
        while not self.finished.wait(HEARTBEAT_SECONDS):
            with self.lock:
                active = dict(self.active)
            try:
                state = self.store.heartbeat(self.agent_id, list(active))
            except StoreUnavailable as exc:
                self._lost_store(exc)
                return
            except StoreError as exc:
                self.say(f"heartbeat failed: {exc}")
                continue
            if state["state"] is None:  # the sweep, and this agent's record with it, was deleted
                self._deleted()
                return
            for run_id in state.get("lost") or ():
                self._lease_lost(run_id, active.get(run_id))
            for run_id, why in (state.get("stop") or {}).items():
                child = active.get(run_id)
                if child is not None and child.terminated_by_us is None:
                    self.say(f"run {run_id}: {printable(why)}: stopping it")
                    self._stop_child(child, why, "stopped")
            if state["state"] == "canceled":
                self._set_stop(ExitCode.CANCELED, state["reason"] or "the sweep was canceled")
                self._halt("the sweep was canceled", "stopped")
            elif state["state"] == "finished":
                self._set_stop(ExitCode.OK, state["reason"] or "the sweep is finished")

    def _lease_lost(self, run_id: str, child):
        """This agent was away longer than its lease (stopped, suspended, cut off): the run was
        reaped and its point may already run elsewhere. End the program now; record nothing."""
        if child is None or child.stop_state == "superseded":
            return
        self.say(f"run {run_id} is no longer this agent's (its lease ran out while the agent could not "
                 "reach the store, or was stopped): ending its program; another agent runs its point")
        child.terminated_by_us = "its lease ran out"
        child.stop_state = "superseded"
        child.signal_group(signal.SIGKILL)

    def _deleted(self):
        """`sweeper delete` took the sweep away (it refuses while runs run): nothing left to do."""
        self._set_stop(ExitCode.CANCELED, f"the sweep {self.sweep['id']} was deleted (`sweeper delete`)")
        self._halt("the sweep was deleted", "stopped")

    def _lost_store(self, exc):
        self._set_stop(ExitCode.STORE_LOST, f"lost the store: {exc}")
        self._halt("the agent lost the store")

    def _install_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        return {sig: signal.signal(sig, self._on_signal) for sig in SIGNALS}

    def _restore_signals(self, previous):
        for sig, handler in (previous or {}).items():
            signal.signal(sig, handler)

    def _on_signal(self, signum, _frame):
        if self.signal_number is not None:
            self.say("second signal: killing runs now")
            self.kill_now.set()
            return
        self.signal_number = signum
        if not self._slots_started:
            raise _Interrupted()
        name = signal.Signals(signum).name
        again = ("their points will be run again" if self.config["method"] == "grid" else
                 f"`sweeper rerun {self.sweep['id']}` runs their parameters again")
        self.say(f"got {name}: stopping runs (SIGTERM, then SIGKILL after {self.grace:g}s; "
                 f"Ctrl+C again to kill now); {again}")
        self._halt(f"the agent got {name}")


def _choose(sweep, history, retry_failed):
    from ..search import choose
    return choose(sweep, history, retry_failed)


def _say(msg: str) -> None:
    # After SIGHUP the terminal may be gone: a message that cannot be shown is dropped.
    try:
        print(f"sweeper: {msg}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
