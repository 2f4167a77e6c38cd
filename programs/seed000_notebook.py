"""Seed 000's notebook flow, on sweeper instead of W&B: a sweep config built as a dict,
`sweeper.sweep`, and `sweeper.agent(sweep_id, function=train, count=...)` where `train`
calls `init`, reads `config`, `log`s each epoch and `finish`es.

Porting from the notebook is a search-and-replace of `wandb` by `sweeper`:

    python programs/seed000_notebook.py --count 5            # as in the notebook (15 epochs each)
    python programs/seed000_notebook.py --count 2 --epochs 2 --limit_train 300   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
from pprint import pprint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import datasets
from mnist_cnn import batches, create_net

import sweeper

# The notebook's defaults (its argparse.Namespace `config`).
DEFAULTS = {"project_name": "wandb_demo", "batch_size": 512, "hidden_layer_width": 64, "dropout_p": 0.1,
            "lr": 1e-4, "optim_type": "Adam", "epochs": 15, "ckpt_path": "checkpoint.pt"}


def sweep_config(epochs: int) -> dict:
    """The notebook's sweep_config, built up the same way."""
    config = {"method": "random"}
    config["metric"] = {"name": "val_acc", "goal": "maximize"}
    config["parameters"] = {}
    config["parameters"].update({  # fixed
        "project_name": {"value": "wandb_demo"},
        "epochs": {"value": epochs},
        "ckpt_path": {"value": "checkpoint.pt"}})
    config["parameters"].update({  # discrete
        "optim_type": {"values": ["Adam", "SGD", "AdamW"]},
        "hidden_layer_width": {"values": [16, 32, 48, 64, 80, 96, 112, 128]}})
    config["parameters"].update({  # continuous
        "lr": {"distribution": "log_uniform_values", "min": 1e-6, "max": 0.1},
        "batch_size": {"distribution": "q_uniform", "q": 8, "min": 32, "max": 256},
        "dropout_p": {"distribution": "uniform", "min": 0, "max": 0.6}})
    config["early_terminate"] = {"type": "hyperband", "min_iter": 3, "eta": 2, "s": 3}  # judged at 3, 6, 12
    return config


def make_train(limit_train: int | None, limit_test: int | None):
    def train():
        import torch
        from torch import nn

        run = sweeper.init(config=DEFAULTS, project=DEFAULTS["project_name"])
        config = sweeper.config
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        data = datasets.load("mnist", os.environ.get("SWEEPER_DATA_DIR", "data"), limit_train, limit_test,
                             train_stride=5)
        print(data.description, flush=True)
        x_train, y_train = torch.from_numpy(data.x_train).to(device), torch.from_numpy(data.y_train).to(device)
        x_val, y_val = torch.from_numpy(data.x_test).to(device), torch.from_numpy(data.y_test).to(device)
        model = create_net(config.hidden_layer_width, config.dropout_p).to(device)
        optimizer = getattr(torch.optim, config.optim_type)(params=model.parameters(), lr=config.lr)
        loss_fn = nn.CrossEntropyLoss()
        best = -1.0
        ckpt = os.path.join(run.dir, config.ckpt_path)
        for epoch in range(1, config.epochs + 1):
            model.train()
            for idx in batches(len(y_train), int(config.batch_size), shuffle=True, drop_last=True):
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            model.eval()
            with torch.no_grad():
                val_acc = (model(x_val).argmax(dim=-1) == y_val).float().mean().item()
            if val_acc > best:
                best = val_acc
                torch.save(model.state_dict(), ckpt)
            print(f"epoch {epoch}: val_acc={val_acc:.4f}", flush=True)
            sweeper.log({"epoch": epoch, "val_acc": val_acc, "best_val_acc": best})
        sweeper.finish()

    return train


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=5, help="runs for this agent (the notebook's count=5)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per run (the notebook's sweep uses 10)")
    p.add_argument("--limit_train", type=int, default=None, help="train on this many images (quick runs)")
    p.add_argument("--limit_test", type=int, default=None)
    args = p.parse_args(argv)

    config = sweep_config(args.epochs)
    pprint(config)
    sweep_id = sweeper.sweep(config, project=DEFAULTS["project_name"])
    print(f"sweep {sweep_id}", flush=True)
    code = sweeper.agent(sweep_id, function=make_train(args.limit_train, args.limit_test), count=args.count)
    return 0 if code in (0, 3) else code


if __name__ == "__main__":
    sys.exit(main())
