"""`sweeper sweep` (check a file, register it) and `sweeper sweeps` (list them)."""

from __future__ import annotations

import sys

import click

from .common import EXIT_BAD_INPUT, Fail, emit_json, json_option, open_store, store_option


@click.command()
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
    When the program is a Hydra app, the command lines its runs would get are
    checked by Hydra itself, in the runs' interpreter (warnings).

    \b
    Example:
      sweeper sweep configs/quickstart.yaml
      sweeper sweep sweep.yaml --dry-run      # check only
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
    grid_total = cfg.grid_size
    if dry_run:
        if as_json:
            emit_json({"ok": True, "file": file, "config": cfg.normalized, "grid_size": grid_total})
        else:
            import yaml
            click.echo(f"# {file}: valid ({cfg.method}"
                       + (f", {grid_total} grid points" if grid_total is not None else "") + "); normalized:")
            click.echo(yaml.safe_dump(cfg.normalized, sort_keys=False, allow_unicode=True).rstrip())
        return
    store = open_store(store_url, create=True)
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
    from ..results.format import printable

    size = f", {grid_total} grid points" if grid_total is not None else ""
    label = f" '{printable(sw['name'])}'" if sw["name"] else ""
    click.echo(f"Created sweep{label} {sw['id']} ({sw['method']}{size}) in {store.display_url}")
    click.echo("Run an agent (one per GPU: CUDA_VISIBLE_DEVICES=0 ... &):")
    click.echo("  " + " ".join(agent_cmd))
    # The ID alone on the last line, for `ID=$(sweeper sweep f.yaml | tail -1)`.
    click.echo(sw["id"])


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
