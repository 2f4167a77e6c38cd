"""Sweep files (and dicts) built to hurt the reader: a "billion laughs" of aliases, nesting ten
thousand levels deep, an alias inside its own anchor, characters and scalars PyYAML chokes on.
Each is one located problem and exit 2 from the installed executable, quickly, in little memory,
with no traceback and nothing registered; ordinary aliases keep working, with their positions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import run_cli

import sweeper
from sweeper.sweepfile.checks import MAX_ADDED_NODES, MAX_DEPTH
from sweeper.sweepfile.load import load_dict, load_file
from sweeper.sweepfile.problems import SweepConfigError

# 9 levels of 9 aliases each: 460 bytes that stand for 9^9 lists (PyYAML used to grow past 3 GB).
LAUGHS = "\n".join(
    ["method: grid", "parameters:", "  x:", "    values: [1]",
     "a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    + [f"{k}: &{k} [" + ", ".join([f"*{prev}"] * 9) + "]" for prev, k in zip("abcdefgh", "bcdefghi")]) + "\n"

# Runs a command in a fresh interpreter and reports its peak memory (ru_maxrss of its children
# is that command alone), under a 1 GB address-space limit so that a regression fails, not swaps.
MEASURE = """
import json, resource, subprocess, sys, time
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
start = time.monotonic()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=limit, timeout=120)
print(json.dumps({"rc": p.returncode, "stderr": p.stderr, "seconds": time.monotonic() - start,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def write(tmp_path, text: str, name: str = "sweep.yaml"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def refused_by_cli(exe, f, tmp_path):
    """`sweeper sweep FILE` against a store path: exit 2, no traceback, the store never made."""
    store = tmp_path / "store" / "s.db"
    proc = run_cli(exe, "sweep", f, "--store", store, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert not store.exists()  # nothing registered
    return proc.stderr


# ---- aliases -------------------------------------------------------------------------------------

def test_a_billion_laughs_is_refused_at_once_in_little_memory(sweeper_exe, tmp_path):
    f = write(tmp_path, LAUGHS, "laughs.yaml")
    out = subprocess.run([sys.executable, "-c", MEASURE, sweeper_exe, "sweep", str(f), "--dry-run"],
                         capture_output=True, text=True, timeout=180)
    got = json.loads(out.stdout)
    assert got["rc"] == 2, got["stderr"][-3000:]
    assert "Traceback" not in got["stderr"] and "MemoryError" not in got["stderr"]
    # The first alias of the largest anchor used: *h, on line 13 (i:), column 8.
    assert f"{f}:13:8: error: i: aliases expand this file from 109 nodes as written to 490,329,073, more than " \
           f"the {MAX_ADDED_NODES:,} they may add; the alias *h (its anchor &h is on line 12) alone stands " \
           "for 48,427,561" in got["stderr"]
    assert got["maxrss_kb"] < 150_000, got  # the interpreter and its imports: about 25 MB
    assert got["seconds"] < 20, got


def test_a_billion_laughs_under_parameters_registers_nothing(sweeper_exe, tmp_path):
    text = textwrap.dedent("""\
        method: grid
        parameters:
          a: &a {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
          b: &b {values: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}
          c: &c {values: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}
          d: &d {values: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}
          e: &e {values: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}
          f: {values: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]}
        """)
    err = refused_by_cli(sweeper_exe, write(tmp_path, text), tmp_path)
    assert ":8:16: error: parameters: aliases expand this file" in err and "the alias *e" in err


def test_an_alias_inside_its_own_anchor_is_refused(sweeper_exe, tmp_path):
    text = "method: grid\nparameters:\n  x: &loop\n    values: [*loop]\n"
    err = refused_by_cli(sweeper_exe, write(tmp_path, text), tmp_path)
    assert ":4:14: error: parameters: the alias *loop is inside the list or mapping its anchor names " \
           "(line 3), a structure without end" in err


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a}\n", "&a [1, *a]\n"])
def test_every_recursive_alias_is_refused(tmp_path, text):
    with pytest.raises(SweepConfigError, match="structure without end"):
        load_file(write(tmp_path, text))


def test_aliases_that_nest_too_deep_are_refused_at_the_alias(sweeper_exe, tmp_path):
    # Each anchor is 60 lists deep as written, within the limit, but each holds the one before.
    lines = ["method: grid", "parameters:", "  x:", "    values: [1]", "a0: &a0 " + "[" * 60 + "]" * 60]
    lines += [f"a{i}: &a{i} " + "[" * 59 + f"*a{i - 1}" + "]" * 59 for i in range(1, 4)]
    err = refused_by_cli(sweeper_exe, write(tmp_path, "\n".join(lines) + "\n"), tmp_path)
    # *a0 sits in a1's 59 lists under the top mapping, and stands for 60 more: 120 levels.
    assert ":6:68: error: a1: the alias *a0 (its anchor &a0 is on line 5) makes lists and mappings nest 120 " \
           f"levels deep here, more than the {MAX_DEPTH} a sweep file may have" in err


def test_an_anchor_reused_for_two_parameters_keeps_working_with_positions(sweeper_exe, tmp_path):
    f = write(tmp_path, textwrap.dedent("""\
        method: random
        parameters:
          lr: &range
            min: 0.5
            max: 0.1
          wd: *range
          mom:
            <<: *range
            min: 0.01
        """))
    with pytest.raises(SweepConfigError) as info:
        load_file(f)
    # The shared bounds are wrong where they are written (line 4), for each parameter that uses
    # them; the merge's own min (line 9) overrides the anchor's without a "given twice" warning.
    assert [(p.dotted, p.line, p.column) for p in info.value.problems] == [
        ("parameters.lr.min", 4, 5), ("parameters.wd.min", 4, 5)]
    assert info.value.warnings == []
    f.write_text(f.read_text().replace("min: 0.5", "min: 0.001"))
    proc = run_cli(sweeper_exe, "sweep", f, "--dry-run", "--json", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    params = json.loads(proc.stdout)["config"]["parameters"]
    assert params["wd"] == params["lr"] == {"min": 0.001, "max": 0.1, "distribution": "uniform"}
    assert params["mom"] == {"min": 0.01, "max": 0.1, "distribution": "uniform"}


def test_aliases_may_add_up_to_the_limit_and_long_files_need_none(tmp_path):
    item = "[" + ", ".join(["1"] * 999) + "]"  # 1,000 nodes
    uses = MAX_ADDED_NODES // 1_000 - 1
    text = f"method: grid\nparameters:\n  x: {{values: &v {item}}}\n  y: {{value: [{', '.join(['*v'] * uses)}]}}\n"
    assert load_file(write(tmp_path, text)).normalized["parameters"]["y"]["value"][uses - 1][998] == 1
    over = text.replace(", ".join(["*v"] * uses), ", ".join(["*v"] * (uses + 2)))
    with pytest.raises(SweepConfigError, match="aliases expand"):
        load_file(write(tmp_path, over))
    # Written out, a grid axis can be longer than aliases may add: the limit is on expansion.
    long = "method: grid\nparameters:\n  x:\n    values: [" + ", ".join(map(str, range(150_000))) + "]\n"
    assert load_file(write(tmp_path, long)).grid_size == 150_000


# ---- nesting -------------------------------------------------------------------------------------

def _deep_parameters(levels: int) -> str:
    lines, indent = ["method: random", "parameters:"], "  "
    for i in range(levels):
        lines += [f"{indent}p{i}:", f"{indent}  parameters:"]
        indent += "    "
    return "\n".join(lines + [f"{indent}x: {{value: 1}}"]) + "\n"


@pytest.mark.parametrize("text, where, key", [
    ("[" * 10_000, "1:101", "(top level)"),  # the 101st [
    # Level 3 is p0's mapping (line 4); level n starts on line n + 1, at "parameters:" of p49.
    (_deep_parameters(400), "102:201", "parameters"),
    # Level 4 is the first [ or {a: (column 12); level 101 is the 98th.
    ("method: random\nparameters:\n  x:\n    value: " + "[" * 1000 + "]" * 1000 + "\n", "4:109", "parameters"),
    ("method: random\nparameters:\n  x:\n    value: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n", "4:400", "parameters"),
    ("method: random\nparameters:\n  x:\n    values:\n" + "".join("  " * (i + 3) + "-\n" for i in range(300)),
     "102:201", "parameters"),  # line 5 + 97, indented 2 * (97 + 3)
], ids=["brackets", "parameters", "value", "flow-mappings", "block-lists"])
def test_deep_nesting_is_a_located_problem(sweeper_exe, tmp_path, text, where, key):
    f = write(tmp_path, text)
    err = refused_by_cli(sweeper_exe, f, tmp_path)
    assert f"{f}:{where}: error: {key}: lists and mappings nest more than {MAX_DEPTH} levels deep here" in err, err


def _at_depth(levels: int) -> str:
    inner = "[" * (levels - 4) + "1" + "]" * (levels - 4)  # the top mapping, parameters, x, values
    return f"method: grid\nparameters:\n  x:\n    values: [{inner}, 2]\n"


def test_a_file_at_the_depth_limit_goes_through_every_step(sweeper_exe, tmp_path):
    f = write(tmp_path, _at_depth(MAX_DEPTH))
    for args in (["--dry-run"], ["--dry-run", "--json"], ["--store", tmp_path / "s.db"]):
        proc = run_cli(sweeper_exe, "sweep", f, *args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
    nested = write(tmp_path, _deep_parameters((MAX_DEPTH - 3) // 2), "nested.yaml")
    assert run_cli(sweeper_exe, "sweep", nested, "--store", tmp_path / "s.db", cwd=tmp_path).returncode == 0
    with pytest.raises(SweepConfigError, match="nest more than"):
        load_file(write(tmp_path, _at_depth(MAX_DEPTH + 1)))


def _nested_list(levels: int):
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


def test_sweeper_sweep_refuses_a_deep_dict_before_anything_recurses(tmp_path):
    deep = {"method": "grid", "parameters": {"x": {"value": _nested_list(5000)}}}
    with pytest.raises(SweepConfigError) as info:
        sweeper.sweep(deep, store=str(tmp_path / "s.db"))
    assert info.value.problems[0].message == (
        f"lists and mappings nest 5003 levels deep, more than the {MAX_DEPTH} a sweep config may have "
        "(nested parameters take two levels each)")
    assert info.value.problems[0].dotted == "parameters"
    assert not (tmp_path / "s.db").exists()
    params: dict = {"x": {"value": 1}}
    for i in range(600):
        params = {f"p{i}": {"parameters": params}}
    with pytest.raises(SweepConfigError, match="levels deep"):
        load_dict({"method": "random", "parameters": params})


def test_load_dict_refuses_loops_and_sharing_that_explodes():
    looped = {"method": "grid", "parameters": {"x": {"values": [1]}}}
    looped["parameters"]["x"]["value"] = looped
    with pytest.raises(SweepConfigError, match="parameters: holds a list or mapping that contains itself"):
        load_dict(looped)
    laughs: object = ["lol"] * 9
    for _ in range(8):
        laughs = [laughs] * 9
    with pytest.raises(SweepConfigError, match="sharing may add"):
        load_dict({"method": "grid", "parameters": {"x": {"value": laughs}}})
    shared = [1, 2, 3]  # a list used twice is fine
    assert load_dict({"method": "grid", "parameters": {"x": {"values": [shared, shared]}}}).grid_size == 1


# ---- characters and scalars PyYAML raised on --------------------------------------------------------

@pytest.mark.parametrize("text, where, message", [
    ("method: grid\nparameters:\n  x: {values: [a\x07]}\n", "3:17", "the character U+0007 is not allowed in YAML"),
    ("method: grid\nparameters:\n  x: {value: 2024-13-01}\n", "3:14",
     "cannot read '2024-13-01' as a date (month must be in 1..12); quote it if you mean the text"),
    ("method: grid\nparameters:\n  x: {value: !!bool maybe}\n", "3:14", "cannot read 'maybe' as true or false"),
    ("method: grid\nparameters:\n  x: {value: !!timestamp x}\n", "3:14", "cannot read 'x' as a date"),
    ("method: grid\nparameters:\n  x: {value: !!float y}\n", "3:14", "cannot read 'y' as a number"),
    ("method: grid\nparameters:\n  x: {value: " + "1" * 5000 + "}\n", "3:14", "as an integer (Exceeds the limit"),
    ("method: grid\nparameters:\n  x: {values: [" + "1" * 400 + "]}\n", "3:16",
     "parameters.x.values.0: this is an integer too large for a number"),
    ("method: random\nparameters:\n  x: {min: 1, max: " + "9" * 400 + "}\n", "3:15",
     "parameters.x.max: this is an integer too large for a number"),
    ("method: grid\nparameters:\n  x: {values: [!!set {a, b}]}\n", "3:16",
     "parameters.x.values.0: expected a number, a string, true or false, null, a list or a mapping; "
     "found {'"),
    ("method: grid\nparameters:\n  x: {distribution: q_uniform, min: -1e308, max: 1e308, q: 1}\n", "3:3",
     "this q_uniform has countless of them, more than the 1,000,000 sweeper enumerates"),
    ("method: random\nparameters:\n  x: {distribution: log_uniform, min: 1, max: 1000}\n", "3:7",
     "distribution 'log_uniform' takes min and max as natural logarithms and is deprecated; use "
     "'log_uniform_values' with the values themselves\n"),
], ids=["control-character", "bad-date", "bool-tag", "timestamp-tag", "float-tag", "5000-digits",
        "huge-int-value", "huge-int-bound", "set", "countless-grid", "exp-overflow-hint"])
def test_what_pyyaml_and_the_rules_raised_on_is_a_located_problem(sweeper_exe, tmp_path, text, where, message):
    f = write(tmp_path, text)
    err = refused_by_cli(sweeper_exe, f, tmp_path)
    assert f"{f}:{where}: error: " in err and message in err, err


def test_load_dict_refuses_values_the_rules_cannot_compute_with():
    for value, message in ((10**5000, "a key here is an integer too large"), ({1, 2}, "found {1, 2} (set)")):
        spec = {"values": [{value: 1}]} if isinstance(value, int) else {"values": [value]}
        with pytest.raises(SweepConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_dict({"method": "grid", "parameters": {"x": spec}})
