"""Toward cluster scale: many simulated agents against one PostgreSQL, without training.

Each simulated agent does what a real one does to the store, at the rates a real one does it,
through the store's own API (sweeper.store.Store): register; claim a run of a grid sweep;
heartbeat every HEARTBEAT s (its runs' leases); while the run lasts (RUN_S on average, +-50 %),
write LINES_PER_S metric lines a second in a transaction every FLUSH_S s (the tailer's flush);
record the run's end; claim the next. No programs are started: what is measured is the store.

The agents live in PROCS processes, each on a pool of CONNS connections (as PgBouncer would
pool them: 1,000 agents holding a connection each would need max_connections over 1,000), with
each agent on a host of its own name (8 agents a host, as 8 GPUs a node), so that reaping sees
what it sees on a cluster. PostgreSQL runs in a throwaway cluster of the benchmark's own
(pg_cluster.py: the machine's settings, max_connections raised to fit PROCS x CONNS), so its
CPU is measured alone.

Each level runs for SECONDS after its agents registered and made their first claim (the
start-up burst is reported apart), and reports what was done per second, the latency of each
kind of transaction (p50, p99), the server's CPU, the clients' CPU and the machine's.

    .venv/bin/python benchmarks/cluster_sim.py [--agents 1000] [--procs 4] [--conns 16]
        [--seconds 40] [--levels "60:1,10:10,2:50"]   # RUN_S:LINES_PER_S per level
"""

from __future__ import annotations

import argparse
import heapq
import json
import multiprocessing as mp
import os
import random
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import machine
from pg_cluster import OwnCluster, machine_busy

HEARTBEAT_S = 3.0
FLUSH_S = 0.5
GRID = (1000, 1000)  # a grid of a million points: more than any level claims

_local = threading.local()
_real_hostname = socket.gethostname


def _hostname() -> str:
    return getattr(_local, "host", None) or _real_hostname()


def _pct(values, q):
    values = sorted(values)
    return values[int(q * (len(values) - 1))] * 1000 if values else None


def simulate(url: str, sid: str, first: int, count: int, conns: int, run_s: float, lines_per_s: float,
             seconds: float, start_at: float, out: mp.Queue) -> None:
    """One process: agents first .. first + count - 1 until start_at + seconds (wall clock)."""
    socket.gethostname = _hostname  # each simulated agent on its own host (thread-local)
    from sqlalchemy import create_engine

    from sweeper.search import choose
    from sweeper.store import LeaseLost, open_store

    store = open_store(url)
    store._write.dispose()
    # The pool the agents share, as behind PgBouncer: conns connections for count agents.
    store._write = store._read = create_engine(store.url, pool_size=conns, max_overflow=0, pool_timeout=300)
    rnd = random.Random(first)
    lock = threading.Lock()
    events: list = []  # (when, seq, agent, action)
    seq = iter(range(10**12))
    stats: dict = {k: [] for k in ("claim", "heartbeat", "flush", "finish", "register")}
    counts = {"lines": 0, "errors": 0}
    measure_from = [None]
    agents = [{"n": first + k, "host": f"node{(first + k) // 8}", "id": None, "run": None, "lines": 0,
               "ends": 0.0} for k in range(count)]

    def push(when, agent, action):
        with lock:
            heapq.heappush(events, (when, next(seq), agent["n"], action))

    def timed(kind, fn):
        t0 = time.perf_counter()
        result = fn()
        took = time.perf_counter() - t0
        if measure_from[0] is not None and time.time() >= measure_from[0]:
            with lock:
                stats[kind].append(took)
        return result

    def act(agent, action):
        _local.host = agent["host"]
        now = time.time()
        try:
            if action == "register":
                agent["id"] = timed("register", lambda: store.register_agent(sid))
                push(now + rnd.uniform(0, HEARTBEAT_S), agent, "heartbeat")
                push(now, agent, "claim")
            elif action == "claim":
                claim = timed("claim", lambda: store.claim(sid, agent["id"], choose))
                agent["run"] = claim.run
                agent["lines"] = 0
                agent["ends"] = now + rnd.uniform(0.5, 1.5) * run_s
                push(now + FLUSH_S, agent, "flush")
            elif action == "heartbeat":
                run_ids = [agent["run"]["id"]] if agent["run"] else []
                timed("heartbeat", lambda: store.heartbeat(agent["id"], run_ids))
                push(now + HEARTBEAT_S, agent, "heartbeat")
            elif action == "flush":
                run = agent["run"]
                new = int(lines_per_s * FLUSH_S + rnd.random())  # on average lines_per_s a second
                rows = [(agent["lines"] + i, agent["lines"] + i, now, json.dumps({"loss": rnd.random(), "_step": i}),
                         None, None) for i in range(new)]
                if rows:
                    agent["lines"] += new
                    timed("flush", lambda: store.add_metrics(run["id"], sid, rows, {"n_lines": agent["lines"]}))
                    if measure_from[0] is not None and now >= measure_from[0]:
                        with lock:
                            counts["lines"] += new
                if now + FLUSH_S >= agent["ends"]:
                    push(agent["ends"], agent, "finish")
                else:
                    push(now + FLUSH_S, agent, "flush")
            elif action == "finish":
                timed("finish", lambda: store.finish_run(agent["run"]["id"], "finished", exit_code=0))
                agent["run"] = None
                push(time.time(), agent, "claim")
        except LeaseLost:
            agent["run"] = None
            push(time.time(), agent, "claim")
        except Exception as exc:  # noqa: BLE001 - counted and reported, the agent goes on
            with lock:
                counts["errors"] += 1
                counts.setdefault("error", repr(exc)[:300])
            push(time.time() + 1.0, agent, "claim" if action in ("claim", "finish") else action)

    for agent in agents:
        push(time.time() + rnd.uniform(0, 2.0), agent, "register")
    busy_clients = threading.BoundedSemaphore(conns * 2)
    cpu0 = None
    with ThreadPoolExecutor(max_workers=conns) as pool:
        by_n = {a["n"]: a for a in agents}
        while time.time() < start_at + seconds:
            if measure_from[0] is None and time.time() >= start_at:
                measure_from[0] = start_at
                cpu0 = time.process_time()
            with lock:
                due = events and events[0][0] <= time.time()
                item = heapq.heappop(events) if due else None
            if item is None:
                time.sleep(0.002)
                continue
            busy_clients.acquire()

            def run(agent=by_n[item[2]], action=item[3]):
                try:
                    act(agent, action)
                finally:
                    busy_clients.release()
            pool.submit(run)
        late = [time.time() - e[0] for e in events if e[0] < time.time()]
        client_cpu = time.process_time() - (cpu0 or 0)
        pool.shutdown(wait=True, cancel_futures=True)
    out.put({"stats": stats, "counts": counts, "client_cpu": client_cpu, "backlog": len(late),
             "backlog_s": max(late, default=0.0)})


def level(url: str, pg: OwnCluster | None, agents: int, procs: int, conns: int, run_s: float,
          lines_per_s: float, seconds: float, warmup: float) -> dict:
    from sweeper.store import open_store
    from sweeper.sweepfile import load_dict

    store = open_store(url)
    sid = store.create_sweep(load_dict({"method": "grid", "metric": {"name": "loss"},
                                        "parameters": {"i": {"min": 1, "max": GRID[0]},
                                                       "j": {"min": 1, "max": GRID[1]}}}))["id"]
    store.dispose()
    start_at = time.time() + warmup
    queue: mp.Queue = mp.get_context("spawn").Queue()
    per = agents // procs
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=simulate, args=(url, sid, k * per, per, conns, run_s, lines_per_s, seconds,
                                                  start_at, queue)) for k in range(procs)]
    for w in workers:
        w.start()
    while time.time() < start_at:
        time.sleep(0.05)
    busy0, server0, load = machine_busy(), pg.cpu_seconds() if pg else None, [os.getloadavg()[0]]
    connections = None
    while time.time() < start_at + seconds:
        time.sleep(1.0)
        load.append(os.getloadavg()[0])
        if pg and connections is None and time.time() > start_at + seconds / 2:
            connections = pg.connections()
    busy1, server1 = machine_busy(), pg.cpu_seconds() if pg else None
    results = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(60)
    stats = {k: [x for r in results for x in r["stats"][k]] for k in results[0]["stats"]}
    return {
        "agents": agents, "run_s": run_s, "lines_per_s": lines_per_s, "seconds": seconds,
        "offered": {"claims/s": agents / run_s, "heartbeats/s": agents / HEARTBEAT_S,
                    "lines/s": agents * lines_per_s, "flushes/s": agents * min(1 / FLUSH_S, lines_per_s)},
        "done": {k: len(v) / seconds for k, v in stats.items()} | {"lines/s": sum(r["counts"]["lines"] for r in results)
                                                                    / seconds},
        "p50_ms": {k: _pct(v, 0.5) for k, v in stats.items()}, "p99_ms": {k: _pct(v, 0.99) for k, v in stats.items()},
        "errors": sum(r["counts"]["errors"] for r in results),
        "error": next((r["counts"].get("error") for r in results if r["counts"].get("error")), None),
        "server_cores": (server1 - server0) / seconds if pg else None,
        "client_cores": sum(r["client_cpu"] for r in results) / seconds,
        "machine_busy": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
        "load": (min(load), max(load)), "connections": connections,
        "backlog": sum(r["backlog"] for r in results), "backlog_s": max(r["backlog_s"] for r in results),
    }


def table(rows: list[dict]) -> str:
    def f(v, unit=""):
        return "-" if v is None else f"{v:,.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}"
    out = ["| agents | run length, lines/s per run | claims/s (offered) | heartbeats/s (offered) | metric rows/s "
           "(offered) | flushes/s (offered) | claim p50 / p99 | heartbeat p50 / p99 | flush p50 / p99 | finish p50 / p99 | "
           "errors | server CPU | clients' CPU | machine busy | late events |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d, o, p50, p99 = r["done"], r["offered"], r["p50_ms"], r["p99_ms"]
        out.append(
            f"| {r['agents']:,} | {r['run_s']:g} s, {r['lines_per_s']:g} | {f(d['claim'])} ({f(o['claims/s'])}) | "
            f"{f(d['heartbeat'])} ({f(o['heartbeats/s'])}) | {f(d['lines/s'])} ({f(o['lines/s'])}) | {f(d['flush'])} ({f(o['flushes/s'])}) | "
            + " | ".join(f"{f(p50[k], ' ms')} / {f(p99[k], ' ms')}" for k in ("claim", "heartbeat", "flush", "finish"))
            + f" | {r['errors']} | {f(r['server_cores'] * 100, ' %')} of a core | {f(r['client_cores'] * 100, ' %')} | "
              f"{r['machine_busy'] * 100:.0f} % (load {r['load'][0]:.1f}-{r['load'][1]:.1f}) | "
              f"{r['backlog']} ({r['backlog_s']:.1f} s behind) |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--warmup", type=float, default=20)
    ap.add_argument("--levels", default="60:1,10:10,2:50")
    ap.add_argument("--url", help="a PostgreSQL database to use instead of a cluster of the benchmark's own")
    a = ap.parse_args()
    levels = [tuple(map(float, x.split(":"))) for x in a.levels.split(",")]
    rows = []

    def run_all(url_for, pg):
        for k, (run_s, lps) in enumerate(levels):
            r = level(url_for(k), pg, a.agents, a.procs, a.conns, run_s, lps, a.seconds, a.warmup)
            print(json.dumps(r), file=sys.stderr, flush=True)
            rows.append(r)

    if a.url:
        run_all(lambda k: a.url, None)
    else:
        with OwnCluster(max_connections=a.procs * a.conns + 20) as pg:
            run_all(lambda k: pg.database(f"sweeper_sim_{k}"), pg)
    print(f"machine: {machine()}; {a.agents} simulated agents in {a.procs} processes on {a.conns} connections "
          f"each; {a.seconds:g} s measured per level after a {a.warmup:g} s start")
    print(table(rows))


if __name__ == "__main__":
    main()
