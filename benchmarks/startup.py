"""Start-up time of `sweeper --help` against bare Python and its own imports, in one run.
Target: `sweeper --help` within 1.5x of `python -c 'import click'`.

    .venv/bin/python benchmarks/startup.py [RUNS]

Each command runs RUNS times (default 20), round-robin so that drift in the machine's load
touches every command alike; the table shows medians. The last section lists the slowest
imports of `sweeper --help` (python -X importtime, cumulative), to say where time goes.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import env, machine, sweeper_exe

TARGET = 1.5
SWEEP = "method: random\nparameters:\n  lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-1}\n"


def commands(folder: Path) -> dict[str, list[str]]:
    py, exe = sys.executable, sweeper_exe()
    return {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import click'": [py, "-c", "import click"],
        "python -c 'import click, yaml, jsonschema, rich'": [py, "-c", "import click, yaml, jsonschema, rich"],
        "sweeper --help": [exe, "--help"],
        "sweeper sweep f.yaml --dry-run": [exe, "sweep", str(folder / "f.yaml"), "--dry-run"],
    }


def once(argv: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def slowest_imports(argv: list[str], cwd: Path, n: int = 8) -> list[tuple[int, str]]:
    e = dict(env(), PYTHONPROFILEIMPORTTIME="1")
    err = subprocess.run(argv, cwd=cwd, env=e, capture_output=True, text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  "):  # top-level imports only: nested ones are inside these
                rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:n]


def main(runs: int = 20) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sweeper-bench-startup-"))
    (folder / "f.yaml").write_text(SWEEP)
    cmds = commands(folder)
    for argv in cmds.values():  # warm the OS file cache and .pyc files
        once(argv, folder)
    times: dict[str, list[float]] = {label: [] for label in cmds}
    for _ in range(runs):
        for label, argv in cmds.items():
            times[label].append(once(argv, folder))
    med = {label: statistics.median(t) * 1000 for label, t in times.items()}
    base = med["python -c 'import click'"]

    print(f"Start-up, median of {runs} runs each ({machine()}).\n")
    print("| command | median ms | min ms | / import click |")
    print("|---|---:|---:|---:|")
    for label, t in times.items():
        print(f"| `{label}` | {med[label]:.1f} | {min(t) * 1000:.1f} | {med[label] / base:.2f}x |")
    ratio = med["sweeper --help"] / base
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"\n`sweeper --help` / `import click` = {ratio:.2f}x: {verdict} the {TARGET}x target.")

    print("\nSlowest top-level imports of `sweeper --help` (-X importtime, cumulative):\n")
    print("| module | us |")
    print("|---|---:|")
    for us, name in slowest_imports(cmds["sweeper --help"], folder):
        print(f"| {name} | {us} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
