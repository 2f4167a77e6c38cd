"""The read side: a sweep's runs as plain rows and numbers. Nothing here prints.

    rows.py        runs -> rows: flattening, sorting, the best run, metric history
    progress.py    status as data: progress, counts, best; the command that reproduces a run
    importance.py  random-forest importance and Spearman correlation
    export.py      CSV, JSON, JSON Lines
    format.py      numbers, durations, timestamps as people read them
    logs.py        a run's output file
    details.py     one run as a record (`sweeper show`)
    compare.py     runs of any sweeps and projects side by side (`sweeper compare`, the dashboard)
"""
