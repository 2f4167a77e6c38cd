"""Training frameworks' W&B loggers, unchanged, under the real `sweeper agent`: Lightning's
WandbLogger and Hugging Face's Trainer (report_to="wandb"), each on a tiny model built here,
on CPU. Skipped where the framework is not installed (the examples extra brings both; CI has
it)."""

from __future__ import annotations

import os
import textwrap

import pytest
from wandblib import ok, output_of, require_wandb, rows_of

require_wandb()
pytestmark = pytest.mark.usefixtures("wandb_elsewhere")


LIGHTNING = """\
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    import lightning as L
    from lightning.pytorch.loggers import WandbLogger


    class Tiny(L.LightningModule):
        def __init__(self, lr):
            super().__init__()
            self.lr = lr
            self.net = nn.Linear(4, 1)

        def training_step(self, batch, _):
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr)


    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    data = DataLoader(TensorDataset(x, y), batch_size=16)
    logger = WandbLogger(project="lightning-demo")
    lr = logger.experiment.config["lr"]
    print(f"LIGHTNING lr={lr}", flush=True)
    trainer = L.Trainer(max_epochs=logger.experiment.config["epochs"], logger=logger, accelerator="cpu",
                        log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)
    trainer.fit(Tiny(lr), data, data)
"""


def test_lightning_wandb_logger_metrics_reach_the_store(project):
    if not os.environ.get("CI"):
        pytest.importorskip("lightning", reason="lightning is not installed (the examples extra brings it)")
    project.write("train_lightning.py", textwrap.dedent(LIGHTNING))
    sid = project.sweep("""
program: train_lightning.py
method: grid
metric: {name: val_loss, goal: minimize}
parameters:
  lr: {values: [0.05]}
  epochs: {value: 2}
""")
    ok(project.agent(sid, timeout=180))
    store = project.open()
    (run,) = store.runs(sid)
    assert run["state"] == "finished", output_of(run)[-3000:]
    assert "LIGHTNING lr=0.05" in output_of(run)
    rows = rows_of(store, run)
    train = [r for r in rows if "train_loss" in r]
    val = [r for r in rows if "val_loss" in r]
    assert len(train) == 8 and len(val) == 2  # 4 batches x 2 epochs; one validation per epoch
    assert [r["trainer/global_step"] for r in train] == list(range(8))
    assert [r["epoch"] for r in val] == [0, 1]
    assert run["metric_iter"] == 2 and run["best_value"] == min(r["val_loss"] for r in val)


HF_TRAINER = """\
    import torch
    from torch import nn
    from transformers import Trainer, TrainingArguments
    import wandb


    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Linear(4, 1)

        def forward(self, x, labels=None):
            out = self.net(x)
            return {"loss": nn.functional.mse_loss(out, labels), "logits": out}


    class Data(torch.utils.data.Dataset):
        def __init__(self):
            self.x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
            self.y = self.x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return {"x": self.x[i], "labels": self.y[i]}


    wandb.init(project="hf-demo")
    args = TrainingArguments(output_dir="out", report_to="wandb", learning_rate=wandb.config.lr,
                             num_train_epochs=2, per_device_train_batch_size=16, logging_steps=1,
                             eval_strategy="epoch", save_strategy="no", use_cpu=True, disable_tqdm=True)
    Trainer(model=Tiny(), args=args, train_dataset=Data(), eval_dataset=Data()).train()
"""


def test_hugging_face_trainer_report_to_wandb_metrics_reach_the_store(project):
    pytest.importorskip("transformers", reason="transformers is not installed (the examples extra brings it)")
    pytest.importorskip("accelerate", reason="the Trainer needs accelerate")
    project.write("train_hf.py", textwrap.dedent(HF_TRAINER))
    sid = project.sweep("""
program: train_hf.py
method: grid
metric: {name: eval/loss, goal: minimize}
parameters:
  lr: {values: [0.05]}
""")
    ok(project.agent(sid, timeout=180))
    store = project.open()
    (run,) = store.runs(sid)
    assert run["state"] == "finished", output_of(run)[-3000:]
    rows = rows_of(store, run)
    train = [r for r in rows if "train/loss" in r]
    evals = [r for r in rows if "eval/loss" in r]
    assert [r["train/global_step"] for r in train] == list(range(1, 9))  # 4 batches x 2 epochs
    assert train[0]["train/learning_rate"] == 0.05  # the sweep's value, through wandb.config
    assert [r["train/epoch"] for r in evals] == [1, 2]
    assert run["metric_iter"] == 2 and run["best_value"] == min(r["eval/loss"] for r in evals)
