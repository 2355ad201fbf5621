"""Chunk-causal (streaming) stage-1 generation on diffusers' SANA-WM pipeline, and its naive twin.

:func:`stream` denoises the latent frames chunk by chunk (:func:`chunked.chunk_bounds`) with the
pipeline's flow-matching scheduler and sampler (per-frame timesteps, the first latent frame held
clean as the conditioning anchor, classifier-free guidance as ``SanaWMPipeline``), each step one
forward of the chunk against the caches of the chunks before it; a finished chunk is run once
more, clean at timestep 0, to commit the caches (the self-forcing recipe of NVlabs/Sana
``inference_sana_wm_streaming.py``), and its frames are decoded and yielded as soon as the
decoder's context allows. :func:`naive_twin` samples the same chunks with the same noise, but
every step is one pass over the whole sequence so far with the block-causal masks of
:class:`reference_model.naive_causal.NaiveMixer`, and decodes the clip at the end.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import PIL.Image
import torch
from diffusers.pipelines.sana_wm import SanaWMPipeline
from diffusers.pipelines.sana_wm.pipeline_sana_wm import DEFAULT_CHI_PROMPT, retrieve_timesteps
from diffusers.utils.torch_utils import randn_tensor

from reference_model.chunked import chunk_bounds, forward
from reference_model.gdn import Scan
from reference_model.gdn_naive import reference_scan
from reference_model.naive_causal import NaiveMixer
from reference_model.stream_cache import StreamCache
from reference_model.stream_decode import ChunkDecoder, decode, decoder_context

_CALL = inspect.signature(SanaWMPipeline.__call__).parameters
# The released chunk-causal stage 1 (configs/sana_wm/stage1/...chunk_causal...yaml: chunk_size 3,
# first_chunk_plus_one) with the streaming recipe's softmax window (inference_sana_wm_streaming.py:
# num_cached_blocks 2, sink token on; a sink of the one clean anchor frame as vllm-omni's port).
RELEASE_CHUNK = 3
RELEASE_WINDOW = 2 * RELEASE_CHUNK
RELEASE_SINK = 1


@dataclass(frozen=True)
class Settings:
    """``chunk``: latent frames per chunk (the first has one more); ``window``: most recent
    earlier latent frames softmax blocks keep (None: all); ``sink``: first frames always kept."""

    chunk: int = RELEASE_CHUNK
    window: int | None = RELEASE_WINDOW
    sink: int = RELEASE_SINK


@dataclass
class Conditioning:
    """The pipeline's own inputs to the transformer: text (CFG batch: negative, then prompt),
    its mask, the first frame's latent, the camera tensors (B, T, 20) and (B, 48, T, h, w)."""

    text: torch.Tensor
    text_mask: torch.Tensor
    first_latent: torch.Tensor
    camera: torch.Tensor
    plucker: torch.Tensor
    guidance: float

    @property
    def latent_frames(self) -> int:
        return self.camera.shape[1]

    def batched(self, latents: torch.Tensor) -> torch.Tensor:
        return torch.cat([latents] * self.text.shape[0]) if self.text.shape[0] > 1 else latents


@torch.no_grad()
def prepare(
    pipe: SanaWMPipeline,
    image: PIL.Image.Image,
    prompt: str,
    c2w: np.ndarray,
    intrinsics: np.ndarray,
    size: tuple[int, int],
    num_frames: int,
    guidance: float,
) -> Conditioning:
    """Prompt, first frame and cameras encoded as ``SanaWMPipeline.__call__`` does."""
    width, height = size
    c2w, intr = pipe.prepare_camera_trajectory(c2w, None, intrinsics, num_frames)
    pixels, intr = pipe.image_processor.preprocess_with_intrinsics(image, intr, height, width)
    device, dtype = pipe._execution_device, pipe.transformer.dtype
    cond, cond_mask, neg, neg_mask = pipe.encode_prompt(
        prompt,
        "",
        device=device,
        max_sequence_length=_CALL["max_sequence_length"].default,
        chi_prompt=DEFAULT_CHI_PROMPT,
    )
    first = pipe._encode_first_frame(pixels, device, dtype)
    cfg = guidance > 1.0
    camera = pipe._build_camera_kwargs(
        c2w, intr, (height, width), device=device, dtype=dtype, do_cfg=cfg
    )
    return Conditioning(
        text=torch.cat([neg, cond]) if cfg else cond,
        text_mask=torch.cat([neg_mask, cond_mask]) if cfg else cond_mask,
        first_latent=first,
        camera=camera["camera_conditions"],
        plucker=camera["chunk_plucker"],
        guidance=guidance,
    )


Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def denoise_chunk(
    pipe: SanaWMPipeline, cond: Conditioning, noise: torch.Tensor, anchored: bool, steps: int,
    velocity: Velocity,
) -> torch.Tensor:  # fmt: skip
    """One chunk's latents (1, C, F, h, w) from ``noise`` by the pipeline's sampler; ``velocity``
    maps the (CFG-batched) latents and per-frame timesteps (B, 1, F) to the model's output.
    ``anchored``: the chunk starts with the conditioning frame, held clean."""
    latents, condition = noise.clone(), torch.zeros_like(noise)
    if anchored:
        latents[:, :, :1] = cond.first_latent
        condition[:, :, :1] = 1.0
    timesteps, _ = retrieve_timesteps(pipe.scheduler, steps, noise.device, None)
    cfg = cond.text.shape[0] > 1
    batch, channels, frames, height, width = latents.shape
    for t in timesteps:
        mask = cond.batched(condition)
        timestep = torch.min(t.expand(mask.shape).float(), (1.0 - mask) * 1000.0)
        prediction = velocity(cond.batched(latents), timestep[:, :1, :, 0, 0])
        if cfg:
            uncond, text = prediction.chunk(2)
            prediction = uncond + cond.guidance * (text - uncond)
            timestep = timestep.chunk(2)[0]
        denoised = pipe.scheduler.step(
            -prediction.reshape(batch, channels, -1).transpose(1, 2),
            t,
            latents.reshape(batch, channels, -1).transpose(1, 2),
            per_token_timesteps=timestep.reshape(batch, channels, -1)[:, 0],
            return_dict=False,
        )[0]
        denoised = denoised.transpose(1, 2).reshape(latents.shape)
        keep_clean = t / 1000.0 - 1e-6 < (1.0 - condition)
        latents = torch.where(keep_clean, denoised, latents).to(noise.dtype)
    return latents


def _noise(pipe: SanaWMPipeline, cond: Conditioning, frames: int, generator) -> torch.Tensor:
    _, _, _, height, width = cond.plucker.shape
    shape = (1, cond.first_latent.shape[1], frames, height, width)
    return randn_tensor(
        shape, generator=generator, device=cond.text.device, dtype=pipe.transformer.dtype
    )


@dataclass
class StreamChunk:
    """One finished chunk: its latent frames [start, end) and latents (1, C, F, h, w); the
    pixel frames (n, H, W, 3) in [0, 1] that became final with it (they continue the video; n may
    be 0 while a non-causal decoder waits for context); per GDN block and branch ("main",
    "cam") the carried state (H, D, D) of the prompted (CFG) row after the commit, and per block
    the decay gate (H,) averaged over the chunk's frames."""

    index: int
    start: int
    end: int
    latents: torch.Tensor
    frames: np.ndarray
    states: dict[tuple[int, str], torch.Tensor] = field(default_factory=dict)
    decays: dict[int, torch.Tensor] = field(default_factory=dict)


def stream(
    pipe: SanaWMPipeline,
    cond: Conditioning,
    settings: Settings,
    steps: int,
    generator: torch.Generator,
    scan: Scan = reference_scan,
    context: tuple[int, int] | None = None,
    decode: bool = True,
) -> Iterator[StreamChunk]:
    """Generate chunk by chunk; ``scan`` walks the GDN states (gdn_kernel's loop or Triton),
    ``context`` is the decoder's (left, right) reach (measured when None); without ``decode``
    the chunks carry no frames (the latents go on to the refiner)."""
    model = pipe.transformer
    _, _, frames, height, width = cond.plucker.shape
    bounds = chunk_bounds(frames, settings.chunk)
    cache = StreamCache(height * width, settings.sink, settings.window, scan)
    decoder = ChunkDecoder(pipe, context or decoder_context(pipe)) if decode else None
    for index, (start, end) in enumerate(bounds):
        camera, plucker = cond.camera[:, start:end], cond.plucker[:, :, start:end]

        def velocity(latents, timestep, camera=camera, plucker=plucker, start=start):
            return forward(
                model, latents, timestep, cond.text, cond.text_mask, camera, plucker, start, cache
            )

        with torch.no_grad():
            noise = _noise(pipe, cond, end - start, generator)
            latents = denoise_chunk(pipe, cond, noise, index == 0, steps, velocity)
            cache.commit = True
            clean = cond.batched(latents)
            velocity(clean, torch.zeros(clean.shape[0], 1, end - start, device=clean.device))
            cache.commit = False
        yield StreamChunk(
            index,
            start,
            end,
            latents,
            _frames(decoder, latents, last=index == len(bounds) - 1),
            {key: state[-1] for key, state in cache.states.items()},
            {block: decay[-1] for block, decay in cache.decays.items()},
        )


def _frames(decoder: ChunkDecoder | None, latents: torch.Tensor, last: bool) -> np.ndarray:
    if decoder is None:
        return np.zeros((0, 0, 0, 3), np.float32)
    return decoder.push(latents, last)


@dataclass
class TwinResult:
    """The naive twin's latents (1, C, T, h, w), frames (F, H, W, 3), and per GDN block and
    branch the forward state at every chunk's last frame (chunks, H, D, D) and per block the
    chunk-mean decay (chunks, H), of the prompted row, from one pass over the final latents."""

    latents: torch.Tensor
    frames: np.ndarray
    states: dict[tuple[int, str], torch.Tensor]
    decays: dict[int, torch.Tensor]


def naive_twin(
    pipe: SanaWMPipeline,
    cond: Conditioning,
    settings: Settings,
    steps: int,
    generator: torch.Generator,
) -> TwinResult:
    """The same sampling as :func:`stream` with every model call one masked pass over all frames
    so far (earlier chunks clean at timestep 0)."""
    model = pipe.transformer
    _, _, frames, height, width = cond.plucker.shape
    bounds = chunk_bounds(frames, settings.chunk)
    done: list[torch.Tensor] = []

    def whole(
        latents, timestep, upto: int, record: bool = False
    ) -> tuple[torch.Tensor, NaiveMixer]:
        chunks = [b for b in bounds if b[1] <= upto]
        mixer = NaiveMixer(chunks, height * width, settings.sink, settings.window, record)
        camera, plucker = cond.camera[:, :upto], cond.plucker[:, :, :upto]
        out = forward(
            model, latents, timestep, cond.text, cond.text_mask, camera, plucker, 0, mixer
        )
        return out, mixer

    with torch.no_grad():
        for index, (start, end) in enumerate(bounds):

            def velocity(latents, timestep, start=start, end=end):
                past = cond.batched(torch.cat(done, dim=2)) if done else latents[:, :, :0]
                clean = torch.zeros(*timestep.shape[:2], start, device=timestep.device)
                sequence = torch.cat([past, latents], dim=2)
                return whole(sequence, torch.cat([clean, timestep], dim=2), end)[0][:, :, start:]

            noise = _noise(pipe, cond, end - start, generator)
            done.append(denoise_chunk(pipe, cond, noise, index == 0, steps, velocity))
        latents = torch.cat(done, dim=2)
        clean = cond.batched(latents)
        zero = torch.zeros(clean.shape[0], 1, frames, device=clean.device)
        mixer = whole(clean, zero, frames, record=True)[1]
    return TwinResult(
        latents,
        decode(pipe, latents),
        {key: states[:, -1] for key, states in mixer.states.items()},
        {block: decays[:, -1] for block, decays in mixer.decays.items()},
    )


def diagnostics(
    states: dict[tuple[int, str], torch.Tensor], decays: dict[int, torch.Tensor]
) -> dict[str, float]:
    """One chunk's values, per GDN block: ``gdn_state_norm/block{i}`` and
    ``gdn_cam_state_norm/block{i}``, the carried D x D state's Frobenius norm (root mean square
    over heads) of the main and the camera branch, and ``gdn_decay_mean/block{i}``, the decay
    gate averaged over heads and the chunk's frames."""
    names = {"main": "gdn_state_norm", "cam": "gdn_cam_state_norm"}
    values = {
        f"{names[branch]}/block{block}": float(
            state.float().square().sum(dim=(-2, -1)).mean().sqrt()
        )
        for (block, branch), state in sorted(states.items())
    }
    for block, decay in sorted(decays.items()):
        values[f"gdn_decay_mean/block{block}"] = float(decay.float().mean())
    return values


def as_series(rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Per-chunk :func:`diagnostics` as one array (chunks,) per name."""
    return {name: np.array([row[name] for row in rows], dtype=np.float64) for name in rows[0]}
