"""A program's config (a dict with attribute access) and the exception that stops its run.

Standard library only, as everything a program imports.
"""

from __future__ import annotations


class RunStopped(Exception):
    """Raised by `log` once the run has been stopped (hyperband, cancel, Ctrl+C on the agent).

    Catch it to save a checkpoint; an agent records the run as stopped either way.
    """


class Config(dict):
    """A dict with attribute access; nested mappings get it too."""

    def __init__(self, data=None):
        super().__init__()
        for key, value in (data or {}).items():
            self[key] = Config(value) if isinstance(value, dict) and not isinstance(value, Config) else value

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r} (have: {', '.join(self) or 'none'})") from None

    def __setattr__(self, name, value):
        self[name] = value
