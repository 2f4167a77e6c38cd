"""What a training program imports: its parameters, `log`, its run. Standard library only.

    objects.py     Config (the sweep's keys locked), RunStopped, ConfigLocked
    runtime.py     init, log, finish, config, Run (`sweeper.run`): the protocol ($SWEEPER_PARAMS in,
                   JSON lines out)
    standalone.py  a run outside any sweep, recorded in the store, heartbeat and SIGTERM included
                   (loaded only then)
"""
