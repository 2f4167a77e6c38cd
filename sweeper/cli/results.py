"""Commands that read results: runs, export, importance, report.

Parse, call sweeper.results and sweeper.report, render. Anything heavy (sqlalchemy, numpy,
sklearn, plotly) is imported inside the command that needs it, so `sweeper --help` costs
only click.
"""

from __future__ import annotations

import sys

import click

from .common import (
    EXIT_BAD_INPUT,
    Fail,
    emit_json,
    get_sweep,
    json_option,
    open_store,
    split_list,
    store_option,
    user_errors,
)

STATES = ("running", "finished", "failed", "crashed", "stopped", "interrupted")


def _load_rows(store_url, sweep_ref):
    from ..results import rows as results

    store = open_store(store_url, light=True)
    sweep = get_sweep(store, sweep_ref)
    rows = results.run_rows(sweep, results.live_runs(store.runs(sweep["id"])))
    return store, sweep, rows


# ---- runs --------------------------------------------------------------------------------------


@click.command()
@click.argument("sweep_ref", metavar="[ID]", required=False)
@click.option("--project", help="Instead of one sweep: every run of this project, standalone runs "
                                "(sweeper.init() outside a sweep) and sweep runs alike.")
@click.option("--sort", "sort_key", metavar="KEY",
              help="Column to sort by: the metric (default; best first, by its goal), a parameter "
                   "(optimizer.lr), a logged metric, number, duration, state ... Runs without a value come last.")
@click.option("--reverse", is_flag=True, help="Reverse the sort (runs without a value stay last).")
@click.option("--state", "states", multiple=True, metavar="STATE[,STATE]",
              help=f"Only runs in these states ({', '.join(STATES)}); repeat or comma-separate.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only runs with this tag (`sweeper edit --tag`); "
                                                                  "repeat for runs with all of them.")
@click.option("--limit", type=click.IntRange(min=1), help="Show the first N runs (after sorting), and every running one.")
@click.option("--columns", metavar="COL[,COL]",
              help="Columns to show, comma-separated: id, number, state, best, last, duration, stop_reason, "
                   "name, tags, notes, any parameter or logged metric key. Default: run, its name if any, state, "
                   "the searched parameters, best and last metric, duration, why it ended.")
@store_option
@json_option
@user_errors
def runs(sweep_ref, project, sort_key, reverse, states, tags, limit, columns, store_url, as_json):
    """The sweep's runs as a table, best first.

    Works while the sweep runs; failed, crashed and stopped runs are listed too, and runs
    with no metric value (still starting, NaN, logged nothing) come last. A crashed grid
    point that was run again shows only its new run (`sweeper export` has both). --json
    prints every column for every run: params and summary nested, NaN as null. With
    --project, runs of every sweep of the project and its standalone runs, with a sweep column.

    \b
    Example:
      sweeper runs abcd1234
      sweeper runs abcd1234 --sort optimizer.lr --state finished --limit 10
      sweeper runs abcd1234 --tag paper
      sweeper runs abcd1234 --columns id,lr,loss,val.loss --json
      sweeper runs --project mnist --sort val_acc --reverse
    """
    from ..results import rows as results

    if sweep_ref is not None and project is not None:
        raise Fail("give a sweep ID or --project NAME, not both", EXIT_BAD_INPUT)
    if sweep_ref is None and project is None:
        raise Fail("give a sweep ID, or --project NAME for every run of a project", EXIT_BAD_INPUT)
    if project is not None:
        sweep, rows = results.project_rows(open_store(store_url, light=True), project)
    else:
        _, sweep, rows = _load_rows(store_url, sweep_ref)
    metric = results.sweep_metric(sweep)
    wanted = split_list(states)
    bad = sorted(set(wanted) - set(STATES))
    if bad:
        raise Fail(f"unknown state {', '.join(bad)}: use {', '.join(STATES)}", EXIT_BAD_INPUT)
    if sort_key and not results.sort_key_exists(rows, metric, sort_key):
        raise Fail(f"no column '{sort_key}' to sort by: the columns are "
                   + ", ".join(results.flat_columns(sweep, rows)), EXIT_BAD_INPUT)
    best = results.best_row(rows, metric)
    chosen = results.filter_tags(results.filter_state(rows, wanted), tags)
    shown = results.first_and_running(results.sort_rows(chosen, metric, sort_key, reverse), limit)
    cols = split_list([columns]) if columns else None
    if cols:
        known = set(results.flat_columns(sweep, rows)) | set(results.FIXED_COLUMNS) | set(results.EXTRA_COLUMNS)
        unknown = [c for c in cols if c not in known]
        if unknown:
            raise Fail(f"unknown column {', '.join(unknown)}: the columns are "
                       + ", ".join(results.flat_columns(sweep, rows)), EXIT_BAD_INPUT)
    if as_json:
        if cols:
            out = [{c: results.cell(r, c) for c in cols} for r in shown]
        else:
            out = [results.export_record(r) | {"is_best": best is not None and r["id"] == best["id"]}
                   for r in shown]
        emit_json(results.strict_json(out))
        return
    from .render import print_runs

    if project is not None and not cols:
        cols = results.project_columns(rows)  # runs of many sweeps: no searched keys to pick from
    print_runs(sweep, rows, shown, metric, best, cols)


# ---- export ------------------------------------------------------------------------------------


@click.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv", show_default=True,
              help="CSV (flat columns), a JSON array, or JSON Lines (one object per line).")
@click.option("--history", is_flag=True,
              help="Every metric line of every run instead (run_id, seq, step, then each logged key).")
@click.option("-o", "--output", "out_path", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@store_option
@user_errors
def export(sweep_ref, fmt, history, out_path, store_url):
    """Export the sweep's runs (or, with --history, every metric line) for pandas, jq, a spreadsheet.

    \b
    One row per run: id, number, state, every parameter (nested ones flattened:
    optimizer.lr), the metric's best and last value, every logged metric's last value,
    duration (s), stop_reason, timestamps (Unix seconds), host, gpu, superseded.
    CSV is flat: a logged metric named like a parameter or a fixed column becomes
    summary.<key>; NaN is written nan. JSON and JSON Lines nest "params" and "summary"
    and, being strict JSON, write NaN and infinities as null. Superseded runs (a crashed
    grid point run again) are included, marked.

    \b
    Example:
      sweeper export abcd1234 -o runs.csv
      sweeper export abcd1234 --format jsonl | jq 'select(.state == "finished")'
      sweeper export abcd1234 --history --format csv -o lines.csv
    """
    from ..results import export

    store = open_store(store_url, light=True)
    sweep = get_sweep(store, sweep_ref)
    out = open(out_path, "w", newline="", encoding="utf-8") if out_path else sys.stdout
    try:  # streamed: written as read from the store
        if history:
            run_ids = [r["id"] for r in store.iter_runs(sweep["id"])]
            export.write_history(lambda: export.sweep_history(store, run_ids), fmt, out)
        else:
            written = export.write_runs(sweep, lambda: store.iter_runs(sweep["id"]), fmt, out)
    finally:
        if out_path:
            out.close()
    if out_path:
        what = "metric lines" if history else f"{written} runs"
        click.echo(f"wrote {what} of sweep {sweep['id']} to {out_path}", err=True)


# ---- importance --------------------------------------------------------------------------------


@click.command()
@click.argument("sweep_ref", metavar="ID")
@json_option
@store_option
@user_errors
def importance(sweep_ref, as_json, store_url):
    """Which parameters matter: random-forest importance and Spearman correlation to the metric.

    As W&B's parameter-importance panel. Each run with a value of the sweep metric (its best)
    is one sample; categorical parameters are one-hot encoded, nested ones flattened.
    Importance is each parameter's share (they sum to 1) of a random forest that predicts
    the metric from the parameters; correlation is Spearman's rank correlation (positive:
    the metric rises with the parameter; for a two-valued categorical, from the first
    value the sweep file lists to the second; none for categoricals with more values).

    With fewer than 5 runs that have a metric value there is nothing to learn from: it says
    so and exits 0 (--json: "params" is empty and "note" says why), so a script can call it
    at any time during a sweep.

    \b
    Example:
      sweeper importance abcd1234
      sweeper importance abcd1234 --json | jq '.params[0].key'
    """
    from ..results import rows as results
    from ..results.importance import analyze

    _, sweep, rows = _load_rows(store_url, sweep_ref)
    analysis = analyze(sweep, rows, results.sweep_metric(sweep))
    if as_json:
        emit_json(results.strict_json(analysis.to_dict()))
        return
    from .render import print_importance

    print_importance(sweep, analysis)


# ---- report ------------------------------------------------------------------------------------


@click.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("-o", "--output", "out_path", type=click.Path(dir_okay=False, writable=True),
              help="Where to write the HTML (default: sweep-ID-report.html here).")
@store_option
@user_errors
def report(sweep_ref, out_path, store_url):
    """Write one self-contained HTML report of the sweep; it opens offline, in any browser.

    \b
    The dashboard's sweep page (`sweeper ui`) as one file, a snapshot of the store: progress
    and the best run, parallel coordinates (drag on an axis to filter: the other views and
    the runs table follow), importance and correlation, slice plots, every run's curves of
    any logged key against any x (step, epoch or any logged key, wall time; hyperband's
    stops marked), best so far, a timeline per machine and GPU, the runs table (sort,
    filter, select, compare) and the sweep's configuration. plotly.js is embedded (about
    5 MB), so no network is needed. Works while the sweep runs: run it again to refresh,
    or watch it live with `sweeper ui`.

    \b
    Example:
      sweeper report abcd1234
      sweeper report abcd1234 -o results/sweep.html && xdg-open results/sweep.html
    """
    from ..report.snapshot import build

    store = open_store(store_url)
    sweep = get_sweep(store, sweep_ref)
    path = out_path or f"sweep-{sweep['id']}-report.html"
    page = build(store, sweep)
    import os

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)  # `-o results/sweep.html` makes results/
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    click.echo(f"wrote the report of sweep {sweep['id']} to {path} ({len(page.encode()) / 1e6:.1f} MB)")
