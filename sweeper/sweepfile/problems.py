"""Problems found in a sweep file, and the one exception that carries them all."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: tuple  # key path inside the file, e.g. ("parameters", "lr", "min")
    message: str
    line: int | None = None  # 1-based, where YAML gave one
    column: int | None = None
    warning: bool = False

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path) or "(top level)"

    def format(self, source: str | None = None) -> str:
        where = source or "<config>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        kind = "warning" if self.warning else "error"
        return f"{where}: {kind}: {self.dotted}: {self.message}"


class SweepConfigError(ValueError):
    """A sweep file or config dict that sweeper cannot accept; lists every problem at once."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = [p for p in problems if not p.warning]
        self.warnings = [p for p in problems if p.warning]
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.source or 'sweep config'}: {n} problem{'s' if n != 1 else ''}"
        lines = [head] + ["  " + p.format(self.source) for p in self.problems]
        return "\n".join(lines)


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value) -> str:
    """A found value, with its type, the way an error message should show it."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "list", dict: "mapping", type(None): "null"}
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({kinds.get(type(value), type(value).__name__)})"
