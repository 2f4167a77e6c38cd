"""`sweeper pause | resume | stop | cancel`: move a sweep between its states; `stop RUN_ID`
stops one run."""

from __future__ import annotations

import click

from .common import EXIT_BAD_INPUT, Fail, get_sweep, open_store, store_option, user_errors


def _transition_command(name, state, allowed, reason, summary, also_runs: bool = False):
    """pause, resume, stop and cancel differ only in the states they move between."""

    @click.command(name, help=f"{summary}\n\n\b\nExample:\n  sweeper {name} abcd1234")
    @click.argument("sweep_ref", metavar="ID")
    @store_option
    @user_errors
    def command(sweep_ref, store_url):
        store = open_store(store_url)
        if also_runs and _is_run(store, sweep_ref):
            return _stop_run(store, sweep_ref)
        sw = get_sweep(store, sweep_ref)
        if sw["state"] not in allowed:
            raise Fail(f"sweep {sw['id']} is {sw['state']}: `sweeper {name}` needs it "
                       f"{' or '.join(allowed)}", EXIT_BAD_INPUT)
        sw = store.set_sweep_state(sw["id"], state, reason=reason, only_from=allowed)
        click.echo(f"sweep {sw['id']} is now {sw['state']}" + (f" ({reason})" if reason else ""))

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
    who = f"its agent {run['agent_id']}" if run.get("agent_id") else "its program"
    click.echo(f"run {run_id} will stop within seconds: {who} ends it at its next heartbeat "
               "(SIGTERM, then SIGKILL after the agent's --grace); it is recorded stopped")


pause = _transition_command("pause", "paused", ("running",), None,
                            "Start no new runs until `sweeper resume`; running runs go on. Agents wait "
                            "(or exit with code 4 under --exit-on-pause).")
resume = _transition_command("resume", "running", ("paused", "failing"), None,
                             "Let a paused sweep start runs again; or clear the failure guard of a failing "
                             "sweep (its last --max-failures runs failed), once the program is fixed.")
stop = _transition_command("stop", "finished", ("running", "paused", "failing"), "stopped by the user",
                           "Finish the sweep: running runs finish, no more start. Given a run's ID "
                           "instead, stop that run alone: its agent ends it within seconds and it is "
                           "recorded stopped (`sweeper rerun` can queue it again).", also_runs=True)
cancel = _transition_command("cancel", "canceled", ("running", "paused", "failing"), "canceled by the user",
                             "Cancel the sweep: agents stop their running runs within seconds, and start no more.")
