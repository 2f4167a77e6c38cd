"""`sweeper sweep` (check a file, register it) and `sweeper sweeps` (list them)."""

from __future__ import annotations

import sys

import click

from .common import (
    EXIT_BAD_INPUT,
    Fail,
    emit_json,
    get_run,
    get_sweep,
    json_option,
    open_store,
    parse_assignments,
    store_option,
    user_errors,
)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--name", help="Name for the sweep (default: the file's name: key).")
@click.option("--project", help="Project to file it under (default: the file's project: key).")
@click.option("--entity", help="Entity, kept for W&B compatibility.")
@click.option("--update", "update_ref", metavar="ID",
              help="Make FILE the file of the registered sweep ID instead of registering a new one: new "
                   "grid values or parameters, a higher run_cap, another method. What changed is listed "
                   "and kept (`sweeper history ID`); the metric cannot change.")
@click.option("--default", "defaults", multiple=True, metavar="KEY=VALUE",
              help="With --update: the value earlier runs count as having for a parameter FILE adds "
                   "(a constant's value is taken by itself). Repeatable.")
@click.option("--prior-run", "prior_runs", multiple=True, metavar="RUN_ID",
              help="A bayes sweep learns from this run of another sweep (or a standalone run), as W&B's "
                   "--prior_run; its parameters must fit the sweep's. Repeatable.")
@click.option("--prior-sweep", "prior_sweeps", multiple=True, metavar="ID",
              help="Learn from every ended run of that sweep whose parameters fit. Repeatable.")
@click.option("--dry-run", is_flag=True, help="Check and print the normalized config (with --update: the "
                                              "changes); register nothing.")
@store_option
@json_option
@user_errors
def sweep(file, name, project, entity, update_ref, defaults, prior_runs, prior_sweeps, dry_run, store_url, as_json):
    """Check a sweep file and register the sweep; print its ID and the agent command.

    Every problem in the file is listed at once, with line, column and key.
    When the program is a Hydra app, the command lines its runs would get are
    checked by Hydra itself, in the runs' interpreter (warnings).

    \b
    Example:
      sweeper sweep configs/quickstart.yaml
      sweeper sweep sweep.yaml --dry-run      # check only
      sweeper sweep sweep.yaml --update abcd1234 --default dropout=0.0
      sweeper sweep bayes.yaml --prior-sweep abcd1234   # a warm start
    """
    from ..sweepfile import SweepConfigError, load_file

    try:
        cfg = load_file(file)
    except SweepConfigError as exc:
        if as_json:
            emit_json({"ok": False, "file": file, "problems": [
                {"path": p.dotted, "line": p.line, "column": p.column, "message": p.message}
                for p in exc.problems]})
            sys.exit(EXIT_BAD_INPUT)
        raise Fail(exc.render(), EXIT_BAD_INPUT) from None
    from ..integrations.hydra import check as hydra_check

    for w in cfg.warnings + hydra_check.problems(cfg):
        click.echo(w.format(file), err=True)
    if defaults and not update_ref:
        raise Fail("--default is for --update: it names the value earlier runs of the sweep had", EXIT_BAD_INPUT)
    if update_ref:
        return _update(cfg, file, update_ref, parse_assignments(defaults, "--default"), prior_runs, prior_sweeps,
                       dry_run, store_url, as_json)
    grid_total = cfg.grid_size
    if dry_run and not (prior_runs or prior_sweeps):
        if as_json:
            emit_json({"ok": True, "file": file, "config": cfg.normalized, "grid_size": grid_total})
        else:
            import yaml
            click.echo(f"# {file}: valid ({cfg.method}"
                       + (f", {grid_total} grid points" if grid_total is not None else "") + "); normalized:")
            click.echo(yaml.safe_dump(cfg.normalized, sort_keys=False, allow_unicode=True).rstrip())
        return
    store = open_store(store_url, create=not dry_run)
    priors = _priors(store, cfg.normalized, prior_runs, prior_sweeps, as_json)
    if dry_run:
        if as_json:
            emit_json({"ok": True, "file": file, "config": cfg.normalized, "grid_size": grid_total, "priors": priors})
        else:
            click.echo(f"# {file}: valid ({cfg.method}); it would learn from {_runs(len(priors))}")
        return
    sw = store.create_sweep(cfg, name=name, project=project, entity=entity, priors=priors)
    agent_cmd = ["sweeper", "agent", sw["id"]]
    from click.core import ParameterSource
    if click.get_current_context().get_parameter_source("store_url") == ParameterSource.COMMANDLINE:
        # Shown without its password: agents read it from SWEEPER_STORE or --store.
        agent_cmd += ["--store", store.display_url if not store.is_sqlite else store_url]
    if as_json:
        emit_json({"ok": True, "id": sw["id"], "name": sw["name"], "project": sw["project"],
                   "method": sw["method"], "grid_size": grid_total, "store": store.display_url,
                   "agent_command": agent_cmd, "priors": priors})
        return
    from ..results.format import printable

    size = f", {grid_total} grid points" if grid_total is not None else ""
    label = f" '{printable(sw['name'])}'" if sw["name"] else ""
    learns = f", learning from {_runs(len(priors))}" if priors else ""
    click.echo(f"Created sweep{label} {sw['id']} ({sw['method']}{size}{learns}) in {store.display_url}")
    click.echo("Run an agent (one per GPU: CUDA_VISIBLE_DEVICES=0 ... &):")
    click.echo("  " + " ".join(agent_cmd))
    # The ID alone on the last line, for `ID=$(sweeper sweep f.yaml | tail -1)`.
    click.echo(sw["id"])


def _priors(store, config: dict, run_ids, sweep_ids, quiet: bool) -> list[str]:
    """The prior runs named by --prior-run and --prior-sweep that fit the sweep; each one left
    out is said on stderr, and none fitting at all is an error."""
    if not (run_ids or sweep_ids):
        return []
    from ..results.format import printable
    from ..search.priors import candidates, check

    runs = candidates(store, run_ids, sweep_ids)
    accepted, refused, notes = check(config, runs)
    for rid, why in refused.items():
        click.echo(f"warning: prior run {rid} left out: {printable(why)}", err=True)
    for rid, why in notes.items():
        click.echo(f"note: prior run {rid} had other constants: {printable(why)}", err=True)
    if not accepted:
        raise Fail(f"none of the {len(runs)} prior runs fits the sweep (above: why)", EXIT_BAD_INPUT)
    if config["method"] != "bayes" and not quiet:
        click.echo(f"note: only method bayes learns from prior runs; this sweep is {config['method']} "
                   "(they are kept, for an --update to bayes)", err=True)
    return accepted


def _update(cfg, file, ref, defaults, prior_runs, prior_sweeps, dry_run, store_url, as_json):
    from ..results.format import printable
    from ..sweepfile.update import plan

    store = open_store(store_url)
    old = get_sweep(store, ref)
    has_runs = bool(store.count_runs(old["id"]))
    change = plan(old["config"], cfg.normalized, defaults, has_runs=has_runs)
    problems = change.refusals + [
        f"parameters.{k}: earlier runs did not have it: say which value they count as with --default {k}=VALUE"
        for k in change.needs_default]
    if problems:
        if as_json:
            emit_json({"ok": False, "id": old["id"], "problems": problems, "changes": change.changes})
            sys.exit(EXIT_BAD_INPUT)
        raise Fail(f"{file} cannot update sweep {old['id']}:\n  " + "\n  ".join(problems), EXIT_BAD_INPUT)
    priors = _priors(store, cfg.normalized, prior_runs, prior_sweeps, as_json)
    known = {p["id"] for p in store.prior_runs(old["id"])} if priors else set()
    new_priors = [p for p in priors if p not in known]
    revision = old.get("revision") or 1
    for line in change.warnings:
        click.echo(f"warning: {printable(line)}", err=True)
    if old["state"] == "canceled" and change.changes:
        click.echo(f"warning: sweep {old['id']} was canceled: it starts no more runs, whatever its file",
                   err=True)
    if not change.changes and not new_priors:
        if as_json:
            emit_json({"ok": True, "id": old["id"], "revision": revision, "changes": [], "priors": [],
                       "reopened": False})
        else:
            already = " (it learns from those prior runs already)" if priors else ""
            click.echo(f"sweep {old['id']}: {file} changes nothing (revision {revision}){already}")
        return
    result = None
    if not dry_run:
        if change.changes:
            space = cfg.space if cfg.method == "grid" else None
            result = store.update_sweep(old["id"], cfg, change.changes, revision, change.defaults, space)
        if new_priors:
            store.add_priors(old["id"], new_priors)
    now = result["sweep"] if result else store.get_sweep(old["id"])
    if as_json:
        emit_json({"ok": True, "id": old["id"], "dry_run": dry_run, "revision": now.get("revision") or revision,
                   "changes": change.changes, "defaults": change.defaults, "priors": new_priors,
                   "warnings": change.warnings, "state": now["state"],
                   "reopened": bool(result and result["reopened"]), "grid_size": cfg.grid_size})
        return
    if change.changes:
        head = "would change" if dry_run else f"updated to revision {now.get('revision')}"
        click.echo(f"sweep {old['id']} {head}:")
        for line in change.changes:
            click.echo(f"  {printable(line)}")
    if new_priors:
        verb = "would learn" if dry_run else "learns"
        click.echo(f"sweep {old['id']} {verb} from {len(new_priors)} more {_runs(len(new_priors)).split(' ', 1)[1]}"
                   + (f" ({len(priors) - len(new_priors)} named already were)" if len(new_priors) < len(priors) else ""))
    if result and result["reopened"]:
        click.echo(f"It had finished and has more to do now: start agents with `sweeper agent {old['id']}`")
    elif now["state"] == "finished" and not dry_run:
        click.echo(f"It is finished ({printable(now.get('ended_reason') or '')})")


def _runs(n: int) -> str:
    return f"{n} prior run{'s' if n != 1 else ''}"


@click.command("sweeps")
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
        from ..results.format import with_iso

        emit_json([with_iso({k: s[k] for k in ("id", "name", "project", "method", "state", "created_at")})
                   | {"runs": s["run_counts"]} for s in rows])
        return
    if not rows:
        click.echo(f"No sweeps in {store.display_url}. Register one with: sweeper sweep FILE")
        return
    from .render import console, sweeps_table

    console().print(sweeps_table(rows))


@click.command("history")
@click.argument("sweep_ref", metavar="ID")
@click.option("--revision", type=click.IntRange(min=1), help="Print the file of this revision, as it was given.")
@store_option
@json_option
@user_errors
def history(sweep_ref, revision, store_url, as_json):
    """The sweep's file over its life: when it was registered and each `sweep --update`, with
    what changed; the prior runs it learns from.

    \b
    Example:
      sweeper history abcd1234
      sweeper history abcd1234 --revision 1 > sweep-as-registered.yaml
    """
    from ..results.format import printable, when, with_iso

    store = open_store(store_url)
    sw = get_sweep(store, sweep_ref)
    revisions = store.sweep_revisions(sw["id"])
    if revision is not None:
        found = [r for r in revisions if r["revision"] == revision]
        if not found:
            raise Fail(f"sweep {sw['id']} has revisions 1 to {revisions[-1]['revision']}, not {revision}",
                       EXIT_BAD_INPUT)
        if as_json:
            emit_json(with_iso({k: found[0][k] for k in ("revision", "at", "changes", "config", "config_raw", "source")},
                               keys=("at",)))
        else:
            click.echo((found[0]["config_raw"] or "").rstrip("\n"))
        return
    priors = store.prior_runs(sw["id"])
    if as_json:
        emit_json({"id": sw["id"], "revision": sw.get("revision") or 1,
                   "revisions": [with_iso({k: r[k] for k in ("revision", "at", "changes", "source")}, keys=("at",))
                                 for r in revisions],
                   "priors": [{"run_id": p["id"], "sweep_id": p["sweep_id"], "state": p["state"]} for p in priors]})
        return
    for r in revisions:
        click.echo(f"revision {r['revision']}  {when(r['at'])}  {printable(r['source'] or '')}")
        for line in r["changes"]:
            click.echo(f"  {printable(line)}")
    if priors:
        sources = sorted({p["sweep_id"] or "standalone" for p in priors})
        click.echo(f"learns from {len(priors)} prior run{'s' if len(priors) != 1 else ''} "
                   f"(of {', '.join(sources)})")
