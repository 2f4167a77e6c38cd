"""What a training program imports: its parameters, `log`, its run. Standard library only.

    objects.py     Config, RunStopped
    runtime.py     init, log, finish, config, Run: the protocol ($SWEEPER_PARAMS in, JSON lines out)
    standalone.py  a run outside any sweep, recorded in the store (loaded only then)
"""
