"""Fuzzing the metric-line parser (agents/tail.Tailer): whatever bytes a program writes to
its metrics file, the tailer never raises, counts every non-blank line as stored or
malformed, stores exactly the well-formed object lines (as the text given, in order, seq
0, 1, 2...), and hands the store values it can write."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sweeper.agents import tail
from sweeper.agents.tail import MAX_DEPTH, Tailer
from sweeper.store.encoding import encode


class FakeStore:
    """Captures add_metrics calls and writes the run's values as the store would (JSON)."""

    def __init__(self):
        self.rows: list[tuple] = []
        self.values: dict = {}

    def add_metrics(self, run_id, sweep_id, rows, run_values, bands=()):
        self.rows.extend(rows)
        encode(run_values)  # the summary becomes JSON text: this must never fail on a line
        for row in rows:
            assert isinstance(row[3], str)
            row[3].encode("utf-8")  # the data column is text: valid UTF-8, no lone surrogates
        self.values = run_values

    def band_values(self, *a, **k):
        return []


# Both parsers take every line alike: the json module, and orjson first where it is installed
# (the `fast` extra; the dev extra has it) with json deciding what orjson refuses.
PARSERS = [tail._parse_json] + ([tail._parse_fast] if tail._fast_loads is not None else [])


def test_orjson_is_there_to_be_tested():
    assert len(PARSERS) == 2, "the dev extra installs orjson, whose path these tests must cover"


class parsing:
    """The tailer's parser set to one of PARSERS for a block (hypothesis tests take no fixtures)."""

    def __init__(self, parse):
        self.parse = parse

    def __enter__(self):
        self.before, tail._parse = tail._parse, self.parse

    def __exit__(self, *exc):
        tail._parse = self.before


def tailer(store, path="/nonexistent", log_path=None) -> Tailer:
    return Tailer(path, store, {"id": "r1", "sweep_id": None}, {"metric": {"name": "loss", "goal": "minimize"}},
                  log_path=log_path)


def _too_deep(value, depth=1) -> bool:
    if depth > MAX_DEPTH:
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_too_deep(v, depth + 1) for v in items if isinstance(v, (dict, list)))


def expected(lines: list[bytes]):
    """The oracle: (texts stored, malformed count) for these lines."""
    stored, malformed = [], 0
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        try:
            obj = json.loads(text.decode("utf-8"))
            ok = isinstance(obj, dict) and not _too_deep(obj)
        except Exception:  # noqa: BLE001 - the oracle's own parse may choke too (RecursionError)
            ok = False
        if ok:
            stored.append(text.decode("utf-8"))
        else:
            malformed += 1
    return stored, malformed


# ---- what a line may be ----------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                         st.text(max_size=10))
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=5), kids, max_size=4), max_leaves=20)


def _nested(depth: int, opener: str) -> str:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '"x": ' if opener == "{" else ""
    return "".join(opener + (inner if i < depth - 1 else "") for i in range(depth)) + closer * depth


lines = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")),  # arbitrary bytes, invalid UTF-8
    json_values.map(lambda v: json.dumps(v).encode()),  # JSON, not always an object
    st.dictionaries(st.sampled_from(["loss", "_step", "acc", "x"]), json_values, max_size=4).map(
        lambda d: json.dumps(d).encode()),  # objects, with the metric often in them
    st.tuples(st.integers(1, 1500), st.sampled_from("[{")).map(  # deep nesting, both sides of MAX_DEPTH
        lambda t: ('{"loss": 1, "n": ' + _nested(*t) + "}").encode()),
    st.sampled_from([b'{"loss": NaN}', b'{"loss": Infinity}', b'{"loss": -Infinity}', b"NaN",
                     b'{"loss": 1' + b"0" * 400 + b"}", b'{"loss": 1' + b"0" * 5000 + b"}",  # past int digits
                     b'{"loss": 1e999}', b'{"loss": -1e-999}', b'{"a": "\\ud800"}', b'{"a": "\\u0000"}',
                     b'{"loss": true}', b"{}", b"  ", b"\r", b'{"loss": 1}\r', b"\xff\xfe{", b'{"a":1} x',
                     b'{"a": 1, "a": 2}', b'{"loss": 2}\x00']),
)


def _finite(v) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an int no float can hold
        return False


def check(store: FakeStore, t: Tailer, sent: list[bytes]):
    texts, malformed = expected(sent)
    assert [r[3] for r in store.rows] == texts
    assert [r[0] for r in store.rows] == list(range(len(texts)))
    assert t.malformed == malformed and t.seq == len(texts)
    assert store.values["n_lines"] == len(texts) and store.values["malformed"] == malformed
    for row in store.rows:  # mval: the metric when it is a finite number, and then only
        assert (row[4] is not None) == _finite(json.loads(row[3]).get("loss"))
    vals = [r[4] for r in store.rows if r[4] is not None]
    assert t.best_value == (min(vals) if vals else None)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=12))
def test_ingest_never_raises_and_stores_the_well_formed_lines(sent):
    for parse in PARSERS:
        with parsing(parse):
            store = FakeStore()
            t = tailer(store)
            t._ingest(sent)
            t.flush()
            check(store, t, sent)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=10), st.lists(st.integers(0, 200), max_size=6), st.booleans())
def test_following_a_file_written_in_pieces(sent, cuts, final_newline):
    """Through the file: lines split anywhere across polls, a last line without its newline."""
    data = b"\n".join(sent) + (b"\n" if final_newline and sent else b"")
    pieces, at = [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        pieces.append(data[at:cut])
        at = cut
    pieces.append(data[at:])
    for parse in PARSERS:
        with parsing(parse):
            _follow(pieces, data)


def _follow(pieces, data):
    with tempfile.TemporaryDirectory() as tmp:
        path, log = os.path.join(tmp, "metrics.jsonl"), os.path.join(tmp, "output.log")
        store = FakeStore()
        t = tailer(store, path, log)
        t.poll()  # no file yet
        with open(path, "wb") as f:
            for piece in pieces:
                f.write(piece)
                f.flush()
                t.poll()
        t.finish()
        check(store, t, data.split(b"\n"))
        assert t.restarts == 0  # an appended file is never taken for a rewritten one
        if t.malformed:
            assert Path(log).read_text(encoding="utf-8").count("skipped a metrics line") == 1


def test_the_parser_survives_what_kills_json(monkeypatch):
    """Whatever json.loads raises for a line (here: a fault injected per line) is the line's."""
    store = FakeStore()
    t = tailer(store)
    real = json.loads
    faults = iter([RecursionError, MemoryError, OverflowError, UnicodeDecodeError("utf-8", b"", 0, 1, "x"),
                   ValueError, None])

    def loads(text):
        fault = next(faults)
        if fault is not None:
            raise fault
        return real(text)
    monkeypatch.setattr(tail.json, "loads", loads)
    monkeypatch.setattr(tail, "_parse", tail._parse_json)
    t._ingest([b'{"loss": 1}'] * 6)
    t.flush()
    assert t.malformed == 5 and len(store.rows) == 1 and t.best_value == 1.0


def test_what_orjson_refuses_json_decides(monkeypatch):
    """orjson's refusal of a line (NaN, here also a fault injected per line) sends it to json."""
    store = FakeStore()
    t = tailer(store)
    faults = iter([RecursionError, MemoryError, ValueError, None])
    real = tail._fast_loads or json.loads

    def loads(raw):
        fault = next(faults)
        if fault is not None:
            raise fault
        return real(raw)
    monkeypatch.setattr(tail, "_fast_loads", loads)
    monkeypatch.setattr(tail, "_parse", tail._parse_fast)
    t._ingest([b'{"loss": NaN, "_step": 1}', b'{"loss": 2}', b'{"loss": 3}', b'{"loss": 1}'])
    t.flush()
    assert t.malformed == 0 and [r[3] for r in store.rows][1:] == ['{"loss": 2}', '{"loss": 3}', '{"loss": 1}']
    assert store.rows[0][1] == 1 and store.rows[0][4] is None and t.best_value == 1.0 and t.summary["loss"] == 1
