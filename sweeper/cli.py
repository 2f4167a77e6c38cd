"""The `sweeper` command: parse, call, render. The work happens in the modules it calls.

Only click is imported at start-up, so that `sweeper --help` and cron jobs start fast;
every command imports what it needs when it runs.
"""

from __future__ import annotations

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
    """Strict JSON for other tools (jq rejects NaN and Infinity): non-finite numbers become null."""
    import json

    from .results import strict_json

    click.echo(json.dumps(strict_json(obj), indent=2, default=str, allow_nan=False))


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


def _agent_help():
    from_codes = "\n".join(f"  {code:>3}  {text}" for code, text in [
        (0, "ran its --count runs"),
        (3, "the sweep has no more work (grid exhausted, run_cap, metric target, stopped)"),
        (4, "the sweep is paused"), (5, "the sweep was canceled"),
        (6, "the program kept failing (--max-failures in a row)"),
        (7, "the store could not be reached"), (130, "Ctrl+C"), (143, "SIGTERM"),
        (1, "an error in sweeper or the store"), (2, "bad input (unknown ID, bad option)")])
    return from_codes


@cli.command(epilog="\b\nExit codes:\n" + _agent_help())
@click.argument("sweep_ref", metavar="ID")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many runs have ended (failures count).")
@click.option("--gpus", help="Comma-separated GPU ids: run one run per GPU at once, each child with "
                             "CUDA_VISIBLE_DEVICES set to its GPU; --count counts across them.")
@click.option("--retry-failed", is_flag=True, help="Run grid points again whose run failed.")
@click.option("--grace", type=float, default=10.0, show_default=True,
              help="Seconds between SIGTERM and SIGKILL when stopping a run.")
@click.option("--max-failures", type=click.IntRange(min=1), default=3, show_default=True,
              help="Stop the agent after this many failed runs in a row.")
@click.option("--output", type=click.Choice(["auto", "plain", "prefix", "none"]), default="auto",
              show_default=True, help="How to echo the program's output: as is, prefixed with the run ID, "
                                      "or not at all (auto: prefix with --gpus).")
@store_option
def agent(sweep_ref, count, gpus, retry_failed, grace, max_failures, output, store_url):
    """Run the sweep's program for the next parameter sets, one run after another.

    Each run's parameters reach the program as command-line arguments (--lr=0.01 ...);
    its metrics are the JSON lines it appends to the file named by $SWEEPER_METRICS.
    Start one agent per GPU, on as many machines as share the store.

    \b
    Example:
      sweeper agent abcd1234 --count 20
      CUDA_VISIBLE_DEVICES=0 sweeper agent abcd1234 &
      CUDA_VISIBLE_DEVICES=1 sweeper agent abcd1234 &
      sweeper agent abcd1234 --gpus 0,1,2,3
    """
    from .command import CommandError
    from .store import StoreError
    from .worker import Agent, AgentError

    store = open_store(store_url)
    sw = get_sweep(store, sweep_ref)
    gpu_list = [g.strip() for g in gpus.split(",") if g.strip()] if gpus else None
    worker = Agent(store, sw, count=count, gpus=gpu_list, retry_failed=retry_failed, grace=grace,
                   max_failures=max_failures, output=output)
    try:
        code = worker.run()
    except (AgentError, CommandError) as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    except StoreError as exc:
        raise Fail(str(exc)) from None
    sys.exit(code)


def _transition_command(name, state, allowed, reason, summary):
    """pause, resume, stop and cancel differ only in the states they move between."""

    @cli.command(name, help=f"{summary}\n\n\b\nExample:\n  sweeper {name} abcd1234")
    @click.argument("sweep_ref", metavar="ID")
    @store_option
    def command(sweep_ref, store_url):
        store = open_store(store_url)
        sw = get_sweep(store, sweep_ref)
        if sw["state"] not in allowed:
            raise Fail(f"sweep {sw['id']} is {sw['state']}: `sweeper {name}` needs it "
                       f"{' or '.join(allowed)}", EXIT_BAD_INPUT)
        sw = store.set_sweep_state(sw["id"], state, reason=reason, only_from=allowed)
        click.echo(f"sweep {sw['id']} is now {sw['state']}" + (f" ({reason})" if reason else ""))

    return command


_transition_command("pause", "paused", ("running",), None,
                    "Start no new runs until `sweeper resume`; running runs go on. Agents exit (code 4).")
_transition_command("resume", "running", ("paused",), None, "Let a paused sweep start runs again.")
_transition_command("stop", "finished", ("running", "paused"), "stopped by the user",
                    "Finish the sweep: running runs finish, no more start.")
_transition_command("cancel", "canceled", ("running", "paused"), "canceled by the user",
                    "Cancel the sweep: agents stop their running runs within seconds, and start no more.")


@cli.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("--watch", "-w", is_flag=True, help="Keep the view live until the sweep ends (Ctrl+C to leave). "
                                                   "Without a terminal it prints once.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between refreshes.")
@store_option
@json_option
def status(sweep_ref, watch, interval, store_url, as_json):
    """The sweep's state, progress and runs, the best run marked.

    \b
    Example:
      sweeper status abcd1234
      sweeper status abcd1234 --watch
      sweeper status abcd1234 --json | jq .best
    """
    from . import progress

    store = open_store(store_url)
    sw = get_sweep(store, sweep_ref)
    if watch and not as_json and sys.stdout.isatty():
        try:
            progress.watch(store, sw["id"], interval=interval)
        except KeyboardInterrupt:
            pass
        return
    store.reap(sw["id"])  # whoever looks next marks the runs of dead agents crashed
    report = progress.summarize(store, store.get_sweep(sw["id"]))
    if as_json:
        emit_json({k: v for k, v in report.items() if not k.startswith("_")})
        return
    progress.render(report)


@cli.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json", "command"]), default="yaml",
              show_default=True, help="Parameters as YAML or JSON, or the command line that reproduces the run.")
@store_option
def best(sweep_ref, fmt, store_url):
    """The best run's parameters (by the sweep metric and its goal).

    \b
    Example:
      sweeper best abcd1234
      sweeper best abcd1234 --format command    # the exact command line to run it again
    """
    from . import progress

    store = open_store(store_url)
    sw = get_sweep(store, sweep_ref)
    run = progress.best_run(sw, store.runs(sw["id"]))
    if run is None:
        metric = (sw["config"].get("metric") or {}).get("name")
        raise Fail(f"sweep {sw['id']} has no run with a value of its metric"
                   + (f" '{metric}'" if metric else " (it has no metric: key)") + " yet")
    if fmt == "json":
        emit_json(run["params"])
    elif fmt == "yaml":
        import yaml
        click.echo(f"# run {run['id']}: {sw['config']['metric']['name']} = {run['best_value']}")
        click.echo(yaml.safe_dump(run["params"], sort_keys=False).rstrip())
    else:
        import shlex
        from .command import build
        argv = run.get("command") or build(sw["config"]["command"], run["params"], sw["config"].get("program"),
                                           args_json_file="args.json")
        click.echo(shlex.join(argv))


@cli.command()
@click.argument("run_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output until the run ends.")
@store_option
def logs(run_id, follow, store_url):
    """Print a run's output (stdout and stderr of the program).

    \b
    Example:
      sweeper logs k3j9x0qa -f
    """
    import socket
    import time
    from .store import NotFound

    store = open_store(store_url)
    try:
        run = store.get_run(run_id)
    except NotFound as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    path = os.path.join(run["run_dir"] or "", "output.log")
    if not run["run_dir"] or not os.path.exists(path):
        where = f" on host {run['host']}" if run["host"] and run["host"] != socket.gethostname() else ""
        raise Fail(f"run {run_id}'s output is kept{where} at {path or '(not started)'}; it is not on this machine")
    out = sys.stdout.buffer
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 16)
            if chunk:
                out.write(chunk)
                out.flush()
                continue
            if not follow or store.get_run(run_id)["state"] != "running":
                rest = f.read()
                out.write(rest)
                out.flush()
                break
            time.sleep(0.2)


# Commands that read results live in their own module; importing it costs only click.
from . import cli_results  # noqa: E402,F401


def main():
    cli(prog_name="sweeper")


if __name__ == "__main__":
    main()
