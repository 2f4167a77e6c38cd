"""Bayes claims suggest outside the sweep's lock (issue 17): reserve under the lock, suggest, write
the parameters back. Parallel agents' model fits overlap instead of queueing, each suggestion
has a number (its seed) of its own, and what was committed before a suggestion began is a
pending point for it."""

import itertools
import math
import threading
import time

import pytest

from sweeper import sweepfile
from sweeper.search import choose
from sweeper.store import open_store

BAYES = {"method": "bayes", "metric": {"name": "loss", "goal": "minimize"},
         "parameters": {"x": {"min": -1.0, "max": 1.0}, "y": {"min": -1.0, "max": 1.0}}}


def _finished_runs(store, sweep_id, n):
    """n runs finished with a value, claimed one after the other (the model's data)."""
    for _ in range(n):
        run = store.claim(sweep_id, "filler01", choose).run
        p = run["params"]
        value = (p["x"] - 0.3) ** 2 + (p["y"] + 0.2) ** 2
        store.add_metrics(run["id"], sweep_id, [(0, None, 0.0, f'{{"loss": {value}}}', value, 1)],
                          {"summary": {"loss": value}, "best_value": value, "n_lines": 1, "metric_iter": 1})
        store.finish_run(run["id"], "finished", exit_code=0)


class Recorder:
    """A choose that notes when it ran and what it was shown, and takes `hold` seconds (a fit)."""

    def __init__(self, hold=0.0):
        self.hold, self.calls, self.lock = hold, [], threading.Lock()

    def __call__(self, sweep, history, retry_failed):
        began = time.monotonic()
        time.sleep(self.hold)
        out = choose(sweep, history, retry_failed)
        with self.lock:
            self.calls.append({"began": began, "ended": time.monotonic(), "number": history.next_number,
                               "seen": [(r["number"], r["state"], r["params"]) for r in history.runs()]})
        return out


def _written_at(record, number):
    """When the suggestion that was written for run `number` ended (its last one)."""
    return max(c["ended"] for c in record.calls if c["number"] == number)


def test_parallel_bayes_suggestions_overlap_and_never_coincide(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(BAYES))
    _finished_runs(store, sw["id"], 12)  # past the random start: the model suggests
    record = Recorder(hold=0.6)
    claims = []

    def agent(k):
        claims.append(store.claim(sw["id"], f"agent{k:03d}", record).run)

    threads = [threading.Thread(target=agent, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claims) == 4
    # Under the sweep's lock these would run one after the other (2.4 s); outside it they overlap.
    first = sorted(record.calls, key=lambda c: c["began"])[:4]
    assert max(c["began"] for c in first) < min(c["ended"] for c in first)
    assert sorted(r["number"] for r in claims) == [13, 14, 15, 16]
    assert sorted(c["number"] for c in first) == [13, 14, 15, 16]  # each its own seed
    # Made at the same moment from the same runs, the suggestions would nearly coincide: each
    # one written after another was is made again with that one pending.
    points = [(r["params"]["x"], r["params"]["y"]) for r in claims]
    assert min(math.dist(a, b) for a, b in itertools.combinations(points, 2)) > 1e-3
    assert len(record.calls) > 4
    for run in claims:  # the last suggestion of each run saw every run written before it began
        last = max((c for c in record.calls if c["number"] == run["number"]), key=lambda c: c["began"])
        earlier = {r["number"] for r in claims if _written_at(record, r["number"]) < last["began"]}
        assert earlier <= {n for n, _, _ in last["seen"]}
    stored = {r["id"]: r for r in store.runs(sw["id"])}
    for run in claims:  # the parameters written back are the ones the agent got
        assert stored[run["id"]]["params"] == run["params"] and stored[run["id"]]["state"] == "running"
        assert stored[run["id"]]["claim_ms"] >= 600
    for call in record.calls:  # a reserved run whose parameters are not chosen yet is not shown
        assert all(params for _, _, params in call["seen"])


def test_a_committed_suggestion_is_a_pending_point_for_the_next(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(BAYES))
    _finished_runs(store, sw["id"], 10)
    record = Recorder()
    first = store.claim(sw["id"], "agent001", record).run
    second = store.claim(sw["id"], "agent002", record).run
    seen = record.calls[1]["seen"]
    assert (first["number"], "running", first["params"]) in seen
    assert second["params"] != first["params"]


def test_run_cap_counts_reserved_runs(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict({**BAYES, "run_cap": 3}))
    record = Recorder(hold=0.5)
    got = []
    threads = [threading.Thread(target=lambda: got.append(store.claim(sw["id"], "agent001", record)))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(c.run is not None for c in got) == 3
    assert {c.code for c in got if c.run is None} == {"run_cap"}
    assert len(store.runs(sw["id"])) == 3


def test_a_suggestion_that_fails_leaves_no_run_running(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(BAYES))

    def broken(sweep, history, retry_failed):
        raise ValueError("the model could not be fit")

    with pytest.raises(ValueError):
        store.claim(sw["id"], "agent001", broken)
    (run,) = store.runs(sw["id"])
    assert run["state"] == "crashed" and "could not be fit" in run["stop_reason"]
    assert store.claim(sw["id"], "agent001", choose).run["number"] == 2  # the sweep goes on


def test_a_large_bayes_sweep_reads_only_what_its_model_keeps(store_url, monkeypatch):
    """Past history.CAPPED_FROM live runs a claim reads the best, the worst, the most recent and
    the running runs, not all of them (issue 17), and the model suggests exactly what it would
    have suggested from every run."""
    import random

    from sweeper.search import bayes
    from sweeper.store import history

    assert history.KEPT_ROWS >= 2 * bayes.OBSERVATION_CAP  # what the model keeps is always read
    monkeypatch.setattr(history, "CAPPED_FROM", 200)  # the same rule on a smaller sweep
    monkeypatch.setattr(history, "KEPT_ROWS", 2 * bayes.OBSERVATION_CAP)
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(BAYES))
    draw = random.Random(3)

    def at_random(sweep, hist, retry_failed):
        return {"x": draw.uniform(-1, 1), "y": draw.uniform(-1, 1)}, None

    for i in range(420):
        run = store.claim(sw["id"], "filler01", at_random).run
        p = run["params"]
        value = (p["x"] - 0.3) ** 2 + (p["y"] + 0.2) ** 2
        if i % 37 == 5:
            store.finish_run(run["id"], "failed", exit_code=1)  # imputed with the worst value
            continue
        if i >= 417:
            continue  # still running: pending points
        store.add_metrics(run["id"], sw["id"], [(0, None, 0.0, f'{{"loss": {value}}}', value, 1)],
                          {"summary": {"loss": value}, "best_value": value, "n_lines": 1, "metric_iter": 1})
        store.finish_run(run["id"], "finished", exit_code=0)

    lite = store.is_sqlite
    every = store._tx(lambda c: history.method_runs(c, sw["id"], lite), write=False)
    kept = store._tx(lambda c: history.method_runs(c, sw["id"], lite, capped=True), write=False)
    assert len(every) == 420 and 2 * bayes.OBSERVATION_CAP <= len(kept) < len(every)
    assert [r["number"] for r in kept] == sorted(r["number"] for r in kept)
    assert {r["id"] for r in every if r["state"] == "running"} <= {r["id"] for r in kept}
    values = sorted(r["best_value"] for r in every if r["best_value"] is not None)
    kept_values = {r["best_value"] for r in kept}
    assert values[0] in kept_values and values[-1] in kept_values  # the best, and the worst for imputing
    sweep = store.get_sweep(sw["id"])
    from sweeper.store.history import Snapshot

    for number in (421, 422, 423):
        assert choose(sweep, Snapshot(kept, number), False) == choose(sweep, Snapshot(every, number), False)
