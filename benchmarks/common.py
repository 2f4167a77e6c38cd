"""Shared bits of the benchmarks: a scratch project, the installed executable, timing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def sweeper_exe() -> str:
    return shutil.which("sweeper", path=str(BIN)) or "sweeper"


def scratch(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=f"sweeper-bench-{prefix}-"))
    for prog in (HERE / "programs").glob("*.py"):
        shutil.copy(prog, d / prog.name)
    return d


def env(store: str | None = None, **extra) -> dict:
    """The environment of a benchmarked sweeper command: as a user's, so with bytecode caching
    (this machine sets PYTHONDONTWRITEBYTECODE, which makes every process compile each module
    it imports; compiled() below writes the caches once)."""
    compiled()
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    if store:
        e["SWEEPER_STORE"] = store
    e.update({k: str(v) for k, v in extra.items()})
    return e


_compiled = False


def compiled() -> None:
    global _compiled
    if not _compiled:
        package = Path(__file__).resolve().parents[1] / "sweeper"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        _compiled = True


def register(cwd: Path, yaml_text: str, store: str | None = None) -> str:
    (cwd / "sweep.yaml").write_text(yaml_text)
    out = subprocess.run([sweeper_exe(), "sweep", "sweep.yaml"], cwd=cwd, env=env(store),
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def machine() -> str:
    import platform
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


# The CLI, saying at exit how much CPU its own process used (children excluded): on a shared
# machine the least noisy measure of what the agent itself costs. Run as [python, *CPU_CLI, ...].
# It says its peak memory (PEAK_RSS_KB) too.
CPU_CLI = ["-c", "import atexit, resource, sys\n"
                 "atexit.register(lambda: print('AGENT_CPU', resource.getrusage(resource.RUSAGE_SELF).ru_utime"
                 " + resource.getrusage(resource.RUSAGE_SELF).ru_stime, '\\nPEAK_RSS_KB',"
                 " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
                 "from sweeper.cli import main; sys.argv[0] = 'sweeper'; main()"]


def cpu_seconds(stderr: str) -> float:
    """The CPU seconds a CPU_CLI process reported at its exit."""
    return float([ln for ln in stderr.splitlines() if ln.startswith("AGENT_CPU")][-1].split()[1])


def peak_rss_mb(stderr: str) -> float:
    """The peak resident memory a CPU_CLI process reported at its exit, in MB."""
    return float([ln for ln in stderr.splitlines() if ln.startswith("PEAK_RSS_KB")][-1].split()[1]) / 1024
