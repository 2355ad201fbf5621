"""Training configuration: a YAML file read into frozen dataclasses, every key checked
(:mod:`wmbench.core.schema`).

``load_config("tiny")`` reads ``configs/tiny.yaml`` beside this module; any other value is a path.
Unknown keys, missing stages and a global batch that ranks cannot split raise
:class:`~wmbench.core.errors.InputError` naming the file and the field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from reference_model.presets import PRESETS, RELEASE_SCHEDULER_SHIFT
from wmbench.core.errors import InputError
from wmbench.core.files import read_yaml
from wmbench.core.schema import closed, validate_plain

CONFIG_DIR = Path(files("reference_model.training").joinpath("configs"))  # package data
TIMESTEP_SAMPLERS = ("shifted", "logit_normal")
STRATEGIES = ("ddp", "fsdp")
LR_SCHEDULES = ("cosine", "constant")
CACHE_DTYPES = ("float32", "bfloat16")


@closed
@dataclass(frozen=True)
class Stage:
    """One progressive stage: clips of ``frames`` frames (8k+1, the VAE's counts) fitted to
    ``resolution`` (width, height); ``batch`` samples per optimizer step over all ranks, at most
    ``micro_batch`` per rank per forward (the rest by gradient accumulation); ``train`` holds
    globs (fnmatch) over parameter names, the parameters that learn (the others are frozen)."""

    name: str
    frames: int
    resolution: tuple[int, int]
    steps: int
    lr: float
    batch: int
    micro_batch: int
    train: tuple[str, ...] = ("*",)

    def accumulation(self, world_size: int, source: str = "<config>") -> int:
        """Micro-steps per optimizer step for ``world_size`` ranks."""
        per_step = self.micro_batch * world_size
        if self.batch % per_step:
            raise InputError(
                source,
                f"stages.{self.name}.batch",
                f"a multiple of micro_batch x ranks = {self.micro_batch} x {world_size}",
                str(self.batch),
            )
        return self.batch // per_step


@closed
@dataclass(frozen=True)
class DataConfig:
    """Where clips come from (``synthetic`` worlds or a ``clips`` folder in the posed-clip form of
    :mod:`reference_model.training.clips`) and how they are encoded."""

    source: str = "synthetic"
    clips: str = ""
    synthetic_clips: int = 4
    synthetic_worlds: int = 1
    synthetic_size: tuple[int, int] = (256, 128)
    fps: float = 16.0
    caption_dropout: float = 0.1
    max_sequence_length: int = 300
    shard_size: int = 64
    cache_dtype: str = "float32"


@closed
@dataclass(frozen=True)
class ObjectiveConfig:
    """Flow-matching times: ``shifted`` draws uniformly from the shifted table of diffusers'
    ``FlowMatchEulerDiscreteScheduler(shift)`` (what the pipeline samples from); ``logit_normal``
    draws the table position from a logit-normal (SD3's recipe; shift 1 for the plain one)."""

    timesteps: str = "shifted"
    shift: float = RELEASE_SCHEDULER_SHIFT
    logit_mean: float = 0.0
    logit_std: float = 1.0


@closed
@dataclass(frozen=True)
class OptimConfig:
    """AdamW with linear warmup then a cosine (to ``min_lr_ratio`` x lr) or constant schedule,
    gradient clipping, and an EMA of the weights (diffusers' ``EMAModel``)."""

    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    warmup_steps: int = 0
    schedule: str = "cosine"
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    ema_decay: float = 0.999


@closed
@dataclass(frozen=True)
class ParallelConfig:
    """``ddp`` or ``fsdp`` (FSDP2 ``fully_shard`` per block), activation checkpointing, bf16
    autocast (CUDA only; CPU runs in fp32), and intra-op threads per rank on a CPU."""

    strategy: str = "ddp"
    activation_checkpointing: bool = True
    bf16: bool = True
    cpu_threads: int = 1


@closed
@dataclass(frozen=True)
class TrainConfig:
    """A training run: the preset; its initial weights (``random``; ``checkpoint``: the base
    checkpoint's DiT; or a folder whose ``dit/`` file holds them, e.g. an earlier run's ``--out``);
    the base ``checkpoint`` folder that supplies a checkpoint preset's VAE and text encoder (empty:
    the weight store's); and the stages in order."""

    name: str
    preset: str
    stages: tuple[Stage, ...]
    init: str = "random"
    checkpoint: str = ""
    seed: int = 0
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    data: DataConfig = field(default_factory=DataConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    parallel: ParallelConfig = field(default_factory=ParallelConfig)

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))

    def with_total_steps(self, steps: int) -> TrainConfig:
        """The stages' step counts rescaled to ``steps`` in all, in their declared proportions
        (each stage at least one step)."""
        declared = sum(stage.steps for stage in self.stages)
        bounds = [
            round(steps * sum(s.steps for s in self.stages[: i + 1]) / declared)
            for i in range(len(self.stages))
        ]
        counts = [max(1, high - low) for low, high in zip([0, *bounds[:-1]], bounds, strict=True)]
        pairs = zip(self.stages, counts, strict=True)
        stages = tuple(dataclasses.replace(stage, steps=n) for stage, n in pairs)
        return dataclasses.replace(self, stages=stages)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def config_path(name: str) -> Path:
    """``configs/<name>.yaml`` for a bare name, else ``name`` as a path."""
    bundled = CONFIG_DIR / f"{name}.yaml"
    return bundled if "/" not in name and not name.endswith(".yaml") else Path(name)


def load_config(name: str) -> TrainConfig:
    """The configuration ``name`` (a bundled name or a YAML path), checked."""
    path = config_path(name)
    if not path.is_file():
        bundled = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
        raise InputError(path, "config", f"a YAML file (bundled: {', '.join(bundled)})", "none")
    raw = read_yaml(path, "config")
    if not isinstance(raw, dict):
        raise InputError(path, "config", "a mapping at the top level", type(raw).__name__)
    config = validate_plain(TrainConfig, {"name": path.stem, **raw}, path)
    check(config, path)
    return config


def check(config: TrainConfig, source: str | Path = "<config>") -> None:
    """Raise :class:`InputError` for values no run can use."""
    choices = {
        "preset": (config.preset, tuple(PRESETS)),
        "data.source": (config.data.source, ("synthetic", "clips")),
        "data.cache_dtype": (config.data.cache_dtype, CACHE_DTYPES),
        "objective.timesteps": (config.objective.timesteps, TIMESTEP_SAMPLERS),
        "optim.schedule": (config.optim.schedule, LR_SCHEDULES),
        "parallel.strategy": (config.parallel.strategy, STRATEGIES),
    }
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            raise InputError(source, name, f"one of {', '.join(allowed)}", repr(value))
    if config.data.source == "clips" and not config.data.clips:
        raise InputError(source, "data.clips", "a folder of posed clips for source 'clips'")
    if not config.stages:
        raise InputError(source, "stages", "at least one stage", "none")
    names = [stage.name for stage in config.stages]
    if len(set(names)) != len(names):
        raise InputError(source, "stages", "distinct stage names", str(names))
    for stage in config.stages:
        if stage.frames < 1 or (stage.frames - 1) % 8:
            raise InputError(source, f"stages.{stage.name}.frames", "8k+1 frames", stage.frames)
        if min(stage.steps, stage.batch, stage.micro_batch) < 1:
            raise InputError(source, f"stages.{stage.name}", "positive steps and batch sizes")
    if config.checkpoint_every < 1 or config.keep_checkpoints < 1:
        raise InputError(source, "checkpoint_every", "positive checkpoint_every/keep_checkpoints")
