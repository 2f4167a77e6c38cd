"""W&B training scripts under `sweeper agent`, unchanged, offline, with live metrics.

    hook.py    the agent's side (standard library only): whether a run gets W&B's treatment
               (`--wandb auto|on|off`, SWEEPER_WANDB), the environment `wandb.init()` reads
               (WANDB_SWEEP_PARAM_PATH, WANDB_RUN_ID, WANDB_MODE=offline, WANDB_DIR...), and
               the bridge process around the program
    bridge.py  run with the program's interpreter, where wandb is installed: follows the run's
               .wandb record logs as they grow, decodes each record with wandb's own protobuf
               classes, appends each history row as a JSON line to the run's metrics file

Nothing here imports wandb in the agent's process.
"""
