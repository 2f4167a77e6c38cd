"""Tools for fault tests: the invariant check of docs/reliability.md, a TCP proxy that can stop
answering (a hung or unreachable database), and hosts made of network namespaces."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import threading
import time
import uuid


def assert_each_point_once(store, sweep_id: str, points: int) -> dict:
    """Every grid point has exactly one live run, finished; no two runs of a point ever ran at
    the same time by the record; no finished run was superseded. Returns counts by state."""
    runs = store.runs(sweep_id)
    live = [r for r in runs if not r["superseded"]]
    by_point: dict[int, list[dict]] = {}
    for r in runs:
        by_point.setdefault(r["grid_index"], []).append(r)
    assert sorted(r["grid_index"] for r in live) == list(range(points)), \
        f"live runs cover {sorted(r['grid_index'] for r in live)}"
    assert all(r["state"] == "finished" for r in live), {r["id"]: r["state"] for r in live if r["state"] != "finished"}
    assert not [r for r in runs if r["superseded"] and r["state"] == "finished"]
    for point, rs in by_point.items():
        spans = sorted((r["started_at"] or r["created_at"], r["ended_at"] or float("inf"), r["id"]) for r in rs)
        for (s1, e1, a), (s2, e2, b) in zip(spans, spans[1:]):
            assert e1 <= s2, f"point {point}: runs {a} and {b} overlap ({s1:.2f}-{e1:.2f} and {s2:.2f}-{e2:.2f})"
    counts: dict[str, int] = {}
    for r in runs:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    return counts


class FreezableProxy:
    """Forwards TCP connections from (host, port) to a target; `freeze()` stops moving bytes and
    accepting (a server that stops answering, or a partition), `thaw()` goes on."""

    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1"):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(256)
        self.host, self.port = host, self.listener.getsockname()[1]
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.listener, selectors.EVENT_READ, None)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def freeze(self):
        self.frozen.set()

    def thaw(self):
        self.frozen.clear()

    def close(self):
        self.closed.set()
        self.thread.join(5)

    def _loop(self):
        while not self.closed.is_set():
            if self.frozen.is_set():
                time.sleep(0.05)
                continue
            for key, _ in self.sel.select(timeout=0.05):
                if key.data is None:
                    client, _ = self.listener.accept()
                    try:
                        upstream = socket.create_connection(self.target, timeout=5)
                    except OSError:
                        client.close()
                        continue
                    for a, b in ((client, upstream), (upstream, client)):
                        a.setblocking(False)
                        self.sel.register(a, selectors.EVENT_READ, b)
                    continue
                src, dst = key.fileobj, key.data
                try:
                    data = src.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    for s in (src, dst):
                        try:
                            self.sel.unregister(s)
                        except (KeyError, ValueError):
                            pass
                        s.close()
                    continue
                dst.setblocking(True)
                try:
                    dst.sendall(data)
                except OSError:
                    pass
                dst.setblocking(False)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


class Host:
    """A network namespace joined to this one by a veth pair: a host of its own, at `ip`, that
    reaches this namespace at `gateway`. `cut()` takes its link down (a partition), `heal()`
    brings it back."""

    def __init__(self, index: int):
        tag = uuid.uuid4().hex[:6]
        self.name = f"sw{tag}"
        self.outside, self.inside = f"vo{tag}", f"vi{tag}"
        self.gateway, self.ip = f"10.231.{index}.1", f"10.231.{index}.2"
        self._ip("netns", "add", self.name)
        self._ip("link", "add", self.outside, "type", "veth", "peer", "name", self.inside)
        self._ip("link", "set", self.inside, "netns", self.name)
        self._ip("addr", "add", f"{self.gateway}/24", "dev", self.outside)
        self._ip("link", "set", self.outside, "up")
        self._in("ip", "addr", "add", f"{self.ip}/24", "dev", self.inside)
        self._in("ip", "link", "set", self.inside, "up")
        self._in("ip", "link", "set", "lo", "up")

    @staticmethod
    def _ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    def _in(self, *args):
        subprocess.run(["ip", "netns", "exec", self.name, *args], check=True, capture_output=True, timeout=30)

    def command(self, argv: list[str], hostname: str | None = None) -> list[str]:
        """argv run inside this host; with its own hostname (a UTS namespace) when given."""
        inner = argv if hostname is None else ["unshare", "--uts", "sh", "-c",
                                              f'hostname {hostname} && exec "$@"', "sh", *argv]
        return ["ip", "netns", "exec", self.name, *inner]

    def cut(self):
        self._in("ip", "link", "set", self.inside, "down")

    def heal(self):
        self._in("ip", "link", "set", self.inside, "up")

    def remove(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.outside], capture_output=True, timeout=30)


def netns_reason() -> str | None:
    """None when this process may make network namespaces (root, iproute2); else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"swprobe{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return f"ip netns add failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None
