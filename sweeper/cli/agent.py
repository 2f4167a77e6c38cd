"""`sweeper agent`: run the sweep's program for the next parameter sets."""

from __future__ import annotations

import os
import sys

import click

from ..agents.exit_codes import help_table
from .common import EXIT_BAD_INPUT, Fail, get_sweep, open_store, store_failure, store_option


@click.command(epilog="\b\nExit codes:\n" + help_table())
@click.argument("sweep_ref", metavar="ID")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many runs have ended (failures count).")
@click.option("--gpus", help="GPU ids (0,1,2 or GPU-/MIG- UUIDs), or 'all' (those CUDA_VISIBLE_DEVICES lists, "
                             "else every GPU `nvidia-smi -L` lists): one run per GPU at once, each child "
                             "with CUDA_VISIBLE_DEVICES set to its GPU; --count counts across them.")
@click.option("--retry-failed", is_flag=True, help="Run grid points again whose run failed.")
@click.option("--grace", type=float, default=10.0, show_default=True,
              help="Seconds between SIGTERM and SIGKILL when stopping a run.")
@click.option("--max-failures", type=click.IntRange(min=1), default=3, show_default=True,
              help="The sweep's failure guard: after this many failed runs in a row, on any agent, the "
                   "sweep becomes failing and no agent starts another run until `sweeper resume ID`.")
@click.option("--exit-on-pause", is_flag=True,
              help="Exit (code 4) when the sweep is paused, instead of waiting for `sweeper resume`.")
@click.option("--output", type=click.Choice(["auto", "plain", "prefix", "none"]), default="auto",
              show_default=True, help="How to echo the program's output: as is, prefixed with the run ID, "
                                      "or not at all (auto: prefix with --gpus).")
@click.option("--wandb", "wandb_mode", type=click.Choice(["auto", "on", "off"]), default=None,
              help="W&B training scripts, unchanged: each run gets its parameters as wandb.config, W&B in "
                   "offline mode (unless WANDB_MODE is set), and its wandb.log rows reach the store live. "
                   "auto (default; also SWEEPER_WANDB): when the program's Python can import wandb.")
@store_option
def agent(sweep_ref, count, gpus, retry_failed, grace, max_failures, exit_on_pause, output, wandb_mode,
          store_url):
    """Run the sweep's program for the next parameter sets, one run after another.

    Each run's parameters reach the program as command-line arguments (--lr=0.01 ...);
    its metrics are the JSON lines it appends to the file named by $SWEEPER_METRICS.
    Start one agent per GPU, on as many machines as share the store. A paused sweep is
    waited for; the exit code tells scripts and batch systems (Slurm) why the agent ended.

    \b
    Example:
      sweeper agent abcd1234 --count 20
      CUDA_VISIBLE_DEVICES=0 sweeper agent abcd1234 &
      CUDA_VISIBLE_DEVICES=1 sweeper agent abcd1234 &
      sweeper agent abcd1234 --gpus 0,1,2,3
    """
    from ..agents import gpus as gpu_ids
    from ..agents.command import CommandError
    from ..agents.loop import Agent, AgentError
    from ..store import StoreError

    if wandb_mode:
        os.environ["SWEEPER_WANDB"] = wandb_mode  # read by integrations/wandb/hook.py at each run
    try:
        gpu_list = gpu_ids.parse(gpus)
    except gpu_ids.BadGpus as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    # The agent never makes a store: without one there is no sweep to run, and an empty store
    # left behind would only hide the mistake.
    store = open_store(store_url, needed_for=f"no sweep '{sweep_ref}'")
    sw = get_sweep(store, sweep_ref)
    runner = Agent(store, sw, count=count, gpus=gpu_list, retry_failed=retry_failed, grace=grace,
                   max_failures=max_failures, output=output, exit_on_pause=exit_on_pause)
    try:
        code = runner.run()
    except (AgentError, CommandError) as exc:
        raise Fail(str(exc), EXIT_BAD_INPUT) from None
    except StoreError as exc:
        raise store_failure(exc) from None
    sys.exit(int(code))

