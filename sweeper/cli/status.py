"""`sweeper status` (state, progress, runs), `sweeper best` (the best run's parameters) and
`sweeper logs` (a run's output)."""

from __future__ import annotations

import sys

import click

from .common import (
    Fail,
    emit_json,
    get_run,
    get_sweep,
    json_option,
    open_store,
    store_option,
)

DEFAULT_LIMIT = 20  # runs in `status`'s table: a screenful; the counts above it cover them all


@click.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("--watch", "-w", is_flag=True, help="Keep the view live until the sweep ends (Ctrl+C to leave). "
                                                   "Without a terminal it prints once.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between refreshes.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
              help=f"List the N best runs and the running ones (default {DEFAULT_LIMIT}; with --json, every run).")
@click.option("--all", "all_runs", is_flag=True, help="List every run.")
@store_option
@json_option
def status(sweep_ref, watch, interval, limit, all_runs, store_url, as_json):
    """The sweep's state, progress and runs, the best run marked.

    The counts, progress and best run cover every run; the table lists the best runs by the
    sweep metric and every running one (--limit, --all), so it stays quick at any size.

    \b
    Example:
      sweeper status abcd1234
      sweeper status abcd1234 --watch
      sweeper status abcd1234 --all
      sweeper status abcd1234 --json | jq .best
    """
    from ..results import progress
    from . import status_view

    if all_runs and limit is not None:
        raise click.UsageError("give --limit N or --all, not both")
    if all_runs or (as_json and limit is None):
        limit = None
    elif limit is None:
        limit = DEFAULT_LIMIT
    store = open_store(store_url, light=True)
    sw = get_sweep(store, sweep_ref)
    if watch and not as_json and sys.stdout.isatty():
        try:
            status_view.watch(store, sw["id"], interval=interval, limit=limit)
        except KeyboardInterrupt:
            pass
        return
    store.reap(sw["id"])  # whoever looks next marks the runs of dead agents crashed
    report = progress.summarize(store, store.get_sweep(sw["id"]), limit=limit)
    if as_json:
        emit_json({k: v for k, v in report.items() if not k.startswith("_")})
        return
    status_view.render(report)


@click.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json", "command", "value"]), default="yaml",
              show_default=True, help="Parameters as YAML or JSON, the command line that reproduces the run, "
                                      "or the metric's value alone.")
@store_option
@json_option
def best(sweep_ref, fmt, store_url, as_json):
    """The best run's parameters (by the sweep metric and its goal).

    --json gives the run as a record: its ID, number, state, the metric's name, goal and value,
    the parameters and the command line. A best run that failed (or was stopped) after logging
    its value says so: in the YAML's first line, or as a note on stderr.

    \b
    Example:
      sweeper best abcd1234
      sweeper best abcd1234 --format command    # the exact command line to run it again
      sweeper best abcd1234 --format value      # 0.0213: for a script's test
      sweeper best abcd1234 --json | jq -r .run_id
    """
    from ..results import progress
    from ..results.format import with_iso

    store = open_store(store_url, light=True)
    sw = get_sweep(store, sweep_ref)
    run = progress.best_run(sw, store.runs(sw["id"]))
    if run is None:
        metric = (sw["config"].get("metric") or {}).get("name")
        raise Fail(f"sweep {sw['id']} has no run with a value of its metric"
                   + (f" '{metric}'" if metric else " (it has no metric: key)") + " yet")
    # A run may log its best value and then fail: said, since its command may not reproduce it.
    ended = "" if run["state"] in ("finished", "running") else f" ({run['state']})"
    if ended and not as_json and fmt != "yaml":
        click.echo(f"note: run {run['id']} {run['state']} after logging this value", err=True)
    if as_json:
        metric = sw["config"]["metric"]
        emit_json(with_iso({"sweep_id": sw["id"], "run_id": run["id"], "id": run["id"], "number": run["number"],
                            "state": run["state"],
                            "metric": metric["name"], "goal": metric.get("goal", "minimize"),
                            "value": run["best_value"], "params": run["params"],
                            "command": progress.reproduce_command(sw, run), "created_at": run["created_at"],
                            "ended_at": run.get("ended_at")}))
    elif fmt == "value":
        click.echo(repr(float(run["best_value"])))
    elif fmt == "json":
        emit_json(run["params"])
    elif fmt == "yaml":
        import yaml
        click.echo(f"# run {run['id']}{ended}: {sw['config']['metric']['name']} = {run['best_value']}")
        click.echo(yaml.safe_dump(run["params"], sort_keys=False).rstrip())
    else:
        from ..agents.command import function_name
        from ..results.format import shell_join
        command = progress.reproduce_command(sw, run)
        function = function_name(command)
        if function is not None:
            raise Fail(f"run {run['id']} ran the Python function {function} "
                       f"(sweeper.agent(function=...)): it has no command line; `sweeper best {sw['id']}` "
                       "prints its parameters")
        click.echo(shell_join(command))


@click.command()
@click.argument("run_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output until the run ends.")
@store_option
@json_option
def logs(run_id, follow, store_url, as_json):
    """Print a run's output (stdout and stderr of the program).

    --json prints {run_id, state, path, output} with the output as text (bytes that are not
    UTF-8 replaced); it cannot follow.

    \b
    Example:
      sweeper logs k3j9x0qa -f
    """
    from ..results.logs import LogNotHere, chunks, output_path

    if as_json and follow:
        raise click.UsageError("--json prints the output so far: give it without --follow")
    store = open_store(store_url)
    run = get_run(store, run_id)
    try:
        path = output_path(run)
    except LogNotHere as exc:
        raise Fail(str(exc)) from None
    if as_json:
        text = b"".join(chunks(path, None)).decode("utf-8", errors="replace")
        emit_json({"run_id": run["id"], "state": run["state"], "path": str(path), "output": text})
        return
    running = (lambda: store.get_run(run_id)["state"] == "running") if follow else None
    out = sys.stdout.buffer
    for chunk in chunks(path, running):
        out.write(chunk)
        out.flush()
