"""`sweeper pause | resume | stop | cancel`: move a sweep between its states (store/control.py)."""

from __future__ import annotations

import click

from ..store.control import MOVES, MoveRefused, move
from .common import EXIT_BAD_INPUT, Fail, get_sweep, open_store, store_option


def _transition_command(name):
    """pause, resume, stop and cancel differ only in the move they make."""
    m = MOVES[name]

    @click.command(name, help=f"{m.summary}\n\n\b\nExample:\n  sweeper {name} abcd1234")
    @click.argument("sweep_ref", metavar="ID")
    @store_option
    def command(sweep_ref, store_url):
        store = open_store(store_url)
        sw = get_sweep(store, sweep_ref)
        try:
            sw = move(store, sw["id"], name)
        except MoveRefused as exc:
            raise Fail(str(exc).replace(f": {name} needs", f": `sweeper {name}` needs"), EXIT_BAD_INPUT) from None
        click.echo(f"sweep {sw['id']} is now {sw['state']}" + (f" ({m.reason})" if m.reason else ""))

    return command


pause = _transition_command("pause")
resume = _transition_command("resume")
stop = _transition_command("stop")
cancel = _transition_command("cancel")
