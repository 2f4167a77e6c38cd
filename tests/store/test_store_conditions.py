"""Every store condition a user can meet is one clear line and an exit code, never a traceback,
and nothing already recorded is lost (issue 14, defects 9 and 10): a file that is not a
database, a damaged one, a full disk, read-only mounts, paths through a regular file; and
control characters from sweep files never reach the terminal raw."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from agentlib import Project, env_for, exe

SWEEP = "program: p.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n"


def sweeper(*args, cwd, store=None):
    env = dict(os.environ)
    env.pop("SWEEPER_STORE", None)
    if store is not None:
        env["SWEEPER_STORE"] = str(store)
    return subprocess.run([exe(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def no_traceback(r):
    assert "Traceback" not in r.stderr and "Error:" not in r.stderr.replace("error:", ""), r.stderr
    return r


@contextmanager
def mounted_tmpfs(path: Path, options: str):
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount_read_only(path: Path):
    r = subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def work(tmp_path):
    (tmp_path / "s.yaml").write_text(SWEEP)
    (tmp_path / "p.py").write_text("print('ok')\n")
    return tmp_path


def test_a_file_that_is_not_a_database(work):
    (work / "notes.db").write_text("not a database, a note\n" * 50)
    for args in (["sweep", "s.yaml", "--store", "notes.db"], ["status", "abcd1234", "--store", "notes.db"],
                 ["sweeps", "--store", "notes.db"]):
        r = no_traceback(sweeper(*args, cwd=work))
        assert r.returncode == 1 and "is not a usable sweeper store" in r.stderr, r.stderr
    assert (work / "notes.db").read_text().startswith("not a database")  # left as it was


def test_a_damaged_store_is_not_registered_into(work):
    store = work / "st" / "sweeper.db"
    r = sweeper("sweep", "s.yaml", "--store", store, cwd=work)
    assert r.returncode == 0, r.stderr
    first = r.stdout.strip().splitlines()[-1]
    with sqlite3.connect(store) as conn:  # checkpoint the WAL, so that the pages are in the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(store.read_bytes())
    data[100:1100] = os.urandom(1000)  # scribble over the schema's own b-tree page
    store.write_bytes(bytes(data))
    r = no_traceback(sweeper("sweep", "s.yaml", "--store", store, cwd=work))
    assert r.returncode == 1 and ("damaged" in r.stderr or "not a usable sweeper store" in r.stderr), r.stderr
    assert first not in r.stdout


def test_a_full_disk_keeps_what_was_recorded(work):
    with mounted_tmpfs(work / "small", "size=256k") as small:
        store = small / "sweeper.db"
        r = sweeper("sweep", "s.yaml", "--store", store, cwd=work)
        assert r.returncode == 0, r.stderr
        first = r.stdout.strip().splitlines()[-1]
        with open(small / "filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
            except OSError:
                pass
        big = "program: p.py\nmethod: grid\ndescription: '" + "x" * 200_000 + "'\nparameters: {x: {values: [1]}}\n"
        (work / "big.yaml").write_text(big)
        r = no_traceback(sweeper("sweep", "big.yaml", "--store", store, cwd=work))
        assert r.returncode == 1 and "no space left" in r.stderr, r.stderr
        (small / "filler").unlink()
        listed = sweeper("sweeps", "--json", "--store", store, cwd=work)
        assert listed.returncode == 0 and first in listed.stdout


def test_a_read_only_folder_is_named_as_the_folder(work):
    with mounted_tmpfs(work / "ro", "size=4m") as ro:
        store = ro / "sweeper.db"
        assert sweeper("sweep", "s.yaml", "--store", store, cwd=work).returncode == 0
        for extra in ("-wal", "-shm"):
            Path(f"{store}{extra}").unlink(missing_ok=True)
        remount_read_only(ro)
        r = no_traceback(sweeper("sweep", "s.yaml", "--store", store, cwd=work))
        assert r.returncode == 1 and f"the folder {ro} that holds the store is read-only" in r.stderr, r.stderr


def test_an_unwritable_current_directory(work):
    with mounted_tmpfs(work / "here", "size=1m") as here:
        shutil.copy(work / "s.yaml", here / "s.yaml")
        remount_read_only(here)
        r = no_traceback(sweeper("sweep", "s.yaml", cwd=here))
        assert r.returncode == 1 and "cannot make the store's folder" in r.stderr and "Read-only" in r.stderr, r.stderr


def test_a_store_path_through_a_regular_file(work):
    (work / "afile").write_text("x")
    r = no_traceback(sweeper("sweep", "s.yaml", "--store", work / "afile" / "x.db", cwd=work))
    assert r.returncode == 1 and "a file of that name is in the way" in r.stderr, r.stderr
    r = no_traceback(sweeper("status", "abcd1234", "--store", work / "afile" / "x.db", cwd=work))
    assert r.returncode == 2 and "no store at" in r.stderr, r.stderr


# ---- control characters --------------------------------------------------------------------------

HOSTILE = "\x1b[31mred\x1b]0;owned\x07"


def test_control_characters_in_values_are_escaped_in_every_terminal_output(tmp_path):
    p = Project(tmp_path / "proj")
    p.write("hostile.yaml", 'name: "\\e]0;title\\a"\nprogram: probe.py\nmethod: grid\nmetric: {name: loss}\n'
                            'parameters:\n  tag: {values: ["\\e[31mred\\e]0;owned\\a"]}\n  lines: {value: 2}\n')
    r = p.cli("sweep", "hostile.yaml", check=True)
    sid = r.stdout.strip().splitlines()[-1]
    assert p.agent(sid, "--output", "none").returncode == 0
    outputs = {args: p.cli(*args) for args in [("status", sid), ("runs", sid), ("sweeps",),
                                                ("best", sid, "--format", "command"), ("best", sid)]}
    outputs[("sweep",)] = r
    for args, out in outputs.items():
        assert out.returncode == 0, (args, out.stderr)
        for stream in (out.stdout, out.stderr):
            assert "\x1b" not in stream and "\x07" not in stream, (args, stream)
    assert "\\x1b[31mred" in outputs[("status", sid)].stdout
    # the command stays pasteable: bash's $'...' gives the program the very value
    cmd = outputs[("best", sid, "--format", "command")].stdout.strip()
    echo = subprocess.run(["bash", "-c", f"printf '%s\\n' {cmd.split(' ', 2)[2]}"], capture_output=True, text=True)
    assert f"--tag={HOSTILE}" in echo.stdout.splitlines()


def test_error_messages_escape_control_characters(tmp_path):
    p = Project(tmp_path / "proj")
    sid = p.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1]}}\n")
    r = subprocess.run([exe(), "runs", sid, "--sort", "\x1b[2Jwiped"], cwd=p.root, env=env_for(p.store),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "\x1b" not in r.stderr and "\\x1b[2Jwiped" in r.stderr
