"""Seed 000's CNN on the digits fallback, at a small budget: the users' own workload in the suite.

The network, optimizers and training loop are programs/mnist_cnn.py's (its create_net, shuffled
batches with drop_last, the seed's five parameters and their ranges from
configs/seed000_mnist_random_hyperband.yaml); the data are the digits fallback the programs use
when no MNIST files are present (28x28, 359 validation images). To fit a 2-core machine, a run
trains EPOCHS epochs on the first TRAIN of the 1,438 training images on one CPU thread, and a
sweep has BUDGET runs (5 peers x 10 seeds x 20 runs: about 1,000 trainings of 0.2-3 s).

The objective is 1 - the best validation accuracy over the epochs (what the sweep maximizes,
as sweeper records a run's best value). Training is seeded (weights and batch order), so a set
of parameters always gets the same value and every peer meets the same function; the
accuracy moves in steps of 1/359, as a real validation set's does.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from .problem import Problem, categorical, log_uniform

EPOCHS = 2
TRAIN = 720
BUDGET = 20
PROGRAMS = Path(__file__).resolve().parents[2] / "programs"


@functools.lru_cache(maxsize=None)
def _data():
    sys.path.insert(0, str(PROGRAMS))
    import datasets
    import torch

    x_train, y_train, x_test, y_test = datasets.load_digits_split()
    return tuple(torch.from_numpy(a) for a in (x_train[:TRAIN], y_train[:TRAIN], x_test, y_test))


def cnn_digits(p: dict) -> float:
    sys.path.insert(0, str(PROGRAMS))
    import torch
    from mnist_cnn import batches, create_net
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = _data()
    model = create_net(int(p["hidden_layer_width"]), float(p["dropout_p"]))
    optimizer = getattr(torch.optim, p["optim_type"])(params=model.parameters(), lr=float(p["lr"]))
    loss_fn = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(0)
    best = 0.0
    for _ in range(EPOCHS):
        model.train()
        for idx in batches(len(y_train), int(p["batch_size"]), order, shuffle=True, drop_last=True):
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        model.eval()
        with torch.no_grad():
            acc = (model(x_test).argmax(dim=-1) == y_test).double().mean().item()
        best = max(best, acc)
    return 1.0 - best


CNN = {
    "cnn_digits": Problem({"optim_type": categorical(["Adam", "SGD", "AdamW"]),
                           "hidden_layer_width": categorical([16, 32, 48, 64, 80, 96, 112, 128]),
                           "lr": log_uniform(1e-6, 0.1),
                           "batch_size": {"distribution": "q_uniform", "q": 8, "min": 32, "max": 256},
                           "dropout_p": {"distribution": "uniform", "min": 0.0, "max": 0.6}},
                          cnn_digits, None, "held-out",
                          f"seed 000's CNN on digits ({TRAIN} images, {EPOCHS} epochs), {BUDGET} runs", budget=BUDGET),
}
