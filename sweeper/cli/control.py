"""`sweeper pause | resume | stop | cancel`: move a sweep between its states."""

from __future__ import annotations

import click

from .common import EXIT_BAD_INPUT, Fail, get_sweep, open_store, store_option


def _transition_command(name, state, allowed, reason, summary):
    """pause, resume, stop and cancel differ only in the states they move between."""

    @click.command(name, help=f"{summary}\n\n\b\nExample:\n  sweeper {name} abcd1234")
    @click.argument("sweep_ref", metavar="ID")
    @store_option
    def command(sweep_ref, store_url):
        store = open_store(store_url)
        sw = get_sweep(store, sweep_ref)
        if sw["state"] not in allowed:
            raise Fail(f"sweep {sw['id']} is {sw['state']}: `sweeper {name}` needs it "
                       f"{' or '.join(allowed)}", EXIT_BAD_INPUT)
        sw = store.set_sweep_state(sw["id"], state, reason=reason, only_from=allowed)
        click.echo(f"sweep {sw['id']} is now {sw['state']}" + (f" ({reason})" if reason else ""))

    return command


pause = _transition_command("pause", "paused", ("running",), None,
                            "Start no new runs until `sweeper resume`; running runs go on. Agents wait "
                            "(or exit with code 4 under --exit-on-pause).")
resume = _transition_command("resume", "running", ("paused", "failing"), None,
                             "Let a paused sweep start runs again; or clear the failure guard of a failing "
                             "sweep (its last --max-failures runs failed), once the program is fixed.")
stop = _transition_command("stop", "finished", ("running", "paused", "failing"), "stopped by the user",
                           "Finish the sweep: running runs finish, no more start.")
cancel = _transition_command("cancel", "canceled", ("running", "paused", "failing"), "canceled by the user",
                             "Cancel the sweep: agents stop their running runs within seconds, and start no more.")
