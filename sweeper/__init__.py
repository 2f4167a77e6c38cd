"""sweeper: local-first hyperparameter sweeps.

Importing this package is cheap (standard library only), so a training program can use
the helpers below and start as fast as without them:

    import sweeper
    with sweeper.init(config={"lr": 0.1}) as run:  # the sweep's parameters merged over (and locked)
        lr = sweeper.config.lr                     # or sweeper.config["lr"], sweeper.config.get("lr", 0.1)
        sweeper.log({"val_acc": acc})              # one JSON line appended to $SWEEPER_METRICS
    # leaving the block is sweeper.finish(); sweeper.run is the current run (None outside one)

From a notebook or script, the W&B flow:

    sweep_id = sweeper.sweep(sweep_config, project="mnist")
    sweeper.agent(sweep_id, function=train, count=5)
"""

__version__ = "0.1.0"

from .api import agent, sweep  # noqa: E402,F401
from .program.objects import ConfigLocked  # noqa: E402,F401
from .program.runtime import Run, RunStopped, config, finish, init, log  # noqa: E402,F401


def __getattr__(name):
    if name == "run":  # the current Run, or None: looked up each time, as it changes
        from .program.runtime import current
        return current()
    # Loaded on first use: it pulls in dataclasses and difflib, which programs never need.
    if name == "SweepConfigError":
        from .sweepfile.problems import SweepConfigError
        return SweepConfigError
    raise AttributeError(f"module 'sweeper' has no attribute {name!r}")
