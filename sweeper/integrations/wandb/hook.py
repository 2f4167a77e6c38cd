"""The agent's side of W&B scripts: what a run gets so that `wandb.init()` finds its sweep, and
the bridge process that brings its `wandb.log` rows to the store. Standard library only.

Whether a run gets it: `sweeper agent --wandb auto|on|off` (or SWEEPER_WANDB; default auto).
auto: when the program's interpreter can import wandb, asked once per interpreter with
importlib.util.find_spec (which imports nothing); on: the environment even where wandb is not
found (a `command:` whose Python the agent cannot tell); off: nothing.

What the run's program gets, as `wandb agent` gives it (wandb_agent.py / agents/pyagent.py):
    WANDB_SWEEP_PARAM_PATH  RUN_DIR/wandb/sweep-SWEEP/config-RUN.yaml: `wandb_version: 1` and
                            `name: {value: v}` per parameter (nested ones as W&B gives them);
                            wandb.init() applies it as config locked by "sweep": it beats the
                            script's defaults, and config.update of those keys is a warned no-op
    WANDB_RUN_ID            sweeper's run ID
    WANDB_DIR               the run's folder: W&B's files stay with the run
    WANDB_MODE              offline, unless set: no account, no network, no login
    WANDB__TRANSACTION_LOG_FLUSH_INTERVAL  0.05 s unless set (wandb's default: 15 s), so rows
                            reach the file, and the store, while the run runs
    WANDB_PROJECT           the sweep file's `project:`, unless set (wandb.init(project=) wins)
Not WANDB_SWEEP_ID: the lock needs only the param file (wandb_setup.config, wandb_run.py's
merge_locked(user="sweep")), while a sweep ID makes wandb.init() drop the script's project=,
entity= and id= (clear_run_path_if_sweep_or_launch), and W&B's server, online or at
`wandb sync`, looks for a sweep that exists only in sweeper's store ("sweep ... not found",
wandb/wandb#8115). WANDB_SILENT and WANDB_CONSOLE are left as the user set them: W&B's
warnings (a locked key) are worth seeing.

A function run (`sweeper.agent(ID, function=train)`) gets the same, and wandb.finish() after
it if it left its W&B run open, as W&B's pyagent does.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

SWITCH = "SWEEPER_WANDB"
MODES = ("auto", "on", "off")
FLUSH_INTERVAL = "0.05"
STOP_SECONDS = 30.0  # the bridge's final read, once the program has ended
WATCH_SECONDS = 0.05  # how often to look for the program's W&B run before starting the bridge
BRIDGE_MODULE = "sweeper.integrations.wandb.bridge"
BRIDGE_FILE = Path(__file__).resolve().parent / "bridge.py"
BRIDGE_LOG = "wandb-bridge.log"
SUMMARY_FILE = "wandb-summary.json"  # bridge.SUMMARY_FILE (bridge.py runs by path: it imports nothing of ours)
PROBE = (
    "import importlib.util as u, json, sys\n"
    "w = u.find_spec('wandb'); s = u.find_spec('sweeper')\n"
    "def version():\n"
    "    try:\n"
    "        from importlib.metadata import version\n"
    "        return version('wandb')\n"
    "    except Exception:\n"
    "        return '?'\n"
    "print(json.dumps({'wandb': version() if w and w.origin else None,\n"
    "                  'sweeper': s.origin if s and s.origin else None, 'python': sys.executable}))\n"
)

_lock = threading.Lock()
_probes: dict[str, dict] = {}
_said: set = set()


class _Off:
    """A run without W&B's treatment."""

    look = None  # nothing to look for while the program runs

    def stop(self):
        pass

    def summary(self) -> dict:
        return {}


OFF = _Off()


def mode() -> str:
    chosen = (os.environ.get(SWITCH) or "auto").strip().lower()
    return chosen if chosen in MODES else "auto"


def prepare(agent, run: dict, run_dir: Path, env: dict):
    """Before the program starts: give it W&B's sweep environment (in `env`) and return the
    run's bridge (look() from the tailer while the program runs, stop() once it has ended); or OFF."""
    chosen = mode()
    if chosen == "off":
        return OFF
    # The interpreter and what it imports do not change while the agent runs: found once.
    python = agent.wandb_python
    if python is None:
        python = agent.wandb_python = program_interpreter(agent, env)
    probe = _probe(python, env, Path(run_dir))
    if not probe.get("wandb") and chosen == "auto":
        return OFF
    give_env(env, run, Path(run_dir), agent.sweep["id"], agent.config)
    if agent.function is not None:
        agent.function = finishing(agent.function)
    if not probe.get("wandb"):
        _say_once(agent, "no-wandb", f"--wandb on, but {python} cannot import wandb: runs get W&B's "
                                     "environment, but no bridge can read what they log")
        return OFF
    return RunBridge(agent, python, probe, Path(run_dir), env["SWEEPER_METRICS"], run["id"])


def finishing(function):
    """The run's function, then wandb.finish() if it left a W&B run open, as W&B's pyagent does
    (finish(exit_code=1) when it raised): a forked run ends with os._exit, without atexit."""
    if getattr(function, "_finishes_wandb", False):
        return function

    @functools.wraps(function)
    def run():
        try:
            function()
        except Exception:
            _finish_wandb(1)
            raise
        _finish_wandb(0)

    run._finishes_wandb = True
    return run


def _finish_wandb(code: int) -> None:
    wandb = sys.modules.get("wandb")  # only if the function imported it: never imported here
    if wandb is not None and getattr(wandb, "run", None) is not None:
        wandb.finish(exit_code=code)


def give_env(env: dict, run: dict, run_dir: Path, sweep_id: str, config: dict) -> Path:
    """Set what wandb.init() reads in `env`; write the sweep config file. Returns its path."""
    path = write_sweep_config(run_dir, sweep_id, run["id"], run["params"])
    env["WANDB_SWEEP_PARAM_PATH"] = str(path)
    env["WANDB_RUN_ID"] = run["id"]
    env["WANDB_DIR"] = str(run_dir)
    env.setdefault("WANDB_MODE", "offline")
    env.setdefault("WANDB__TRANSACTION_LOG_FLUSH_INTERVAL", FLUSH_INTERVAL)
    if config.get("project"):
        env.setdefault("WANDB_PROJECT", str(config["project"]))
    return path


def _dumper():
    import yaml

    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's: the same text, faster


_DUMPER = None


def write_sweep_config(run_dir: Path, sweep_id: str, run_id: str, params: dict) -> Path:
    """The file `wandb agent` writes (config_util.save_config_file_from_dict), where it writes it:
    WANDB_DIR/wandb/sweep-SWEEP/config-RUN.yaml. PyYAML writes it, as wandb does, so 1e-05
    stays a float when wandb reads it back (`1e-05` alone is a string to YAML 1.1)."""
    global _DUMPER
    import yaml

    _DUMPER = _DUMPER or _dumper()
    folder = os.path.join(run_dir, "wandb", f"sweep-{sweep_id}")
    os.makedirs(folder, exist_ok=True)
    text = "wandb_version: 1"
    if params:
        text += "\n\n" + yaml.dump({k: {"value": v} for k, v in params.items()}, Dumper=_DUMPER,
                                   default_flow_style=False, allow_unicode=True, sort_keys=False)
    path = os.path.join(folder, f"config-{run_id}.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return Path(path)


def program_interpreter(agent, env: dict) -> str:
    """The Python the program runs in: the agent's own for a function, else the command's."""
    from ...agents import command as commandline

    if agent.function is not None:
        return sys.executable
    return commandline.program_interpreter(agent.config.get("command"), agent.cwd, env.get("PATH"))


def _probe(python: str, env: dict, cwd: Path) -> dict:
    """{'wandb': its version or None, 'sweeper': where that Python finds sweeper}, asked once per
    Python, from the folder the bridge runs in (so that `-m` finds what the probe found)."""
    with _lock:
        if python in _probes:
            return _probes[python]
    try:
        out = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, timeout=60, cwd=str(cwd),
                             env=_plain_env(env), stdin=subprocess.DEVNULL)
        found = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {}
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        found = {}
    with _lock:
        _probes[python] = found
    return found


def _plain_env(env: dict) -> dict:
    """The environment without the run's SWEEPER_* variables: a process carrying the run's
    marker (SWEEPER_RUN_ID) is killed with the run's program, before its final read."""
    return {k: v for k, v in env.items() if not k.startswith("SWEEPER_")}


OURS = Path(__file__).resolve().parents[2] / "__init__.py"  # this sweeper's package


@functools.lru_cache(maxsize=8)
def _same_file(a, b) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


class RunBridge:
    """The bridge of one run. Started only once the program has started a W&B run (a run
    folder, looked for every WATCH_SECONDS), so a program that does not use wandb costs no
    process. W&B's run folder is under WANDB_DIR (the run's folder), unless the script gives
    wandb.init() a dir= (Lightning's WandbLogger gives "."): the program's folder is looked
    in too, for a run folder named with the run's ID."""

    def __init__(self, agent, python: str, probe: dict, run_dir: Path, metrics: str, run_id: str):
        self.agent = agent
        self.python = python
        self.version = probe.get("wandb")
        self.run_dir = run_dir
        self.metrics = metrics
        self.run_id = run_id
        self.elsewhere = Path(agent.cwd) / "wandb"
        found = probe.get("sweeper")
        self.by_module = bool(found) and _same_file(found, OURS)
        self.proc: subprocess.Popen | None = None
        self._ended = threading.Event()
        self._next_look = 0.0
        self._launching = threading.Lock()

    def argv(self) -> list[str]:
        """`python -m` when the program's Python imports this very sweeper; else the file by path."""
        target = ["-m", BRIDGE_MODULE] if self.by_module else [str(BRIDGE_FILE)]
        return [self.python, *target, str(self.run_dir), self.metrics, "--run-id", self.run_id,
                "--look", str(self.elsewhere)]

    def look(self):
        """Called from the agent's tailer loop while the program runs: start the bridge once the
        program has started a W&B run (looked for every WATCH_SECONDS; no thread of its own)."""
        if self.proc is not None or self._ended.is_set():
            return
        now = time.monotonic()
        if now < self._next_look:
            return
        self._next_look = now + WATCH_SECONDS
        if self._has_wandb_run():
            with self._launching:  # stop() may be starting it for a run shorter than a look
                if self.proc is None and not self._ended.is_set():
                    self._launch()

    def _has_wandb_run(self) -> bool:
        return bool(self._runs(self.run_dir / "wandb") or self._runs(self.elsewhere, self.run_id))

    @staticmethod
    def _runs(place: Path, run_id: str | None = None, prefixes=("offline-run-", "run-")) -> list[str]:
        try:
            return [n for n in os.listdir(place)
                    if n.startswith(prefixes) and (run_id is None or n.endswith("-" + run_id))]
        except OSError:
            return []

    def _launch(self):
        _say_once(self.agent, "on", f"W&B: runs get their parameters as wandb.config (locked by the sweep), "
                                    "W&B's files in their folder, offline unless WANDB_MODE says otherwise; "
                                    f"their wandb.log rows reach the store live (wandb {self.version} in "
                                    f"{self.python}; --wandb off turns this off)")
        with open(self.run_dir / BRIDGE_LOG, "ab") as log:
            try:
                # its own session: Ctrl+C in the terminal reaches the agent, which ends the run;
                # the bridge ends when its stdin closes (stop(), or the agent's death).
                self.proc = subprocess.Popen(self.argv(), stdin=subprocess.PIPE, stdout=log,
                                             stderr=subprocess.STDOUT, cwd=str(self.run_dir),
                                             env=_plain_env(dict(os.environ)), start_new_session=True)
            except OSError as exc:
                _say_once(self.agent, "bridge-start", f"W&B: could not start the bridge with {self.python}: {exc}")

    def summary(self) -> dict:
        """W&B's run summary as the bridge last wrote it: what the script logged, and what it set
        only in `wandb.summary` (a test score, a best value), which no history row carries."""
        try:
            with open(self.run_dir / SUMMARY_FILE, encoding="utf-8") as f:
                found = json.load(f)
        except (OSError, ValueError):
            return {}
        if not isinstance(found, dict):
            return {}
        return {k: v for k, v in found.items() if not k.startswith("_wandb")}

    def stop(self):
        """The program has ended: let the bridge read the rest, and wait for it."""
        self._ended.set()
        with self._launching:
            if self.proc is None and self._has_wandb_run():
                self._launch()  # a W&B run shorter than a look: read it now
        proc = self.proc
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode != 0:
            _say_once(self.agent, "bridge-failed", f"W&B: the bridge of run {self.run_dir.name} ended with "
                                                   f"code {proc.returncode}: {self.run_dir / BRIDGE_LOG}")
            return
        offline = ("offline-run-",)
        if self._runs(self.run_dir / "wandb", prefixes=offline):
            runs = shlex.quote(str(self.run_dir.parent))
            _say_once(self.agent, "sync", "W&B: each run's offline W&B run is in its folder; to upload them "
                                          f"later (after `wandb login`): wandb sync {runs}/*/wandb/offline-run-*")
        if self._runs(self.elsewhere, self.run_id, prefixes=offline):
            _say_once(self.agent, "sync-elsewhere", "W&B: this script gives wandb.init() its own dir=; its offline "
                                                    "runs are named with sweeper's run IDs; to upload them later: "
                                                    f"wandb sync {shlex.quote(str(self.elsewhere))}/offline-run-*")


def _say_once(agent, what: str, line: str) -> None:
    key = (id(agent), getattr(agent, "agent_id", None), what)
    with _lock:
        if key in _said:
            return
        _said.add(key)
    agent.say(line)
