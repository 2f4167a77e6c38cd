"""Hyperband decisions, pinned to W&B's worked case and band rules."""

import pytest

from sweeper.search import hyperband

RUNS = {
    "A": [1.0, .8, .6, .5, .45, .4, .38, .36, .35, .3],
    "B": [1.0, .9, .85, .8],
    "C": [1.2, 1.1, 1.0],
    "D": [.9, .7, .65, .9, .95],
    "E": [.9, .8, .70, .5, .45],
    "F": [.9, .8],
}
RUNNING = "BCDEF"


def stopped(strict: bool, maximize: bool = False, sign: float = 1.0):
    et = {"type": "hyperband", "min_iter": 3, "eta": 3, "strict": strict}
    band_list = hyperband.bands(et)
    out = []
    for name in RUNNING:
        def others_at(b, me=name):
            return [sign * v[b - 1] for n, v in RUNS.items() if n != me and len(v) >= b]
        d = hyperband.judge([sign * v for v in RUNS[name]], band_list, others_at, et, maximize)
        if d is not None and d.stop:
            out.append(name)
    return out


def test_worked_case_strict():
    assert stopped(strict=True) == ["B", "C", "E"]


def test_worked_case_not_strict():
    assert stopped(strict=False) == ["B", "C"]


def test_worked_case_maximize_is_the_mirror():
    assert stopped(strict=True, maximize=True, sign=-1.0) == ["B", "C", "E"]
    assert stopped(strict=False, maximize=True, sign=-1.0) == ["B", "C"]


@pytest.mark.parametrize("et, expected", [
    ({"max_iter": 27, "s": 2}, [3, 9]),
    ({"max_iter": 81, "s": 3}, [3, 9, 27]),
    ({"max_iter": 100, "s": 5}, [1, 3, 11, 33]),
])
def test_bands_from_max_iter(et, expected):
    assert hyperband.bands({"type": "hyperband", "eta": 3, **et}) == expected


def test_bands_from_min_iter():
    assert hyperband.bands({"min_iter": 3, "eta": 3})[:5] == [3, 9, 27, 81, 243]
    assert hyperband.bands({"min_iter": 30, "eta": 1.5})[:4] == [30, 45, 67, 101]
    # seed 000: min_iter 3, eta 2 -> judged at 3, 6, 12, ...
    assert hyperband.bands({"min_iter": 3, "eta": 2, "s": 3})[:3] == [3, 6, 12]


def test_no_decision_before_first_band():
    et = {"min_iter": 3, "eta": 3}
    assert hyperband.judge([1.0, 2.0], hyperband.bands(et), lambda b: [0.0], et, False) is None


def test_threshold_index_is_w_and_b_s_reciprocal_product():
    # W&B: sorted(values)[int(n * (1.0 / eta))]; for eta 1.1 and n 33 that is index 30,
    # where int(n / eta) gives 29 (33 / 1.1 == 29.999999999999996); for eta 1.3 and n 39 it
    # is the other way round (39 * (1 / 1.3) == 29.999999999999996).
    assert hyperband.threshold([float(v) for v in range(33)], 1.1) == 30.0
    assert hyperband.threshold([float(v) for v in range(39)], 1.3) == 29.0
    assert hyperband.threshold([float(v) for v in range(81)], 2.7) == 30.0


def test_a_run_at_w_and_b_s_threshold_is_not_stopped():
    # 32 other runs at 0..31 and this one at 29.5: W&B's threshold is the 31st value, 29.5
    # itself, and a run is stopped only when strictly worse.
    et = {"min_iter": 1, "eta": 1.1}
    others = [float(v) for v in range(32)]
    decision = hyperband.judge([29.5], hyperband.bands(et), lambda b: others, et, False)
    assert decision is not None and decision.threshold == 29.5 and not decision.stop


def test_min_iter_bands_are_w_and_b_s_hundred():
    # W&B: band = min_iter; 100 times: append int(band), band *= eta. An eta just above 1 gives
    # few distinct bands (and must not loop for ever); a run past the last band is not judged.
    assert hyperband.bands({"min_iter": 2, "eta": 1.0000000001}) == [2]
    assert hyperband.bands({"min_iter": 2, "eta": 1.01}) == [2, 3, 4, 5]
    et = {"min_iter": 2, "eta": 1.01}
    assert hyperband.judge([9.0] * 40, hyperband.bands(et), lambda b: [0.0] * 5, et, False).band == 5
    many = hyperband.bands({"min_iter": 1, "eta": 1.2})  # 1, 1.2, 1.44, 1.728 are all band 1
    assert len(many) == 95 and many[:6] == [1, 2, 3, 4, 5, 6] and many[-1] == 69014978
