"""Reading YAML the way sweep files are written, keeping where each key was."""

from __future__ import annotations

import re

import yaml

from .problems import Problem


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `1e-4` as a number.

    PyYAML follows YAML 1.1, where a float needs a dot, so `lr: 1e-4` would be the string
    '1e-4'. Sweep files are full of these and every user means a number.
    """


_Loader.yaml_implicit_resolvers = {
    key: list(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    # 1e-4, 1E5, 2.5e3, .5e1: what JSON and Python read as numbers, sign of the exponent optional.
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)

Positions = dict  # key path tuple -> (line, column), both 1-based


class YamlError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


def loads(text: str) -> tuple[object, Positions, list[Problem]]:
    """Parse one YAML document; return the data, where each key sits, and warnings."""
    loader = _Loader(text)
    positions: Positions = {}
    warnings: list[Problem] = []
    try:
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
            if node is not None:
                _walk(loader, node, (), positions, warnings)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            detail = exc.problem or str(exc)
            if exc.context:
                detail = f"{exc.context}: {detail}"
            ctx = exc.context_mark
            if ctx is not None and mark is not None and ctx.line != mark.line:
                # An unclosed [ or { is reported where the file ends; say where it opened.
                detail += f"; it began at line {ctx.line + 1}, column {ctx.column + 1}"
            if "'\\t'" in detail:
                detail += "; YAML indents with spaces, not tabs"
            raise YamlError(Problem((), f"YAML syntax error: {detail}",
                                    mark.line + 1 if mark else None,
                                    mark.column + 1 if mark else None)) from None
        except yaml.YAMLError as exc:
            raise YamlError(Problem((), f"YAML error: {exc}")) from None
    finally:
        loader.dispose()
    return data, positions, warnings


def _walk(loader, node, path, positions, warnings):
    positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            # The key as the data holds it (`1:` is the int 1), so that paths match.
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else key_node.value
            child = path + (key,)
            if key in seen:
                warnings.append(Problem(
                    child,
                    f"key '{key}' is given twice (first on line {seen[key]}); the last one is used",
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1, warning=True))
            seen[key] = key_node.start_mark.line + 1
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(loader, value_node, child, positions, warnings)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(loader, item, path + (i,), positions, warnings)
