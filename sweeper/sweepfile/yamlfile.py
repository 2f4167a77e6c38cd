"""Reading YAML the way sweep files are written, keeping where each key was."""

from __future__ import annotations

import re
from typing import NamedTuple

import yaml

from .checks import MAX_ADDED_NODES, MAX_DEPTH, count_nodes, measure
from .problems import Problem


class YamlError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


class _Alias(NamedTuple):
    name: str
    mark: object  # where *name is written
    target: object  # the node its anchor names
    depth: int  # lists and mappings open around it
    path: tuple  # the top-level key it sits under, if any


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads `1e-4` as a number, and composes only what can be walked.

    PyYAML follows YAML 1.1, where a float needs a dot, so `lr: 1e-4` would be the string
    '1e-4'. Sweep files are full of these and every user means a number.

    PyYAML composes by recursion, one level of Python stack per level of nesting, so `[` ten
    thousand times is a RecursionError: nesting stops at MAX_DEPTH, where it is written. Aliases
    are noted, to be measured expanded before anything is constructed (see _check_expansion),
    and an alias inside its own anchor (a structure without end) is refused here.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._open: list[str] = []  # anchors of the lists and mappings being composed
        self._top: tuple = ()
        self.aliases: list[_Alias] = []

    def compose_node(self, parent, index):
        if self._depth == 1:  # under a top-level key: problems name that key
            self._top = (index.value,) if isinstance(index, yaml.ScalarNode) else ()
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)  # an undefined one is PyYAML's own error
            if event.anchor in self._open:
                raise YamlError(Problem(self._top, f"the alias *{event.anchor} is inside the list or mapping its "
                                                   f"anchor names (line {target.start_mark.line + 1}), a structure "
                                                   "without end", *_where(event.start_mark)))
            if target is not None:
                self.aliases.append(_Alias(event.anchor, event.start_mark, target, self._depth, self._top))
            return super().compose_node(parent, index)
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise YamlError(Problem(self._top, f"lists and mappings nest more than {MAX_DEPTH} levels deep here, "
                                               "more than a sweep file may have (nested parameters take two "
                                               "levels each)", *_where(event.start_mark)))
        self._depth += 1
        self._open.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.pop()

    def construct_object(self, node, deep=False):
        # PyYAML's scalar constructors raise plain ValueError, KeyError or AttributeError for what
        # their pattern let through, or an explicit tag forced on them (`2024-13-01`, an integer
        # of 5,000 digits, `!!bool maybe`, `!!timestamp x`): say where, as for any YAML problem.
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as exc:
            kind = _KINDS.get(node.tag, node.tag)
            text = f"{node.value!r}"[:60] + " " if isinstance(node, yaml.ScalarNode) else ""
            raise YamlError(Problem((), f"cannot read {text}as {kind} ({exc}); quote it if you mean the text",
                                    *_where(node.start_mark))) from None


_KINDS = {"tag:yaml.org,2002:int": "an integer", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:bool": "true or false", "tag:yaml.org,2002:timestamp": "a date",
          "tag:yaml.org,2002:null": "null", "tag:yaml.org,2002:binary": "binary data"}


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


def loads(text: str) -> tuple[object, Positions, list[Problem]]:
    """Parse one YAML document; return the data, where each key sits, and warnings."""
    positions: Positions = {}
    warnings: list[Problem] = []
    loader = None
    try:
        try:
            loader = _Loader(text)  # it refuses control characters at once
            node = loader.get_single_node()
            data = None
            if node is not None:
                _check_expansion(node, loader.aliases)
                data = loader.construct_document(node)
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
            line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
            if "${" in line and "'{'" in detail:
                detail += ("; a ${...} macro inside [ ] is read as a YAML mapping: quote it (\"${args}\"), or "
                           "write the list one item a line (- ${args})")
            raise YamlError(Problem((), f"YAML syntax error: {detail}",
                                    mark.line + 1 if mark else None,
                                    mark.column + 1 if mark else None)) from None
        except yaml.reader.ReaderError as exc:
            pos = exc.position
            char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
            raise YamlError(Problem((), f"the character {char} is not allowed in YAML (control characters other "
                                        "than tab and line breaks are not); write it as an escape inside "
                                        "double quotes",
                                    text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos))) from None
        except yaml.YAMLError as exc:
            raise YamlError(Problem((), f"YAML error: {exc}")) from None
    finally:
        if loader is not None:
            loader.dispose()
    once: dict = {}
    for w in warnings:  # a key inside an anchor is walked once per alias; say it once
        once.setdefault((w.line, w.column, w.message), w)
    return data, positions, list(once.values())


def _where(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _node_children(node):
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else None


def _check_expansion(root, aliases: list[_Alias]) -> None:
    """Refuse aliases that make the document much larger or deeper than it is written.

    Constructing shares an anchor's object among its aliases, but the walk below, the schema
    validator, the store's JSON and the dry-run print each expand it: a "billion laughs" of a few
    hundred bytes fills gigabytes. So the document is measured as expanded, from the nodes,
    before anything is built from it.
    """
    if not aliases:  # as written, composing bounded its depth and the text bounds its size
        return
    shape, written, _ = measure(root, _node_children)  # loops were refused while composing
    nodes, levels = shape.get(id(root), (1, 0))

    def anchored(a: _Alias) -> str:
        return f"*{a.name} (its anchor &{a.name} is on line {a.target.start_mark.line + 1})"

    if nodes - written > MAX_ADDED_NODES:
        a = max(aliases, key=lambda a: shape.get(id(a.target), (1, 0))[0])
        raise YamlError(Problem(a.path, f"aliases expand this file from {written:,} nodes as written to "
                                        f"{count_nodes(nodes)}, more than the {MAX_ADDED_NODES:,} they may add; "
                                        f"the alias {anchored(a)} alone stands for "
                                        f"{count_nodes(shape.get(id(a.target), (1, 0))[0])}",
                                *_where(a.mark)))
    if levels > MAX_DEPTH:
        # The deepest path's first alias is the one: above it, the nesting is as written.
        deep = [(a, a.depth + shape.get(id(a.target), (1, 0))[1]) for a in aliases]
        a, n = next(((a, n) for a, n in deep if n > MAX_DEPTH), (aliases[0], levels))
        raise YamlError(Problem(a.path, f"the alias {anchored(a)} makes lists and mappings nest {n} levels deep "
                                        f"here, more than the {MAX_DEPTH} a sweep file may have", *_where(a.mark)))


def _walk(loader, node, path, positions, warnings):
    positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen = {}
        span = (node.start_mark.index, node.end_mark.index)
        for key_node, value_node in node.value:
            # The key as the data holds it (`1:` is the int 1), so that paths match.
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else key_node.value
            child = path + (key,)
            # A key that `<<: *anchor` merged in is written elsewhere; overriding it is the point.
            merged = not span[0] <= key_node.start_mark.index < span[1]
            if key in seen and not merged and seen[key][1]:
                warnings.append(Problem(
                    child,
                    f"key '{key}' is given twice (first on line {seen[key][0]}); the last one is used",
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1, warning=True))
            seen[key] = (key_node.start_mark.line + 1, not merged)
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(loader, value_node, child, positions, warnings)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(loader, item, path + (i,), positions, warnings)
