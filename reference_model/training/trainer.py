"""``train``: a config's stages in order, each starting from the previous stage's weights.

Per stage: the transformer is built (random, or from ``init``), its trainable parameters picked by
the stage's globs, wrapped (DDP or FSDP2) and given a fresh AdamW; it then loads its own last
checkpoint (resume) or the previous stage's final one (weights and EMA). Each optimizer step runs
``batch / (micro_batch x ranks)`` micro-steps, clips the gradient norm, steps AdamW at the
scheduled rate, updates the EMA, logs a row of ``metrics.csv`` and checkpoints every
``checkpoint_every`` steps and at the stage's end. The run ends by exporting the EMA transformer
to ``<out>/dit/`` for the adapter. ``<out>/config.json`` records the config; resuming with another
(other than its ``parallel`` section, which may change between runs) is refused.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers.training_utils import EMAModel
from torch.distributed.tensor import DTensor
from tqdm import tqdm

from reference_model.loading import DIT_FILE, exported_preset, load_transformer
from reference_model.presets import PRESETS
from reference_model.training.atomic import save_json
from reference_model.training.checkpoint import (
    TrainState,
    saved_steps,
    stage_folder,
    step_folder,
)
from reference_model.training.config import Stage, TrainConfig
from reference_model.training.dataset import LatentCache, stream_rows
from reference_model.training.metrics import MetricsLog, peak_memory_gib
from reference_model.training.objective import FlowMatching
from reference_model.training.optim import adamw, learning_rate, select_trainable
from reference_model.training.parallel import Runtime, autocast, gradient_sync, unwrap, wrap
from reference_model.training.prepare import base_checkpoint, prepare
from wmbench.core.errors import InputError

CONFIG_RECORD = "config.json"
METRICS = "metrics.csv"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Run:
    config: TrainConfig
    runtime: Runtime
    out: Path
    log: MetricsLog


def train(config: TrainConfig, out: Path, cache: Path, runtime: Runtime) -> Path:
    """Run (or resume) every stage of ``config`` into ``out``; return the exported DiT file."""
    out = Path(out)
    _record(config, out, runtime)
    caches = prepare(config, cache, runtime)
    run = _Run(config, runtime, out, MetricsLog(out / METRICS, enabled=runtime.rank == 0))
    done: list[str] = []
    previous: Path | None = None
    state: TrainState | None = None
    offset = 0
    for index, (stage, stage_cache) in enumerate(zip(config.stages, caches, strict=True)):
        folder = stage_folder(out, index, stage.name)
        if stage.steps in saved_steps(folder):
            state = None
        else:
            state = _run_stage(run, index, stage, stage_cache, previous, done, offset)
        previous = step_folder(folder, stage.steps)
        done.append(stage.name)
        offset += stage.steps
    if state is None:
        state = stage_state(config, runtime, config.stages[-1])
        state.load(previous, optimizer=False)
    preset = PRESETS[config.preset]
    base = base_checkpoint(config) if preset.from_checkpoint else None
    return state.export(runtime, out, preset, base)


def _record(config: TrainConfig, out: Path, runtime: Runtime) -> None:
    record = out / CONFIG_RECORD
    settings = config.to_dict()
    if record.is_file():
        recorded = json.loads(record.read_text())
        if {**recorded, "parallel": None} != {**settings, "parallel": None}:
            raise InputError(
                record, "config", "the config this run was started with", "another; use a new --out"
            )
    runtime.barrier()
    if runtime.rank == 0:
        save_json(record, settings)


def initial_transformer(config: TrainConfig) -> torch.nn.Module:
    """The transformer a run starts from, on the CPU in float32."""
    preset = PRESETS[config.preset]
    if config.init == "random":
        return preset.build_transformer(config.seed)
    folder = (
        base_checkpoint(config) if config.init == "checkpoint" else Path(config.init).expanduser()
    )
    if not preset.from_checkpoint and exported_preset(folder / DIT_FILE) != preset.name:
        raise InputError(folder / DIT_FILE, "init", f"a DiT exported for preset {preset.name}")
    return load_transformer(preset, folder, torch.device("cpu"), torch.float32)


def stage_state(config: TrainConfig, runtime: Runtime, stage: Stage) -> TrainState:
    """The initial transformer with ``stage``'s trainable parameters, wrapped, with a fresh AdamW
    and EMA (nothing loaded)."""
    model = initial_transformer(config)
    select_trainable(model, stage)
    model = wrap(model.to(runtime.device).train(), runtime, config.parallel)
    names, parameters = zip(*unwrap(model).named_parameters(), strict=True)
    ema = EMAModel(parameters, decay=config.optim.ema_decay, foreach=True)
    progress = {"step": 0, "samples": 0, "ema_updates": 0}
    return TrainState(model, adamw(model, stage, config.optim), ema, list(names), progress)


Fetch = Callable[[int], tuple[dict[str, torch.Tensor], range]]


def train_step(
    state: TrainState,
    objective: FlowMatching,
    fetch: Fetch,
    accumulation: int,
    null: tuple[torch.Tensor, torch.Tensor],
    stage_index: int,
    lr: float,
    config: TrainConfig,
    runtime: Runtime,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step: ``accumulation`` micro-steps over ``fetch(micro)`` (a batch and its
    stream positions), gradients reduced on the last, clipped, AdamW at ``lr``, then the EMA.
    Returns the per-sample losses summed over all ranks, and the gradient norm before clipping."""
    loss_sum = torch.zeros((), device=runtime.device)
    for micro in range(accumulation):
        batch, positions = fetch(micro)
        with gradient_sync(state.model, micro == accumulation - 1):
            with autocast(runtime, config.parallel.bf16):
                losses = objective.losses(state.model, batch, null, stage_index, positions)
            (losses.mean() / accumulation).backward()
        loss_sum += losses.detach().sum()
    # Listed after backward: FSDP2 has resharded them into the DTensors the EMA shadows.
    parameters = list(unwrap(state.model).parameters())
    trainable = [p for p in parameters if p.requires_grad]
    grad_norm = torch.nn.utils.clip_grad_norm_(trainable, config.optim.grad_clip or math.inf)
    if isinstance(grad_norm, DTensor):
        grad_norm = grad_norm.full_tensor()
    for group in state.optimizer.param_groups:
        group["lr"] = lr
    state.optimizer.step()
    state.optimizer.zero_grad(set_to_none=True)
    state.ema.step(parameters)
    return runtime.sum(loss_sum), grad_norm


def _run_stage(
    run: _Run,
    index: int,
    stage: Stage,
    cache_folder: Path,
    previous: Path | None,
    done: list[str],
    offset: int,
) -> TrainState:
    config, runtime, log = run.config, run.runtime, run.log
    folder = stage_folder(run.out, index, stage.name)
    state = stage_state(config, runtime, stage)
    if saved := saved_steps(folder):
        state.load(step_folder(folder, saved[-1]), optimizer=True)
    elif previous is not None:
        state.load(previous, optimizer=False)
    log.truncate(done, stage.name, state.progress["step"])
    cache = LatentCache(cache_folder)
    device = runtime.device
    null = (cache.null_embeds.to(device), cache.null_mask.to(device))
    objective = FlowMatching(config.objective, config.data.caption_dropout, config.seed)
    accumulation = stage.accumulation(runtime.world_size)
    patch = unwrap(state.model).config.patch_size
    tokens = math.prod(cache.latent_shape[1:]) // math.prod(patch)
    logger.info(
        "stage %s: %d samples, %d steps from step %d, %d micro-steps per step",
        stage.name,
        len(cache),
        stage.steps,
        state.progress["step"],
        accumulation,
    )
    bar = tqdm(
        total=stage.steps,
        initial=state.progress["step"],
        desc=stage.name,
        disable=runtime.rank != 0,
    )

    def fetch(micro: int) -> tuple[dict[str, torch.Tensor], range]:
        rank_slot = micro * runtime.world_size + runtime.rank
        first = state.progress["samples"] + rank_slot * stage.micro_batch
        positions = range(first, first + stage.micro_batch)
        rows = stream_rows(len(cache), config.seed, index, positions)
        return cache.batch(rows, device), positions

    for step in range(state.progress["step"], stage.steps):
        began = time.perf_counter()
        lr = learning_rate(stage, config.optim, step)
        loss_sum, grad_norm = train_step(
            state, objective, fetch, accumulation, null, index, lr, config, runtime
        )
        state.progress = {
            "step": step + 1,
            "samples": state.progress["samples"] + stage.batch,
            "ema_updates": state.ema.optimization_step,
        }
        loss = loss_sum.item() / stage.batch
        seconds = time.perf_counter() - began
        log.write(
            {
                "stage": stage.name,
                "step": step + 1,
                "global_step": offset + step + 1,
                "loss": loss,
                "lr": lr,
                "grad_norm": grad_norm.item(),
                "samples_per_s": stage.batch / seconds,
                "tokens_per_s": stage.batch * tokens / seconds,
                "peak_mem_gib": peak_memory_gib(device),
                "step_s": seconds,
            }
        )
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}")
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == stage.steps:
            state.save(runtime, folder, config.keep_checkpoints)
    bar.close()
    return state
