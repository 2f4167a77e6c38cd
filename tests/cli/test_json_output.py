"""Output for machines (issue 16 item 6): every command that reads takes --json, prints strict
JSON, and gives each timestamp in ISO 8601 beside the number."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from agentlib import Project

# What each command that reads is asked, once a sweep has runs: {sid} and {rid} filled in.
READS = {
    "sweeps": [],
    "history": ["{sid}"],
    "status": ["{sid}"],
    "best": ["{sid}"],
    "logs": ["{rid}"],
    "runs": ["{sid}"],
    "importance": ["{sid}"],
    "show": ["{rid}"],
    "compare": ["{sid}"],
    "enqueue": ["{sid}", "--list"],
}


def test_every_command_that_reads_takes_json():
    from sweeper.cli import COMMANDS, cli

    writers = {"sweep", "agent", "pause", "resume", "stop", "cancel", "rerun", "edit", "delete", "export", "report",
               "enqueue"}
    for name in COMMANDS:
        options = {o for p in cli.get_command(None, name).params for o in getattr(p, "opts", [])}
        if name not in writers or name in READS:
            assert "--json" in options, f"sweeper {name} has no --json"
    assert set(READS) - {"enqueue"} == set(COMMANDS) - writers


def _timestamps_have_iso(value, where="") -> int:
    found = 0
    if isinstance(value, dict):
        for key, v in value.items():
            if (key.endswith("_at") or key == "at") and isinstance(v, (int, float)) and not isinstance(v, bool):
                assert isinstance(value.get(f"{key}_iso"), str) and value[f"{key}_iso"].endswith("Z"), f"{where}.{key}"
                found += 1
            found += _timestamps_have_iso(v, f"{where}.{key}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _timestamps_have_iso(v, f"{where}[{i}]")
    return found


def test_each_read_prints_strict_json_with_iso_timestamps(tmp_path):
    proj = Project(tmp_path / "proj")
    shutil.copy(Path(__file__).resolve().parents[1] / "programs" / "bowl.py", proj.root / "bowl.py")
    sid = proj.sweep("program: bowl.py\nmethod: random\nrun_cap: 6\nmetric: {name: loss, goal: minimize}\n"
                     "parameters:\n  x: {min: 0.0, max: 1.0}\n  y: {min: 0.0, max: 1.0}\n  lines: {value: 3}\n")
    assert proj.agent(sid).returncode == 0
    rid = json.loads(proj.cli("best", sid, "--json", check=True).stdout)["run_id"]
    stamps = 0
    for name, args in READS.items():
        out = proj.cli(name, *(a.format(sid=sid, rid=rid) for a in args), "--json", check=True).stdout
        data = json.loads(out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"{name}: {c}")))
        stamps += _timestamps_have_iso(data, name)
    assert stamps > 20
    logs = json.loads(proj.cli("logs", rid, "--json", check=True).stdout)
    assert logs["run_id"] == rid and logs["state"] == "finished" and isinstance(logs["output"], str)
    both = proj.cli("logs", rid, "--json", "--follow")
    assert both.returncode == 2 and "without --follow" in both.stderr
