"""Runs and metric lines as CSV, JSON or JSON Lines (`sweeper export`)."""

from __future__ import annotations

import csv
import json

from . import rows as rows_


def write_runs(sweep, rows, fmt, out):
    """One record per run; CSV flat (see rows.flat_row), JSON nested."""
    if fmt == "csv":
        cols = rows_.flat_columns(sweep, rows)
        writer = csv.writer(out)
        writer.writerow(cols)
        for r in rows:
            flat = rows_.flat_row(r)
            writer.writerow([rows_.csv_cell(flat.get(c)) for c in cols])
    elif fmt == "json":
        json.dump(rows_.strict_json([rows_.export_record(r) for r in rows]), out, indent=2, default=str)
        out.write("\n")
    else:
        for r in rows:
            out.write(json.dumps(rows_.strict_json(rows_.export_record(r)), default=str) + "\n")


def write_history(lines, fmt, out):
    """Every metric line: run_id, seq, step, then each logged key. JSON Lines streams."""
    if fmt == "jsonl":
        for line in lines:  # streamed: a long history never sits in memory
            out.write(json.dumps(rows_.strict_json(line), default=str) + "\n")
        return
    rows = list(lines)
    if fmt == "json":
        json.dump(rows_.strict_json(rows), out, default=str)
        out.write("\n")
        return
    cols = ["run_id", "seq", "step"]
    seen = set(cols)
    extra = sorted({k for r in rows for k in r} - seen)
    writer = csv.writer(out)
    writer.writerow(cols + extra)
    for r in rows:
        writer.writerow([rows_.csv_cell(r.get(c)) for c in cols + extra])
