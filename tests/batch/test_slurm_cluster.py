"""The local Slurm cluster (.ci/slurm.sh) and tests/slurmlib.py, with plain bash jobs only:
array states and exit codes, afterok dependencies, a signal reaching a batch script's child."""

from __future__ import annotations

import os
import time
from pathlib import Path

from slurmlib import cancel, require_slurm, submit, summary, task_states, wait_job


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return path


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def _by_task(tasks):
    return {t["array_task_id"]: (t["state"], t["exit_code"]) for t in tasks}


def test_array_states_exit_codes_env_and_chdir(tmp_path):
    require_slurm()
    tools, work, out = tmp_path / "bin", tmp_path / "work", tmp_path / "out"
    for d in (tools, work, out):
        d.mkdir()
    _script(tools / "probe-tool", "echo probe\n")
    script = _script(tmp_path / "array.sh", """\
set -u
pwd > "$MARK_DIR/pwd_$SLURM_ARRAY_TASK_ID"
command -v probe-tool > "$MARK_DIR/tool_$SLURM_ARRAY_TASK_ID" || true
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_JOB_ID"
[ "$SLURM_ARRAY_TASK_ID" = 1 ] && exit 3
exit 0
""")
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "MARK_DIR": str(out)}
    job = submit(script, "--array=0-2", f"--chdir={work}", f"--output={out}/%A_%a.out", "--time=2",
                 env=env)
    tasks = wait_job(job, timeout=60)
    assert _by_task(tasks) == {0: ("COMPLETED", 0), 1: ("FAILED", 3), 2: ("COMPLETED", 0)}, summary(tasks)
    assert all(t["signal"] == 0 and t["array_job_id"] == job for t in tasks)
    assert [t["id"] for t in tasks] == [f"{job}_{i}" for i in range(3)]
    for i in range(3):
        assert (out / f"pwd_{i}").read_text().strip() == str(work)
        assert (out / f"tool_{i}").read_text().strip() == str(tools / "probe-tool")
        assert (out / f"{job}_{i}.out").read_text().strip() == f"task {i} of {job}"


def test_afterok_dependency_on_an_array(tmp_path):
    require_slurm()
    array = _script(tmp_path / "array.sh", """\
sleep 1
touch "$MARK_DIR/done_${TAG}_$SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" = "${FAIL_TASK:-none}" ] && exit 3
exit 0
""")
    after = _script(tmp_path / "after.sh", """\
# ran only once every task of the array it waits on had ended
ls "$MARK_DIR"/done_${TAG}_0 "$MARK_DIR"/done_${TAG}_1 > "$MARK_DIR/after_$TAG" || exit 9
""")
    common = [f"--output={tmp_path}/%x_%j.out", "--time=2"]
    env = {"MARK_DIR": str(tmp_path)}
    good = submit(array, "--array=0-1", *common, env=dict(env, TAG="good"))
    bad = submit(array, "--array=0-1", *common, env=dict(env, TAG="bad", FAIL_TASK="1"))
    after_good = submit(after, f"--dependency=afterok:{good}", *common, env=dict(env, TAG="good"))
    after_bad = submit(after, f"--dependency=afterok:{bad}", *common, env=dict(env, TAG="bad"))

    assert _by_task(wait_job(good, timeout=60)) == {0: ("COMPLETED", 0), 1: ("COMPLETED", 0)}
    tasks = wait_job(after_good, timeout=60)
    assert [(t["state"], t["exit_code"], t["array_task_id"]) for t in tasks] == [("COMPLETED", 0, None)]
    assert (tmp_path / "after_good").exists()

    assert _by_task(wait_job(bad, timeout=60)) == {0: ("COMPLETED", 0), 1: ("FAILED", 3)}
    # Slurm 22.05 keeps the dependent job PENDING, Reason=DependencyNeverSatisfied, and never runs it.
    (rec,) = _wait_for(lambda: [t for t in task_states(after_bad)
                                   if t["state"] != "PENDING" or t["reason"] not in ("None", "Dependency")],
                       30, "the scheduler to judge the dependency")
    assert (rec["state"], rec["reason"]) == ("PENDING", "DependencyNeverSatisfied"), summary([rec])
    cancel(after_bad)
    tasks = wait_job(after_bad, timeout=30)
    assert [t["state"] for t in tasks] == ["CANCELLED"], summary(tasks)
    assert not (tmp_path / "after_bad").exists()


def test_signal_reaches_the_program_a_batch_script_starts(tmp_path):
    require_slurm()
    # The program (child.sh) traps TERM and writes a file; so does the batch script, which waits
    # for it and exits with its status.
    child = _script(tmp_path / "child.sh", """\
trap 'echo TERM > "$MARK_DIR/child_term_$SLURM_ARRAY_TASK_ID"; exit 143' TERM
touch "$MARK_DIR/child_started_$SLURM_ARRAY_TASK_ID"
sleep "${SLEEP:-6}" & wait $!
""")
    batch = _script(tmp_path / "batch.sh", f"""\
trap 'echo TERM > "$MARK_DIR/batch_term_$SLURM_ARRAY_TASK_ID"' TERM
bash {child} & pid=$!
wait $pid; rc=$?
# a trapped signal interrupts `wait` (status > 128) while the child may still run: wait again
if [ $rc -gt 128 ] && kill -0 $pid 2>/dev/null; then wait $pid; rc=$?; fi
# Slurm signals the step's processes one after another: the child can trap its TERM and end
# before the script's own TERM arrives. A short grace lets that TERM land before the script exits.
sleep 2 & wait $!
exit $rc
""")
    job = submit(batch, "--array=0-2", f"--output={tmp_path}/%A_%a.out", "--time=2",
                 env={"MARK_DIR": str(tmp_path)})
    _wait_for(lambda: all((tmp_path / f"child_started_{i}").exists() for i in range(3)), 30,
              "the three tasks to start")
    cancel(f"{job}_1", "TERM")  # scancel --signal=TERM --full JOB_1: the script and its children
    cancel(f"{job}_2")          # plain scancel: TERM to every process, then KILL after KillWait
    tasks = wait_job(job, timeout=60)
    by_task = {t["array_task_id"]: t for t in tasks}
    assert (by_task[0]["state"], by_task[0]["exit_code"]) == ("COMPLETED", 0), summary(tasks)
    # Only signalled: the job ran on and ended as its script ended (exit 143 -> FAILED 143:0).
    assert (by_task[1]["state"], by_task[1]["exit_code"]) == ("FAILED", 143), summary(tasks)
    assert by_task[2]["state"] == "CANCELLED", summary(tasks)
    for i in (1, 2):
        assert (tmp_path / f"child_term_{i}").read_text().strip() == "TERM"
        assert (tmp_path / f"batch_term_{i}").read_text().strip() == "TERM"
    assert not (tmp_path / "child_term_0").exists()
    assert not (tmp_path / "batch_term_0").exists()
