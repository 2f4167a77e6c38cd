"""Following a run's metrics file while the program writes it, and storing every line.

The program appends one JSON object per line. A partial last line waits for its newline;
a malformed line (not JSON, not an object, nested deeper than MAX_DEPTH, anything the
parser chokes on) is skipped, counted and reported once in the run's log: no line's
content can stop the tailer or fail the store write. NaN and infinities are kept as such.
Lines reach the store in batches, in a thread of their own, so a program that logs very
fast is never slowed by the agent, and memory stays flat.

A program may truncate its file (reopen it with "w") or replace it (rename another over
it). The file counts as the same while the bytes already read are still in place (its
first and last FINGERPRINT bytes read are compared at each poll); otherwise it is read
again from the start, said once in the run's log. The lines read before stay stored as
they are, and the new file's lines are new lines: `seq` keeps counting from where it was
(never restarts, so (run_id, seq) stays unique and seq is the order lines arrived in), and
so do the metric's count (miter, hyperband's band index), the best value and the summary.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from array import array

from ..results.rows import flatten
from ..search import hyperband

BATCH_LINES = 20_000
FLUSH_SECONDS = 0.5
POLL_SECONDS = 0.02
# A running run is judged again this often while its file is quiet: other runs' values may have
# moved its band's threshold (W&B's controller judges every running run on each poll).
REJUDGE_SECONDS = 1.0
READ_BYTES = 4 << 20
FINGERPRINT = 256
# Far beyond any metric line, well below what the json module's recursion can take (the
# summary is written back as JSON, from deeper in the stack than it was parsed).
MAX_DEPTH = 100


class Tailer:
    def __init__(self, path: str, store, run: dict, config: dict, log_path: str | None = None,
                 on_stop=None, on_target=None, on_poll=None):
        self.path = path
        self.on_poll = on_poll  # called after each look at the file (the W&B hook looks for its run)
        self.store = store
        self.run_id = run["id"]
        self.sweep_id = run.get("sweep_id")
        metric = config.get("metric") or {}
        self.metric = metric.get("name")
        # `val.loss` names {"val": {"loss": ...}} too, as W&B and every results table name nested keys
        self.dotted = bool(self.metric) and "." in self.metric
        self.maximize = metric.get("goal") == "maximize"
        self.target = metric.get("target")
        self.et = config.get("early_terminate")
        self.bands = hyperband.bands(self.et) if self.et else []
        self.log_path = log_path
        self.on_stop = on_stop
        self.on_target = on_target

        self.offset = 0
        self.partial = b""
        self._head = b""  # the file's first FINGERPRINT bytes we read, and the last ones
        self._tail = b""
        self.restarts = 0  # times the file was found truncated or replaced
        self.seq = 0
        self.miter = 0
        self.values = array("d")  # the run's finite metric values, for hyperband
        self.summary: dict = {}
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.malformed = 0
        self.rows: list[tuple] = []
        self._at_band = frozenset(self.bands)
        self.band_rows: list[tuple] = []  # (band, value): the run's value at each band it reached
        self.decision: hyperband.Decision | None = None
        self.target_hit = False
        self._last_flush = time.monotonic()
        self._flushed: tuple | None = None  # (lines, malformed lines) as last stored
        self._band_cache: dict[int, tuple[float, list]] = {}
        self._judged_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # ---- driving ------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._loop, name=f"tail-{self.run_id}", daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        try:
            while not self._stop.is_set():
                got = self.poll()
                if self.on_poll is not None:
                    self.on_poll()
                if not got:
                    if time.monotonic() - self._judged_at >= REJUDGE_SECONDS:
                        self._judge()
                    self._stop.wait(POLL_SECONDS)
        except BaseException as exc:  # noqa: BLE001 - reported by finish()
            self.error = exc

    def finish(self, summary: dict | None = None):
        """Read what is left after the program ended, and store it all.

        summary: values that beat the lines' last ones in the run's summary (W&B's run summary,
        where a script may set a key it never logs, or set a logged one to its best).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error
        while self.poll(final=True):
            pass
        if self.partial.strip():  # a last line without its newline still counts
            self._ingest([self.partial])
            self.partial = b""
        if summary:
            self.summary.update(summary)
        if summary or self.rows or self.band_rows or self._flushed != (self.seq, self.malformed):
            self.flush()  # else what is stored is already all of it: one transaction fewer per run

    # ---- reading ------------------------------------------------------------------

    def poll(self, final: bool = False) -> int:
        try:
            with open(self.path, "rb") as f:
                chunk = self._read(f)
        except FileNotFoundError:
            return 0
        if chunk:
            self.offset += len(chunk)
            if len(self._head) < FINGERPRINT:
                self._head += chunk[:FINGERPRINT - len(self._head)]
            self._tail = (self._tail + chunk[-FINGERPRINT:])[-FINGERPRINT:]
            data = self.partial + chunk
            lines = data.split(b"\n")
            self.partial = lines.pop()
            self._ingest(lines)
            self._after_chunk()
        if self.rows and (len(self.rows) >= BATCH_LINES or final
                          or time.monotonic() - self._last_flush >= FLUSH_SECONDS):
            self.flush()
        return len(chunk)

    def _read(self, f) -> bytes:
        """The bytes after those read so far; from the start if the file is not the same."""
        if self.offset and not self._same_file(f):
            self._restart()
        keep = len(self._tail)
        f.seek(self.offset - keep)
        chunk = f.read(keep + READ_BYTES)
        if chunk[:keep] == self._tail:
            return chunk[keep:]
        self._restart()  # rewritten between the check and this read
        f.seek(0)
        return f.read(READ_BYTES)

    def _same_file(self, f) -> bool:
        """Whether the bytes read so far are still where they were (size, then first bytes;
        the last ones are checked in the read that follows)."""
        if os.fstat(f.fileno()).st_size < self.offset:
            return False
        if len(self._head) < self.offset:  # the tail check does not cover the beginning
            f.seek(0)
            return f.read(len(self._head)) == self._head
        return True

    def _restart(self):
        """The file was truncated or replaced: read it from the start."""
        if _is_object(self.partial):
            self._ingest([self.partial])  # a complete last line that lacked only its newline
        # otherwise it was the beginning of a line the truncation cut: it never was a line
        self.offset, self.partial, self._head, self._tail = 0, b"", b"", b""
        self.restarts += 1
        if self.restarts == 1:
            self._note("[sweeper] the metrics file was truncated or replaced; reading it from the start\n")

    def _ingest(self, lines):
        now = time.time()
        metric, maximize, bands, dotted = self.metric, self.maximize, bool(self.bands), self.dotted
        add_row, add_value, update = self.rows.append, self.values.append, self.summary.update
        at_band, add_band = self._at_band, self.band_rows.append
        seq, miter, best, best_step = self.seq, self.miter, self.best_value, self.best_step
        isfinite = math.isfinite
        try:
            for raw in lines:  # the tailer's hot path: no call per line that a plain line does not need
                raw = raw.strip()
                if not raw:
                    continue
                obj, text = _parse(raw)
                if obj is None or (len(raw) > MAX_DEPTH and raw.count(b"{") + raw.count(b"[") > MAX_DEPTH
                                   and _too_deep(obj)):
                    self._malformed(raw)
                    continue
                step = obj.get("_step")
                if step.__class__ is not int:
                    step = step if isinstance(step, int) and not isinstance(step, bool) else None
                mval = mi = None
                if metric is not None:
                    v = obj.get(metric)
                    if v is None and dotted:
                        v = flatten(obj).get(metric)
                    mval = (v if isfinite(v) else None) if v.__class__ is float else _metric_value(v)
                    if mval is not None:
                        miter += 1
                        mi = miter
                        if bands:
                            add_value(mval)
                            if mi in at_band:
                                add_band((mi, mval))
                        if best is None or (mval > best if maximize else mval < best):
                            best = mval
                            best_step = step if step is not None else seq
                update(obj)
                add_row((seq, step, now, text, mval, mi))
                seq += 1
        finally:
            self.seq, self.miter, self.best_value, self.best_step = seq, miter, best, best_step

    def _malformed(self, raw: bytes):
        self.malformed += 1
        if self.malformed == 1:
            shown = raw[:200].decode("utf-8", "replace")
            self._note(f"[sweeper] skipped a metrics line that is not a JSON object (nested at most "
                       f"{MAX_DEPTH} deep): {shown!r} "
                       "(further malformed lines are only counted)\n")

    def _note(self, text: str):
        """A line in the run's log; a log that cannot be written (a full disk) goes without it."""
        if not self.log_path:
            return
        try:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(text)
        except OSError:
            pass

    # ---- deciding -----------------------------------------------------------------

    def _after_chunk(self):
        if (self.target is not None and not self.target_hit and self.best_value is not None
                and (self.best_value >= self.target if self.maximize else self.best_value <= self.target)):
            self.target_hit = True
            if self.on_target:
                self.on_target(self.best_value)
        self._judge()

    def _judge(self):
        """Hyperband's decision on the run as it stands; stops it when it falls behind."""
        self._judged_at = time.monotonic()
        if self.bands and self.decision is None and self.values and self.sweep_id:
            decision = hyperband.judge(self.values, self.bands, self._others_at, self.et, self.maximize)
            if decision is not None and decision.stop:
                self.decision = decision
                self.flush()  # its lines are in the store before it is stopped
                if self.on_stop:
                    self.on_stop(decision)

    def _others_at(self, band: int) -> list:
        cached = self._band_cache.get(band)
        now = time.monotonic()
        if cached is None or now - cached[0] > 1.0:
            values = self.store.band_values(self.sweep_id, band, exclude_run=self.run_id)
            cached = (now, values)
            self._band_cache[band] = cached
        return cached[1]

    # ---- storing ------------------------------------------------------------------

    def missing_metric(self) -> str | None:
        """Why the run has no value of the sweep's metric, said so that a misspelt `metric.name` or
        a program that logs elsewhere shows at the first run; None when it has one (or no metric)."""
        if not self.metric or self.miter:
            return None
        name = repr(self.metric)
        if self.seq == 0:
            return f"it logged no {name} (no metrics lines came from it)"
        logged = flatten(self.summary)
        last = logged.get(self.metric)
        if _metric_value(last) is not None:
            return None  # its summary has one (a W&B script may set it without logging it)
        if last is not None:
            return f"it logged no usable {name} (the last was {last!r}, not a finite number)"
        keys = sorted(logged)
        shown = ", ".join(keys[:12]) + (f" and {len(keys) - 12} more" if len(keys) > 12 else "")
        return f"it logged no {name}; its metrics lines had: {shown or 'no keys'}"

    def run_values(self) -> dict:
        return {"summary": self.summary, "best_value": self.best_value, "best_step": self.best_step,
                "n_lines": self.seq, "metric_iter": self.miter, "malformed": self.malformed}

    def flush(self):
        rows, self.rows = self.rows, []
        band_rows, self.band_rows = self.band_rows, []
        self.store.add_metrics(self.run_id, self.sweep_id, rows, self.run_values(), bands=band_rows)
        self._flushed = (self.seq, self.malformed)
        self._last_flush = time.monotonic()


def metrics_path(run_dir: str) -> str:
    return os.path.join(run_dir, "metrics.jsonl")


def _parse_json(raw: bytes):
    """(the object, the line as text), or (None, None) for a line that is not a JSON object."""
    try:
        text = raw.decode("utf-8")
        obj = json.loads(text)
    except Exception:  # noqa: BLE001 - ValueError, RecursionError, MemoryError...: the line's fault
        return None, None
    return (obj, text) if obj.__class__ is dict else (None, None)


try:  # the optional fast parser (pip install 'sweeper[fast]'): about 5x json's speed per line
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None


def _parse_fast(raw: bytes):
    """As _parse_json, through orjson first. orjson is strict JSON: a line it refuses (NaN and
    Infinity, integers beyond 64 bits, lone surrogates...) is read again by the json module,
    so every line is taken exactly as json takes it."""
    try:
        obj = _fast_loads(raw)
    except Exception:  # noqa: BLE001 - whatever orjson refuses, json decides
        return _parse_json(raw)
    return (obj, raw.decode("utf-8")) if obj.__class__ is dict else (None, None)


_parse = _parse_json if _fast_loads is None else _parse_fast


def _is_object(raw: bytes) -> bool:
    return _parse_json(raw.strip())[0] is not None


def _metric_value(v) -> float | None:
    """A finite number (not a bool) as a float; None for anything else (an int too big for a float)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    try:
        v = float(v)
    except OverflowError:
        return None
    return v if math.isfinite(v) else None


def _too_deep(obj) -> bool:
    """Whether obj nests more than MAX_DEPTH lists and objects (without recursion: it is the
    deep ones we look at)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for item in (value.values() if isinstance(value, dict) else value):
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
    return False
