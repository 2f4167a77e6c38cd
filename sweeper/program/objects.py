"""A program's config (a dict with attribute access; the sweep's keys locked) and the exception
that stops its run.

Standard library only, as everything a program imports.
"""

from __future__ import annotations

from collections.abc import Mapping


class RunStopped(Exception):
    """Raised by `log` once the run has been stopped (hyperband, cancel, Ctrl+C on the agent).

    Catch it to save a checkpoint; an agent records the run as stopped either way. The agent
    sends SIGTERM, then SIGKILL after its grace period (`sweeper agent --grace`,
    `sweeper.agent(grace=...)`, 10 s by default): the checkpoint must be written within it.
    """


class ConfigLocked(UserWarning):
    """An update of a config key that the sweep sets was ignored (W&B: "locked by 'sweep'")."""


def as_dict(obj) -> dict:
    """A mapping, an argparse.Namespace or any object with attributes, as a dict (None: {})."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    raise TypeError(f"config must be a dict (or an argparse.Namespace), not {type(obj).__name__}")


class Config(dict):
    """A dict with attribute access; nested mappings get it too.

    Under a sweep, the sweep's parameters are locked, nested ones too: `update`, item and
    attribute assignment and `setdefault` keep the sweep's value of such a key and warn
    (ConfigLocked) when the update would have changed it, as W&B does. Other keys update
    normally; a mapping given for a locked nested key updates its keys that the sweep does
    not set.
    """

    _locked: frozenset = frozenset()  # this level's keys that the sweep sets
    _path = ""  # "optimizer." for a nested config, for the warning's key

    def __init__(self, data=None, sweep: Mapping | None = None, path: str = ""):
        super().__init__()
        object.__setattr__(self, "_path", path)
        self._load(as_dict(data), sweep)

    def _load(self, data: Mapping, sweep: Mapping | None = None) -> None:
        """Hold `data`, with the keys of `sweep` (the sweep's parameters, nested) locked."""
        sweep = sweep or {}
        dict.clear(self)
        for key, value in data.items():
            if isinstance(value, Mapping):
                sub = sweep.get(key)
                value = Config(value, sub if isinstance(sub, Mapping) else None, f"{self._path}{key}.")
            dict.__setitem__(self, key, value)
        object.__setattr__(self, "_locked", frozenset(k for k in sweep if k in self))

    def _set(self, key, value, stacklevel: int) -> None:
        if key in self._locked and key in self:
            current = dict.__getitem__(self, key)
            if isinstance(current, Config) and current._locked and isinstance(value, Mapping):
                for k, v in value.items():
                    current._set(k, v, stacklevel + 1)
                return
            if not _same(value, current):
                import warnings
                warnings.warn(f"config item '{self._path}{key}' was locked by the sweep (ignored update): "
                              f"it keeps the sweep's value {current!r}, not {value!r}",
                              ConfigLocked, stacklevel=stacklevel)
            return
        if isinstance(value, Mapping) and not isinstance(value, Config):
            value = Config(value, None, f"{self._path}{key}.")
        dict.__setitem__(self, key, value)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r} (have: {', '.join(map(str, self)) or 'none'})") from None

    def __setattr__(self, name, value):
        self._set(name, value, 3)

    def __setitem__(self, key, value):
        self._set(key, value, 3)

    def update(self, *args, allow_val_change=None, **kwargs):
        """dict.update, W&B's way: a dict, pairs, or an argparse.Namespace; the sweep's keys stay
        as the sweep set them (allow_val_change, W&B's flag, does not unlock them either)."""
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 argument, got {len(args)}")
        items: list = []
        if args:
            other = args[0]
            if isinstance(other, Mapping) or hasattr(other, "keys"):
                items = [(k, other[k]) for k in other.keys()]
            elif hasattr(other, "__dict__") and not isinstance(other, (list, tuple)):
                items = list(vars(other).items())
            else:
                items = list(other)
        for key, value in [*items, *kwargs.items()]:
            self._set(key, value, 3)

    def setdefault(self, key, default=None):
        if key not in self:
            self._set(key, default, 3)
        return self[key]

    def __ior__(self, other):
        self.update(other)
        return self


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and the like: not known to be equal
        return False
