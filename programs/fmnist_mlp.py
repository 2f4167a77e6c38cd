"""Seed 002's Fashion-MNIST MLP (PyTorch's quickstart network) as a program for sweeps.

    python programs/fmnist_mlp.py --learning_rate=0.01 --batch_size=64 --epochs=5

Network: flatten -> 784-512 -> ReLU -> 512-512 -> ReLU -> 512-10, trained with SGD (the
seed's optimizer; --optimizer=adam for the bayes example). Data: Fashion-MNIST from its IDX
files under --data_dir, else scikit-learn's digits upsampled to 28x28 (datasets.py; stdout
says which).

Each epoch logs {"epoch", "train_loss", "test_loss", "test_acc"}. This program shows the
sweeper helper: with sweeper importable it calls sweeper.init / sweeper.log / sweeper.finish
(as the seed calls wandb), so it also records a standalone run when started by hand; without
sweeper it appends the same JSON lines to $SWEEPER_METRICS itself. (mnist_cnn.py shows the
plain-file style only.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import argtypes
import datasets

try:
    import sweeper
except ImportError:  # the program runs without sweeper installed: plain JSON lines
    sweeper = None

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="fmnist_mlp.py", allow_abbrev=False,
                                description="Seed 002's Fashion-MNIST MLP; one JSON metrics line per epoch.")
    p.add_argument("--learning_rate", type=float, default=1e-3)
    p.add_argument("--batch_size", type=argtypes.integer, default=64)
    p.add_argument("--epochs", type=argtypes.integer, default=5)
    p.add_argument("--optimizer", type=str.lower, choices=sorted(OPTIMIZERS), default="sgd")
    p.add_argument("--data_dir", default=os.environ.get("SWEEPER_DATA_DIR", "data"),
                   help="where the Fashion-MNIST IDX files are (default ./data, or $SWEEPER_DATA_DIR)")
    p.add_argument("--limit_train", type=argtypes.optional(argtypes.integer), default=None)
    p.add_argument("--limit_test", type=argtypes.optional(argtypes.integer), default=None)
    p.add_argument("--seed", type=argtypes.optional(argtypes.integer), default=0)
    p.add_argument("--save_model", type=argtypes.optional(str), default=None,
                   help="save the final state_dict here (relative: inside $SWEEPER_RUN_DIR when set)")
    p.add_argument("--device", default="auto")
    return argtypes.parse(p, argv)


class PlainLog:
    """Without sweeper: the same protocol by hand."""

    def __init__(self):
        path = os.environ.get("SWEEPER_METRICS")
        self.file = open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115

    def log(self, row: dict, step=None):
        if step is not None:
            row = {**row, "_step": step}
        if self.file is not None:
            self.file.write(json.dumps(row) + "\n")

    def finish(self):
        if self.file is not None:
            self.file.close()


def build_model():
    from torch import nn

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    return NeuralNetwork()


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import torch
        from torch import nn
    except ImportError:
        print("fmnist_mlp.py needs PyTorch: pip install torch==2.13.0 (or `pip install -e '.[examples]'`)",
              file=sys.stderr)
        return 3
    seed = 0 if args.seed is None else args.seed
    torch.manual_seed(seed)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto"
                          else args.device)
    print(f"Using {device} device", flush=True)

    if sweeper is not None:
        hyper = {k: getattr(args, k) for k in ("learning_rate", "batch_size", "epochs", "optimizer")}
        sweeper.init(config=hyper, project="f-mnist")  # as the seed's wandb.init + wandb.config.update
        logger = sweeper
        print("logging with sweeper.log", flush=True)
    else:
        logger = PlainLog()
        print("sweeper is not importable: logging plain JSON lines", flush=True)

    data = datasets.load("fashion_mnist", args.data_dir, args.limit_train, args.limit_test, seed=seed)
    print(data.description, flush=True)
    x_train, y_train = torch.from_numpy(data.x_train).to(device), torch.from_numpy(data.y_train).to(device)
    x_test, y_test = torch.from_numpy(data.x_test).to(device), torch.from_numpy(data.y_test).to(device)

    model = build_model().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = getattr(torch.optim, OPTIMIZERS[args.optimizer])(model.parameters(), lr=args.learning_rate)
    gen = torch.Generator().manual_seed(seed)

    stopped = False
    try:
        for epoch in range(args.epochs):
            print(f"Epoch {epoch + 1}\n-------------------------------", flush=True)
            started = time.perf_counter()
            model.train()
            order = torch.randperm(len(y_train), generator=gen).to(device)
            total, n_batches = 0.0, 0
            for start in range(0, len(order), args.batch_size):
                idx = order[start:start + args.batch_size]
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                n_batches += 1
            train_loss = total / max(n_batches, 1)

            model.eval()
            test_loss, correct, t_batches = 0.0, 0, 0
            with torch.no_grad():
                for start in range(0, len(y_test), args.batch_size):
                    xb, yb = x_test[start:start + args.batch_size], y_test[start:start + args.batch_size]
                    pred = model(xb)
                    test_loss += loss_fn(pred, yb).item()
                    correct += (pred.argmax(1) == yb).sum().item()
                    t_batches += 1
            test_loss /= max(t_batches, 1)
            test_acc = correct / max(len(y_test), 1)
            print(f"train_loss: {train_loss:>8f}  Test: Accuracy: {100 * test_acc:>0.1f}%, "
                  f"Avg loss: {test_loss:>8f}  ({time.perf_counter() - started:.2f} s)", flush=True)
            row = {"epoch": epoch, "train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc}
            print("metrics: " + json.dumps(row), flush=True)
            logger.log(row, step=epoch)
    except Exception as exc:
        if sweeper is not None and isinstance(exc, sweeper.RunStopped):
            print(f"stopped early: {exc}", flush=True)  # hyperband or cancel: keep what we have
            stopped = True
        else:
            raise
    finally:
        logger.finish()

    if args.save_model:
        path = args.save_model
        run_dir = os.environ.get("SWEEPER_RUN_DIR")
        if run_dir and not os.path.isabs(path):
            path = os.path.join(run_dir, path)
        torch.save(model.state_dict(), path)
        print(f"Saved PyTorch Model State to {path}", flush=True)
    print("Stopped." if stopped else "Done!", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
