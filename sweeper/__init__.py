"""sweeper: local-first hyperparameter sweeps."""
__version__ = "0.1.0"
