"""Hyperband early termination, deciding exactly as W&B does so that results carry over.

- bands: with min_iter, W&B's 100: band = min_iter, then band *= eta 99 times, each truncated
  (the same floating-point steps as W&B's init_from_min_iter, so the same integers; repeats
  dropped, they judge alike); with max_iter and s, max_iter divided by eta up to s times
  (truncated, ascending, max_iter itself left out).
- a run's iteration is the number of its metric lines holding the sweep metric as a finite
  number.
- at band b, the threshold is the value at index int(n * (1 / eta)) of the sorted values that
  the n runs (of any state) that reached b had at their b-th such line (negated when
  maximizing). W&B multiplies by the reciprocal; in floating point that is not int(n / eta)
  for every n (eta 1.1 and n 33: 30, not 29), and a decision must not depend on which.
- a running run at its highest band reached is stopped when its value there (strict), or its
  best so far (not strict), is strictly worse than the threshold.

W&B's controller judges every running run on each poll, so a run is stopped when other runs
move its band's threshold, even if it logs nothing more. The agent judges a run as each of its
lines arrives, and again every REJUDGE_SECONDS while it runs (agents/tail.py).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BAND = 10**9
MIN_ITER_BANDS = 100  # W&B's HyperbandEarlyTerminate.init_from_min_iter makes exactly 100


def bands(et: dict) -> list[int]:
    eta = et.get("eta", 3)
    if "min_iter" in et:
        out, band = [], et["min_iter"]
        for _ in range(MIN_ITER_BANDS):
            b = int(band)
            if b > MAX_BAND:  # no run logs that many values: a bound for the store's band rows
                break
            if not out or b > out[-1]:
                out.append(b)
            band *= eta
        return out
    out = [int(et["max_iter"] / eta**k) for k in range(1, int(et["s"]) + 1)]
    return sorted(b for b in set(out) if b > 0)


@dataclass
class Decision:
    stop: bool
    band: int
    value: float  # what was compared (minimizing sign)
    threshold: float

    def reason(self, goal: str) -> str:
        sign = -1 if goal == "maximize" else 1
        return (f"early terminated by hyperband at band {self.band}: {sign * self.value:.6g} is worse than "
                f"the threshold {sign * self.threshold:.6g}")


def threshold(values: list[float], eta: float) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * (1.0 / eta))]


def judge(history: list[float], band_list: list[int], others_at, et: dict, maximize: bool) -> Decision | None:
    """Decide on a running run from its finite metric values so far (as logged).

    others_at(b) gives the values, as logged, that the other runs had at their b-th value.
    """
    n = len(history)
    reached = [b for b in band_list if b <= n]
    if not reached:
        return None
    b = reached[-1]
    sign = -1.0 if maximize else 1.0
    mine = [sign * v for v in history]
    values = [sign * v for v in others_at(b)] + [mine[b - 1]]
    limit = threshold(values, et.get("eta", 3))
    compared = mine[b - 1] if et.get("strict", True) else min(mine)
    return Decision(stop=compared > limit, band=b, value=compared, threshold=limit)
