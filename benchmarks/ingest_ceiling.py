"""Where metric ingestion's time goes, and the ceiling SQLite puts on it (issue 17's 300,000 lines/s
for one run, 1,000,000 across 8 agents).

In one process, on a fresh SQLite store and a metrics file written beforehand (N lines of
many_lines.py's shape), with no program competing for the CPU:

1. the tailer (agents/tail.Tailer) following the file to its end: seconds spent parsing lines
   (Tailer._ingest) and storing them (store.add_metrics), with orjson and with json;
2. the floor under storing: the same rows, built beforehand, inserted with executemany in
   transactions of 20,000 by sqlite3 alone (what add_metrics cannot beat);
3. K processes inserting their rows at once into one store (SQLite has one writer at a time),
   each as in 2: lines/s of all of them together.

    .venv/bin/python benchmarks/ingest_ceiling.py [N] [--writers 8]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from common import machine

BATCH = 20_000
INSERT = "INSERT INTO metrics (run_id, seq, sweep_id, step, ts, data, mval, miter) VALUES (?,?,?,?,?,?,?,?)"


def _line(i: int, n: int) -> str:
    return '{"step": %d, "loss": %r, "acc": %r}' % (i, 1.0 / (i + 1), i / n)


def _store(folder: Path):
    from sweeper import sweepfile
    from sweeper.search import choose
    from sweeper.store import open_store

    store = open_store(str(folder / "sweeper.db"))
    sweep = store.create_sweep(sweepfile.load_dict({"method": "grid", "metric": {"name": "loss"},
                                                    "parameters": {"k": {"min": 1, "max": 100}}}))
    return store, sweep


def tailer(n: int, parser: str) -> dict:
    import sweeper.agents.tail as tail
    from sweeper.search import choose

    folder = Path(tempfile.mkdtemp(prefix="sweeper-bench-ceiling-"))
    store, sweep = _store(folder)
    run = store.claim(sweep["id"], "bench001", choose).run
    path = folder / "metrics.jsonl"
    with open(path, "w") as f:
        f.writelines(_line(i, n) + "\n" for i in range(n))
    if parser == "json":
        tail._parse = tail._parse_json
    t = tail.Tailer(str(path), store, run, sweep["config"])
    spent = {"parse": 0.0, "store": 0.0}
    ingest, add = t._ingest, store.add_metrics

    def timed_ingest(lines):
        t0 = time.process_time()
        ingest(lines)
        spent["parse"] += time.process_time() - t0

    def timed_add(*a, **k):
        t0 = time.process_time()
        add(*a, **k)
        spent["store"] += time.process_time() - t0

    t._ingest, store.add_metrics = timed_ingest, timed_add
    t0, c0 = time.perf_counter(), time.process_time()
    while t.poll(final=True):
        pass
    t.finish()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stored = store._tx(lambda c: c.exec_driver_sql("SELECT count(*) FROM metrics").scalar(), write=False)
    store.dispose()
    tail._parse = tail._parse_json if tail._fast_loads is None else tail._parse_fast
    shutil.rmtree(folder, ignore_errors=True)
    return {"parser": parser, "wall": wall, "cpu": cpu, "stored": stored, **spent}


def _insert(db: str, run_id: str, sweep_id: str, n: int, start, out) -> None:
    now = time.time()
    rows = [(run_id, i, sweep_id, i, now, _line(i, n), 1.0 / (i + 1), i + 1) for i in range(n)]
    conn = sqlite3.connect(db, timeout=60, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    start.wait()
    t0 = time.perf_counter()
    for k in range(0, n, BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, rows[k:k + BATCH])
        conn.execute("COMMIT")
    out.put(time.perf_counter() - t0)
    conn.close()


def floor(n: int, writers: int) -> dict:
    """lines/s of `writers` processes inserting n lines each into one store at once."""
    folder = Path(tempfile.mkdtemp(prefix="sweeper-bench-ceiling-"))
    store, sweep = _store(folder)
    store.dispose()
    db = str(folder / "sweeper.db")
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_insert, args=(db, f"run{k:05d}", sweep["id"], n, start, out)) for k in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0 + 0.3 * writers)  # every writer has built its rows
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    shutil.rmtree(folder, ignore_errors=True)
    return {"writers": writers, "lines": n * writers, "wall": wall, "lines_per_s": n * writers / wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lines", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--writers", type=int, default=8)
    a = ap.parse_args()
    load = os.getloadavg()[0]
    rows = [tailer(a.lines, parser) for parser in ("orjson", "json")]
    one = floor(a.lines, 1)
    many = floor(a.lines // a.writers, a.writers)
    print(f"machine: {machine()}; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print("| what | lines | wall | CPU | parsing (CPU) | storing (CPU) | lines/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| tailer, {r['parser']} | {r['stored']:,} | {r['wall']:.2f} s | {r['cpu']:.2f} s | {r['parse']:.2f} s | "
              f"{r['store']:.2f} s | **{r['stored'] / r['wall']:,.0f}** |")
    for r in (one, many):
        print(f"| sqlite3 executemany alone, {r['writers']} writer{'s' if r['writers'] > 1 else ''} at once | "
              f"{r['lines']:,} | {r['wall']:.2f} s | - | - | - | **{r['lines_per_s']:,.0f}** |")


if __name__ == "__main__":
    main()
