"""Other tools' training scripts, run unchanged by the agent.

    wandb/   W&B: each run gets what `wandb agent` gives its program (its parameters as the
             sweep's config, offline), and a bridge process brings the rows `wandb.log`
             writes to the run's metrics file, live
    hydra/   Hydra apps: parameters as Hydra overrides (nested blocks as dotted keys), and
             `sweeper sweep`'s check of the command lines with Hydra's own parser

The agent imports only what here is standard library; a tool's own package is imported
in a separate process started with the program's interpreter, where it is installed.
"""
