"""Sweep files: what sweeper accepts (everything W&B's validator accepts, with the same meaning),
what it refuses, and how it says so. Every test goes through load_file or load_dict."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import run_cli

from sweeper.search.hyperband import bands
from sweeper.sweepfile import DEFAULT_COMMAND, TOP_LEVEL_KEYS, load_dict, load_file
from sweeper.sweepfile.problems import SweepConfigError

SEEDS = Path(__file__).parent.parent / "data" / "seeds"


def write(tmp_path, text: str, name: str = "sweep.yaml") -> Path:
    f = tmp_path / name
    f.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return f


def load(tmp_path, text: str):
    return load_file(write(tmp_path, text))


def refused(tmp_path_or_dict, text: str | None = None) -> SweepConfigError:
    """The error for a file's text (tmp_path, text) or for a config dict."""
    with pytest.raises(SweepConfigError) as info:
        if text is None:
            load_dict(tmp_path_or_dict)
        else:
            load(tmp_path_or_dict, text)
    return info.value


def one_problem(err: SweepConfigError):
    assert len(err.problems) == 1, err.render()
    return err.problems[0]


def param(spec: dict, method: str = "random", **top) -> dict:
    return {"method": method, "parameters": {"x": spec}, **top}


def normalized_param(spec: dict, method: str = "random") -> dict:
    return load_dict(param(spec, method)).normalized["parameters"]["x"]


# ---- top level ---------------------------------------------------------------------------------

def test_every_top_level_key_is_accepted_and_kept(tmp_path):
    cfg = load(tmp_path, """
        program: train.py
        command: ["${env}", "${interpreter}", "${program}", "--epochs", 3, "${args}"]
        method: random
        metric: {name: loss}
        parameters: {lr: {min: 0.001, max: 0.1}}
        early_terminate: {type: hyperband, min_iter: 2}
        run_cap: 20
        name: my sweep
        description: tries things
        project: proj
        entity: me
        controller: {type: local}
        apiVersion: v1
        kind: sweep
        job: some-job
        image_uri: registry/image:tag
    """)
    assert set(cfg.raw) == set(TOP_LEVEL_KEYS)
    n = cfg.normalized
    assert n["command"] == ["${env}", "${interpreter}", "${program}", "--epochs", 3, "${args}"]
    assert (n["program"], n["run_cap"], n["name"], n["project"], n["entity"]) == ("train.py", 20, "my sweep", "proj", "me")
    assert n["controller"] == {"type": "local"} and n["kind"] == "sweep" and n["image_uri"] == "registry/image:tag"


def test_minimal_file_gets_w_and_b_defaults(tmp_path):
    cfg = load(tmp_path, "method: random\nparameters: {a: {value: 1}}\n")
    assert cfg.normalized == {"method": "random", "parameters": {"a": {"value": 1, "distribution": "constant"}},
                              "command": DEFAULT_COMMAND}
    assert cfg.method == "random" and cfg.metric is None
    assert cfg.raw == {"method": "random", "parameters": {"a": {"value": 1}}}


@pytest.mark.parametrize("typo, meant", [
    ("paramters", "parameters"), ("metod", "method"), ("early_terminte", "early_terminate"),
    ("progam", "program"), ("descripton", "description"),
])
def test_unknown_top_level_key_says_did_you_mean(tmp_path, typo, meant):
    f = write(tmp_path, f"method: random\nparameters: {{a: {{value: 1}}}}\n{typo}: 1\n")
    with pytest.raises(SweepConfigError) as info:
        load_file(f)
    p = one_problem(info.value)
    assert p.path == (typo,) and (p.line, p.column) == (3, 1)
    assert f"unknown key '{typo}' (did you mean '{meant}'?)" in p.message
    assert "expected one of: program, command, method" in p.message


def test_paramters_typo_reports_the_missing_key_and_the_unknown_one(tmp_path):
    err = refused(tmp_path, "method: grid\nparamters:\n  a: {values: [1, 2]}\n")
    messages = [p.message for p in err.problems]
    assert len(messages) == 2
    assert "missing required key 'parameters'" in messages[0] and "did you mean 'parameters'" in messages[0]
    assert messages[1].startswith("unknown key 'paramters' (did you mean 'parameters'?)")


@pytest.mark.parametrize("cfg, path, message", [
    ({"parameters": {"a": {"value": 1}}}, (), "missing required key 'method'"),
    ({"method": "random"}, (), "missing required key 'parameters'"),
    ({"method": "gird", "parameters": {"a": {"value": 1}}}, ("method",),
     "expected one of: grid, random, bayes; found 'gird' (string) (did you mean 'grid'?)"),
    ({"method": "custom", "parameters": {"a": {"value": 1}}}, ("method",), "sweeper does not run"),
    ({"method": "random", "parameters": {}}, ("parameters",), "expected at least one parameter; found none"),
    ({"method": "random", "parameters": [{"a": 1}]}, ("parameters",), "expected a mapping; found [{'a': 1}] (list)"),
    ({"method": "random", "parameters": {"a": 3}}, ("parameters", "a"), "expected a mapping; found 3 (integer)"),
    ({"method": "random", "command": "python train.py", "parameters": {"a": {"value": 1}}}, ("command",),
     "expected a list; found 'python train.py' (string)"),
    ({"method": "random", "program": 3, "parameters": {"a": {"value": 1}}}, ("program",), "expected a string; found 3"),
    ({"method": "random", "kind": "job", "parameters": {"a": {"value": 1}}}, ("kind",), "expected one of: sweep"),
    ({"method": "random", "controller": {"type": "remote"}, "parameters": {"a": {"value": 1}}},
     ("controller", "type"), "expected one of: local, cloud"),
    ({"method": "random", "metrics": [], "parameters": {"a": {"value": 1}}}, ("metrics",), "multi-objective"),
    ({"method": "random", "program": "", "parameters": {"a": {"value": 1}}}, ("program",),
     "expected a non-empty string; found '' (string)"),
    ({"method": "random", "command": ["python", None], "parameters": {"a": {"value": 1}}}, ("command", 1),
     "expected a string or a number or true or false; found None (null)"),
])
def test_top_level_problems(cfg, path, message):
    p = one_problem(refused(cfg))
    assert p.path == path
    assert message in p.message


@pytest.mark.parametrize("run_cap, message", [
    (0, "expected an integer > 0; found 0 (integer)"),
    (-3, "expected an integer > 0; found -3 (integer)"),
    (2.5, "expected an integer; found 2.5 (number)"),
    (True, "expected an integer; found True (boolean)"),
    ("5", "expected an integer; found '5' (string)"),
])
def test_run_cap_is_a_positive_integer(run_cap, message):
    p = one_problem(refused({"method": "random", "run_cap": run_cap, "parameters": {"a": {"value": 1}}}))
    assert p.path == ("run_cap",) and p.message == message


def test_run_cap_accepted():
    assert load_dict({"method": "random", "run_cap": 1, "parameters": {"a": {"value": 1}}}).normalized["run_cap"] == 1


def test_unknown_command_macro_is_a_warning_not_an_error(tmp_path):
    cfg = load(tmp_path, 'method: random\ncommand: ["${env}", "${interpeter}", "${args}"]\nparameters: {a: {value: 1}}\n')
    [w] = cfg.warnings
    assert w.path == ("command", 1) and (w.line, w.column) == (2, 21)
    assert "unknown macro ${interpeter}" in w.message and "did you mean 'interpreter'" in w.message


# ---- metric ----------------------------------------------------------------------------------------

def test_metric_defaults():
    cfg = load_dict({"method": "bayes", "metric": {"name": "loss"}, "parameters": {"a": {"min": 0, "max": 9}}})
    assert cfg.metric == {"name": "loss", "goal": "minimize", "impute": "worst", "impute_while_running": "false"}


def test_metric_every_key():
    metric = {"name": "acc", "goal": "maximize", "target": 0.99, "impute": "best", "impute_while_running": "latest"}
    assert load_dict({"method": "random", "metric": dict(metric), "parameters": {"a": {"value": 1}}}).metric == metric


def test_impute_while_running_false_unquoted_means_the_string_false(tmp_path):
    cfg = load(tmp_path, "method: random\nmetric: {name: l, impute_while_running: false}\nparameters: {a: {value: 1}}\n")
    assert cfg.metric["impute_while_running"] == "false"


@pytest.mark.parametrize("metric, path, message", [
    ({"goal": "maximize"}, ("metric",), "missing required key 'name'"),
    ({"name": "l", "goal": "maximise"}, ("metric", "goal"),
     "expected one of: minimize, maximize; found 'maximise' (string) (did you mean 'maximize'?)"),
    ({"name": "l", "target": "high"}, ("metric", "target"), "expected a number; found 'high' (string)"),
    ({"name": "l", "impute": "mean"}, ("metric", "impute"), "expected one of: latest, best, worst; found 'mean'"),
    ({"name": "l", "impute_while_running": "yes"}, ("metric", "impute_while_running"), "found 'yes'"),
    ({"name": "l", "direction": "up"}, ("metric", "direction"), "unknown key 'direction'"),
    ({"name": "l", "target": float("inf")}, ("metric", "target"), "expected a finite number; found inf"),
    ("loss", ("metric",), "expected a mapping; found 'loss' (string)"),
])
def test_metric_problems(metric, path, message):
    p = one_problem(refused({"method": "random", "metric": metric, "parameters": {"a": {"value": 1}}}))
    assert p.path == path and message in p.message


# ---- early_terminate -----------------------------------------------------------------------------------

def with_et(et: dict, metric=True) -> dict:
    cfg = {"method": "random", "parameters": {"a": {"values": [1, 2]}}, "early_terminate": et}
    if metric:
        cfg["metric"] = {"name": "loss"}
    return cfg


def test_hyperband_min_iter_defaults():
    et = load_dict(with_et({"type": "hyperband", "min_iter": 3})).normalized["early_terminate"]
    assert et == {"type": "hyperband", "min_iter": 3, "eta": 3, "strict": True}
    assert bands(et)[:4] == [3, 9, 27, 81]


def test_hyperband_max_iter_and_s():
    et = load_dict(with_et({"type": "hyperband", "max_iter": 27, "s": 2, "eta": 3, "strict": False})
                   ).normalized["early_terminate"]
    assert et["strict"] is False
    assert bands(et) == [3, 9]


@pytest.mark.parametrize("et, path, message", [
    ({"type": "hyperband"}, ("early_terminate",), "hyperband needs min_iter, or max_iter with s; missing max_iter and s"),
    ({"type": "hyperband", "max_iter": 27}, ("early_terminate",), "missing s"),
    ({"type": "hyperband", "s": 2}, ("early_terminate",), "missing max_iter"),
    ({"type": "hyperbnd", "min_iter": 3}, ("early_terminate", "type"), "(did you mean 'hyperband'?)"),
    ({"min_iter": 3}, ("early_terminate",), "missing required key 'type'"),
    ({"type": "hyperband", "min_iter": 0}, ("early_terminate", "min_iter"), "expected an integer >= 1; found 0"),
    ({"type": "hyperband", "min_iter": 2.5}, ("early_terminate", "min_iter"), "expected an integer; found 2.5"),
    ({"type": "hyperband", "min_iter": 3, "eta": 1}, ("early_terminate", "eta"), "expected a number > 1; found 1"),
    ({"type": "hyperband", "min_iter": 3, "strict": "no"}, ("early_terminate", "strict"),
     "expected true or false; found 'no' (string)"),
    ({"type": "hyperband", "min_iter": 3, "etta": 2}, ("early_terminate", "etta"), "did you mean 'eta'"),
    ({"type": "hyperband", "min_iter": 3, "eta": float("inf")}, ("early_terminate", "eta"),
     "expected a finite number; found inf"),
    ({"type": "hyperband", "max_iter": 81, "s": float("inf")}, ("early_terminate", "s"),
     "expected a finite number; found inf"),
])
def test_hyperband_problems(et, path, message):
    p = one_problem(refused(with_et(et)))
    assert p.path == path and message in p.message


def test_early_terminate_needs_a_metric():
    p = one_problem(refused(with_et({"type": "hyperband", "min_iter": 3}, metric=False)))
    assert p.path == ("early_terminate",) and "judges runs by the sweep metric" in p.message


def test_a_bad_eta_does_not_hide_the_missing_min_iter():
    err = refused(with_et({"type": "hyperband", "eta": 1}))
    assert sorted(p.path for p in err.problems) == [("early_terminate",), ("early_terminate", "eta")]


# ---- parameter forms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ({"value": 0.1}, {"value": 0.1, "distribution": "constant"}),
    ({"value": None}, {"value": None, "distribution": "constant"}),
    ({"distribution": "constant", "value": "adam"}, {"value": "adam", "distribution": "constant"}),
    ({"values": [1, 2]}, {"values": [1, 2], "distribution": "categorical"}),
    ({"distribution": "categorical", "values": ["a"]}, {"values": ["a"], "distribution": "categorical"}),
    ({"values": ["a", "b"], "probabilities": [0.25, 0.75]},
     {"values": ["a", "b"], "probabilities": [0.25, 0.75], "distribution": "categorical"}),
    ({"distribution": "categorical_w_probabilities", "values": [1, 2], "probabilities": [0.5, 0.5]},
     {"values": [1, 2], "probabilities": [0.5, 0.5], "distribution": "categorical"}),
    ({"min": 1, "max": 10}, {"min": 1, "max": 10, "distribution": "int_uniform"}),
    ({"min": 0, "max": 0.6}, {"min": 0, "max": 0.6, "distribution": "uniform"}),
    ({"min": 0.5, "max": 3}, {"min": 0.5, "max": 3, "distribution": "uniform"}),
    ({"distribution": "uniform", "min": 1, "max": 3}, {"min": 1, "max": 3, "distribution": "uniform"}),
    ({"distribution": "q_uniform", "min": 0, "max": 10}, {"min": 0, "max": 10, "q": 1.0, "distribution": "q_uniform"}),
    ({"distribution": "q_uniform", "min": 32, "max": 256, "q": 8},
     {"min": 32, "max": 256, "q": 8, "distribution": "q_uniform"}),
    ({"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
     {"min": 1e-5, "max": 0.1, "distribution": "log_uniform_values"}),
    ({"distribution": "inv_log_uniform_values", "min": 0.01, "max": 1},
     {"min": 0.01, "max": 1, "distribution": "inv_log_uniform_values"}),
    ({"distribution": "q_log_uniform_values", "min": 1, "max": 1024},
     {"min": 1, "max": 1024, "q": 1.0, "distribution": "q_log_uniform_values"}),
    ({"distribution": "normal"}, {"mu": 0.0, "sigma": 1.0, "distribution": "normal"}),
    ({"distribution": "normal", "mu": 100, "sigma": 10}, {"mu": 100, "sigma": 10, "distribution": "normal"}),
    ({"distribution": "q_normal", "mu": 5}, {"mu": 5, "sigma": 1.0, "q": 1.0, "distribution": "q_normal"}),
    ({"distribution": "log_normal", "sigma": 0.5}, {"mu": 0.0, "sigma": 0.5, "distribution": "log_normal"}),
    ({"distribution": "q_log_normal", "q": 2}, {"mu": 0.0, "sigma": 1.0, "q": 2, "distribution": "q_log_normal"}),
    ({"distribution": "beta"}, {"a": 1.0, "b": 1.0, "distribution": "beta"}),
    ({"distribution": "beta", "a": 2, "b": 5}, {"a": 2, "b": 5, "distribution": "beta"}),
    ({"distribution": "q_beta", "q": 0.1}, {"a": 1.0, "b": 1.0, "q": 0.1, "distribution": "q_beta"}),
    ({"distribution": "normal", "sigma": 0}, {"mu": 0.0, "sigma": 0, "distribution": "normal"}),
])
def test_parameter_forms_normalize_with_w_and_b_defaults(spec, expected):
    assert normalized_param(spec) == expected


def test_values_hold_any_yaml_value(tmp_path):
    cfg = load(tmp_path, """
        method: grid
        parameters:
          x:
            values: [1, 2.5, "three", true, false, null, [1, 2], {opt: adam, lr: 0.1}, 1e-4, yes]
    """)
    assert cfg.normalized["parameters"]["x"]["values"] == [
        1, 2.5, "three", True, False, None, [1, 2], {"opt": "adam", "lr": 0.1}, 0.0001, True]
    # Grid keeps first-appearance order and collapses the repeated True.
    [p] = cfg.space
    assert p.grid_values() == [1, 2.5, "three", True, False, None, [1, 2], {"opt": "adam", "lr": 0.1}, 0.0001]


@pytest.mark.parametrize("spec, path, message", [
    ({"values": [1, 2], "probabilities": [1.0]}, ("probabilities",), "expected 2 probabilities, one per value; found 1"),
    ({"values": [1, 2], "probabilities": [0.5, 0.6]}, ("probabilities",), "probabilities must sum to 1; they sum to 1.1"),
    ({"values": [1, 2], "probabilities": [-0.5, 1.5]}, ("probabilities", 0), "expected a number >= 0; found -0.5"),
    ({"values": [1, 2], "probabilities": ["a", 1]}, ("probabilities", 0), "expected a number; found 'a' (string)"),
    ({"values": []}, ("values",), "expected at least 1 item; found an empty list"),
    ({"values": 3}, ("values",), "expected a list; found 3 (integer)"),
    ({"probabilities": [0.5, 0.5]}, (), "expected one of: value, values, min and max, distribution, or parameters; "
                                        "found probabilities"),
    ({}, (), "found an empty mapping"),
    ({"distribution": "categorical_w_probabilities", "values": [1, 2]}, (), "needs 'probabilities'"),
])
def test_values_and_probabilities_problems(spec, path, message):
    p = one_problem(refused(param(spec)))
    assert p.path == ("parameters", "x") + path
    assert message in p.message


def test_probabilities_that_sum_to_one_within_rounding():
    assert normalized_param({"values": [1, 2, 3], "probabilities": [0.1, 0.2, 0.7]})["probabilities"] == [0.1, 0.2, 0.7]


@pytest.mark.parametrize("dist, replacement", [
    ("log_uniform", "log_uniform_values"), ("inv_log_uniform", "inv_log_uniform_values"),
    ("q_log_uniform", "q_log_uniform_values"),
])
def test_deprecated_exponent_distributions_name_their_replacement(dist, replacement):
    p = one_problem(refused(param({"distribution": dist, "min": -9.21, "max": -2.3})))
    assert p.path == ("parameters", "x", "distribution")
    assert f"distribution '{dist}' takes min and max as natural logarithms and is deprecated" in p.message
    assert f"use '{replacement}' with the values themselves" in p.message


def test_deprecated_log_uniform_translates_the_bounds():
    p = one_problem(refused(param({"distribution": "log_uniform", "min": 0, "max": 1})))
    assert p.message.endswith("here that is min: 1, max: 2.71828")


@pytest.mark.parametrize("spec, path, message", [
    ({"distribution": "lognormal"}, ("distribution",), "found 'lognormal' (string) (did you mean 'log_normal'?)"),
    ({"values": [1], "mn": 3}, ("mn",), "unknown parameter setting 'mn' (did you mean 'min'?)"),
    ({"values": [1], "min": 3}, ("min",), "'min' does not apply to distribution categorical (it takes: values, probabilities)"),
    ({"distribution": "normal", "min": 0}, ("min",), "'min' does not apply to distribution normal (it takes: mu, sigma)"),
    ({"min": 1}, (), "'max' is missing: a range needs both min and max"),
    ({"max": 1}, (), "'min' is missing: a range needs both min and max"),
    ({"distribution": "constant"}, (), "distribution constant needs 'value'"),
    ({"distribution": "categorical"}, (), "distribution categorical needs 'values'"),
    ({"distribution": "q_uniform", "max": 3}, (), "distribution q_uniform needs 'min'"),
    ({"min": True, "max": 3}, ("min",), "expected a number; found True (boolean)"),
    ({"min": "0.1", "max": 3}, ("min",), "expected a number; found '0.1' (string)"),
    ({"distribution": "normal", "mu": "zero"}, ("mu",), "expected a number; found 'zero' (string)"),
    ({"min": 0.0, "max": float("inf")}, ("max",), "expected a finite number; found inf"),
    ({"min": float("nan"), "max": 1.0}, ("min",), "expected a finite number; found nan"),
])
def test_parameter_key_problems(spec, path, message):
    p = one_problem(refused(param(spec)))
    assert p.path == ("parameters", "x") + path
    assert message in p.message


# ---- inference and 1e-4 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, dist, lo, hi", [
    ("{min: 1, max: 10}", "int_uniform", 1, 10),
    ("{min: 1.0, max: 10}", "uniform", 1.0, 10),
    ("{min: 1, max: 10.0}", "uniform", 1, 10.0),
    ("{min: 1e-4, max: 1e-1}", "uniform", 0.0001, 0.1),
    ("{min: 1e-4, max: 1}", "uniform", 0.0001, 1),
    ("{min: -1E3, max: +2.5e+2}", "uniform", -1000.0, 250.0),
    ("{min: .5e-1, max: 1.0e2}", "uniform", 0.05, 100.0),
    ("{min: 0, max: 1e3}", "uniform", 0, 1000.0),
])
def test_distribution_inferred_from_min_and_max(tmp_path, text, dist, lo, hi):
    x = load(tmp_path, f"method: random\nparameters:\n  x: {text}\n").normalized["parameters"]["x"]
    assert x == {"min": lo, "max": hi, "distribution": dist}
    assert type(x["min"]) is type(lo) and type(x["max"]) is type(hi)


def test_exponent_numbers_are_numbers_everywhere(tmp_path):
    cfg = load(tmp_path, """
        method: bayes
        metric: {name: loss, target: 1e-3}
        parameters:
          lr: {distribution: log_uniform_values, min: 1e-6, max: 1e-1}
          wd: {values: [0, 1e-5, 1E-4]}
    """)
    n = cfg.normalized
    assert n["metric"]["target"] == 0.001
    assert n["parameters"]["lr"]["min"] == 1e-6 and n["parameters"]["wd"]["values"] == [0, 1e-5, 1e-4]
    # Quoted, it is text, as the user wrote it.
    cfg = load(tmp_path, "method: grid\nparameters:\n  tag: {values: ['1e-4', \"2e-3\"]}\n")
    assert cfg.normalized["parameters"]["tag"]["values"] == ["1e-4", "2e-3"]


def test_version_strings_and_words_stay_strings(tmp_path):
    cfg = load(tmp_path, "method: grid\nparameters:\n  v: {values: [1.2.3, e5, 1e, 10e-x]}\n")
    assert cfg.normalized["parameters"]["v"]["values"] == ["1.2.3", "e5", "1e", "10e-x"]


# ---- nesting and names ------------------------------------------------------------------------------------------

def test_nested_parameters_to_any_depth(tmp_path):
    cfg = load(tmp_path, """
        method: grid
        parameters:
          model:
            parameters:
              encoder:
                parameters:
                  layers: {values: [2, 4]}
                  act: {value: relu}
              width: {min: 1, max: 2}
          lr: {values: [0.1]}
    """)
    enc = cfg.normalized["parameters"]["model"]["parameters"]["encoder"]["parameters"]
    assert enc["layers"] == {"values": [2, 4], "distribution": "categorical"}
    assert cfg.normalized["parameters"]["model"]["parameters"]["width"]["distribution"] == "int_uniform"
    assert [(p.key, p.distribution) for p in cfg.space] == [
        ("lr", "categorical"), ("model.encoder.act", "constant"), ("model.encoder.layers", "categorical"),
        ("model.width", "int_uniform")]


def test_problems_deep_inside_nested_parameters_have_their_full_path(tmp_path):
    err = refused(tmp_path, """
        method: random
        parameters:
          model:
            parameters:
              encoder:
                parameters:
                  dropout: {min: 0.5, max: 0.1}
                  "bad name": {value: 1}
    """)
    by_path = {p.path: p for p in err.problems}
    assert set(by_path) == {
        ("parameters", "model", "parameters", "encoder", "parameters", "dropout", "min"),
        ("parameters", "model", "parameters", "encoder", "parameters", "bad name")}
    dropout = by_path[("parameters", "model", "parameters", "encoder", "parameters", "dropout", "min")]
    assert (dropout.line, dropout.column) == (7, 21)
    assert dropout.message == "min must be below max; found min 0.5 and max 0.1"


@pytest.mark.parametrize("spec, message", [
    ({"parameters": {"lr": {"value": 1}}, "value": 3}, "a parameter with nested 'parameters' takes no other keys; found value"),
    ({"parameters": {}}, "expected at least one parameter; found none"),
])
def test_nested_parameter_problems(spec, message):
    p = one_problem(refused(param(spec)))
    assert message in p.message


@pytest.mark.parametrize("name", ["lr", "_private", "Layer2", "optimizer.lr", "warm-up", "a_b.c-d9"])
def test_parameter_names_allowed(name):
    cfg = load_dict({"method": "random", "parameters": {name: {"value": 1}}})
    assert [p.key for p in cfg.space] == [name]


@pytest.mark.parametrize("name", ["1x", "-lr", ".lr", "learning rate", "lr$", "ü", ""])
def test_parameter_names_refused_at_every_level(name):
    for cfg, path in [({"method": "random", "parameters": {name: {"value": 1}}}, ("parameters", name)),
                      ({"method": "random", "parameters": {"o": {"parameters": {name: {"value": 1}}}}},
                       ("parameters", "o", "parameters", name))]:
        p = one_problem(refused(cfg))
        assert p.path == path
        assert f"parameter name '{name}' is not allowed: a name starts with a letter or _" in p.message


def test_number_and_boolean_parameter_names_refused_not_crashed(tmp_path):
    err = refused(tmp_path, "method: random\nparameters:\n  1: {value: 1}\n  2.5: {value: 2}\n")
    assert [(p.path, p.line) for p in err.problems] == [(("parameters", 1), 3), (("parameters", 2.5), 4)]
    assert "parameter name 1 (integer) is not allowed" in err.problems[0].message
    assert "quote it" in err.problems[0].message


def test_flattened_names_must_be_unique():
    p = one_problem(refused({"method": "random", "parameters": {
        "opt.lr": {"value": 1}, "opt": {"parameters": {"lr": {"value": 2}}}}}))
    assert p.path == ("parameters", "opt", "parameters", "lr")
    assert "both flatten to 'opt.lr'" in p.message


# ---- semantic checks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dist", ["int_uniform", "uniform", "q_uniform", "log_uniform_values",
                                  "inv_log_uniform_values", "q_log_uniform_values"])
@pytest.mark.parametrize("lo, hi", [(5, 5), (8, 2)])
def test_min_must_be_below_max(dist, lo, hi):
    p = one_problem(refused(param({"distribution": dist, "min": lo, "max": hi})))
    assert p.path == ("parameters", "x", "min")
    assert p.message == f"min must be below max; found min {lo} and max {hi}"


@pytest.mark.parametrize("dist", ["normal", "q_normal", "log_normal", "q_log_normal"])
def test_sigma_must_not_be_negative(dist):
    p = one_problem(refused(param({"distribution": dist, "sigma": -0.1})))
    assert p.path == ("parameters", "x", "sigma") and p.message == "expected a number >= 0; found -0.1 (number)"


@pytest.mark.parametrize("dist", ["q_uniform", "q_log_uniform_values", "q_normal", "q_log_normal", "q_beta"])
@pytest.mark.parametrize("q", [0, -1])
def test_q_must_be_positive(dist, q):
    spec = {"distribution": dist, "q": q}
    if "uniform" in dist:
        spec.update(min=1, max=10)
    p = one_problem(refused(param(spec)))
    assert p.path == ("parameters", "x", "q") and p.message == f"expected a number > 0; found {q} (integer)"


@pytest.mark.parametrize("key", ["a", "b"])
def test_beta_shape_must_not_be_negative(key):
    p = one_problem(refused(param({"distribution": "beta", key: -1})))
    assert p.path == ("parameters", "x", key) and "expected a number >= 0" in p.message


@pytest.mark.parametrize("dist", ["log_uniform_values", "inv_log_uniform_values", "q_log_uniform_values"])
@pytest.mark.parametrize("lo", [0, -0.5])
def test_log_bounds_must_be_positive(dist, lo):
    p = one_problem(refused(param({"distribution": dist, "min": lo, "max": 1})))
    assert p.path == ("parameters", "x", "min")
    assert p.message == f"{dist} needs min > 0 (it is a bound on the value, not its logarithm); found {lo}"


def test_int_uniform_needs_integer_bounds_and_says_so_for_each():
    err = refused(param({"distribution": "int_uniform", "min": 0.5, "max": 3.5}))
    assert [(p.path[-1], p.message) for p in err.problems] == [
        ("min", "int_uniform needs integer bounds; found 0.5 (number)"),
        ("max", "int_uniform needs integer bounds; found 3.5 (number)")]


@pytest.mark.parametrize("spec, dist", [
    ({"min": 0.0, "max": 1.0}, "uniform"),
    ({"distribution": "log_uniform_values", "min": 1e-4, "max": 1}, "log_uniform_values"),
    ({"distribution": "inv_log_uniform_values", "min": 1e-4, "max": 1}, "inv_log_uniform_values"),
    ({"distribution": "q_log_uniform_values", "min": 1, "max": 64}, "q_log_uniform_values"),
    ({"distribution": "normal"}, "normal"), ({"distribution": "q_normal"}, "q_normal"),
    ({"distribution": "log_normal"}, "log_normal"), ({"distribution": "q_log_normal"}, "q_log_normal"),
    ({"distribution": "beta"}, "beta"), ({"distribution": "q_beta"}, "q_beta"),
])
def test_grid_refuses_continuous_parameters(spec, dist):
    p = one_problem(refused(param(spec, method="grid")))
    assert p.path == ("parameters", "x")
    assert p.message.startswith(f"grid search needs discrete parameters, and x is {dist}")


def test_grid_refuses_continuous_parameters_when_nested():
    cfg = {"method": "grid", "parameters": {"opt": {"parameters": {"lr": {"min": 0.1, "max": 1.0}}}}}
    p = one_problem(refused(cfg))
    assert p.path == ("parameters", "opt", "parameters", "lr") and "opt.lr is uniform" in p.message


def test_grid_refuses_probabilities():
    p = one_problem(refused(param({"values": [1, 2], "probabilities": [0.5, 0.5]}, method="grid")))
    assert p.path == ("parameters", "x", "probabilities") and "probabilities mean nothing here" in p.message


@pytest.mark.parametrize("spec, grid", [
    ({"values": ["a", "b"]}, ["a", "b"]),
    ({"value": 7}, [7]),
    ({"min": 1, "max": 4}, [1, 2, 3, 4]),
    ({"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25}, [0, 0.25, 0.5, 0.75]),
])
def test_grid_accepts_discrete_parameters(spec, grid):
    cfg = load_dict(param(spec, method="grid"))
    [p] = cfg.space
    assert p.grid_values() == grid


@pytest.mark.parametrize("spec, count, hint", [
    ({"min": 0, "max": 10**9}, "1,000,000,001", "use q_uniform with a q above 1, or method random"),
    ({"distribution": "q_uniform", "min": 0, "max": 1, "q": 1e-7}, "10,000,000", "use a larger q, or method random"),
])
def test_grid_refuses_an_axis_too_long_to_list(spec, count, hint):
    # Listing a billion-value axis would hang `sweeper sweep`; the file is refused instead.
    p = one_problem(refused(param(spec, method="grid")))
    assert p.path == ("parameters", "x")
    assert f"has {count} of them, more than the 1,000,000 sweeper enumerates: {hint}" in p.message


def test_grid_axis_limit_counts_values_not_points():
    # Three axes of 1000 values: a billion points, each axis short; accepted.
    cfg = load_dict({"method": "grid", "parameters": {k: {"min": 1, "max": 1000} for k in "abc"}})
    assert [len(p.grid_values()) for p in cfg.space] == [1000, 1000, 1000]
    assert load_dict(param({"min": 1, "max": 10**6}, method="grid"))
    with pytest.raises(SweepConfigError):
        load_dict(param({"min": 0, "max": 10**6}, method="grid"))


def test_bayes_needs_a_metric():
    p = one_problem(refused(param({"min": 0.0, "max": 1.0}, method="bayes")))
    assert p.path == ("method",) and p.message.startswith("bayes search needs a metric to optimize")


def test_bayes_needs_something_to_vary():
    p = one_problem(refused(param({"value": 1}, method="bayes", metric={"name": "loss"})))
    assert p.message == "bayes search needs at least one parameter that varies; all are constant"


# ---- YAML and files --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("", "the file is empty: a sweep file needs at least method and parameters"),
    ("\n# just a comment\n\n", "the file is empty"),
    ("- method: grid\n", "a sweep file is a mapping of keys (method:, parameters:, ...); this one holds a list"),
    ("grid\n", "this one holds a string: 'grid' (string)"),
    ("42\n", "this one holds an integer: 42 (integer)"),
])
def test_empty_and_non_mapping_files(tmp_path, text, message):
    p = one_problem(refused(tmp_path, text))
    assert p.path == () and message in p.message


def test_yaml_syntax_error_says_where(tmp_path):
    f = write(tmp_path, "method: random\nparameters:\n  lr: [0.1, 0.2\n  bs: 3\n")
    with pytest.raises(SweepConfigError) as info:
        load_file(f)
    p = one_problem(info.value)
    assert p.message.startswith("YAML syntax error: while parsing a flow sequence")
    assert "it began at line 3, column 7" in p.message
    assert p.line == 4
    assert info.value.render().splitlines()[1].strip().startswith(f"{f}:4:")


@pytest.mark.parametrize("text, message, line", [
    ("method: random\n\tparameters: {}\n", "YAML indents with spaces, not tabs", 2),
    ("method: random\nparameters:\n  a: {value: 1}\n---\nmethod: grid\n", "expected a single document", 4),
    ("method: random\nparameters:\n  a: !!python/object:os.system {value: 1}\n", "could not determine a constructor", 3),
    ("method: 'random\nparameters: {}\n", "while scanning a quoted scalar", 3),
    ("method: random\n  parameters: x\n", "mapping values are not allowed here", 2),
])
def test_yaml_errors_are_problems_not_tracebacks(tmp_path, text, message, line):
    p = one_problem(refused(tmp_path, text))
    assert p.path == () and message in p.message and p.line == line


def test_duplicate_key_is_a_warning_and_the_last_one_wins(tmp_path):
    cfg = load(tmp_path, "method: random\nmethod: grid\nparameters: {a: {values: [1]}}\n")
    assert cfg.method == "grid"
    [w] = cfg.warnings
    assert (w.path, w.line, w.column) == (("method",), 2, 1)
    assert w.message == "key 'method' is given twice (first on line 1); the last one is used"


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.yaml", "no such file"),
    (lambda d: d, "is a directory, not a sweep file"),
])
def test_unreadable_paths(tmp_path, make, message):
    with pytest.raises(SweepConfigError) as info:
        load_file(make(tmp_path))
    assert one_problem(info.value).message == message


def test_file_that_is_not_utf8(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_bytes(b"method: random\nname: caf\xe9\n")
    with pytest.raises(SweepConfigError) as info:
        load_file(f)
    assert one_problem(info.value).message.startswith("is not UTF-8 text")


def test_every_problem_reported_at_once_with_file_line_column_path(tmp_path):
    f = write(tmp_path, """
        method: grid
        metric:
          name: loss
          goal: maximise
        parameters:
          lr:
            min: 10
            max: 1
          bs:
            distribution: normal
            sigma: -1
          opt:
            values: [adam]
            probabilities: [0.5]
        run_cap: 0
        early_terminate: {type: hyperband, min_iter: 3}
        descripton: x
    """)
    with pytest.raises(SweepConfigError) as info:
        load_file(f)
    err = info.value
    got = [(p.line, p.column, p.dotted) for p in err.problems]
    assert got == [
        (4, 3, "metric.goal"),
        (7, 5, "parameters.lr.min"),
        (11, 5, "parameters.bs.sigma"),
        (14, 5, "parameters.opt.probabilities"),  # they sum to 0.5,
        (14, 5, "parameters.opt.probabilities"),  # and grid has no use for them
        (15, 1, "run_cap"),
        (17, 1, "descripton"),
    ]
    lines = err.render().splitlines()
    assert lines[0] == f"{f}: 7 problems"
    assert lines[2] == f"  {f}:7:5: error: parameters.lr.min: min must be below max; found min 10 and max 1"
    assert f"  {f}:15:1: error: run_cap: expected an integer > 0; found 0 (integer)" in lines
    assert str(err) == err.render()


def test_load_dict_without_positions_has_no_line_numbers():
    err = refused({"method": "random", "parameters": {"a": {"min": 2, "max": 1}}})
    p = one_problem(err)
    assert (p.line, p.column) == (None, None)
    assert err.render() == ("sweep config: 1 problem\n"
                            "  <config>: error: parameters.a.min: min must be below max; found min 2 and max 1")


def test_load_dict_refuses_a_non_mapping():
    p = one_problem(refused(["method", "grid"]))
    assert p.message == "a sweep config is a mapping; found ['method', 'grid'] (list)"


def test_file_text_is_kept_as_given(tmp_path):
    text = "# why this sweep\nmethod: random   # cheap first\nparameters: {lr: {min: 1e-4, max: 1e-2}}\n"
    f = tmp_path / "s.yaml"
    f.write_text(text)
    cfg = load_file(f)
    assert cfg.text == text and cfg.source == str(f)


# ---- the seeds: sweep files from blog posts ------------------------------------------------------------------

def test_seed000_random_with_hyperband():
    cfg = load_file(SEEDS / "seed000_random_hyperband.yaml")
    n = cfg.normalized
    assert n["method"] == "random" and n["metric"]["goal"] == "maximize" and n["metric"]["name"] == "val_acc"
    p = n["parameters"]
    assert p["project_name"] == {"value": "wandb_demo", "distribution": "constant"}
    assert p["epochs"] == {"value": 10, "distribution": "constant"}
    assert p["optim_type"] == {"values": ["Adam", "SGD", "AdamW"], "distribution": "categorical"}
    assert p["hidden_layer_width"]["values"] == [16, 32, 48, 64, 80, 96, 112, 128]
    assert p["lr"] == {"distribution": "log_uniform_values", "min": 1e-6, "max": 0.1}
    assert p["batch_size"] == {"distribution": "q_uniform", "q": 8, "min": 32, "max": 256}
    assert p["dropout_p"] == {"distribution": "uniform", "min": 0, "max": 0.6}
    et = n["early_terminate"]
    assert et == {"type": "hyperband", "min_iter": 3, "eta": 2, "s": 3, "strict": True}
    # With min_iter, s plays no part: the post's comment says runs are judged at steps 3, 6, 12.
    assert bands(et)[:3] == [3, 6, 12]


def test_seed002_bayes_minimal():
    n = load_file(SEEDS / "seed002_bayes_minimal.yaml").normalized
    assert n["program"] == "train.py" and n["method"] == "bayes"
    assert n["metric"] == {"name": "validation_loss", "goal": "minimize", "impute": "worst",
                           "impute_while_running": "false"}
    assert n["parameters"] == {
        "learning_rate": {"min": 0.0001, "max": 0.1, "distribution": "uniform"},
        "optimizer": {"values": ["adam", "sgd"], "distribution": "categorical"}}
    assert n["command"] == DEFAULT_COMMAND


def test_seed002_bayes_full():
    cfg = load_file(SEEDS / "seed002_bayes_full.yaml")
    n = cfg.normalized
    assert (n["name"], n["description"], n["project"], n["entity"]) == (
        "test_sweep", "test sweep method", "my_sweep_test", "username_or_teamname")
    assert n["parameters"]["epochs"] == {"value": 5, "distribution": "constant"}
    assert n["parameters"]["parameter1"] == {"distribution": "normal", "mu": 100, "sigma": 10}
    assert n["early_terminate"] == {"type": "hyperband", "min_iter": 3, "eta": 3, "strict": True}
    assert [p.key for p in cfg.space.searchable] == ["learning_rate", "optimizer", "parameter1"]


def test_seed002_grid_has_six_points():
    cfg = load_file(SEEDS / "seed002_grid.yaml")
    n = cfg.normalized
    assert n["name"] == "fmnist-sweep" and n["project"] == "f-mnist" and n["entity"] == "jmjeon94"
    axes = {p.key: p.grid_values() for p in cfg.space}
    assert axes == {"batch_size": [32, 64, 128], "epochs": [5], "learning_rate": [0.001, 0.01]}


def test_seed002_nested():
    cfg = load_file(SEEDS / "seed002_nested.yaml")
    assert cfg.normalized["parameters"] == {
        "optimizer": {"parameters": {"lr": {"values": [0.001, 0.0001], "distribution": "categorical"}}}}
    [p] = cfg.space
    assert p.path == ("optimizer", "lr") and p.grid_values() == [0.001, 0.0001]


@pytest.mark.parametrize("param, message", [
    ("{distribution: int_uniform, min: 0.0, max: 1.0}", "parameters.p.min: int_uniform needs integer bounds; "
                                                         "found 0.0, a float (W&B refuses it too): write 0"),
    ("{distribution: categorical, values: [1, 2], probabilities: [0.5, 0.5]}",
     "parameters.p.probabilities: distribution: categorical takes no probabilities"),
])
def test_what_wandb_refuses_is_refused_with_the_line(tmp_path, sweeper_exe, param, message):
    (tmp_path / "s.yaml").write_text(f"program: t.py\nmethod: random\nparameters:\n  p: {param}\n")
    proc = run_cli(sweeper_exe, "sweep", "s.yaml", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "s.yaml:4:" in proc.stderr and message in proc.stderr and "Traceback" not in proc.stderr


def test_values_with_probabilities_and_categorical_w_probabilities_stay_accepted(tmp_path, sweeper_exe):
    for spec in ("{values: [1, 2], probabilities: [0.5, 0.5]}",
                 "{distribution: categorical_w_probabilities, values: [1, 2], probabilities: [0.5, 0.5]}"):
        (tmp_path / "s.yaml").write_text(f"program: t.py\nmethod: random\nparameters:\n  p: {spec}\n")
        proc = run_cli(sweeper_exe, "sweep", "s.yaml", "--dry-run", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
