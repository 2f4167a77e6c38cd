"""`sweeper enqueue` (parameter sets to run next), `sweeper rerun` (runs' parameters again) and
`sweeper delete` (runs and sweeps, with their files)."""

from __future__ import annotations

import sys

import click

from .common import (
    EXIT_BAD_INPUT,
    EXIT_ERROR,
    Fail,
    emit_json,
    get_sweep,
    json_option,
    nest,
    open_store,
    parse_assignments,
    split_list,
    store_option,
    user_errors,
)

STATES = ("failed", "crashed", "interrupted", "stopped", "finished")


@click.command()
@click.argument("sweep_ref", metavar="ID")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="One parameter of the set to run (optimizer.lr=0.01); the sweep's constants fill in "
                   "the rest. Repeatable: together they make one set.")
@click.option("--file", "sets_file", type=click.Path(dir_okay=False, exists=True),
              help="Many sets: a YAML or JSON list of mappings, or JSON Lines (one mapping a line).")
@click.option("--list", "list_only", is_flag=True, help="List the sets waiting to run, next first.")
@click.option("--clear", is_flag=True, help="Drop every set still waiting.")
@store_option
@json_option
@user_errors
def enqueue(sweep_ref, params, sets_file, list_only, clear, store_url, as_json):
    """Queue parameter sets that the sweep runs next, before its method picks any (Optuna's
    enqueue_trial): a known good configuration, a baseline, a hunch.

    Each value must be one the sweep's parameters could take (in its values, within its
    bounds); it is passed as the sweep file writes it (16.0 as 16 when the file lists 16).
    An enqueued set is a run of the sweep like any other and counts toward run_cap, but runs
    even once the cap is reached; on a grid it covers its point. A sweep that finished
    because it had nothing left to do runs again.

    \b
    Example:
      sweeper enqueue abcd1234 -p lr=0.001 -p batch_size=64
      sweeper enqueue abcd1234 --file baselines.yaml
      sweeper enqueue abcd1234 --list
    """
    from ..results.format import params_line, printable
    from ..sweepfile.space import Space

    store = open_store(store_url)
    sw = get_sweep(store, sweep_ref)
    if list_only or clear:
        if params or sets_file:
            raise Fail("--list and --clear take no parameter sets", EXIT_BAD_INPUT)
        dropped = store.clear_queue(sw["id"]) if clear else None
        waiting = store.queued(sw["id"])
        if as_json:
            emit_json({"id": sw["id"], "dropped": dropped, "waiting": [
                {"entry": w["id"], "params": w["params"], "rerun_of": w["replaces"]} for w in waiting]})
            return
        if clear:
            click.echo(f"sweep {sw['id']}: dropped {dropped} waiting set{'s' if dropped != 1 else ''}")
        for w in waiting:
            what = f"rerun of {w['replaces']}" if w["replaces"] else "enqueued"
            click.echo(f"{w['id']:>5}  {what:<17} {params_line(w['params'])}")
        if not waiting and not clear:
            click.echo(f"sweep {sw['id']}: nothing waiting")
        return
    sets = _read_sets(sets_file) if sets_file else []
    if params:
        sets.append(nest(parse_assignments(params, "--param")))
    if not sets:
        raise Fail("give the set to run with --param KEY=VALUE (or many with --file)", EXIT_BAD_INPUT)
    space = Space(sw["config"]["parameters"])
    full, problems = [], []
    for i, given in enumerate(sets, 1):
        filled = space.canonical(_with_constants(space, given))
        wrong = space.misfits(filled)
        extra = sorted(set(_keys(given)) - {p.key for p in space})
        wrong += [f"{k}: the sweep has no such parameter" for k in extra]
        where = f"set {i}: " if len(sets) > 1 else ""
        problems += [f"{where}{w}" for w in wrong]
        full.append(filled)
    if problems:
        raise Fail("these values are not the sweep's to run:\n  " + "\n  ".join(map(printable, problems))
                   + "\n(widen the sweep with `sweeper sweep FILE --update ID` to run them)", EXIT_BAD_INPUT)
    done = store.enqueue(sw["id"], full)
    if as_json:
        emit_json({"id": sw["id"], "queued": done["queued"], "reopened": done["reopened"], "params": full})
        return
    for entry, p in zip(done["queued"], full):
        click.echo(f"queued {entry}: {params_line(p)}")
    _next_steps(sw, done["reopened"], len(full))


@click.command()
@click.argument("sweep_ref", metavar="ID")
@click.argument("run_ids", metavar="[RUN_ID]...", nargs=-1)
@click.option("--state", "states", multiple=True, metavar="STATE[,STATE]",
              help=f"Every live run in these states ({', '.join(STATES)}). Default, with no RUN_ID: "
                   "failed, crashed, interrupted.")
@store_option
@json_option
@user_errors
def rerun(sweep_ref, run_ids, states, store_url, as_json):
    """Run the parameters of ended runs again: those named, or those in --state.

    Each is queued and runs next; when it starts, it supersedes the run it repeats (that
    run stays on record, marked superseded, and no longer counts: a grid point is covered
    by its new run, and run_cap is not used up again). A finished sweep runs again. Exits 2
    when runs were named and none of them could be queued (running, or already repeated).

    \b
    Example:
      sweeper rerun abcd1234                        # every failed, crashed and interrupted run
      sweeper rerun abcd1234 --state stopped        # the runs hyperband or a user stopped
      sweeper rerun abcd1234 k3j9x0qa 8fz1q0pl      # these two
    """
    from ..results.format import params_line, printable

    wanted = split_list(states)
    bad = sorted(set(wanted) - set(STATES))
    if bad:
        raise Fail(f"unknown state {', '.join(bad)}: use {', '.join(STATES)}", EXIT_BAD_INPUT)
    store = open_store(store_url)
    sw = get_sweep(store, sweep_ref)
    done = store.rerun(sw["id"], run_ids, wanted)
    if as_json:
        emit_json({"id": sw["id"], "queued": [r["id"] for r in done["queued"]], "skipped": done["skipped"],
                   "reopened": done["reopened"]})
        return
    for r in done["queued"]:
        click.echo(f"queued a rerun of {r['id']} (#{r['number']}, {r['state']}): {params_line(r['params'])}")
    for rid, why in done["skipped"].items():
        click.echo(printable(f"not {rid}: {why}"), err=True)
    if not done["queued"]:
        refused = [rid for rid, why in done["skipped"].items() if why != "it is already queued"]
        if refused:  # a script named runs that cannot run again: it should know
            raise Fail(f"sweep {sw['id']}: nothing queued (above: why)", EXIT_BAD_INPUT)
        waiting = len(done["skipped"])
        click.echo(f"sweep {sw['id']}: nothing more to run again" + (
            f" ({waiting} already queued: `sweeper enqueue {sw['id']} --list`)" if waiting else
            "" if run_ids or wanted else " (no failed, crashed or interrupted run)"))
        return
    _next_steps(sw, done["reopened"], len(done["queued"]))


@click.command()
@click.argument("refs", metavar="ID...", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask: for scripts.")
@store_option
@json_option
@user_errors
def delete(refs, yes, store_url, as_json):
    """Delete runs or whole sweeps, with their metric lines and their run folders on this machine.

    Each ID is a sweep (every run of it goes) or a run. Nothing that is running is deleted:
    stop or cancel it first. Asks before deleting, unless --yes; without a terminal to ask
    on, --yes is required (exit 2). Answering no deletes nothing (exit 1).

    \b
    Example:
      sweeper delete k3j9x0qa 8fz1q0pl
      sweeper delete abcd1234 --yes
    """
    from ..results.format import printable
    from ..store import NotFound

    store = open_store(store_url)
    sweeps, runs = [], []
    for ref in dict.fromkeys(refs):
        try:
            sweeps.append(store.get_sweep(ref))
            continue
        except (NotFound, ValueError):
            pass
        try:
            runs.append(store.get_run(ref))
        except NotFound:
            raise Fail(f"no sweep or run '{ref}' in {store.display_url}", EXIT_BAD_INPUT) from None
    counts = {s["id"]: sum(store.count_runs(s["id"]).values()) for s in sweeps}
    agents = {s["id"]: store.live_agents(s["id"]) for s in sweeps}
    lines = [f"sweep {s['id']}" + (f" '{s['name']}'" if s.get("name") else "") + f" ({s['state']}) and its "
             f"{counts[s['id']]} run{'s' if counts[s['id']] != 1 else ''}"
             + (f"; its {agents[s['id']]} waiting agent{'s' if agents[s['id']] != 1 else ''} will stop (exit 5)"
                if agents[s["id"]] else "") for s in sweeps]
    lines += [f"run {r['id']} ({r['state']}" + (f", #{r['number']} of sweep {r['sweep_id']}" if r["sweep_id"] else
                                                 ", standalone") + ")" for r in runs]
    if not yes:
        if not sys.stdin.isatty():
            raise Fail("delete asks before it deletes, and there is no terminal to ask on: add --yes", EXIT_BAD_INPUT)
        click.echo("This deletes, with their metric lines and run folders:")
        for text in lines:
            click.echo("  " + printable(text))
        if not click.confirm("Delete?", default=False):
            click.echo("nothing deleted")
            sys.exit(EXIT_ERROR)
    gone_runs = store.delete_runs([r["id"] for r in runs]) if runs else []
    gone_sweeps = [store.delete_sweep(s["id"]) for s in sweeps]
    if as_json:
        emit_json({"deleted_sweeps": [g["sweep"]["id"] for g in gone_sweeps],
                   "deleted_runs": [r["id"] for r in gone_runs],
                   "runs_of_deleted_sweeps": sum(g["runs"] for g in gone_sweeps)})
        return
    for text in lines:
        click.echo("deleted " + printable(text))


def _read_sets(path: str) -> list[dict]:
    import json

    from ..sweepfile.yamlfile import YamlError, loads

    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = loads(text)[0]
    except YamlError:
        try:  # JSON Lines is not one YAML document
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise Fail(f"{path}: neither YAML nor JSON Lines ({exc})", EXIT_BAD_INPUT) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise Fail(f"{path}: expected a list of mappings (parameter: value), one per set to run", EXIT_BAD_INPUT)
    return [nest(d) if any("." in k for k in d) else d for d in data]


def _keys(nested: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in nested.items():
        out += _keys(v, f"{prefix}{k}.") if isinstance(v, dict) and v else [f"{prefix}{k}"]
    return out


def _with_constants(space, given: dict) -> dict:
    import copy

    filled = copy.deepcopy(given)
    have = space.flatten(filled)
    for p in space:
        if p.is_constant and p.path not in have:
            node = filled
            for part in p.path[:-1]:
                node = node.setdefault(part, {})
            node[p.path[-1]] = p.spec["value"]
    return filled


def _next_steps(sweep: dict, reopened: bool, n: int):
    what = f"{'they run' if n != 1 else 'it runs'} next"
    if reopened:
        click.echo(f"sweep {sweep['id']} had finished and runs again: {what} (`sweeper agent {sweep['id']}`)")
    elif sweep["state"] in ("paused", "failing"):
        click.echo(f"sweep {sweep['id']} is {sweep['state']}: {what} once it is resumed (`sweeper resume {sweep['id']}`)")
    else:
        click.echo(f"{what}, on the sweep's agents")
