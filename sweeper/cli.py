"""The `sweeper` command: parse, call, render. The work happens in the modules it calls.

Only click is imported at start-up, so that `sweeper --help` and cron jobs start fast;
every command imports what it needs when it runs.
"""

from __future__ import annotations

import json
import os
import sys

import click

from . import __version__

# Exit codes, for scripts (documented in README.md and `sweeper agent --help`).
EXIT_OK = 0
EXIT_ERROR = 1  # the store failed, or something unexpected
EXIT_BAD_INPUT = 2  # bad sweep file, unknown ID, bad option


def store_option(f):
    return click.option(
        "--store", "store_url", envvar="SWEEPER_STORE", metavar="URL",
        help="Store to use: a postgresql:// URL, or an SQLite file. Default: the nearest .sweeper/ "
             "folder upward from here (made here if none). Env: SWEEPER_STORE.")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead.")(f)


class Fail(click.ClickException):
    """An error for the user: message to stderr, no traceback, a chosen exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def open_store(url):
    from .store import StoreError, open_store as _open

    try:
        return _open(url)
    except ValueError as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    except StoreError as exc:
        raise Fail(str(exc)) from None


def get_sweep(store, ref):
    from .ids import BadId
    from .store import NotFound

    try:
        return store.get_sweep(ref)
    except (BadId, NotFound) as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None


def emit_json(obj):
    click.echo(json.dumps(obj, indent=2, default=str, allow_nan=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--name", help="Name for the sweep (default: the file's name: key).")
@click.option("--project", help="Project to file it under (default: the file's project: key).")
@click.option("--entity", help="Entity, kept for W&B compatibility.")
@click.option("--dry-run", is_flag=True, help="Check and print the normalized config; register nothing.")
@store_option
@json_option
def sweep(file, name, project, entity, dry_run, store_url, as_json):
    """Check a sweep file and register the sweep; print its ID and the agent command.

    Every problem in the file is listed at once, with line, column and key.

    \b
    Example:
      sweeper sweep configs/quickstart.yaml
      sweeper sweep sweep.yaml --dry-run      # check only
    """
    from .problems import SweepConfigError
    from .sweepfile import load_file

    try:
        cfg = load_file(file)
    except SweepConfigError as exc:
        if as_json:
            emit_json({"ok": False, "file": file, "problems": [
                {"path": p.dotted, "line": p.line, "column": p.column, "message": p.message}
                for p in exc.problems]})
            sys.exit(EXIT_BAD_INPUT)
        raise Fail(exc.render(), EXIT_BAD_INPUT) from None
    for w in cfg.warnings:
        click.echo(w.format(file), err=True)
    grid_total = _grid_total(cfg)
    if dry_run:
        if as_json:
            emit_json({"ok": True, "file": file, "config": cfg.normalized, "grid_size": grid_total})
        else:
            import yaml
            click.echo(f"# {file}: valid ({cfg.method}"
                       + (f", {grid_total} grid points" if grid_total is not None else "") + "); normalized:")
            click.echo(yaml.safe_dump(cfg.normalized, sort_keys=False, allow_unicode=True).rstrip())
        return
    store = open_store(store_url)
    sw = store.create_sweep(cfg, name=name, project=project, entity=entity)
    agent_cmd = ["sweeper", "agent", sw["id"]]
    from click.core import ParameterSource
    if click.get_current_context().get_parameter_source("store_url") == ParameterSource.COMMANDLINE:
        # Shown without its password: agents read it from SWEEPER_STORE or --store.
        agent_cmd += ["--store", store.display_url if not store.is_sqlite else store_url]
    if as_json:
        emit_json({"ok": True, "id": sw["id"], "name": sw["name"], "project": sw["project"],
                   "method": sw["method"], "grid_size": grid_total, "store": store.display_url,
                   "agent_command": agent_cmd})
        return
    size = f", {grid_total} grid points" if grid_total is not None else ""
    label = f" '{sw['name']}'" if sw["name"] else ""
    click.echo(f"Created sweep{label} {sw['id']} ({sw['method']}{size}) in {store.display_url}")
    click.echo("Run an agent (one per GPU: CUDA_VISIBLE_DEVICES=0 ... &):")
    click.echo("  " + " ".join(agent_cmd))
    # The ID alone on the last line, for `ID=$(sweeper sweep f.yaml | tail -1)`.
    click.echo(sw["id"])


def _grid_total(cfg):
    if cfg.method != "grid":
        return None
    total = 1
    for p in cfg.space:
        total *= len(p.grid_values())
    return total


@cli.command("sweeps")
@store_option
@json_option
def sweeps_cmd(store_url, as_json):
    """List the sweeps in the store.

    \b
    Example:
      sweeper sweeps
      SWEEPER_STORE=postgresql://db.lab/sweeps sweeper sweeps --json
    """
    store = open_store(store_url)
    rows = store.list_sweeps()
    if as_json:
        emit_json([{k: s[k] for k in ("id", "name", "project", "method", "state", "created_at")}
                   | {"runs": s["run_counts"]} for s in rows])
        return
    if not rows:
        click.echo(f"No sweeps in {store.display_url}. Register one with: sweeper sweep FILE")
        return
    from rich.table import Table

    from .render import console, when

    table = Table(box=None, header_style="bold")
    for col in ("ID", "name", "project", "method", "state", "runs", "created"):
        table.add_column(col)
    for s in rows:
        counts = s["run_counts"]
        total = sum(counts.values())
        detail = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        table.add_row(s["id"], s["name"] or "", s["project"] or "", s["method"], s["state"],
                      f"{total}" + (f" ({detail})" if detail else ""), when(s["created_at"]))
    console().print(table)


# Commands that read results live in their own module; importing it costs only click.
from . import cli_results  # noqa: E402,F401


def main():
    cli(prog_name="sweeper")


if __name__ == "__main__":
    main()
