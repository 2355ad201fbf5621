"""``prepare``: encode posed clips once into per-stage caches that training reads as tensors.

Encoding goes through the pipeline the ``sana-wm`` adapter builds (:func:`build_pipeline`): the
clip's frames through its VAE and ``video_processor``, the caption through ``encode_prompt`` (with
the release's chi prompt), and the cameras through ``prepare_camera_trajectory`` and
``_build_camera_kwargs``, the code that packs them at inference. Layout under the cache root::

    clips/                       synthetic clips, rendered here (data.source: synthetic)
    <F>f-<W>x<H>/                one folder per stage shape (frames, width x height)
        settings.json            what the tensors were made with; another config's run is refused
        null_text.pt             the empty prompt's embedding and mask (caption dropout)
        shard-00000.pt ...       up to data.shard_size clips each: tensors stacked on dim 0, the
                                 clip names, and the clips rejected with their reasons
        manifest.json            written last: shards, samples, every rejected clip and why

Shards are written atomically and split over torchrun ranks; a rerun skips each shard whose clip
list is unchanged, so an interrupted prepare resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch
from diffusers.pipelines.sana_wm import SanaWMPipeline
from diffusers.pipelines.sana_wm.pipeline_sana_wm import DEFAULT_CHI_PROMPT
from PIL import Image

from reference_model.loading import build_pipeline, default_checkpoint
from reference_model.presets import PRESETS, RANDOM_INIT_SEED
from reference_model.training.atomic import save_json, save_tensors
from reference_model.training.clips import clip_names, read_clip, window
from reference_model.training.config import Stage, TrainConfig
from reference_model.training.parallel import Runtime
from reference_model.training.synthetic import clip_name, render_clips
from wmbench.core.errors import InputError
from wmbench.core.types import Trajectory

MANIFEST = "manifest.json"
SETTINGS = "settings.json"
NULL_TEXT = "null_text.pt"
CLIPS = "clips"
TENSOR_KEYS = ("latents", "prompt_embeds", "prompt_mask", "camera_conditions", "chunk_plucker")
logger = logging.getLogger(__name__)


def stage_cache(root: Path, stage: Stage) -> Path:
    width, height = stage.resolution
    return Path(root) / f"{stage.frames}f-{width}x{height}"


def clips_folder(config: TrainConfig, root: Path) -> Path:
    return Path(config.data.clips) if config.data.source == "clips" else Path(root) / CLIPS


def base_checkpoint(config: TrainConfig) -> Path:
    """The folder a checkpoint preset's VAE and text encoder come from."""
    return Path(config.checkpoint).expanduser() if config.checkpoint else default_checkpoint()


def cache_settings(config: TrainConfig, stage: Stage) -> dict:
    """What a stage's tensors depend on besides the clip list (kept in the manifest)."""
    preset = PRESETS[config.preset]
    data = config.data
    source = (
        {"clips": str(Path(data.clips).resolve())}
        if data.source == "clips"
        else {
            "synthetic": {
                "size": list(data.synthetic_size),
                "worlds": data.synthetic_worlds,
                "seed": config.seed,
            }
        }
    )
    return {
        "preset": config.preset,
        "weights": str(base_checkpoint(config)) if preset.from_checkpoint else RANDOM_INIT_SEED,
        "frames": stage.frames,
        "resolution": list(stage.resolution),
        "fps": data.fps,
        "max_sequence_length": data.max_sequence_length,
        "cache_dtype": data.cache_dtype,
        **source,
    }


def complete(cache: Path, names: list[str], settings: dict) -> bool:
    """Whether ``cache`` holds all of ``names`` (its manifest lists exactly them); a cache made
    with other ``settings`` raises :class:`InputError`."""
    recorded = cache / SETTINGS
    if recorded.is_file() and json.loads(recorded.read_text()) != settings:
        raise InputError(
            recorded,
            "settings",
            f"{settings} (this config's)",
            "another config's; use another --cache",
        )
    manifest = cache / MANIFEST
    return manifest.is_file() and json.loads(manifest.read_text())["clips"] == names


def prepare(config: TrainConfig, root: Path, runtime: Runtime) -> list[Path]:
    """Render (synthetic source) and encode the clips of every stage not yet cached; every rank
    takes part. Returns the stage caches in stage order."""
    root = Path(root)
    folder = clips_folder(config, root)
    data = config.data
    if data.source == "synthetic":
        if runtime.rank == 0:
            frames = max(stage.frames for stage in config.stages)
            render_clips(
                folder,
                data.synthetic_clips,
                data.synthetic_worlds,
                frames,
                data.fps,
                data.synthetic_size,
                config.seed,
            )
        runtime.barrier()
        names = [clip_name(index) for index in range(data.synthetic_clips)]
    else:
        names = clip_names(folder)
    if not names:
        raise InputError(folder, "clips", "posed clips (<name>.npz beside frames)", "none")
    caches = [stage_cache(root, stage) for stage in config.stages]
    pairs = zip(caches, config.stages, strict=True)
    pending = {
        cache: stage
        for cache, stage in pairs
        if not complete(cache, names, cache_settings(config, stage))
    }
    if pending:
        dtype = torch.bfloat16 if runtime.device.type == "cuda" else torch.float32
        pipe = build_pipeline(
            PRESETS[config.preset], base_checkpoint(config), runtime.device, dtype
        )
        for cache, stage in pending.items():
            _prepare_stage(pipe, config, stage, folder, names, cache, runtime)
    return caches


def _prepare_stage(
    pipe: SanaWMPipeline,
    config: TrainConfig,
    stage: Stage,
    folder: Path,
    names: list[str],
    cache: Path,
    runtime: Runtime,
) -> None:
    null = null_text(pipe, config.data.max_sequence_length)
    if runtime.rank == 0:
        save_json(cache / SETTINGS, cache_settings(config, stage))
        save_tensors(cache / NULL_TEXT, {"prompt_embeds": null[0][0, 0], "prompt_mask": null[1][0]})
    size = config.data.shard_size
    groups = [names[start : start + size] for start in range(0, len(names), size)]
    for index in range(runtime.rank, len(groups), runtime.world_size):
        path = cache / f"shard-{index:05d}.pt"
        if (
            path.is_file()
            and torch.load(path, mmap=True, weights_only=True)["clips"] == groups[index]
        ):
            continue
        save_tensors(path, _encode_group(pipe, null, config, stage, folder, groups[index]))
    runtime.barrier()
    if runtime.rank == 0:
        _write_manifest(cache, names, len(groups))
    runtime.barrier()


def _encode_group(
    pipe: SanaWMPipeline,
    null: tuple[torch.Tensor, torch.Tensor],
    config: TrainConfig,
    stage: Stage,
    folder: Path,
    group: list[str],
) -> dict:
    samples, accepted, rejected = [], [], []
    for name in group:
        try:
            clip = read_clip(folder, name)
            frames, trajectory = window(clip, stage.frames, config.data.fps, stage.resolution)
        except InputError as error:
            logger.warning("rejected clip %s: %s", name, error)
            rejected.append([name, str(error)])
            continue
        samples.append(
            encode_clip(
                pipe, null, frames, trajectory, clip.caption, config.data.max_sequence_length
            )
        )
        accepted.append(name)
    shard: dict = {"clips": group, "names": accepted, "rejected": rejected}
    dtype = getattr(torch, config.data.cache_dtype)
    for key in TENSOR_KEYS if samples else ():
        stacked = torch.stack([sample[key] for sample in samples]).cpu()
        shard[key] = stacked.to(dtype) if stacked.is_floating_point() else stacked
    return shard


def _write_manifest(cache: Path, names: list[str], shards: int) -> None:
    entries, rejected, samples = [], [], 0
    for index in range(shards):
        name = f"shard-{index:05d}.pt"
        shard = torch.load(cache / name, mmap=True, weights_only=True)
        entries.append({"file": name, "samples": len(shard["names"])})
        rejected += shard["rejected"]
        samples += len(shard["names"])
    if not samples:
        raise InputError(cache, "clips", "at least one usable clip", f"all rejected: {rejected}")
    manifest = {"clips": names, "shards": entries, "samples": samples, "rejected": rejected}
    save_json(cache / MANIFEST, manifest)


@torch.no_grad()
def null_text(pipe: SanaWMPipeline, max_sequence_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The pipeline's unconditional text: the empty negative prompt, (1,1,L,D) and (1,L)."""
    _, _, embeds, mask = pipe.encode_prompt(
        "",
        device=pipe.vae.device,
        max_sequence_length=max_sequence_length,
        chi_prompt=DEFAULT_CHI_PROMPT,
    )
    return embeds, mask


@torch.no_grad()
def encode_clip(
    pipe: SanaWMPipeline,
    null: tuple[torch.Tensor, torch.Tensor],
    frames: np.ndarray,
    trajectory: Trajectory,
    caption: str,
    max_sequence_length: int,
) -> dict[str, torch.Tensor]:
    """One clip's training tensors, frames (F,H,W,3) uint8 at the model's size and cameras in its
    pixels: normalised VAE latents (C,T,h,w), caption embedding (L,D) and mask (L,), camera
    conditions (T,20) and chunk Plücker rays (6*stride,T,h,w)."""
    device = pipe.vae.device
    height, width = frames.shape[1:3]
    c2w, intrinsics = pipe.prepare_camera_trajectory(
        trajectory.c2w, None, trajectory.intrinsics, len(trajectory)
    )
    camera = pipe._build_camera_kwargs(
        c2w, intrinsics, (height, width), device=device, dtype=torch.float32, do_cfg=False
    )
    video = pipe.video_processor.preprocess_video(
        [Image.fromarray(f) for f in frames], height, width
    )
    latents = normalised_latents(pipe, video.to(device, pipe.vae.dtype))
    embeds, mask, _, _ = pipe.encode_prompt(
        caption,
        device=device,
        max_sequence_length=max_sequence_length,
        chi_prompt=DEFAULT_CHI_PROMPT,
        negative_prompt_embeds=null[0],
        negative_prompt_attention_mask=null[1],
    )
    return {
        "latents": latents[0],
        "prompt_embeds": embeds[0, 0],
        "prompt_mask": mask[0],
        "camera_conditions": camera["camera_conditions"][0],
        "chunk_plucker": camera["chunk_plucker"][0],
    }


def normalised_latents(pipe: SanaWMPipeline, video: torch.Tensor) -> torch.Tensor:
    """The VAE's posterior mode of ``video`` (B,3,F,H,W) in [-1,1], normalised as the pipeline
    normalises its first-frame latent (``_encode_first_frame``)."""
    vae = pipe.vae
    z = vae.encode(video).latent_dist.mode()
    mean = vae.latents_mean.view(1, -1, 1, 1, 1).to(z)
    std = vae.latents_std.view(1, -1, 1, 1, 1).to(z)
    return (z - mean) * vae.config.scaling_factor / std
