"""`sweeper ui`: the live dashboard in the browser (sweeper/ui/, the `ui` extra)."""

from __future__ import annotations

import os

import click

from .common import EXIT_BAD_INPUT, Fail, open_store, store_option, user_errors

NEEDS = ("starlette", "uvicorn", "plotly")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default lets only this machine in; 0.0.0.0 lets in anyone "
                   "who can reach it (they can read every sweep; control still needs the token).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--token", envvar="SWEEPER_UI_TOKEN", metavar="TEXT",
              help="The token that pause, resume, stop and cancel need. Default: a new random one each "
                   "start. Env: SWEEPER_UI_TOKEN.")
@store_option
@user_errors
def ui(host, port, token, store_url):
    """Start the live dashboard: every sweep and project of the store, in the browser.

    Open the printed URL. Pages update within about a second of agents storing metric
    lines, with no reload: sweeps and projects with their state and progress; a sweep's
    progress, best run, ETA, configuration, parallel coordinates (brush an axis: every
    other view follows), importance, slice plots, curves of any logged key against any x
    (step, epoch or any logged key, wall time), best so far, a timeline per agent and GPU,
    and a runs table that sorts, filters and pages; a run's parameters, curves, log and
    command; and a compare view of runs from any sweeps or projects.

    The URL carries a token (as Jupyter's): with it the page can pause, resume, stop and
    cancel sweeps; without it the page is read-only. Ctrl+C stops the server; the store
    and the agents are not affected. `sweeper report ID` writes the same sweep page as
    one offline file.

    \b
    Example:
      sweeper ui
      sweeper ui --store postgresql://db.lab/sweeps --port 9000
      ssh -L 8765:127.0.0.1:8765 gpu-box 'sweeper ui'     # then open the URL on your laptop
    """
    import importlib.util

    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        raise Fail(f"sweeper ui needs {', '.join(missing)}: pip install 'sweeper[ui]'")
    from ..ui.auth import new_token
    from ..ui.serve import bind, serve

    store = open_store(store_url)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise Fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                   + (" (another program has it: pick another --port, or 0 for any free one)"
                      if exc.errno == 98 else ""), EXIT_BAD_INPUT) from None
    token = token or new_token()

    def announce(url):
        click.echo(f"sweeper ui: the dashboard of {store.display_url}")
        click.echo(f"    {url}")
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"warning: listening on {host}: anyone who reaches this port can read every sweep",
                       err=True)
        click.echo("Ctrl+C stops it.", err=True)

    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    serve(store, sock, token, announce)
