"""Decoding latent chunks to frames as they finish, equal to decoding the whole clip at once.

The LTX-2 decoder mixes frames only through temporal convolutions, so pixel frames of latent frame
i depend on latent frames i - left .. i + right (``right`` is 0 for a causal decoder).
:func:`decoder_context` measures (left, right) once by perturbing one latent frame of a small
probe; :class:`ChunkDecoder` then decodes each finished run of chunks with ``left`` frames of
context before it and ``right`` after it (waiting for them when the decoder is not causal), and
keeps only those frames, so the frames equal the whole-clip decode while the latents it holds stay
bounded by the context.
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers.pipelines.sana_wm import SanaWMPipeline

_PROBE_SPATIAL = 2  # latent rows and columns of the probe (reflect padding needs more than 1)
_PROBE_START = 16  # latent frames each side of the perturbed one, doubled until the reach fits
_PROBE_LIMIT = 512  # latent frames: a decoder reaching further than this is refused


def decode(pipe: SanaWMPipeline, latents: torch.Tensor) -> np.ndarray:
    """Frames (F, H, W, 3) in [0, 1] of ``latents`` (1, C, T, h, w), as the pipeline decodes."""
    with torch.no_grad():
        video = pipe._decode_latents(latents)
    return pipe.video_processor.postprocess_video(video, output_type="np")[0]


def pixel_span(first: int, start: int, end: int, stride: int) -> tuple[int, int]:
    """Pixel frames of latent frames [start, end) in a decode that begins at latent ``first``
    (its first latent frame gives one pixel frame, every later one ``stride``)."""
    begin = 0 if start == first else 1 + stride * (start - first - 1)
    return begin, 1 + stride * (end - 1 - first)


def decoder_context(pipe: SanaWMPipeline) -> tuple[int, int]:
    """(left, right): how many latent frames before and after a latent frame its pixel frames
    depend on, measured on ``pipe.vae``'s decoder."""
    vae = pipe.vae
    stride = pipe.vae_temporal_compression_ratio
    half = _PROBE_START
    generator = torch.Generator(device="cpu").manual_seed(0)
    while half <= _PROBE_LIMIT:
        frames = 2 * half + 1
        shape = (1, vae.config.latent_channels, frames, _PROBE_SPATIAL, _PROBE_SPATIAL)
        probe = torch.randn(shape, generator=generator).to(vae.device, vae.dtype)
        moved = probe.clone()
        moved[:, :, half] += 1.0
        with torch.no_grad():
            change = (vae.decode(probe).sample - vae.decode(moved).sample).abs()
        touched = torch.nonzero(change.amax(dim=(0, 1, 3, 4)) > 0).flatten().tolist()
        latent = [0 if p == 0 else (p - 1) // stride + 1 for p in touched]
        if min(latent) > 0 and max(latent) < frames - 1:
            return max(latent) - half, half - min(latent)
        half *= 2
    raise ValueError(f"the VAE decoder's temporal reach exceeds {_PROBE_LIMIT} latent frames")


class ChunkDecoder:
    """Frames of the chunks pushed so far whose context is complete. ``context`` is
    :func:`decoder_context`'s (left, right)."""

    def __init__(self, pipe: SanaWMPipeline, context: tuple[int, int]) -> None:
        self.pipe = pipe
        self.left, self.right = context
        self.stride = pipe.vae_temporal_compression_ratio
        self.buffer: torch.Tensor | None = None  # latents of frames [self.first, self.end)
        self.first = 0
        self.end = 0
        self.done = 0  # latent frames already decoded

    def push(self, latents: torch.Tensor, last: bool) -> np.ndarray:
        """Add the next chunk's latents (1, C, F, h, w); the frames that are now final (possibly
        none). ``last``: the clip ends with this chunk, so everything left is decoded."""
        self.buffer = latents if self.buffer is None else torch.cat([self.buffer, latents], dim=2)
        self.end += latents.shape[2]
        ready = self.end if last else self.end - self.right
        if ready <= self.done:
            return np.zeros((0, *self._frame_shape()), np.float32)
        first = max(0, self.done - max(self.left, 1)) if self.done else 0
        window = self.buffer[
            :, :, first - self.first : min(self.end, ready + self.right) - self.first
        ]
        frames = decode(self.pipe, window)
        begin, stop = pixel_span(first, self.done, ready, self.stride)
        self.done = ready
        keep = max(0, self.done - max(self.left, 1))
        self.buffer = self.buffer[:, :, keep - self.first :]
        self.first = keep
        return frames[begin:stop]

    def _frame_shape(self) -> tuple[int, int, int]:
        _, _, _, height, width = self.buffer.shape
        scale = self.pipe.vae_spatial_compression_ratio
        return height * scale, width * scale, 3
