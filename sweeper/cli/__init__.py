"""The `sweeper` command: parse, call, render. The work happens in the packages it calls.

Each command lives in a module of this package, loaded only when it runs (or when `--help`
lists it): `sweeper --help` and cron jobs start with nothing but click imported. Every
command module imports `common` and never this module, so nothing here can form a cycle.

    common.py       options, Fail, open_store/get_sweep, emit_json, error translation
    sweeps.py       sweep, sweeps, history agent.py   agent
    control.py      pause, resume, stop, cancel       lifecycle.py enqueue, rerun, delete
    run.py          show, edit (one run)                compare.py compare
    status.py       status, best, logs     results.py runs, export, importance, report
    render.py       tables for people      status_view.py  the status page and --watch
"""

from __future__ import annotations

import importlib

import click

from .. import __version__

# command name -> "module:attribute", in the order `sweeper --help` lists them
COMMANDS = {
    "sweep": "sweeps:sweep",
    "sweeps": "sweeps:sweeps_cmd",
    "history": "sweeps:history",
    "agent": "agent:agent",
    "pause": "control:pause",
    "resume": "control:resume",
    "stop": "control:stop",
    "cancel": "control:cancel",
    "enqueue": "lifecycle:enqueue",
    "rerun": "lifecycle:rerun",
    "status": "status:status",
    "best": "status:best",
    "logs": "status:logs",
    "show": "run:show",
    "edit": "run:edit",
    "runs": "results:runs",
    "export": "results:export",
    "importance": "results:importance",
    "compare": "compare:compare",
    "report": "results:report",
    "delete": "lifecycle:delete",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for (click's documented pattern)."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="sweeper")
def cli():
    """Local-first hyperparameter sweeps, from W&B-format sweep files.

    \b
      sweeper sweep sweep.yaml          # check the file, register the sweep, print its ID
      sweeper agent ID --count 10       # run the program for the next 10 parameter sets
      sweeper status ID                 # progress and the runs table

    Everything is kept in a store: SQLite in .sweeper/ by default, or one PostgreSQL
    database that agents on many machines share (--store / SWEEPER_STORE).
    """


def main():
    """The console script. Click's standalone mode would turn Ctrl+C into "Aborted!" and exit 1,
    and a closed pipe (`sweeper status ID | head -1`) into a silent exit 1; a script needs 130
    for the one and 0 for the other, as `export` always gave. A store error that escapes a
    command is still a message and its exit code, never a traceback."""
    import errno
    import os
    import sys

    from .common import store_failure

    def quiet_stdout():
        # The reader is gone: flushing what is buffered would raise again at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass

    try:
        code = cli.main(prog_name="sweeper", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("sweeper: interrupted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(0)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            quiet_stdout()
            sys.exit(0)
        raise
    except Exception as exc:  # noqa: BLE001 - only the store's own errors are turned into messages
        from ..store import StoreError

        if not isinstance(exc, StoreError):
            raise
        fail = store_failure(exc)
        fail.show()
        sys.exit(fail.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
