"""`sweeper pause | resume | stop | cancel`: move a sweep between its states (store/control.py,
which the dashboard's buttons use too); `stop RUN_ID` stops one run."""

from __future__ import annotations

import click

from ..store.control import MOVES, MoveRefused, move
from .common import EXIT_BAD_INPUT, Fail, get_sweep, open_store, store_option, user_errors


def _transition_command(name, also_runs: bool = False, more_help: str = ""):
    """pause, resume, stop and cancel differ only in the move they make."""
    m = MOVES[name]

    @click.command(name, help=f"{m.summary}{more_help}\n\n\b\nExample:\n  sweeper {name} abcd1234")
    @click.argument("sweep_ref", metavar="ID")
    @store_option
    @user_errors
    def command(sweep_ref, store_url):
        store = open_store(store_url)
        if also_runs and _is_run(store, sweep_ref):
            return _stop_run(store, sweep_ref)
        sw = get_sweep(store, sweep_ref)
        try:
            sw = move(store, sw["id"], name)
        except MoveRefused as exc:
            raise Fail(str(exc).replace(f": {name} needs", f": `sweeper {name}` needs"), EXIT_BAD_INPUT) from None
        click.echo(f"sweep {sw['id']} is now {sw['state']}" + (f" ({m.reason})" if m.reason else ""))

    return command


def _is_run(store, ref: str) -> bool:
    """A bare ID that names a run and no sweep."""
    from ..store import NotFound
    from ..store.ids import ID_RE

    if not ID_RE.match(ref):
        return False
    try:
        store.get_sweep(ref)
        return False
    except NotFound:
        pass
    try:
        store.get_run(ref)
        return True
    except NotFound:
        return False


def _stop_run(store, run_id: str):
    run = store.request_stop(run_id)
    if run.get("agent_id"):
        how = (f"its agent {run['agent_id']} ends it at its next heartbeat (SIGTERM, then SIGKILL after the "
               "agent's --grace)")
    else:
        how = "its program raises sweeper.RunStopped at its next sweeper.log() after its next heartbeat"
    click.echo(f"run {run_id} will stop within seconds: {how}; it is recorded stopped")


pause = _transition_command("pause")
resume = _transition_command("resume")
stop = _transition_command("stop", also_runs=True,
                           more_help=" Given a run's ID instead, stop that run alone: its agent ends it within "
                                     "seconds and it is recorded stopped (`sweeper rerun` can queue it again).")
cancel = _transition_command("cancel")
