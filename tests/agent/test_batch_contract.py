"""The agent's contract with shell scripts, cron and batch systems (issue 13), through the real
`sweeper` executable and real processes: exit codes, the sweep-wide failure guard, pauses,
interrupted runs, signals, an unreachable store, programs that cannot start, read commands
that never make a store, closed pipes, what the agent says, GPU lists."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from agentlib import BIN, Project, env_for, exe, probe_running, wait_for


@pytest.fixture
def any_project(tmp_path, store_url):
    """A project on SQLite, and again on PostgreSQL."""
    return Project(tmp_path / "proj", store=store_url)

GRID6 = "program: probe.py\nmethod: grid\nparameters:\n  x: {values: [1, 2, 3, 4, 5, 6]}\n  sleep: {value: %s}\n"


# ---- exit codes ------------------------------------------------------------------------------------


def test_count_1_with_a_failing_program_exits_8(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 3}}\n")
    proc = project.agent(sid, "--count", "1")
    assert proc.returncode == 8, proc.stderr
    assert "its run failed" in proc.stderr and "Traceback" not in proc.stderr
    assert project.open().runs(sid)[0]["state"] == "failed"


def test_some_failures_among_finished_runs_still_exit_0(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {exit: {values: [0, 1, 0]}}\n")
    proc = project.agent(sid, "--count", "3")
    assert proc.returncode == 0, proc.stderr


def test_a_sweep_that_is_done_exits_0_for_every_later_agent(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n")
    assert project.agent(sid).returncode == 0
    later = project.agent(sid, "--count", "1")
    assert later.returncode == 0 and "grid exhausted" in later.stderr
    # set -e: the report after the agent runs
    script = f"set -e\n{exe()} agent {sid} --count 1\n{exe()} status {sid} --json > status.json\n"
    r = subprocess.run(["bash", "-c", script], cwd=project.root, env=env_for(project.store),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads((project.root / "status.json").read_text())["state"] == "finished"


def test_exit_codes_are_in_agent_help(project):
    out = project.cli("agent", "--help").stdout
    for code, words in [(0, "work is done"), (8, "every run this agent ran failed"), (6, "failing"),
                        (7, "could not be reached"), (129, "SIGHUP"), (130, "Ctrl+C"), (143, "SIGTERM")]:
        assert f"{code:>3}  " in out and words in out, (code, words)


# ---- the failure guard --------------------------------------------------------------------------


def test_cron_ticks_stop_starting_runs_once_the_guard_trips(any_project):
    """One `sweeper agent ID --count 1` per cron tick: the failure streak lives in the store, so
    after --max-failures failed runs no tick starts another run until `sweeper resume`."""
    project = any_project
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 1}}\n")
    codes = [project.agent(sid, "--count", "1", "--max-failures", "3").returncode for _ in range(3)]
    assert codes == [8, 8, 6]  # the third failure trips the guard
    tick = project.agent(sid, "--count", "1", "--max-failures", "3")
    assert tick.returncode == 6
    assert "the sweep is failing" in tick.stderr and "probe running" in tick.stderr  # the last failure's output
    store = project.open()
    assert len(store.runs(sid)) == 3 and store.get_sweep(sid)["state"] == "failing"
    assert project.cli("status", sid, "--json", check=True) and project.status(sid)["state"] == "failing"
    assert project.cli("resume", sid).returncode == 0
    assert project.open().get_sweep(sid)["state"] == "running"
    assert project.agent(sid, "--count", "1", "--max-failures", "3").returncode == 8
    assert len(project.open().runs(sid)) == 4  # resume cleared the streak: one more run was allowed


def test_an_agent_with_a_tighter_guard_starts_no_run_on_a_sweep_already_past_it(any_project):
    """Failures counted under a looser guard (--max-failures 10) trip a tighter one at its first
    claim: no run is started only to fail once more."""
    project = any_project
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 1}}\n")
    assert project.agent(sid, "--count", "4", "--max-failures", "10").returncode == 8
    assert project.open().get_sweep(sid)["state"] == "running"
    tight = project.agent(sid, "--count", "2", "--max-failures", "3")
    assert tight.returncode == 6, tight.stderr
    assert "the sweep is failing: its last 4 runs failed" in tight.stderr
    assert (f"then `sweeper resume {sid}` (if runs fail only for some parameters, resume and give agents "
            "a higher --max-failures)") in tight.stderr
    assert len(project.open().runs(sid)) == 4 and project.open().get_sweep(sid)["state"] == "failing"


def test_failures_of_several_agents_add_up(any_project):
    project = any_project
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 1}, sleep: {value: 0.5}}\n")
    procs = [project.start_agent(sid, "--max-failures", "4") for _ in range(2)]
    codes = sorted(p.wait(60) for p in procs)
    assert codes == [6, 6]
    assert 4 <= len(project.open().runs(sid)) <= 5  # the run in flight when it tripped may end too


def test_a_success_resets_the_streak(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {exit: {values: [1, 1, 0, 1, 1, 0]}}\n")
    proc = project.agent(sid, "--max-failures", "3")
    assert proc.returncode == 0, proc.stderr
    assert project.open().get_sweep(sid)["state"] == "finished"


# ---- pause -----------------------------------------------------------------------------------------


def test_an_agent_waits_through_a_pause_and_goes_on_after_resume(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n")
    assert project.cli("pause", sid).returncode == 0
    agent = project.start_agent(sid, env={"SWEEPER_PAUSE_POLL_SECONDS": "0.2"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(agent.stderr), daemon=True)
    reader.start()
    wait_for(lambda: any("is paused: waiting" in line for line in lines), timeout=20, what="the pause line")
    time.sleep(0.5)
    assert agent.poll() is None and project.open().runs(sid) == []
    assert project.cli("resume", sid).returncode == 0
    assert agent.wait(30) == 0
    reader.join(5)
    assert any("resumed" in line for line in lines)
    assert len(project.open().runs(sid)) == 2


def test_exit_on_pause_keeps_the_old_behaviour(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n")
    project.cli("pause", sid, check=True)
    proc = project.agent(sid, "--exit-on-pause")
    assert proc.returncode == 4 and "paused" in proc.stderr


def test_cancel_during_a_pause_ends_the_waiting_agent(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n")
    project.cli("pause", sid, check=True)
    agent = project.start_agent(sid, env={"SWEEPER_PAUSE_POLL_SECONDS": "0.2"})
    time.sleep(1.5)
    project.cli("cancel", sid, check=True)
    assert agent.wait(30) == 5


# ---- interrupted runs and signals ------------------------------------------------------------------


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_an_interrupted_grid_point_is_run_again(any_project, sig, code):
    project = any_project
    sid = project.sweep(GRID6 % 30)
    agent = project.start_agent(sid, "--grace", "5")
    store = project.open()
    run = probe_running(store, sid)
    agent.send_signal(sig)
    assert agent.wait(30) == code
    old = store.get_run(run["id"])
    assert old["state"] == "interrupted" and signal.Signals(sig).name in old["stop_reason"]
    assert store.get_sweep(sid)["state"] == "running"
    # the next agent runs every point, the interrupted one included; the old run stays on record
    again = project.agent(sid, env={"PROBE_FAST": "1"}, timeout=120)
    assert again.returncode == 0, again.stderr
    runs = store.runs(sid)
    live = [r for r in runs if not r["superseded"]]
    assert sorted(r["grid_index"] for r in live) == list(range(6))
    assert all(r["state"] == "finished" for r in live)
    assert store.get_run(run["id"])["superseded"] is True
    assert store.get_sweep(sid)["state"] == "finished"


def test_sighup_stores_the_last_metric_lines(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 30}, lines: {value: 4}}\n")
    agent = project.start_agent(sid)
    store = project.open()
    run = probe_running(store, sid)
    agent.send_signal(signal.SIGHUP)
    assert agent.wait(30) == 129
    assert len(store.metric_rows(run["id"])) == 4
    assert store.get_run(run["id"])["state"] == "interrupted"


class _SilentServer:
    """Accepts TCP connections and never says a word: a hung database server."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("server", ["refused", "silent"])
def test_a_store_that_cannot_be_reached_at_start_up_exits_7(project, server):
    silent = _SilentServer() if server == "silent" else None
    port = silent.port if silent else _closed_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        t0 = time.time()
        proc = subprocess.run([exe(), "agent", "abcd1234", "--store", url], cwd=project.root,
                              env=env_for(url, {"SWEEPER_STORE_TIMEOUT": "4"}), capture_output=True,
                              text=True, timeout=60)
        took = time.time() - t0
    finally:
        if silent:
            silent.close()
    assert proc.returncode == 7, proc.stderr
    assert "did not answer" in proc.stderr and "Traceback" not in proc.stderr
    assert "SWEEPER_STORE_TIMEOUT=4" in proc.stderr
    assert 3 < took < 30


def test_ctrl_c_while_the_store_is_retried_exits_130(project):
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres"
    proc = subprocess.Popen([exe(), "agent", "abcd1234", "--store", url], cwd=project.root,
                            env=env_for(url, {"SWEEPER_STORE_TIMEOUT": "60"}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Aborted!" not in err and "Traceback" not in err


# ---- a program that cannot start ---------------------------------------------------------------


def test_a_command_whose_executable_is_missing_is_a_failed_run_with_its_error_logged(project):
    sid = project.sweep("program: probe.py\nmethod: random\ncommand: [no-such-conda, run, python3, \"${program}\"]\n"
                        "parameters: {x: {value: 1}}\n")
    proc = project.agent(sid, "--max-failures", "2")
    assert proc.returncode == 6, proc.stderr
    store = project.open()
    runs = store.runs(sid)
    assert [r["state"] for r in runs] == ["failed", "failed"]
    assert "could not start no-such-conda" in runs[0]["stop_reason"] and "not on PATH" in runs[0]["stop_reason"]
    logs = project.cli("logs", runs[0]["id"])
    assert logs.returncode == 0 and "could not start no-such-conda" in logs.stdout


@pytest.mark.parametrize("name, make, why", [
    ("not-executable.sh", lambda p: p.write_text("#!/bin/sh\necho hi\n"), "Permission denied"),
    ("no-shebang.sh", lambda p: (p.write_text("echo hi\n"), p.chmod(0o755)), "Exec format error"),
    ("a-folder", lambda p: p.mkdir(), "Permission denied"),
    ("missing.sh", lambda p: None, "No such file or directory"),
])
def test_a_program_the_os_would_not_exec_could_not_start(project, name, make, why):
    """The program is exec'd through setpriv (for its death signal): what exec itself would
    refuse is still refused by the agent, not run by setpriv's execvp through /bin/sh."""
    make(project.root / name)
    sid = project.sweep(f"program: {name}\nmethod: random\ncommand: [./{name}]\nparameters: {{x: {{value: 1}}}}\n")
    proc = project.agent(sid, "--count", "1")
    assert proc.returncode == 8, proc.stderr
    run = project.open().runs(sid)[0]
    assert run["state"] == "failed" and run["stop_reason"] == f"could not start ./{name}: {why}", run
    assert "hi" not in (Path(run["run_dir"]) / "output.log").read_text()


# ---- read commands and pipes ---------------------------------------------------------------------


@pytest.mark.parametrize("args", [["sweeps"], ["status", "abcd1234"], ["runs", "abcd1234"],
                                  ["best", "abcd1234"], ["export", "abcd1234"], ["logs", "abcd1234"]])
def test_read_commands_never_make_a_store(tmp_path, args):
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ)
    env.pop("SWEEPER_STORE", None)
    r = subprocess.run([exe(), *args], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no store here" in r.stderr and str(work) in r.stderr, r.stderr
    assert list(work.iterdir()) == []
    missing = tmp_path / "missing" / "dir" / "x.db"
    r = subprocess.run([exe(), *args, "--store", str(missing)], cwd=work, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and f"no store at {missing}" in r.stderr, r.stderr
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("args", [["status"], ["runs"], ["best", "--format", "json"], ["sweeps"],
                                  ["export"]])
def test_a_closed_pipe_is_a_normal_end(project, args):
    sid = project.sweep("program: probe.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n"
                        "  x: {values: [%s]}\n  lines: {value: 3}\n" % ", ".join(str(i) for i in range(40)))
    project.agent(sid, "--output", "none", env={"PROBE_FAST": "1"}, timeout=120)
    cmd = [exe(), args[0]] + ([sid] if args[0] != "sweeps" else []) + args[1:]
    script = "set -o pipefail\n" + " ".join(cmd) + " | head -1 > first.txt\n"
    r = subprocess.run(["bash", "-c", script], cwd=project.root, env=env_for(project.store, {"COLUMNS": "80"}),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert r.stderr == "" and (project.root / "first.txt").read_text().strip()


# ---- what the agent says ------------------------------------------------------------------------


def test_the_agent_says_each_run_with_its_parameters_and_progress(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nmetric: {name: loss}\nparameters:\n"
                        "  x: {values: [1, 2]}\n  lines: {value: 2}\n")
    proc = project.agent(sid, "--count", "2", "--gpus", "7")
    assert proc.returncode == 0, proc.stderr
    runs = sorted(project.open().runs(sid), key=lambda r: r["number"])
    first, second = [line for line in proc.stderr.splitlines() if " starts [" in line]
    assert f"run {runs[0]['id']} (#1) starts [1/2], on GPU 7: lines=2 x=1" in first
    assert f"run {runs[1]['id']} (#2) starts [2/2], on GPU 7: lines=2 x=2" in second
    assert "best so far loss 0.5" in second
    assert "runs use the interpreter" in proc.stderr


def test_control_characters_in_values_do_not_reach_the_terminal(project):
    sid = project.sweep('program: probe.py\nmethod: grid\nparameters: {tag: {values: ["\\e[31mred\\e]0;title\\a"]}}\n')
    proc = project.agent(sid)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "\\x1b[31mred" in proc.stderr


def test_the_wrong_python_is_named_before_the_first_run_and_after_it_fails(project, tmp_path):
    """`.venv/bin/sweeper` started from cron, without the venv on PATH: `python` is another one."""
    system = Path("/usr/bin/python3")
    if not system.exists():
        pytest.skip("no /usr/bin/python3 to stand for the system python")
    bindir = tmp_path / "cronbin"
    bindir.mkdir()
    (bindir / "python").symlink_to(system)
    project.write("needs_venv.py", "import sqlalchemy, sweeper\n")
    sid = project.sweep("program: needs_venv.py\nmethod: random\nparameters: {x: {value: 1}}\n")
    env = dict(env_for(project.store))
    env["PATH"] = f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    proc = subprocess.run([str(BIN / "sweeper"), "agent", sid, "--count", "1"], cwd=project.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 8, proc.stderr
    assert f"runs use the interpreter {bindir / 'python'}" in proc.stderr
    warning = f"`python` on PATH is {bindir / 'python'}, not the Python sweeper runs in"
    assert proc.stderr.count(warning) == 2  # at start, and on the failed run
    assert "ModuleNotFoundError" in proc.stderr


# ---- GPU lists --------------------------------------------------------------------------------------


def _fake_nvidia_smi(folder: Path, n: int) -> Path:
    folder.mkdir(exist_ok=True)
    smi = folder / "nvidia-smi"
    lines = "".join(f"GPU {i}: NVIDIA H200 (UUID: GPU-{i:08d}-aaaa-bbbb-cccc-000000000000)\\n" for i in range(n))
    smi.write_text(f"#!/bin/sh\nprintf '{lines}'\n")
    smi.chmod(0o755)
    return folder


def test_gpus_all_means_every_gpu_nvidia_smi_lists(project, tmp_path):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3, 4]}}\n")
    smi = _fake_nvidia_smi(tmp_path / "smi", 2)
    env = {"PATH": f"{smi}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"}
    env_no_cvd = {k: v for k, v in env.items()}
    proc = subprocess.run([exe(), "agent", sid, "--gpus", "all"], cwd=project.root,
                          env={k: v for k, v in env_for(project.store, env_no_cvd).items()
                               if k != "CUDA_VISIBLE_DEVICES"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted({r["gpu"] for r in project.open().runs(sid)}) == ["0", "1"]


def test_gpus_all_inside_a_slurm_allocation_means_cuda_visible_devices(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3]}}\n")
    proc = project.agent(sid, "--gpus", "all", env={"CUDA_VISIBLE_DEVICES": "3,5"})
    assert proc.returncode == 0, proc.stderr
    assert sorted({r["gpu"] for r in project.open().runs(sid)}) == ["3", "5"]


@pytest.mark.parametrize("value, words", [("all", "nvidia-smi"), ("0,,1", "empty GPU id"), ("0,x", "'x' is not a GPU id"),
                                          ("1,1", "listed twice")])
def test_bad_gpu_lists_are_refused_with_exit_2(project, value, words):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1]}}\n")
    env = {"PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    clean = {k: v for k, v in env_for(project.store, env).items() if k != "CUDA_VISIBLE_DEVICES"}
    proc = subprocess.run([exe(), "agent", sid, "--gpus", value], cwd=project.root, env=clean,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert project.open().runs(sid) == []


def test_python_agent_takes_a_gpu_string(project):
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3, 4]}}\n")
    code = f"import sweeper, sys; sys.exit(sweeper.agent({sid!r}, gpus='0,1', store={project.store!r}))"
    proc = subprocess.run([str(BIN / "python"), "-c", code], cwd=project.root, env=env_for(project.store),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted({r["gpu"] for r in project.open().runs(sid)}) == ["0", "1"]
