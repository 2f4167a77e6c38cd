"""What programs/hydra_app/train.py instantiates from its config (`_target_: parts.Optimizer`)."""

from __future__ import annotations

import math

BEST_LOG10_LR = {"adam": -3.0, "sgd": -1.5}


class Optimizer:
    def __init__(self, algo: str, lr: float, weight_decay: float = 0.0, momentum: float = 0.0) -> None:
        self.algo, self.lr, self.weight_decay, self.momentum = algo, lr, weight_decay, momentum


class Model:
    def __init__(self, layers: int, width: int, dropout: float | None = None) -> None:
        self.layers, self.width, self.dropout = layers, width, dropout

    def loss(self, epoch: int, opt: Optimizer, batch_size: int) -> float:
        """A deterministic learning curve: its floor set by how far each choice is from its best."""
        far = abs(math.log10(opt.lr) - BEST_LOG10_LR.get(opt.algo, -2.0))
        far += abs(math.log2(self.width / 64)) * 0.3 + abs((self.dropout or 0.0) - 0.2)
        far += abs(math.log2(batch_size / 64)) * 0.2
        floor = 0.05 + 0.4 * far
        return floor + 2.0 * math.exp(-(epoch + 1) * 0.6)
