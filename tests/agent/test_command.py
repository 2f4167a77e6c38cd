"""Command building: every W&B macro, values written as W&B writes them, no shell anywhere."""

import json

import pytest

from sweeper.agents import command

PARAMS = {"a": True, "b": False, "c": 1, "d": None, "e": [1, "x"], "opt": {"lr": 0.1}, "f": 1e-05}


def build(template, params=PARAMS, program="train.py", env=None):
    return command.build(template, params, program, args_json_file="/runs/r/args.json", env=env or {})


def test_default_command(monkeypatch):
    monkeypatch.setenv("SWEEPER_INTERPRETER", "/opt/py/bin/python")
    argv = build(["${env}", "${interpreter}", "${program}", "${args}"])
    assert argv == ["/usr/bin/env", "/opt/py/bin/python", "train.py", "--a=True", "--b=False", "--c=1",
                    "--d=None", "--e=[1, 'x']", "--opt={'lr': 0.1}", "--f=1e-05"]


def test_args_forms():
    p = {"lr": 0.01, "flag": True, "off": False}
    assert build(["${args_no_equals}"], p) == ["--lr", "0.01", "--flag", "True", "--off", "False"]
    assert build(["${args_no_hyphens}"], p) == ["lr=0.01", "flag=True", "off=False"]
    assert build(["${args_no_boolean_flags}"], p) == ["--lr=0.01", "--flag"]
    assert build(["${args_append_hydra}"], p) == ["+lr=0.01", "+flag=True", "+off=False"]
    assert build(["${args_override_hydra}"], p) == ["++lr=0.01", "++flag=True", "++off=False"]
    (only,) = build(["${args_json}"], p)
    assert json.loads(only) == p
    assert build(["${args_json_file}"], p) == ["/runs/r/args.json"]


def test_envvar_anywhere_and_unknown_macro_dropped():
    """W&B's rules: an unset NAME gives the name itself, only upper-case names are written out,
    and any whole element ${...} (digits too) is a macro, left out when unknown."""
    argv = build(["--data=${envvar:DATA}/train", "${nonsense}", "x${envvar:MISSING}y", "${arg1}",
                  "--l=${envvar:lower}", "${envvar:lower}", "${envvar:PROG}"], {},
                 env={"DATA": "/mnt/d", "PROG": "${program}"}, program="t.py")
    assert argv == ["--data=/mnt/d/train", "xMISSINGy", "--l=${envvar:lower}", "t.py"]


def test_hostile_values_stay_literal():
    p = {"name": "$(rm -rf ~)", "other": "; reboot", "q": "a b 'c'"}
    assert build(["${program}", "${args}"], p) == ["train.py", "--name=$(rm -rf ~)", "--other=; reboot",
                                                   "--q=a b 'c'"]


def test_program_missing_is_clear():
    with pytest.raises(command.CommandError, match="no program"):
        command.build(["${program}"], {}, None)
