"""The exit codes of `sweeper agent` and of every command, in one place: scripts rely on them.

Designed for batch systems. Slurm marks a task COMPLETED only on exit 0, and `--dependency=
afterok` jobs run only after COMPLETED tasks; `set -e` scripts stop at the first non-zero
code; `wandb agent` exits 0 when its sweep has no more work. So:

- 0 whenever the agent ended because the work is done: it ran its --count runs (some may have
  failed, as long as not all), or the sweep has nothing left (grid covered, run_cap, metric
  target, stopped by the user). An array task that starts after the grid is used up is
  COMPLETED, and the report job that depends on the array runs.
- non-zero when something needs a person: every run this agent ran failed (so a `--count 1`
  task whose training crashed is FAILED), the sweep's failure guard tripped, the sweep was
  canceled, the store could not be reached, a signal ended the agent (128 + its number, as a
  shell reports a process killed by that signal: Slurm's scancel and preemption send SIGTERM).

The agent's help text, the README's table and `sweeper.agent()`'s return value all read
this enum, so that they cannot drift apart.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    BAD_INPUT = 2
    PAUSED = 4
    CANCELED = 5
    FAILING = 6
    STORE_LOST = 7
    RUNS_FAILED = 8
    SIGHUP = 129
    SIGINT = 130
    SIGTERM = 143


MEANING = {
    ExitCode.OK: "the work is done: it ran its --count runs, or the sweep has no more work "
                 "(grid covered, run_cap or metric target reached, stopped)",
    ExitCode.ERROR: "an error: the store refused a write (full disk, read-only), or a run's files "
                    "could not be written",
    ExitCode.BAD_INPUT: "bad input: unknown ID, bad option, no store here",
    ExitCode.PAUSED: "the sweep is paused (only with --exit-on-pause; otherwise the agent waits)",
    ExitCode.CANCELED: "the sweep was canceled (or deleted)",
    ExitCode.FAILING: "the sweep is failing: its last --max-failures runs failed, on any agent; "
                      "`sweeper resume ID` clears it",
    ExitCode.STORE_LOST: "the store could not be reached (at start-up too), for SWEEPER_STORE_TIMEOUT s",
    ExitCode.RUNS_FAILED: "every run this agent ran failed (with --count 1: its run failed)",
    ExitCode.SIGHUP: "hung up (SIGHUP: the terminal or ssh session closed)",
    ExitCode.SIGINT: "interrupted (Ctrl+C, SIGINT)",
    ExitCode.SIGTERM: "terminated (SIGTERM: scancel, Slurm preemption, kill)",
}

# The order of the table in `sweeper agent --help` and the README.
HELP_ORDER = (0, 8, 6, 5, 4, 7, 129, 130, 143, 1, 2)


def help_table() -> str:
    return "\n".join(f"  {int(code):>3}  {MEANING[ExitCode(code)]}" for code in HELP_ORDER)


def for_signal(signum: int) -> int:
    """The code a shell reports for a process ended by this signal."""
    return 128 + int(signum)
