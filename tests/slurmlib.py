"""Helpers for tests that submit real Slurm jobs (the single-node cluster of `.ci/slurm.sh`).

    from slurmlib import require_slurm, submit, wait_job, cancel, task_states

    require_slurm()                                   # skip (or fail under SWEEPER_REQUIRE_SLURM)
    job = submit(script, "--array=0-2", f"--output={tmp_path}/%A_%a.out")
    tasks = wait_job(job)                             # one dict per array task, final states

Each task dict has: job_id (the record's own Slurm JobId, a str), array_job_id (str, or None for
a job that is no array), array_task_id (int or None), id (what scancel and scontrol take for that
task: "12_3", or "12"), state ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "PENDING", ...),
exit_code and signal (the two numbers of Slurm's ExitCode=N:S), reason (Slurm's Reason=).

What Slurm 22.05 (Debian 12) does, seen on that cluster:
- A pending array is one record, `ArrayTaskId=2-5` (or `1-3,5%1` with a throttle) until each task
  is split off to start; task_states() expands such a record into one dict per task.
- A task cancelled while still pending inside that record (`scancel 12_4`) is removed from it and
  leaves no record at all: neither scontrol nor the jobcomp log shows it again. Cancelling the whole
  array while tasks are pending leaves the record, state CANCELLED, exit 0:0, for each of them.
- A job whose `--dependency=afterok:ARRAY` can never be met stays PENDING with
  Reason=DependencyNeverSatisfied (Dependency=afterok:12_*(failed)); it is not final, so wait_job
  times out on it: look with task_states() and cancel it.
- Finished jobs stay visible to scontrol for MinJobAge (3600 s in .ci/slurm.sh); after that the
  jobcomp/filetxt log is read instead (its record of a pending-cancelled array has no task IDs).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

FINAL_STATES = frozenset({
    "BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY",
    "PREEMPTED", "REVOKED", "TIMEOUT",
})
_NODE_UP = ("idle", "mixed", "allocated", "completing")
_KEY = re.compile(r"^[A-Za-z][\w/:.]*=")


def _run(args: list[str], timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def slurm_reason() -> str | None:
    """None when sbatch, scontrol and sinfo exist and a node answers; otherwise why not."""
    missing = [exe for exe in ("sbatch", "scontrol", "sinfo", "scancel") if not shutil.which(exe)]
    if missing:
        return f"no Slurm client here ({', '.join(missing)} not on PATH)"
    try:
        ping = _run(["scontrol", "ping"], timeout=15)
        if "is UP" not in ping.stdout:
            said = (ping.stdout + ping.stderr).strip().splitlines()
            return f"slurmctld does not answer ({said[0] if said else ping.returncode})"
        info = _run(["sinfo", "-h", "-o", "%T"], timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Slurm does not answer: {exc}"
    states = info.stdout.split()
    if info.returncode != 0 or not any(s in _NODE_UP for s in states):
        return f"no Slurm node is up (sinfo: {' '.join(states) or info.stderr.strip() or 'nothing'})"
    return None


def require_slurm() -> None:
    """Skip the calling test when no Slurm cluster answers; fail instead under SWEEPER_REQUIRE_SLURM."""
    reason = slurm_reason()
    if reason is None:
        return
    import pytest

    if os.environ.get("SWEEPER_REQUIRE_SLURM"):
        pytest.fail(f"{reason} (SWEEPER_REQUIRE_SLURM is set, as in CI)")
    pytest.skip(f"{reason}; `bash .ci/slurm.sh` (as root) starts a local cluster")


def submit(script_path, *sbatch_args, env=None, cwd=None, script_args=()) -> str:
    """`sbatch --parsable [sbatch_args] script [script_args]`; returns the job ID ("12").

    env: variables set (value None: removed) on top of this process's environment; sbatch passes
    the submitter's whole environment (PATH included) to the job by default (--export=ALL).
    cwd: where sbatch runs, which is the job's working directory unless --chdir says otherwise.
    """
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        for key, value in env.items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = str(value)
    script = [str(script_path)] if script_path is not None else []  # None: the job is given by --wrap
    args = ["sbatch", "--parsable", *map(str, sbatch_args), *script, *map(str, script_args)]
    proc = _run(args, env=full_env, cwd=cwd, timeout=60)
    out = proc.stdout.strip()
    if proc.returncode != 0 or not out:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return out.splitlines()[-1].split(";")[0]  # "12" or "12;cluster"


def parse_record(line: str) -> dict[str, str]:
    """One `scontrol show job -o` (or jobcomp) line -> {key: value}; words without '=' continue the
    previous value (a Reason or Comment with spaces)."""
    rec: dict[str, str] = {}
    key = None
    for word in line.split():
        if _KEY.match(word):
            key, _, value = word.partition("=")
            rec[key] = value
        elif key is not None:
            rec[key] += " " + word
    return rec


def expand_array_spec(spec: str) -> list[int]:
    """'2-5' / '1-3,5%1' / '0-10:2' / '7' -> the task IDs (the throttle after % dropped)."""
    ids: list[int] = []
    for part in spec.split("%")[0].split(","):
        part = part.strip()
        if not part:
            continue
        rng, _, step = part.partition(":")
        lo, _, hi = rng.partition("-")
        ids.extend(range(int(lo), int(hi or lo) + 1, int(step or 1)))
    return ids


def _exit(value: str | None) -> tuple[int, int]:
    code, _, sig = (value or "0:0").partition(":")
    try:
        return int(code), int(sig or 0)
    except ValueError:
        return 0, 0


def _tasks_of(rec: dict[str, str]) -> list[dict]:
    exit_code, signal = _exit(rec.get("ExitCode"))
    state = rec.get("JobState", "UNKNOWN").split()[0]
    array_job = rec.get("ArrayJobId")
    spec = rec.get("ArrayTaskId")
    base = {"job_id": rec.get("JobId", ""), "array_job_id": array_job, "state": state,
            "exit_code": exit_code, "signal": signal, "reason": rec.get("Reason")}
    if not array_job or not spec or spec == "N/A":
        return [dict(base, array_task_id=None, id=base["job_id"])]
    return [dict(base, array_task_id=t, id=f"{array_job}_{t}") for t in expand_array_spec(spec)]


def _split_id(job_id) -> tuple[str, int | None]:
    jid, _, task = str(job_id).partition("_")
    return jid, (int(task) if task.isdigit() else None)


@functools.lru_cache(maxsize=1)
def jobcomp_path() -> Path | None:
    """The jobcomp/filetxt log, where slurm.conf keeps one (JobCompLoc)."""
    try:
        conf = _run(["scontrol", "show", "config"], timeout=15).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    kv = dict(re.findall(r"^(\w+)\s*=\s*(.*?)\s*$", conf, re.M))
    if kv.get("JobCompType") != "jobcomp/filetxt" or not kv.get("JobCompLoc"):
        return None
    return Path(kv["JobCompLoc"])


def _from_jobcomp(job_id) -> list[dict]:
    path = jobcomp_path()
    if path is None or not path.exists():
        return []
    jid, _ = _split_id(job_id)
    latest: dict[str, dict] = {}  # by JobId: the last line wins (IDs restart if the state is wiped)
    for line in path.read_text(errors="replace").splitlines():
        if f"={jid} " not in line + " ":
            continue
        rec = parse_record(line)
        if rec.get("JobId") == jid or rec.get("ArrayJobId") == jid:
            latest[rec["JobId"]] = rec
    return [t for rec in latest.values() for t in _tasks_of(rec)]


def task_states(job_id) -> list[dict]:
    """Every task of a job or array now ("12", or one task: "12_3"), without waiting: scontrol's
    records, pending ranges expanded; the jobcomp log once scontrol has forgotten the job.
    Sorted by array task ID; [] when neither knows the job."""
    jid, want = _split_id(job_id)
    proc = _run(["scontrol", "show", "job", "-o", str(job_id)])
    if proc.returncode == 0 and proc.stdout.strip():
        tasks = [t for line in proc.stdout.splitlines() if line.strip()
                 for t in _tasks_of(parse_record(line))]
    elif "Invalid job id" in proc.stderr:
        tasks = _from_jobcomp(job_id)
    else:
        raise RuntimeError(f"scontrol show job {job_id} failed ({proc.returncode}): {proc.stderr.strip()}")
    if want is not None:
        tasks = [t for t in tasks if t["array_task_id"] == want]
    by_task: dict = {}
    for t in tasks:  # a split-off task's own record wins over a range that still names it
        key = t["array_task_id"] if t["array_task_id"] is not None else t["job_id"]
        if key not in by_task or t["job_id"] != jid:
            by_task[key] = t
    return sorted(by_task.values(), key=lambda t: (t["array_task_id"] is None, t["array_task_id"] or 0,
                                                   t["job_id"]))


def summary(tasks: list[dict]) -> str:
    return ", ".join(f"{t['id']}={t['state']}({t['exit_code']}:{t['signal']}"
                     + (f", {t['reason']}" if t["reason"] not in (None, "None") else "") + ")"
                     for t in tasks) or "no record"


def wait_job(job_id, timeout: float = 120, poll: float = 0.5) -> list[dict]:
    """Poll until every task of the job (array tasks included) is in a final state; returns
    task_states(). TimeoutError, with the states then, after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = task_states(job_id)
        if tasks and all(t["state"] in FINAL_STATES for t in tasks):
            return tasks
        if time.monotonic() >= deadline:
            raise TimeoutError(f"Slurm job {job_id} not finished after {timeout:g} s: {summary(tasks)}")
        time.sleep(poll)


def cancel(job_id_or_task, signal: str | int | None = None, *, scope: str = "full", check: bool = True) -> None:
    """scancel a job, an array ("12") or one task ("12_3").

    signal None: plain `scancel`, which cancels: every process of the job (the batch script and its
    children) gets SIGCONT and SIGTERM, then SIGKILL after KillWait seconds; state CANCELLED.
    signal given (e.g. "TERM", "USR1", 15): only signals; the job goes on and its state comes from
    how it ends (a script that traps TERM and exits 0 is COMPLETED; exits 143: FAILED, 143:0). Who
    gets it, by `scope` (scancel 22.05 man page, and checked on the local cluster):
      "full"  -> --full: the batch shell and all its children (srun steps too). What a program
                 started by the batch script needs in order to see the signal.
      "batch" -> --batch: the batch shell only; its children do not get it (and bash runs a trap
                 only after the foreground child ends).
      "steps" -> no flag: the srun steps only, never the batch step: a batch script that starts its
                 program without srun gets nothing.
    """
    args = ["scancel"]
    if signal is not None:
        flag = {"full": ["--full"], "batch": ["--batch"], "steps": []}[scope]
        args += [f"--signal={signal}", *flag]
    args.append(str(job_id_or_task))
    proc = _run(args)
    # check=False: scancel --signal exits 229, saying nothing, when the signalled task ends at once
    # (as an agent that gets SIGTERM does); the task's final state tells what happened.
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
