"""sweeper: local-first hyperparameter sweeps.

Importing this package is cheap (standard library only), so a training program can use
the helpers below and start as fast as without them:

    import sweeper
    lr = sweeper.config.lr            # or sweeper.config["lr"], sweeper.config.get("lr", 0.1)
    sweeper.log({"val_acc": acc})     # one JSON line appended to $SWEEPER_METRICS
"""

__version__ = "0.1.0"

from .runtime import config, log  # noqa: E402,F401
