"""Which parameters a stage trains, its AdamW, and the learning rate at each step."""

from __future__ import annotations

import math
from fnmatch import fnmatch

import torch

from reference_model.training.config import OptimConfig, Stage
from wmbench.core.errors import InputError


def select_trainable(model: torch.nn.Module, stage: Stage) -> int:
    """Set ``requires_grad`` from the stage's ``train`` globs; return how many tensors train."""
    count = 0
    for name, parameter in model.named_parameters():
        trains = any(fnmatch(name, pattern) for pattern in stage.train)
        parameter.requires_grad_(trains)
        count += trains
    if not count:
        raise InputError(
            f"stage {stage.name}", "train", "globs matching parameter names", str(list(stage.train))
        )
    return count


def adamw(model: torch.nn.Module, stage: Stage, optim: OptimConfig) -> torch.optim.AdamW:
    trainable = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        trainable, lr=stage.lr, betas=optim.betas, eps=optim.eps, weight_decay=optim.weight_decay
    )


def learning_rate(stage: Stage, optim: OptimConfig, step: int) -> float:
    """The rate of 0-based ``step``: linear warmup over ``warmup_steps``, then constant or a
    cosine from ``lr`` down to ``min_lr_ratio * lr`` at the stage's last step."""
    if step < optim.warmup_steps:
        return stage.lr * (step + 1) / optim.warmup_steps
    if optim.schedule == "constant":
        return stage.lr
    span = max(1, stage.steps - 1 - optim.warmup_steps)
    progress = min(1.0, (step - optim.warmup_steps) / span)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return stage.lr * (optim.min_lr_ratio + (1.0 - optim.min_lr_ratio) * cosine)
