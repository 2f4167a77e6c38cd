"""A Hydra app as sweeps meet them (seed 004): config groups, interpolation, `_target_`.

    python programs/hydra_app/train.py optim=sgd optim.lr=0.01 model.width=64

Under `sweeper agent` its sweep file's command ends in ${args_no_hyphens} (W&B's Hydra form:
nested parameters arrive as dotted keys) or ${args_hydra} (also chooses config groups and adds
keys the config lacks); configs/hydra_app.yaml is one. Each epoch appends {"epoch", "loss"} to
$SWEEPER_METRICS (printed when it is unset), and the config as the app saw it, resolved, goes
to $SWEEPER_RUN_DIR/hydra_config.json. No torch, no data: a few milliseconds per epoch.
"""

from __future__ import annotations

import json
import os
import sys

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for `_target_: parts.*`


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    resolved = OmegaConf.to_container(cfg, resolve=True)
    print(OmegaConf.to_yaml(cfg, resolve=True))
    if os.environ.get("SWEEPER_RUN_DIR"):
        with open(os.path.join(os.environ["SWEEPER_RUN_DIR"], "hydra_config.json"), "w") as f:
            json.dump(resolved, f)
    opt = instantiate(cfg.optim)
    model = instantiate(cfg.model)
    out = open(os.environ["SWEEPER_METRICS"], "a") if os.environ.get("SWEEPER_METRICS") else sys.stdout
    for epoch in range(cfg.epochs):
        print(json.dumps({"epoch": epoch, "loss": model.loss(epoch, opt, cfg.batch_size)}), file=out, flush=True)


if __name__ == "__main__":
    main()
