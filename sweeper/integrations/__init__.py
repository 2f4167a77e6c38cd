"""Other tools' training scripts, run unchanged by the agent.

    wandb/   W&B: each run gets what `wandb agent` gives its program (its parameters as the
             sweep's config, offline), and a bridge process brings the rows `wandb.log`
             writes to the run's metrics file, live

The agent imports only what here is standard library; a tool's own package is imported
in a separate process started with the program's interpreter, where it is installed.
"""
