"""`sweeper show RUN_ID` (everything about one run) and `sweeper edit RUN_ID` (its name, tags
and notes)."""

from __future__ import annotations

import click

from .common import EXIT_BAD_INPUT, Fail, emit_json, get_run, json_option, open_store, store_option, user_errors


@click.command()
@click.argument("run_id")
@store_option
@json_option
@user_errors
def show(run_id, store_url, as_json):
    """Everything about one run: state, parameters, last metrics, name, tags, notes, timings,
    where it ran, why it ended, and the command line that reproduces it.

    \b
    Example:
      sweeper show k3j9x0qa
      sweeper show k3j9x0qa --json | jq .summary
    """
    from ..results import details

    store = open_store(store_url)
    run = get_run(store, run_id)
    sweep = store.get_sweep(run["sweep_id"]) if run["sweep_id"] else None
    record = details.run_record(sweep, run)
    if as_json:
        emit_json(record)
        return
    from .render import print_run

    print_run(record)


@click.command()
@click.argument("run_ids", metavar="RUN_ID...", nargs=-1, required=True)
@click.option("--name", help="The run's name (an empty string clears it).")
@click.option("--tag", "add_tags", multiple=True, metavar="TAG", help="Add a tag. Repeatable.")
@click.option("--untag", "remove_tags", multiple=True, metavar="TAG", help="Remove a tag. Repeatable.")
@click.option("--note", help="The run's notes, replacing any (an empty string clears them).")
@store_option
@json_option
@user_errors
def edit(run_ids, name, add_tags, remove_tags, note, store_url, as_json):
    """Name, tag and annotate runs (the runs that matter; `runs --tag` lists them again).

    \b
    Example:
      sweeper edit k3j9x0qa --name baseline --tag paper --note "seed 3 of the final config"
      sweeper edit k3j9x0qa 8fz1q0pl --tag ablation
      sweeper edit k3j9x0qa --untag paper
    """
    if name is None and note is None and not add_tags and not remove_tags:
        raise Fail("nothing to change: give --name, --tag, --untag or --note", EXIT_BAD_INPUT)
    bad = [t for t in add_tags if not t.strip() or any(not c.isprintable() for c in t)]
    if bad:
        raise Fail(f"a tag is a non-empty line of printable text, not {bad[0]!r}", EXIT_BAD_INPUT)
    store = open_store(store_url)
    for rid in run_ids:
        get_run(store, rid)  # every ID known before anything is changed
    changes = {}
    if name is not None:
        changes["name"] = name or None
    if note is not None:
        changes["notes"] = note or None
    done = [store.edit_run(rid, add_tags=add_tags, remove_tags=remove_tags, **changes) for rid in run_ids]
    if as_json:
        emit_json([{"id": r["id"], "name": r.get("name"), "tags": r["tags"], "notes": r.get("notes")} for r in done])
        return
    from ..results.format import printable

    for r in done:
        bits = [f"name {r['name']!r}" if r.get("name") else "no name",
                f"tags {', '.join(r['tags'])}" if r["tags"] else "no tags"]
        if r.get("notes"):
            bits.append("notes set")
        click.echo(printable(f"run {r['id']}: " + "; ".join(bits)))
