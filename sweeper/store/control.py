"""A user's moves of a sweep: pause, resume, stop, cancel. Which states each one needs, where
it leads, and why: `sweeper pause ...` and the dashboard's buttons both move sweeps here."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import StoreError


@dataclass(frozen=True)
class Move:
    name: str
    to: str  # the state it leads to
    allowed: tuple  # the states it can start from
    reason: str | None  # ended_reason it records
    summary: str  # what it does, for help texts and buttons' titles


MOVES = {m.name: m for m in (
    Move("pause", "paused", ("running",), None,
         "Start no new runs until `sweeper resume`; running runs go on. Agents wait "
         "(or exit with code 4 under --exit-on-pause)."),
    Move("resume", "running", ("paused", "failing"), None,
         "Let a paused sweep start runs again; or clear the failure guard of a failing "
         "sweep (its last --max-failures runs failed), once the program is fixed."),
    Move("stop", "finished", ("running", "paused", "failing"), "stopped by the user",
         "Finish the sweep: running runs finish, no more start."),
    Move("cancel", "canceled", ("running", "paused", "failing"), "canceled by the user",
         "Cancel the sweep: agents stop their running runs within seconds, and start no more."),
)}


class MoveRefused(StoreError):
    """The sweep is not in a state this move starts from (the message says which it needs)."""


def move(store, sweep_id: str, name: str) -> dict:
    """Make the move `name` on the sweep; its row after. MoveRefused if its state does not allow
    it (checked again inside the write, so two people pressing at once cannot both win)."""
    m = MOVES[name]
    sweep = store.get_sweep(sweep_id)
    if sweep["state"] not in m.allowed:
        raise MoveRefused(f"sweep {sweep['id']} is {sweep['state']}: {name} needs it {' or '.join(m.allowed)}")
    return store.set_sweep_state(sweep["id"], m.to, reason=m.reason, only_from=m.allowed)
