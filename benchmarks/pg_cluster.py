"""A throwaway PostgreSQL cluster for the benchmarks that need more connections than the shared
server's 100, or the server's own CPU time measured alone: initdb in a temporary folder, the
same PostgreSQL binaries (15) and settings as the machine's server (shared_buffers 128 MB, fsync
and synchronous_commit on), only max_connections raised, on a free port, as user postgres.
Removed when the benchmark ends. Nothing of the machine's own server is touched.

    with OwnCluster(max_connections=1200) as pg:
        url = pg.database("sweeper_bench")   # postgresql://postgres@127.0.0.1:PORT/sweeper_bench
        ...
        pg.cpu_seconds()                     # user + system CPU of every process of the cluster
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"no PostgreSQL {name} under /usr/lib/postgresql/*/bin")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class OwnCluster:
    def __init__(self, max_connections: int = 400):
        self.max_connections = max_connections
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="sweeper-bench-pg-")
        self.data = os.path.join(self.dir, "data")

    def __enter__(self) -> "OwnCluster":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        _as_postgres([_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    f"max_connections = {self.max_connections}\nshared_buffers = 128MB\n")
        _as_postgres([_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "start"])
        return self

    def __exit__(self, *exc) -> None:
        try:
            _as_postgres([_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _pids(self) -> list[int]:
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            main = int(f.readline())
        out = [main]
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == main:
                            out.append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        return out

    def cpu_seconds(self) -> float:
        """CPU (user + system) of the cluster's processes now alive, plus their ended children
        (a backend that exits is counted by the postmaster's cutime/cstime)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self._pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            except OSError:
                pass
        return total / tick

    def connections(self) -> int:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                ).fetchone()[0]


def machine_busy() -> tuple[float, float]:
    """(busy jiffies, all jiffies) of the whole machine so far, from /proc/stat: two readings
    give the share of both cores that was busy in between."""
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]
    return sum(cpu) - idle, sum(cpu)


if __name__ == "__main__":  # a smoke test: start, make a database, measure, stop
    t0 = time.time()
    with OwnCluster(50) as pg:
        print(pg.database("smoke"), f"{time.time() - t0:.1f} s to start", pg.cpu_seconds(), pg.connections())
