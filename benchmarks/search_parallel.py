"""Parallel search: the same budget of runs with 1, 4 and 8 runs pending at a time (agents
asking concurrently, one per GPU), on suite problems.

Each finished run is replaced at once, oldest first (runs of equal length). The question is
how much quality the pending runs cost, and whether a batch collapses onto one point: the
table shows the median final regret at each width, its ratio to the sequential one, and how
many suggestions repeated an earlier one exactly. Results are kept with the suite's
(benchmarks/suite_results/, the --parallel K files).

    .venv/bin/python benchmarks/search_parallel.py [--seeds 10] [--runs 40] [--widths 1,4,8]
        [--peers "sweeper bayes,..."] [--problems a,b] [--out FILE]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import search_suite  # noqa: E402
from search_quality import _machine, _threads  # noqa: E402

PROBLEMS = "branin,hartmann6,ackley4,rotated_ellipsoid6,int6,mixed,levy8,log5,cat6,svr_diabetes"


def main(argv=None) -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--widths", default="1,4,8")
    ap.add_argument("--peers", default="sweeper bayes,random")
    ap.add_argument("--problems", default=PROBLEMS)
    ap.add_argument("--fresh", default="")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    search_suite.FRESH.update(p for p in args.fresh.split(",") if p)
    widths = [int(w) for w in args.widths.split(",")]
    peers, problems = args.peers.split(","), args.problems.split(",")
    started = time.perf_counter()
    res = {(peer, prob, w): search_suite.run_job(peer, prob, args.seeds, args.runs, w)
           for prob in problems for peer in peers for w in widths}
    lines = ["# Parallel search: the same budget, K runs pending at a time", "",
             "Command: `" + _threads() + ".venv/bin/python benchmarks/search_parallel.py "
             + shlex.join(argv if argv is not None else sys.argv[1:]) + "`", "",
             (f"{args.seeds} seeds x {args.runs} runs. Median final regret (as in the suite); "
              "\"x seq\" = the median at width K / the sequential median (above 1: worse than "
              "sequential); \"dup\" = suggestions that repeated an earlier one exactly, over all "
              "seeds; \"seq after N runs\" = the sequential median after runs/K runs, what one "
              "agent reaches in the wall time K agents take for the whole budget (runs of equal "
              f"length). Model-tuning problems: regret against the best value in this table. Machine: {_machine()}; wall {time.perf_counter() - started:.0f} s."), "",
             "| problem | peer | " + " | ".join(f"K={w} median | x seq | dup" for w in widths)
             + " | " + " | ".join(f"seq after {args.runs // w} runs" for w in widths[1:]) + " |",
             "|---|---|" + "---|---|---|" * len(widths) + "---|" * len(widths[1:])]
    for prob in problems:
        # regret against the suite's reference (the optimum, or the best value found anywhere)
        everything = {(p, prob): r for (p, q, w), r in res.items() if q == prob}
        everything.update({(f"{p}@{w}", q): r for (p, q, w), r in res.items() if q == prob})
        ref = search_suite.reference(prob, everything)
        for peer in peers:
            cells, seq = [], None
            for w in widths:
                rows = res[(peer, prob, w)]["rows"]
                med = statistics.median(r["best"][-1] - ref for r in rows)
                seq = med if seq is None else seq
                ratio = med / seq if seq > 0 else (1.0 if med == 0 else float("inf"))
                cells.append(f"{med:.3g} | {ratio:.2f} | {sum(r.get('duplicates', 0) for r in rows)}")
            # the same wall time: K agents finish runs/K rounds while one agent finishes runs/K runs
            first = res[(peer, prob, widths[0])]["rows"]
            cells += [f"{statistics.median(r['best'][args.runs // w - 1] - ref for r in first):.3g}"
                      for w in widths[1:]]
            lines.append(f"| {prob} | {peer} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main()
