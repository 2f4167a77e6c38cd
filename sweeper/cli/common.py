"""What every command shares: the --store and --json options, the error type that becomes an
exit code, opening the store, finding a sweep, strict JSON output, and one decorator that
turns the errors a user can cause into a message and an exit code, never a traceback."""

from __future__ import annotations

import functools
import sys

import click

from ..agents.exit_codes import ExitCode

EXIT_OK = ExitCode.OK
EXIT_ERROR = ExitCode.ERROR  # the store failed, or something unexpected
EXIT_BAD_INPUT = ExitCode.BAD_INPUT  # bad sweep file, unknown ID, bad option, no store here
EXIT_STORE_LOST = ExitCode.STORE_LOST  # the store did not answer for SWEEPER_STORE_TIMEOUT s


def store_option(f):
    return click.option(
        "--store", "store_url", envvar="SWEEPER_STORE", metavar="URL",
        help="Store to use: a postgresql:// URL, or an SQLite file. Default: the nearest .sweeper/ "
             "folder upward from here (only `sweeper sweep` makes one). Env: SWEEPER_STORE.")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead.")(f)


class Fail(click.ClickException):
    """An error for the user: message to stderr, no traceback, a chosen exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(message)
        self.exit_code = int(code)

    def show(self, file=None):
        from ..results.format import printable

        # Messages quote values from sweep files and stores: no control character reaches the terminal.
        text = "\n".join(printable(line) for line in self.format_message().split("\n"))
        click.echo(f"error: {text}", err=True)


def store_failure(exc) -> "Fail":
    """A StoreError as the message and exit code a script can act on."""
    from ..store import NoStore, StoreUnavailable

    if isinstance(exc, StoreUnavailable):
        return Fail(str(exc), EXIT_STORE_LOST)
    if isinstance(exc, NoStore):
        return Fail(str(exc), EXIT_BAD_INPUT)
    return Fail(str(exc))


def open_store(url, create: bool = False, light: bool = False, needed_for: str | None = None):
    """The store of --store / SWEEPER_STORE / the nearest .sweeper/. Only `sweep` passes
    create=True: no other command makes a store (or its folders), the agent included (its
    sweep must be in one already). light=True: the read commands that start often (status,
    runs, export, best) open an SQLite store without SQLAlchemy (store/lite.py). needed_for:
    what the command wanted, said before "no store at ..." when there is none."""
    from ..store import NoStore, StoreError
    from ..store import open_store as _open

    try:
        return _open(url, create=create, light=light)
    except ValueError as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    except StoreError as exc:
        failure = store_failure(exc)
        if needed_for and isinstance(exc, NoStore):  # what the user asked for, then where it was looked for
            failure.message = f"{needed_for}: {failure.message}"
        raise failure from None


def get_sweep(store, ref):
    from ..store import NotFound
    from ..store.ids import BadId

    try:
        return store.get_sweep(ref)
    except (BadId, NotFound) as exc:
        raise Fail(str(exc) + _other_kind(store, ref, "run"), EXIT_BAD_INPUT) from None


def get_run(store, run_id):
    from ..store import NotFound

    try:
        return store.get_run(run_id)
    except NotFound as exc:
        raise Fail(str(exc) + _other_kind(store, run_id, "sweep"), EXIT_BAD_INPUT) from None


def _other_kind(store, ref: str, kind: str) -> str:
    """A hint when an ID given for a sweep names a run, or the other way round."""
    from ..store import NotFound

    try:
        if kind == "run":
            run = store.get_run(ref)
            return (f" ({ref} is a run of sweep {run['sweep_id']}: `sweeper show {ref}` shows it, "
                    f"`sweeper stop {ref}` stops it)") if run.get("sweep_id") else f" ({ref} is a standalone run)"
        store.get_sweep(ref)
        return f" ({ref} is a sweep: `sweeper status {ref}`)"
    except (NotFound, ValueError):
        return ""


def emit_json(obj):
    """Strict JSON for other tools (jq rejects NaN and Infinity): non-finite numbers become null."""
    import json

    from ..results.rows import strict_json

    click.echo(json.dumps(strict_json(obj), indent=2, default=str, allow_nan=False))


def parse_assignments(items, option: str) -> dict:
    """KEY=VALUE pairs (--default, --param) as {dotted key: value}; each value read as YAML
    reads a scalar or flow value (0.01, 1e-4, true, adam, [1, 2]), as in a sweep file."""
    from ..sweepfile.yamlfile import YamlError, loads

    out: dict = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise Fail(f"{option} {item!r}: expected KEY=VALUE (a nested key as optimizer.lr=0.01)", EXIT_BAD_INPUT)
        try:
            value = loads(text)[0] if text.strip() else ""
        except YamlError as exc:
            raise Fail(f"{option} {item!r}: the value is not YAML: {exc.problem.message}", EXIT_BAD_INPUT) from None
        out[key] = value
    return out


def nest(flat: dict) -> dict:
    """{"optimizer.lr": 0.1} -> {"optimizer": {"lr": 0.1}}"""
    out: dict = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def split_list(values) -> list[str]:
    """--state a,b --state c -> [a, b, c]"""
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


def user_errors(command):
    """A store that fails mid-command, or a file that cannot be written: a message, not a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from ..store import NotFound, Refused, StoreError
        from ..store.ids import BadId

        try:
            return command(*args, **kwargs)
        except (NotFound, Refused, BadId) as exc:
            raise Fail(str(exc), EXIT_BAD_INPUT) from None
        except StoreError as exc:
            raise store_failure(exc) from None
        except ImportError as exc:
            if (exc.name or "").split(".")[0] not in ("plotly", "sklearn", "scipy"):
                raise
            raise Fail(f"this command needs {exc.name.split('.')[0]}: pip install 'sweeper[report]' "
                       "(plotly and scikit-learn)") from None
        except BrokenPipeError:
            # `sweeper export ID | head`: the reader has what it wanted; leave quietly.
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            raise Fail(f"{exc.filename or 'output'}: {exc.strerror or exc}") from None
    return wrapper
