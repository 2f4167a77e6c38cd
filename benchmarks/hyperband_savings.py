"""Compute saved by hyperband: the same sweep with and without early_terminate.

For each seed, a grid over TRIALS trials of benchmarks/programs/learning_curve.py (27
epochs each), run by AGENTS real agents on SQLite, once plain and once with
`early_terminate: {type: hyperband, min_iter: 3, eta: 3}`. Compute is the number of
epochs run; quality is the best final val_loss among runs that ran all their epochs.
Target: at least 3x less compute, best final no worse in at least 9 of 10 seeds.

    .venv/bin/python benchmarks/hyperband_savings.py [SEEDS] [TRIALS] [AGENTS]
"""

from __future__ import annotations

import subprocess
import sys

from common import env, machine, register, scratch, sweeper_exe

EPOCHS = 27


def sweep_yaml(seed: int, trials: int, hyperband: bool) -> str:
    et = "early_terminate: {type: hyperband, min_iter: 3, eta: 3}\n" if hyperband else ""
    return (f"program: learning_curve.py\nmethod: grid\nmetric: {{name: val_loss, goal: minimize}}\n{et}"
            f"parameters:\n  trial: {{min: 0, max: {trials - 1}}}\n  seed: {{value: {seed}}}\n"
            f"  epochs: {{value: {EPOCHS}}}\n  tick: {{value: 0.05}}\n")


def run_sweep(seed: int, trials: int, agents: int, hyperband: bool) -> dict:
    d = scratch("hb")
    sid = register(d, sweep_yaml(seed, trials, hyperband))
    procs = [subprocess.Popen([sweeper_exe(), "agent", sid, "--output", "none", "--grace", "2"], cwd=d,
                              env=env(SWEEPER_INTERPRETER=sys.executable), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(agents)]
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    from sweeper.store import open_store
    runs = open_store(str(d / ".sweeper" / "sweeper.db")).runs(sid)
    full = [r for r in runs if r["n_lines"] == EPOCHS and r["state"] == "finished"]
    return {"epochs": sum(r["n_lines"] for r in runs),
            "best_final": min(r["summary"]["val_loss"] for r in full),
            "stopped": sum(r["state"] == "stopped" for r in runs)}


def main(seeds: int = 10, trials: int = 60, agents: int = 3) -> list[dict]:
    rows = []
    for seed in range(seeds):
        plain = run_sweep(seed, trials, agents, hyperband=False)
        hb = run_sweep(seed, trials, agents, hyperband=True)
        rows.append({"seed": seed, "plain_epochs": plain["epochs"], "hb_epochs": hb["epochs"],
                     "saving": plain["epochs"] / hb["epochs"], "stopped": hb["stopped"],
                     "plain_best": plain["best_final"], "hb_best": hb["best_final"],
                     "no_worse": hb["best_final"] <= plain["best_final"] + 1e-12})
        print(f"seed {seed}: {rows[-1]['saving']:.2f}x less compute, best {hb['best_final']:.4f} vs "
              f"{plain['best_final']:.4f}", file=sys.stderr, flush=True)
    return rows


def report(rows: list[dict]) -> str:
    import statistics
    lines = ["| seed | epochs without | epochs with hyperband | saving | runs stopped | best final without | "
             "best final with | no worse |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['seed']} | {r['plain_epochs']} | {r['hb_epochs']} | {r['saving']:.2f}x | {r['stopped']} | "
                     f"{r['plain_best']:.4f} | {r['hb_best']:.4f} | {'yes' if r['no_worse'] else 'no'} |")
    total = sum(r["plain_epochs"] for r in rows) / sum(r["hb_epochs"] for r in rows)
    lines.append(f"\nTotal compute saving **{total:.2f}x** (median {statistics.median(r['saving'] for r in rows):.2f}x; "
                 f"target >= 3x); best final no worse in **{sum(r['no_worse'] for r in rows)} of {len(rows)}** "
                 "seeds (target >= 9 of 10).")
    return "\n".join(lines)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    result = main(*args)
    print(f"machine: {machine()}")
    print(report(result))
