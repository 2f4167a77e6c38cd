"""The README's snippets for cron, per-GPU agents and Slurm are the ones that work: each is read
out of README.md (the fenced block after its `<!-- test: NAME -->` marker) and run as written,
only its placeholders (the project folder, the sweep ID) filled in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from agentlib import Project

ROOT = Path(__file__).resolve().parent.parent.parent


def snippet(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- test: {name} -->\s*```bash\n(.*?)```", text, re.DOTALL)
    assert m, f"README.md has no snippet marked `<!-- test: {name} -->`"
    return m.group(1)


def _cron_env(project: Project) -> dict:
    """What cron gives a job: almost nothing, and a PATH without any venv."""
    return {"HOME": str(project.root), "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LANG": "C.UTF-8"}


def _cron_command(project: Project, sid: str) -> str:
    line = snippet("cron").strip()
    fields = line.split(None, 5)
    assert len(fields) == 6 and fields[0] == "*/10", line
    return fields[5].replace("/home/me/proj", str(project.root)).replace(" ID ", f" {sid} ")


def _with_venv(project: Project) -> None:
    # The project's .venv is this test run's environment, as `make install` makes it.
    (project.root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)


def test_the_cron_line_runs_one_run_per_tick_and_stops_when_the_sweep_is_done(tmp_path):
    project = Project(tmp_path / "proj", store=str(tmp_path / "proj" / ".sweeper" / "sweeper.db"))
    _with_venv(project)
    project.write("needs_venv.py", "import sqlalchemy\n")  # only the venv's python has it
    sid = project.sweep("program: needs_venv.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n")
    cmd = _cron_command(project, sid)
    env = _cron_env(project)
    codes = [subprocess.run(["sh", "-c", cmd], env=env, timeout=120).returncode for _ in range(3)]
    assert codes == [0, 0, 0]
    log = (project.root / ".sweeper" / "cron.log").read_text()
    runs = project.open().runs(sid)
    assert sorted(r["state"] for r in runs) == ["finished", "finished"], log
    assert "done after 0 runs" in log.splitlines()[-1]  # the third tick: nothing left, exit 0


def test_cron_ticks_on_a_broken_program_stop_at_the_failure_guard(tmp_path):
    project = Project(tmp_path / "proj", store=str(tmp_path / "proj" / ".sweeper" / "sweeper.db"))
    _with_venv(project)
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 1}}\n")
    cmd = _cron_command(project, sid)
    codes = [subprocess.run(["sh", "-c", cmd], env=_cron_env(project), timeout=120).returncode for _ in range(5)]
    assert codes == [8, 8, 6, 6, 6]
    assert len(project.open().runs(sid)) == 3


def test_the_per_gpu_snippet(tmp_path):
    project = Project(tmp_path / "proj")
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3, 4, 5, 6]}}\n")
    env = dict(os.environ, SWEEPER_STORE=project.store, ID=sid, PROBE_FAST="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    script = "set -e\n" + snippet("per-gpu")
    r = subprocess.run(["bash", "-c", script], cwd=project.root, env=env, capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    runs = project.open().runs(sid)
    assert sorted(r["grid_index"] for r in runs) == list(range(6))
    assert {r["gpu"] for r in runs} == {"0", "1"}


def test_the_slurm_snippet_is_the_submission_that_configs_slurm_array_sh_documents():
    """The Slurm tests submit configs/slurm_array.sh; the README shows the same submission as
    the script's own header, line for line."""
    header: list[str] = []
    for line in (ROOT / "configs" / "slurm_array.sh").read_text().splitlines():
        if line.startswith("#   "):
            header.append(line[1:].strip())
        elif header:
            break  # the first indented block of the header is the submission
    shown = [line.strip() for line in snippet("slurm").strip().splitlines()]
    assert shown == header
