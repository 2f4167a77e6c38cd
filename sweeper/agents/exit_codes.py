"""The exit codes of `sweeper agent` and of every command, in one place: scripts rely on them.

The agent's help text, the README's table and `sweeper.agent()`'s return value all read
this enum, so that they cannot drift apart.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    BAD_INPUT = 2
    SWEEP_DONE = 3
    PAUSED = 4
    CANCELED = 5
    FAILING = 6
    STORE_LOST = 7
    SIGINT = 130
    SIGTERM = 143


MEANING = {
    ExitCode.OK: "the agent ran its --count runs",
    ExitCode.ERROR: "an error: the store refused a write (full disk, read-only) or a run's files could not be written",
    ExitCode.BAD_INPUT: "bad input (unknown ID, bad option)",
    ExitCode.SWEEP_DONE: "the sweep has no more work: grid exhausted, run_cap reached, metric target reached, or stopped",
    ExitCode.PAUSED: "the sweep is paused",
    ExitCode.CANCELED: "the sweep was canceled",
    ExitCode.FAILING: "the program kept failing (--max-failures in a row)",
    ExitCode.STORE_LOST: "the store could not be reached",
    ExitCode.SIGINT: "interrupted (Ctrl+C)",
    ExitCode.SIGTERM: "terminated (SIGTERM, e.g. Slurm preemption)",
}

# The order of the table in `sweeper agent --help`.
HELP_ORDER = (0, 3, 4, 5, 6, 7, 130, 143, 1, 2)


def help_table() -> str:
    return "\n".join(f"  {int(code):>3}  {MEANING[ExitCode(code)]}" for code in HELP_ORDER)
