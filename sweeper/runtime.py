"""What a program run by an agent uses: its parameters and a way to log metrics.

Standard library only: programs import this, and it must cost them nothing.
The protocol underneath needs no sweeper at all: parameters arrive as command-line
arguments (and as JSON in the file $SWEEPER_PARAMS), and metrics are JSON objects
appended one per line to the file named by $SWEEPER_METRICS.
"""

from __future__ import annotations

import json
import os


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


class _LazyConfig(Config):
    """Reads $SWEEPER_PARAMS on first use, so importing sweeper stays free."""

    _loaded = False

    def _load(self):
        if not self.__dict__.get("_loaded"):
            self.__dict__["_loaded"] = True
            path = os.environ.get("SWEEPER_PARAMS")
            if path and os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    dict.update(self, Config(json.load(f)))

    def __getitem__(self, key):
        self._load()
        return super().__getitem__(key)

    def __getattr__(self, name):
        self._load()
        return super().__getattr__(name)

    def get(self, key, default=None):
        self._load()
        return super().get(key, default)

    def __contains__(self, key):
        self._load()
        return super().__contains__(key)

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def keys(self):
        self._load()
        return super().keys()

    def items(self):
        self._load()
        return super().items()

    def values(self):
        self._load()
        return super().values()

    def __repr__(self):
        self._load()
        return super().__repr__()


config = _LazyConfig()
_metrics_file = None


def log(data: dict, step: int | None = None) -> None:
    """Append one metrics line. Without $SWEEPER_METRICS (not under an agent) it does nothing."""
    global _metrics_file
    if not isinstance(data, dict):
        raise TypeError(f"sweeper.log takes a dict of metrics, not {type(data).__name__}")
    if _metrics_file is None:
        path = os.environ.get("SWEEPER_METRICS")
        if not path:
            return
        _metrics_file = open(path, "a", encoding="utf-8", buffering=1)
    if step is not None:
        data = {**data, "_step": step}
    _metrics_file.write(json.dumps(data, default=_plain) + "\n")


def _plain(value):
    """numpy and torch scalars, and anything else with .item() or __float__."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)
