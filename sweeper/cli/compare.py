"""`sweeper compare`: experiments side by side."""

from __future__ import annotations

import click

from .common import EXIT_BAD_INPUT, Fail, emit_json, json_option, open_store, store_option, user_errors


@click.command()
@click.argument("refs", metavar="REF...", nargs=-1, required=True)
@click.option("--all", "every_run", is_flag=True, help="Every run of each sweep named, not only its best one.")
@store_option
@json_option
@user_errors
def compare(refs, every_run, store_url, as_json):
    """Compare experiments: runs of different sweeps, standalone runs, whole projects.

    \b
    Each REF is a run ID, a sweep ID (its best run; every run with --all), or
    project:NAME (every run of the project, sweep runs and standalone ones). The table
    lists each run's sweep, state and metric, the parameters whose values differ (those
    every run shares are listed once above it), and the last value of each logged metric.

    \b
    Example:
      sweeper compare abcd1234 efgh5678            # the best run of each sweep
      sweeper compare k3j9x0qa 8fz1q0pl project:mnist
      sweeper compare abcd1234 --all --json
    """
    from ..results.compare import BadReference, gather

    store = open_store(store_url)
    try:
        found = gather(store, refs, every_run=every_run)
    except BadReference as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    if as_json:
        emit_json(found.to_dict())
        return
    from .render import print_comparison

    print_comparison(found)
