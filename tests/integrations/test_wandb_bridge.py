"""What a run gets from the agent (the environment, the sweep config file, no bridge without a
W&B run, nothing with --wandb off), and the bridge on its own: wandb's real record logs read
as they grow, cut anywhere, damaged; the bridge file run by path where sweeper cannot be imported."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from wandblib import ok, output_of, require_wandb

require_wandb()
pytestmark = pytest.mark.usefixtures("wandb_elsewhere")


from sweeper.integrations.wandb import bridge


def test_wandb_off_gives_the_run_nothing_of_wandbs(project):
    project.write("env.py", textwrap.dedent("""\
        import json, os
        print("ENV", json.dumps(sorted(k for k in os.environ if k.startswith("WANDB_"))), flush=True)
        """))
    sid = project.sweep("program: env.py\nmethod: grid\nparameters:\n  x: {values: [1]}\n")
    ok(project.agent(sid, "--wandb", "off"))
    store = project.open()
    (run,) = store.runs(sid)
    assert 'ENV ["WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR"]' in output_of(run)
    assert not Path(run["run_dir"], "wandb").exists()


def test_a_program_without_wandb_init_gets_the_environment_and_no_bridge(project):
    """auto, wandb importable: the environment is there; no W&B run, so no bridge process."""
    project.write("plain.py", textwrap.dedent("""\
        import json, os
        keys = ["WANDB_MODE", "WANDB_RUN_ID", "WANDB_DIR", "WANDB_SWEEP_PARAM_PATH", "WANDB_PROJECT",
                "WANDB__TRANSACTION_LOG_FLUSH_INTERVAL", "WANDB_SWEEP_ID"]
        print("ENV", json.dumps({k: os.environ.get(k) for k in keys}), flush=True)
        print("PARAMS", open(os.environ["WANDB_SWEEP_PARAM_PATH"]).read(), flush=True)
        """))
    sid = project.sweep("program: plain.py\nmethod: grid\nproject: demo\nparameters:\n"
                        "  lr: {values: [1.0e-05]}\n  opt:\n    parameters:\n      m: {value: 0.9}\n")
    ok(project.agent(sid))
    store = project.open()
    (run,) = store.runs(sid)
    out = output_of(run)
    env = json.loads(re.search(r"ENV (.*)", out).group(1))
    path = Path(run["run_dir"], "wandb", f"sweep-{sid}", f"config-{run['id']}.yaml")
    assert env == {"WANDB_MODE": "offline", "WANDB_RUN_ID": run["id"], "WANDB_DIR": run["run_dir"],
                   "WANDB_SWEEP_PARAM_PATH": str(path), "WANDB_PROJECT": "demo",
                   "WANDB__TRANSACTION_LOG_FLUSH_INTERVAL": "0.05", "WANDB_SWEEP_ID": None}
    assert path.read_text() == "wandb_version: 1\n\nlr:\n  value: 1.0e-05\nopt:\n  value:\n    m: 0.9\n"
    assert not Path(run["run_dir"], "wandb-bridge.log").exists()


def test_the_bridge_runs_by_path_where_sweeper_is_not_importable(tmp_path):
    """The bridge file alone, in a Python where `import sweeper` fails: a finished offline
    run's rows, nested keys joined as W&B joins them."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    program = tmp_path / "prog.py"
    program.write_text("import wandb\nwandb.init()\nfor i in range(3):\n    wandb.log({'x': i, 'n': {'y': -i}})\n"
                       "wandb.finish()\n")
    blocker = tmp_path / "blocker" / "sweeper"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('sweeper is not installed here')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_DIR=str(run_dir), WANDB_SILENT="true", PYTHONPATH=str(blocker.parent))
    subprocess.run([sys.executable, str(program)], env=env, check=True, timeout=60, cwd=tmp_path)
    copy = tmp_path / "elsewhere" / "bridge.py"
    copy.parent.mkdir()
    shutil.copy(bridge.__file__, copy)
    out = tmp_path / "rows.jsonl"
    r = subprocess.run([sys.executable, str(copy), str(run_dir), str(out), "--once"], env=env,
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["_step"], r["x"], r["n.y"]) for r in rows] == [(0, 0, 0), (1, 1, -1), (2, 2, -2)]
    assert "3 history rows from 1 W&B record log(s)" in r.stderr


@pytest.fixture(scope="module")
def big_wandb_file(tmp_path_factory):
    """A real offline run whose rows are larger than a 32 KiB block (records cut in pieces)."""
    root = tmp_path_factory.mktemp("bigrun")
    program = root / "prog.py"
    program.write_text("import wandb\nwandb.init()\nfor i in range(6):\n"
                       "    wandb.log({'i': i, 'blob': 'x' * (20000 * i)})\nwandb.finish()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_DIR=str(root), WANDB_SILENT="true",
               WANDB_CONFIG_DIR=str(root / "cfg"), WANDB_CACHE_DIR=str(root / "cache"))
    subprocess.run([sys.executable, str(program)], env=env, check=True, timeout=60, cwd=root)
    (path,) = root.glob("wandb/offline-run-*/run-*.wandb")
    return path


def test_record_log_reads_a_file_growing_in_pieces_cut_anywhere(big_wandb_file, tmp_path):
    data = big_wandb_file.read_bytes()
    assert len(data) > 3 * bridge.BLOCK
    whole = bridge.RecordLog(str(big_wandb_file)).read()
    growing = tmp_path / "run-x.wandb"
    log = bridge.RecordLog(str(growing))
    got, at, cut = [], 0, 1
    with open(growing, "wb") as f:
        while at < len(data):  # pieces of 1, 8, 27... bytes: every header and record cut somewhere
            f.write(data[at:at + cut])
            f.flush()
            at += cut
            cut = cut * 3 % 9973 + 1
            got += log.read()
    assert got == whole and log.damaged == 0 and log.buf == b""
    pb = bridge.load_records_module()
    rows = []
    for payload in whole:
        rec = pb.Record()
        rec.ParseFromString(payload)
        if rec.WhichOneof("record_type") == "history":
            rows.append(bridge.history_row(rec.history))
    assert [(r["_step"], r["i"], len(r["blob"])) for r in rows] == [(i, i, 20000 * i) for i in range(6)]


def test_record_log_skips_a_damaged_block_and_reads_on(big_wandb_file, tmp_path):
    data = bytearray(big_wandb_file.read_bytes())
    whole = bridge.RecordLog(str(big_wandb_file)).read()
    data[bridge.BLOCK + 100] ^= 0xFF  # a byte inside the second block
    damaged = tmp_path / "run-y.wandb"
    damaged.write_bytes(bytes(data))
    log = bridge.RecordLog(str(damaged))
    got = log.read()
    assert log.damaged >= 1
    assert 0 < len(got) < len(whole)
    assert got[-1] == whole[-1]  # the records after the damaged block are read
    assert set(got) <= set(whole)
