"""The agent (`sweeper agent`, `sweeper.agent()`): claim the next run, launch the program, follow its metrics, record, repeat.

    loop.py        Agent: slots (one per GPU), heartbeat, signals, the exit code
    child.py       the program's process (or a forked function) and its output
    spawn.py       starting the program so that it dies with the agent (setpriv --pdeathsig)
    command.py     the sweep's `command:` and a run's parameters -> argv
    tail.py        the metrics file -> the store, hyperband and metric.target decisions
    reaper.py      a watchman that takes the runs down if the agent dies
    exit_codes.py  ExitCode, the contract with scripts and batch systems

Nothing is imported here, so that `python -m sweeper.agents.reaper` starts fast.
"""
