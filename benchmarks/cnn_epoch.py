"""Time per epoch of seed 000's CNN (programs/mnist_cnn.py's create_net and training loop).

    .venv/bin/python benchmarks/cnn_epoch.py                      # CPU or the first GPU, default grid
    .venv/bin/python benchmarks/cnn_epoch.py --data digits --widths 16,64,128 --batch_sizes 32,128,512
    .venv/bin/python benchmarks/cnn_epoch.py --device cuda --data mnist-shape --widths 16,64,128 --batch_sizes 32,128,512

Data:
- digits: what the programs train on without the MNIST files (scikit-learn's digits, 1,438
  training / 359 validation images upsampled to 28x28);
- mnist-shape: random tensors of the seed's sizes (12,000 training images: every 5th of
  MNIST's 60,000, as the seed's Subset; 10,000 validation), 1x28x28. The network's work does not
  depend on the pixel values, so this times a real MNIST epoch without the files;
- mnist: the real IDX files under --data_dir (see programs/datasets.py), when present.

An epoch = one pass of training (shuffled batches, drop_last as the program) + validation of
the whole validation set, as programs/mnist_cnn.py does. One warm-up epoch, then the median of
--epochs timed epochs. Prints a Markdown table; --json writes the numbers too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "programs"))


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="digits,mnist-shape", help="comma-separated: digits, mnist-shape, mnist")
    p.add_argument("--data_dir", default="data")
    p.add_argument("--widths", type=ints, default=[16, 64, 128], help="hidden_layer_width values")
    p.add_argument("--batch_sizes", type=ints, default=[32, 128, 512], help="batch_size values (512: the seed's default)")
    p.add_argument("--epochs", type=int, default=2, help="timed epochs per setting (after one warm-up epoch)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--skip", default="", help="comma-separated data:width:batch settings to skip (slow on CPU)")
    p.add_argument("--json", default=None, help="also write the results here")
    return p.parse_args(argv)


def load(kind: str, data_dir: str, device):
    import datasets
    import numpy as np
    import torch

    if kind == "mnist-shape":
        rng = np.random.default_rng(0)
        x_train = rng.random((12000, 1, 28, 28), dtype=np.float32)
        y_train = rng.integers(0, 10, 12000)
        x_val = rng.random((10000, 1, 28, 28), dtype=np.float32)
        y_val = rng.integers(0, 10, 10000)
        label = "random tensors of MNIST's shape: 12,000 train (the seed's every-5th subset) / 10,000 val"
    else:
        if kind == "digits":
            x_train, y_train, x_val, y_val = datasets.load_digits_split()
            label = f"scikit-learn digits upsampled to 28x28: {len(y_train)} train / {len(y_val)} val"
        else:
            data = datasets.load("mnist", data_dir, train_stride=5)
            if data.is_fallback:
                raise SystemExit(f"--data mnist: no MNIST IDX files under {data_dir}")
            x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_test, data.y_test
            label = data.description
    t = {name: torch.as_tensor(a).to(device) for name, a in
         (("x_train", x_train), ("y_train", np.asarray(y_train, dtype=np.int64)),
          ("x_val", x_val), ("y_val", np.asarray(y_val, dtype=np.int64)))}
    return t, label


def one_epoch(model, optimizer, loss_fn, t, batch_size, gen, device):
    import torch
    from mnist_cnn import batches

    model.train()
    for idx in batches(len(t["y_train"]), batch_size, gen, shuffle=True, drop_last=True):
        idx = idx.to(device)
        loss = loss_fn(model(t["x_train"][idx]), t["y_train"][idx])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    correct = 0
    with torch.no_grad():
        for idx in batches(len(t["y_val"]), 1000):
            idx = idx.to(device)
            correct += (model(t["x_val"][idx]).argmax(dim=-1) == t["y_val"][idx]).sum()
    return int(correct)  # .item(): waits for the device


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    import torch
    from mnist_cnn import create_net
    from torch import nn

    import_s = time.perf_counter() - started
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "auto":
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda":
        where = f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    else:
        where = (f"CPU {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, "
                 f"torch {torch.__version__}")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    print(f"# CNN epoch time: {where}; Python {platform.python_version()}; import torch + programs: "
          f"{import_s:.2f} s\n")
    print(f"Command: {' '.join(['python', 'benchmarks/cnn_epoch.py', *(argv if argv is not None else sys.argv[1:])])}\n")
    results = []
    for kind in [k.strip() for k in args.data.split(",") if k.strip()]:
        t0 = time.perf_counter()
        t, label = load(kind, args.data_dir, device)
        load_s = time.perf_counter() - t0
        print(f"## {kind}: {label} (loaded in {load_s:.2f} s)\n")
        print("| hidden_layer_width | batch_size | s/epoch (median) | min | train img/s | epochs timed |")
        print("|---:|---:|---:|---:|---:|---:|")
        for width in args.widths:
            for bs in args.batch_sizes:
                if f"{kind}:{width}:{bs}" in skip:
                    print(f"| {width} | {bs} | skipped | | | |")
                    continue
                torch.manual_seed(0)
                model = create_net(width, 0.1).to(device)
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
                loss_fn = nn.CrossEntropyLoss()
                gen = torch.Generator().manual_seed(0)
                times = []
                for i in range(args.epochs + 1):
                    if device.type == "cuda":
                        torch.cuda.synchronize(device)
                    s = time.perf_counter()
                    one_epoch(model, optimizer, loss_fn, t, bs, gen, device)
                    if device.type == "cuda":
                        torch.cuda.synchronize(device)
                    if i > 0:  # the first epoch warms up (allocations, kernels, caches)
                        times.append(time.perf_counter() - s)
                med = statistics.median(times)
                n_train = len(t["y_train"]) - len(t["y_train"]) % bs
                print(f"| {width} | {bs} | {med:.3f} | {min(times):.3f} | {n_train / med:,.0f} | {len(times)} |",
                      flush=True)
                results.append({"data": kind, "width": width, "batch_size": bs, "median_s": med,
                                "min_s": min(times), "epochs": len(times), "device": str(device)})
        print()
    if args.json:
        Path(args.json).write_text(json.dumps({"where": where, "import_s": import_s, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
