"""Hydra apps (`@hydra.main`) as sweep programs.

    overrides.py  a run's parameters as Hydra overrides: nested blocks as dotted keys
                  (optim.lr=0.01), None as null, quoting where Hydra's grammar needs it; the
                  `${args_hydra}` macro (group=option for config groups, ++key=value for the rest)
    app.py        whether a program is a Hydra app, read from its source: its config directory,
                  primary config and config groups
    check.py      `sweeper sweep`'s warnings: the command lines runs would get, composed by Hydra
    compose.py    run with the program's interpreter, where hydra-core is installed

Nothing here imports hydra in sweeper's own process.
"""
