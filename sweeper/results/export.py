"""Runs and metric lines as CSV, JSON or JSON Lines (`sweeper export`), written as they are read.

Every format streams: a sweep of 10,000 runs x 100 lines is never in memory. CSV needs its
columns (every parameter and logged key) before its first row, so it reads twice: the keys,
then the rows. `read` arguments are callables that return a fresh iterator on each call.
"""

from __future__ import annotations

import csv
import json
import time

from . import rows as rows_


def write_runs(sweep, read, fmt, out) -> int:
    """One record per run of read() (stored runs); CSV flat (see rows.flat_row), JSON nested.
    Returns how many runs were written."""
    metric, now = rows_.sweep_metric(sweep), time.time()

    def rows():
        return (rows_.run_row(run, metric, now) for run in read())

    if fmt == "csv":
        cols = rows_.flat_columns(sweep, rows())
        writer = csv.writer(out)
        writer.writerow(cols)
        n = 0
        for r in rows():
            flat = rows_.flat_row(r)
            writer.writerow([rows_.csv_cell(flat.get(c)) for c in cols])
            n += 1
        return n
    records = (rows_.strict_json(rows_.export_record(r)) for r in rows())
    if fmt == "json":
        n = _json_array(records, out, indent=2)
        out.write("\n")
        return n
    n = 0
    for record in records:
        out.write(json.dumps(record, default=str) + "\n")
        n += 1
    return n


def sweep_history(store, run_ids):
    """Every metric line of these runs, in order, flat (rows.history_rows), streamed from the store."""
    for run_id in run_ids:
        yield from rows_.history_rows(run_id, store.iter_metric_rows(run_id))


def write_history(read, fmt, out) -> int:
    """Every metric line of read(): run_id, seq, step, then each logged key. Returns how many."""
    if fmt == "jsonl":
        n = 0
        for line in read():
            out.write(json.dumps(rows_.strict_json(line), default=str) + "\n")
            n += 1
        return n
    if fmt == "json":
        n = _json_array((rows_.strict_json(line) for line in read()), out)
        out.write("\n")
        return n
    cols = ["run_id", "seq", "step"]
    seen = set(cols)
    keys: set = set()
    for r in read():  # the first reading: only the keys are kept
        keys.update(r)
    cols += sorted(keys - seen)
    writer = csv.writer(out)
    writer.writerow(cols)
    n = 0
    for r in read():
        writer.writerow([rows_.csv_cell(r.get(c)) for c in cols])
        n += 1
    return n


def _json_array(items, out, indent: int | None = None) -> int:
    """json.dump(list(items), out, indent=indent, default=str), one item at a time: the same text."""
    n = 0
    out.write("[")
    for item in items:
        text = json.dumps(item, indent=indent, default=str)
        if indent is None:
            out.write((", " if n else "") + text)
        else:  # each line of an item one level deeper, as json.dump writes a list's items
            pad = " " * indent
            out.write((",\n" if n else "\n") + pad + text.replace("\n", "\n" + pad))
        n += 1
    if n and indent is not None:
        out.write("\n")
    out.write("]")
    return n
