"""The bridge: a run's W&B record logs -> JSON lines in its metrics file, while it runs.

    python -m sweeper.integrations.wandb.bridge RUN_DIR METRICS_PATH [--run-id ID --look DIR...] [--once]
    python .../sweeper/integrations/wandb/bridge.py RUN_DIR METRICS_PATH [...]

Run with the program's interpreter, where wandb is installed; it needs nothing else
(standard library and wandb: it can run by path where sweeper is not installed). The
agent starts it with the program and closes its stdin when the program has ended: it then
reads what is left and exits. `--once` reads what is there and exits; METRICS_PATH `-`
prints the rows. Every W&B run under RUN_DIR/wandb is followed, and under each --look folder
those of the run's ID (--run-id): a script may give wandb.init() a dir= of its own, as
Lightning's WandbLogger does (".": the program's folder), and WANDB_RUN_ID names the folder.

Offline (and online too), wandb writes everything a run logs to
RUN_DIR/wandb/offline-run-*/run-ID.wandb, flushed every WANDB__TRANSACTION_LOG_FLUSH_INTERVAL
seconds. Its framing is LevelDB's log format, as wandb writes and reads it (wandb-core's
leveldb package; the SDK's former datastore.py): a 7-byte file header (":W&B", 0xBEE1,
version 0), then 32 KiB blocks of records, each a 7-byte header (CRC-32 of type and data,
length, type: full, or first/middle/last of a record cut across blocks); a block's last
bytes, too few for a header, are zeros. wandb 0.31 ships no Python reader of it, so the
framing is read here; every payload is a `Record` decoded with wandb's own protobuf
classes (wandb.proto.wandb_internal_pb2), loaded without running wandb/__init__.py (which
imports the whole SDK: seconds of CPU at each run's start).

Each history record becomes one line: its items' values as wandb stored them (JSON), nested
keys joined with "." as W&B shows them (`{"val": {"loss": 1}}` -> "val.loss"), a media
value (a dict with `_type`) kept whole, `_step` the row's step. The summary, as W&B keeps
it, is written to RUN_DIR/wandb-summary.json at the end.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
import time
import zlib

BLOCK = 32 * 1024
HEADER = 7
MAGIC = b":W&B"
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
POLL_SECONDS = float(os.environ.get("SWEEPER_WANDB_POLL_SECONDS", "0.02"))
READ_BYTES = 8 << 20  # one read of a .wandb file: a long backlog (media) is read in parts
RESCAN_SECONDS = 0.5  # how often to look for another .wandb file once one is followed
SUMMARY_FILE = "wandb-summary.json"
NAME_FILE = "name.txt"  # program/runtime.NAME_FILE: the run's name, which the agent stores at its end


class RecordLog:
    """One .wandb file, read as it grows: the payload of each complete record, in order.

    A record whose end has not been written yet waits for it. A damaged record (bad CRC, a
    length past its block) loses the rest of its block, as LevelDB's reader does, and is
    counted in `damaged`.
    """

    def __init__(self, path: str):
        self.path = path
        self.pos = 0  # the file offset of buf[0]
        self.buf = b""
        self.fragments: list[bytes] | None = None
        self.damaged = 0
        self.bad: str | None = None  # why the file cannot be read at all
        self.got = 0  # bytes the last read() brought

    def read(self) -> list[bytes]:
        self.got = 0
        if self.bad:
            return []
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos + len(self.buf))
                more = f.read(READ_BYTES)
        except OSError:
            return []
        self.got = len(more)
        if more:
            self.buf += more
        return self._records()

    def _records(self) -> list[bytes]:
        buf, base, i = self.buf, self.pos, 0
        out: list[bytes] = []
        if base == 0:
            if len(buf) < HEADER:
                return out
            if buf[:4] != MAGIC:
                self.bad = f"{self.path} is not a W&B record log (it starts with {buf[:4]!r})"
                return out
            i = HEADER
        n = len(buf)
        while True:
            left = BLOCK - (base + i) % BLOCK
            if left < HEADER:  # the block's zero padding
                if n - i < left:
                    break
                i += left
                continue
            if n - i < HEADER:
                break
            crc, length, kind = struct.unpack_from("<IHB", buf, i)
            if HEADER + length > left or kind not in (FULL, FIRST, MIDDLE, LAST):
                i = self._skip_block(i, left)
                continue
            end = i + HEADER + length
            if n < end:
                break
            data = buf[i + HEADER:end]
            if zlib.crc32(data, zlib.crc32(bytes((kind,)))) != crc:
                i = self._skip_block(i, left)
                continue
            i = end
            if kind == FULL:
                out.append(data)
                self.fragments = None
            elif kind == FIRST:
                self.fragments = [data]
            elif self.fragments is not None:
                self.fragments.append(data)
                if kind == LAST:
                    out.append(b"".join(self.fragments))
                    self.fragments = None
        if i > n:  # skipped past what was read: the next read starts there
            self.buf, self.pos = b"", base + i
        else:
            self.buf, self.pos = buf[i:], base + i
        return out

    def _skip_block(self, i: int, left: int) -> int:
        self.damaged += 1
        self.fragments = None
        return i + left


def load_records_module():
    """wandb's protobuf classes. Loaded through a bare `wandb` package (its path, not its
    __init__.py) so that only wandb.proto and protobuf are imported: a tenth of a second
    instead of the whole SDK. Falls back to a plain import."""
    import importlib
    import importlib.util
    import types

    if "wandb" not in sys.modules:
        spec = importlib.util.find_spec("wandb")
        if spec is None or spec.origin is None:  # None: absent; no origin: a folder named wandb/
            raise ImportError(f"wandb is not installed in this Python ({sys.executable})")
        stub = types.ModuleType("wandb")
        stub.__path__ = list(spec.submodule_search_locations or [])
        stub.__file__ = spec.origin
        sys.modules["wandb"] = stub
        try:
            return importlib.import_module("wandb.proto.wandb_internal_pb2")
        except Exception:  # noqa: BLE001 - another layout: let wandb import itself
            for name in [m for m in sys.modules if m == "wandb" or m.startswith("wandb.")]:
                del sys.modules[name]
    return importlib.import_module("wandb.proto.wandb_internal_pb2")


def _path(item) -> list[str]:
    return list(item.nested_key) if len(item.nested_key) else [item.key]


def _value(value_json: str):
    try:
        return json.loads(value_json)
    except ValueError:
        return value_json


def _put(tree: dict, path: list[str], value) -> None:
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _drop(tree: dict, path: list[str]) -> None:
    node = tree
    for part in path[:-1]:
        node = node.get(part)
        if not isinstance(node, dict):
            return
    node.pop(path[-1], None)


def flatten(tree: dict, prefix: str = "", out: dict | None = None) -> dict:
    """Nested keys joined with "." (as W&B names them); a media value (with `_type`) stays whole."""
    out = {} if out is None else out
    for key, value in tree.items():
        if isinstance(value, dict) and value and "_type" not in value:
            flatten(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}"] = value
    return out


def history_row(history) -> dict:
    tree: dict = {}
    for item in history.item:
        path = _path(item)
        if path[0] != "_wandb":
            _put(tree, path, _value(item.value_json))
    step = tree.pop("_step", None)
    if not isinstance(step, int) and history.HasField("step"):
        step = history.step.num
    row = {"_step": step} if step is not None else {}
    return flatten(tree, out=row)


def run_folders(place: str, run_id: str | None = None) -> list[str]:
    """The W&B run folders in a wandb folder (offline-run-TIME-ID, run-TIME-ID), those of
    run_id only if given."""
    try:
        names = sorted(os.listdir(place))
    except OSError:
        return []
    return [os.path.join(place, n) for n in names if n.startswith(("offline-run-", "run-"))
            and (run_id is None or n.endswith("-" + run_id))]


class Bridge:
    """Follows every .wandb file under RUN_DIR/wandb (one per wandb.init) and writes rows."""

    def __init__(self, run_dir: str, out_path: str, pb=None, run_id: str | None = None, look=()):
        self.run_dir = run_dir
        self.wandb_dir = os.path.join(run_dir, "wandb")
        # (a wandb folder, the run ID its run folders must end with, or None for any)
        self.places = [(self.wandb_dir, None)] + [(d, run_id) for d in look if run_id]
        self.out_path = out_path
        self.pb = pb or load_records_module()
        self.logs: dict[str, RecordLog] = {}
        self.summary: dict = {}
        self.rows = 0
        self.undecodable = 0
        self.exit_code: int | None = None
        self.name: str | None = None  # wandb.init(name=...), or wandb.run.name set later: the last one
        self._scanned = 0.0
        self._fd: int | None = None

    def scan(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.logs and not force and now - self._scanned < RESCAN_SECONDS:
            return
        self._scanned = now
        for place, run_id in self.places:
            for folder in run_folders(place, run_id):
                self._add(folder)

    def _add(self, folder: str) -> None:
        try:
            files = sorted(os.listdir(folder))
        except OSError:
            return
        for file in files:
            path = os.path.join(folder, file)
            if file.endswith(".wandb") and path not in self.logs:
                self.logs[path] = RecordLog(path)

    def poll(self, final: bool = False) -> int:
        """Read what the files gained; write their rows. Returns the number of bytes read."""
        self.scan(force=final)
        lines: list[str] = []
        got = 0
        for log in list(self.logs.values()):
            for payload in log.read():
                self._record(payload, lines)
            got += log.got
        if lines:
            self._write("".join(lines))
        return got

    def _record(self, payload: bytes, lines: list) -> None:
        rec = self.pb.Record()
        try:
            rec.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError: one bad record, not the run
            self.undecodable += 1
            return
        kind = rec.WhichOneof("record_type")
        if kind == "history":
            row = history_row(rec.history)
            lines.append(json.dumps(row, separators=(",", ":"), default=str) + "\n")
            self.rows += 1
        elif kind == "summary":
            for item in rec.summary.update:
                _put(self.summary, _path(item), _value(item.value_json))
            for item in rec.summary.remove:
                _drop(self.summary, _path(item))
        elif kind == "run":
            self.name = rec.run.display_name or self.name
        elif kind == "exit":
            self.exit_code = rec.exit.exit_code

    def _write(self, text: str) -> None:
        data = text.encode("utf-8")
        if self.out_path == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        if self._fd is None:
            self._fd = os.open(self.out_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def finish(self) -> str:
        """After the last poll: the summary file, and a line saying what was read."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        summary = flatten({k: v for k, v in self.summary.items() if k != "_wandb"})
        if self.logs and self.out_path != "-":
            with open(os.path.join(self.run_dir, SUMMARY_FILE), "w", encoding="utf-8") as f:
                json.dump(summary, f, default=str)
            if self.name:
                with open(os.path.join(self.run_dir, NAME_FILE), "w", encoding="utf-8") as f:
                    f.write(self.name)
        if not self.logs:
            return (f"no W&B run under {' or '.join(p for p, _ in self.places)}: the program did not call "
                    "wandb.init(), or ran it disabled or with another dir=")
        bits = [f"{self.rows} history rows from {len(self.logs)} W&B record log(s)"]
        bad = [log.bad for log in self.logs.values() if log.bad]
        damaged = sum(log.damaged for log in self.logs.values())
        if damaged:
            bits.append(f"{damaged} damaged block(s) skipped")
        if self.undecodable:
            bits.append(f"{self.undecodable} record(s) that did not decode")
        return "; ".join(bits + bad)


def follow(bridge: Bridge, done: threading.Event) -> None:
    """Poll until `done`, then read what is left."""
    while not done.is_set():
        if not bridge.poll():
            done.wait(POLL_SECONDS)
    while bridge.poll(final=True):
        pass


def _until_eof(done: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    done.set()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="sweeper-wandb-bridge", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("metrics_path", help="the file rows are appended to; - prints them")
    parser.add_argument("--run-id", help="the W&B run ID (WANDB_RUN_ID) of the run folders under --look")
    parser.add_argument("--look", action="append", default=[], help="another wandb folder to look in")
    parser.add_argument("--once", action="store_true", help="read what is there, then exit")
    args = parser.parse_args(argv)
    try:
        bridge = Bridge(args.run_dir, args.metrics_path, run_id=args.run_id, look=args.look)
    except ImportError as exc:
        print(f"sweeper wandb bridge: {exc}", file=sys.stderr, flush=True)
        if not args.once:
            _until_eof(threading.Event())  # let the run go on; exit when it ends
        return 3
    done = threading.Event()
    if args.once:
        done.set()
    else:
        threading.Thread(target=_until_eof, args=(done,), name="stdin", daemon=True).start()
    follow(bridge, done)
    print(f"sweeper wandb bridge: {bridge.finish()}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        sys.path.pop(0)  # run by path: this folder's modules must not shadow any other
    sys.exit(main())
