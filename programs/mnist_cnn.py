"""Seed 000's MNIST CNN as a command-line program for `sweeper agent` (or W&B's agent).

    python programs/mnist_cnn.py --lr=0.001 --batch_size=64 --hidden_layer_width=64 \
        --dropout_p=0.1 --optim_type=Adam --epochs=3

The network is seed 000's create_net: conv 3x3 -> max-pool -> conv 5x5 -> max-pool ->
Dropout2d -> adaptive max-pool to 1x1 -> linear -> ReLU -> linear, every conv and the
hidden linear layer `hidden_layer_width` wide. Data: MNIST from its IDX files under
--data_dir (every 5th training image, as the seed's Subset), else scikit-learn's digits
upsampled to 28x28 (see datasets.py; stdout says which).

Each epoch appends one JSON line {"epoch", "val_acc", "best_val_acc", "train_loss"} to the
file named by $SWEEPER_METRICS with plain json/open: the program needs nothing from sweeper
and runs the same under W&B-style agents or on its own (then it only prints). The best
checkpoint (state_dict) goes to --ckpt_path; a relative path is taken inside
$SWEEPER_RUN_DIR when that is set, so parallel runs do not overwrite each other's file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import argtypes
import datasets

OPTIMIZERS = ("Adam", "SGD", "AdamW")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="mnist_cnn.py", allow_abbrev=False,
                                description="Seed 000's MNIST CNN; one JSON metrics line per epoch.")
    # seed 000's config (its defaults)
    p.add_argument("--project_name", default="wandb_demo", help="accepted and ignored (the seed's sweep passes it)")
    p.add_argument("--batch_size", type=argtypes.integer, default=512)
    p.add_argument("--hidden_layer_width", type=argtypes.integer, default=64)
    p.add_argument("--dropout_p", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--optim_type", choices=OPTIMIZERS, default="Adam")
    p.add_argument("--epochs", type=argtypes.integer, default=15)
    p.add_argument("--ckpt_path", type=argtypes.optional(str), default="checkpoint.pt",
                   help="best checkpoint (state_dict); relative: inside $SWEEPER_RUN_DIR when set; None: none")
    # the program's own
    p.add_argument("--save_ckpt", type=argtypes.boolean, default=True, help="False: save no checkpoint")
    p.add_argument("--data_dir", default=os.environ.get("SWEEPER_DATA_DIR", "data"),
                   help="where the MNIST IDX files are (default ./data, or $SWEEPER_DATA_DIR)")
    p.add_argument("--train_stride", type=argtypes.optional(argtypes.integer), default=5,
                   help="MNIST: train on every k-th image (the seed's 5: 12,000 images); digits use all")
    p.add_argument("--limit_train", type=argtypes.optional(argtypes.integer), default=None,
                   help="train on a random subset of this many images (tiny test runs)")
    p.add_argument("--limit_test", type=argtypes.optional(argtypes.integer), default=None,
                   help="validate on a random subset of this many images")
    p.add_argument("--seed", type=argtypes.optional(argtypes.integer), default=0)
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1...")
    return argtypes.parse(p, argv)


def create_net(width: int, dropout_p: float):
    """Seed 000's create_net."""
    from torch import nn

    net = nn.Sequential()
    net.add_module("conv1", nn.Conv2d(in_channels=1, out_channels=width, kernel_size=3))
    net.add_module("pool1", nn.MaxPool2d(kernel_size=2, stride=2))
    net.add_module("conv2", nn.Conv2d(in_channels=width, out_channels=width, kernel_size=5))
    net.add_module("pool2", nn.MaxPool2d(kernel_size=2, stride=2))
    net.add_module("dropout", nn.Dropout2d(p=dropout_p))
    net.add_module("adaptive_pool", nn.AdaptiveMaxPool2d((1, 1)))
    net.add_module("flatten", nn.Flatten())
    net.add_module("linear1", nn.Linear(width, width))
    net.add_module("relu", nn.ReLU())
    net.add_module("linear2", nn.Linear(width, 10))
    return net


class Metrics:
    """One JSON object per line to $SWEEPER_METRICS (when set), and a printed line either way."""

    def __init__(self):
        path = os.environ.get("SWEEPER_METRICS")
        self.file = open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115

    def log(self, row: dict):
        if self.file is not None:
            self.file.write(json.dumps(row) + "\n")
        else:
            print("metrics: " + json.dumps(row), flush=True)

    def close(self):
        if self.file is not None:
            self.file.close()


def resolve_ckpt(path: str | None) -> str | None:
    if not path:
        return None
    path = os.path.expanduser(path)
    run_dir = os.environ.get("SWEEPER_RUN_DIR")
    if run_dir and not os.path.isabs(path):
        path = os.path.join(run_dir, path)
    return path


def batches(n: int, batch_size: int, generator=None, shuffle: bool = False, drop_last: bool = False):
    import torch

    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    stop = n - n % batch_size if (drop_last and n >= batch_size) else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.hidden_layer_width < 1:
        print("epochs, batch_size and hidden_layer_width must be at least 1", file=sys.stderr)
        return 2
    try:
        import torch
        from torch import nn
    except ImportError:
        print("mnist_cnn.py needs PyTorch: pip install torch==2.13.0 (or `pip install -e '.[examples]'`)",
              file=sys.stderr)
        return 3

    seed = 0 if args.seed is None else args.seed
    torch.manual_seed(seed)
    if args.device == "auto":
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    print(f"device: {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
                                 f" ({torch.get_num_threads()} threads)"), flush=True)

    data = datasets.load("mnist", args.data_dir, args.limit_train, args.limit_test,
                         train_stride=args.train_stride, seed=seed)
    print(data.description, flush=True)
    x_train = torch.from_numpy(data.x_train).to(device)
    y_train = torch.from_numpy(data.y_train).to(device)
    x_test = torch.from_numpy(data.x_test).to(device)
    y_test = torch.from_numpy(data.y_test).to(device)

    model = create_net(args.hidden_layer_width, args.dropout_p).to(device)
    optimizer = getattr(torch.optim, args.optim_type)(params=model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    shuffle_gen = torch.Generator().manual_seed(seed)
    ckpt = resolve_ckpt(args.ckpt_path) if args.save_ckpt else None
    if ckpt and os.path.dirname(ckpt):
        os.makedirs(os.path.dirname(ckpt), exist_ok=True)

    print(f"params: lr={args.lr} batch_size={args.batch_size} hidden_layer_width={args.hidden_layer_width} "
          f"dropout_p={args.dropout_p} optim_type={args.optim_type} epochs={args.epochs}", flush=True)
    metrics = Metrics()
    best = -1.0
    try:
        for epoch in range(1, args.epochs + 1):
            started = time.perf_counter()
            model.train()
            total, count = 0.0, 0
            for idx in batches(len(y_train), args.batch_size, shuffle_gen, shuffle=True, drop_last=True):
                idx = idx.to(device)
                preds = model(x_train[idx])
                loss = loss_fn(preds, y_train[idx])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                total += loss.item() * len(idx)
                count += len(idx)
            train_loss = total / max(count, 1)

            model.eval()
            correct = 0
            with torch.no_grad():
                for idx in batches(len(y_test), 1000):
                    idx = idx.to(device)
                    correct += (model(x_test[idx]).argmax(dim=-1) == y_test[idx]).long().sum().item()
            val_acc = correct / max(len(y_test), 1)
            if val_acc > best:
                best = val_acc
                if ckpt:
                    torch.save(model.state_dict(), ckpt)
            seconds = time.perf_counter() - started
            now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            print(f"epoch {epoch}/{args.epochs} @{now} --> val_acc={100 * val_acc:.2f}% "
                  f"best={100 * best:.2f}% train_loss={train_loss:.4f} ({seconds:.2f} s)", flush=True)
            metrics.log({"epoch": epoch, "val_acc": val_acc, "best_val_acc": best, "train_loss": train_loss,
                         "epoch_seconds": round(seconds, 4)})
    finally:
        metrics.close()
    if ckpt:
        print(f"best checkpoint (val_acc={100 * best:.2f}%): {ckpt}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
