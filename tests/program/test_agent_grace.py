"""sweeper.agent(grace=...): the seconds a stopped run has, after RunStopped, before SIGKILL
(issue 15, item 3.3). A checkpoint that takes longer than the grace period is cut short."""

from __future__ import annotations

import os
import time

import pytest

import sweeper


def _sweep(place) -> str:
    # Two grid points; hyperband stops the worse one at its 2nd line (min_iter 2, eta 3).
    return sweeper.sweep({"method": "grid", "metric": {"name": "loss"},
                          "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
                          "parameters": {"base": {"values": [1.0, 9.0]}}}, store=place.store)


def _train(save_seconds: float):
    def train():
        run = sweeper.init()
        try:
            for i in range(30):
                sweeper.log({"loss": sweeper.config.base / (i + 1)})
                time.sleep(0.05)
        except sweeper.RunStopped:
            time.sleep(save_seconds)  # an epoch's end, a big checkpoint
            with open(os.path.join(run.dir, "checkpoint"), "w") as f:
                f.write("saved")
            raise
    return train


@pytest.mark.parametrize("grace, saved", [(6.0, True), (0.5, False)])
def test_grace_is_the_time_to_save_a_checkpoint(place, grace, saved):
    sid = _sweep(place)
    assert sweeper.agent(sid, function=_train(2.0), store=place.store, grace=grace) == 0
    good, bad = sorted(place.open().runs(sid), key=lambda r: r["number"])
    assert good["state"] == "finished" and bad["state"] == "stopped" and bad["band"] == 2
    assert os.path.exists(os.path.join(bad["run_dir"], "checkpoint")) is saved
    if saved:
        assert bad["signal"] is None and bad["exit_code"] == 0
    else:
        assert bad["signal"] == 9  # SIGKILL at 0.5 s, in the middle of the 2 s save


def test_grace_must_be_seconds(place):
    sid = _sweep(place)
    with pytest.raises(ValueError, match="grace must be a number of seconds"):
        sweeper.agent(sid, function=_train(0), store=place.store, grace=-1)
