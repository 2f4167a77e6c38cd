"""Reads streamed from the store (exports of any size): the same rows as the plain reads, read a
batch at a time, and a stream left half-read leaves nothing open that blocks the agents."""

from sweeper import sweepfile
from sweeper.search import choose
from sweeper.store import open_store

RANDOM = {"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}


def test_streamed_reads_are_the_plain_reads(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(RANDOM))
    runs = [store.claim(sw["id"], "agent001", choose).run for _ in range(3)]
    for k, run in enumerate(runs):
        lines = [(i, i, 1.0 + i, f'{{"loss": {i * k}}}', float(i * k), i + 1) for i in range(2500 * k)]
        store.add_metrics(run["id"], sw["id"], lines, {"n_lines": len(lines)})
        store.finish_run(run["id"], "finished")
    assert list(store.iter_runs(sw["id"])) == store.runs(sw["id"])
    for run in runs:  # 0, 2,500 and 5,000 lines: several batches of the server-side cursor
        assert list(store.iter_metric_rows(run["id"])) == store.metric_rows(run["id"])


def test_a_stream_left_half_read_blocks_nothing(store_url):
    store = open_store(store_url)
    sw = store.create_sweep(sweepfile.load_dict(RANDOM))
    run = store.claim(sw["id"], "agent001", choose).run
    store.add_metrics(run["id"], sw["id"], [(i, i, 0.0, "{}", None, None) for i in range(3000)], {"n_lines": 3000})
    stream = store.iter_metric_rows(run["id"])
    assert next(stream)["seq"] == 0
    stream.close()  # a reader that stopped (a closed pipe)
    # the run's writes and a claim go on
    store.add_metrics(run["id"], sw["id"], [(3000, None, 0.0, "{}", None, None)], {"n_lines": 3001})
    store.finish_run(run["id"], "finished")
    assert store.claim(sw["id"], "agent001", choose).run["number"] == 2
    assert len(store.metric_rows(run["id"])) == 3001
