"""The naive twin of streaming: one pass over the whole sequence, chunk-causal by masks.

:class:`NaiveMixer` gives :func:`reference_model.chunked.forward` the temporal mixing of a whole
sequence split into chunks, with no caches: softmax attention under the block-causal mask (with
the optional sink + window), the GDN scans of diffusers (``torch_chunk_sana_gdn``,
``torch_chunk_cam_single_path_delta_rule``) forwards over every frame and backwards with the state
reset at every chunk boundary (NVlabs/Sana ``ChunkCausalGDN`` isolates its backward scan the same
way: decay and inputs zeroed where the reversed scan crosses a chunk), the key short convolution
causal over the sequence plus anti-causal inside chunks, and the FFN's temporal convolution with
the taps that reach into a later chunk masked out. With ``record`` it also keeps the forward GDN
state at every chunk's last frame, from a plain scan over all frames (gdn_kernel.reference_scan).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.transformers.transformer_sana_wm import (
    SanaWMTemporalShortConvolution,
    flip_and_shift,
    torch_chunk_cam_single_path_delta_rule,
    torch_chunk_sana_gdn,
)

from reference_model.chunked import Bounds
from reference_model.gdn import _gates, _per_frame, _scan, _transitions
from reference_model.gdn_naive import reference_scan


def visible_frames(bounds: Bounds, sink: int, window: int | None) -> torch.Tensor:
    """(T, T) bool: query frame i may attend key frame j (own chunk and earlier frames; of the
    earlier ones only the first ``sink`` and the ``window`` most recent when a window is set)."""
    frames = bounds[-1][1]
    visible = torch.zeros(frames, frames, dtype=torch.bool)
    for start, end in bounds:
        visible[start:end, start:end] = True
        history = torch.arange(start)
        if window is not None:
            history = history[(history < sink) | (history >= start - window)]
        visible[start:end, history] = True
    return visible


class NaiveMixer:
    """Chunk-causal temporal mixing of a whole sequence of ``bounds`` chunks, ``spatial`` tokens
    per frame. ``record``: keep ``states[(block, branch)]`` (chunks, B, H, D, D) and
    ``decays[block]`` (chunks, B, H) (the decay gate averaged over each chunk's frames)."""

    def __init__(
        self, bounds: Bounds, spatial: int, sink: int, window: int | None, record: bool = False
    ) -> None:
        self.bounds = bounds
        self.frames = bounds[-1][1]
        self.spatial = spatial
        self.chunk_of = torch.tensor([i for i, (s, e) in enumerate(bounds) for _ in range(s, e)])
        self.token_mask = (
            visible_frames(bounds, sink, window)
            .repeat_interleave(spatial, 0)
            .repeat_interleave(spatial, 1)
        )
        self.record = record
        self.states: dict[tuple[int, str], torch.Tensor] = {}
        self.decays: dict[int, torch.Tensor] = {}

    def attend(self, block: int, branch: str, q, k, v) -> torch.Tensor:
        mask = self.token_mask.to(q.device)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=q.shape[-1] ** -0.5)

    def gdn(self, block, branch, q, k, v, q_rot, k_rot, beta, decay):
        frames = self.frames
        if q is None:
            forward = torch_chunk_cam_single_path_delta_rule(
                q_rot, k_rot, v, beta, decay, chunk_size=frames
            )
            backward = torch_chunk_cam_single_path_delta_rule(
                *self._reversed(q_rot, k_rot, v, beta, decay), chunk_size=frames
            )
            numerator, denominator = forward + self._unflip(backward), None
        else:
            num_f, den_f = torch_chunk_sana_gdn(
                q, k, v, q_rot, k_rot, beta, decay, chunk_size=frames, return_components=True
            )
            q_b, q_rot_b = self._flip(q), self._flip(q_rot)
            k_rot_b, v_b, beta_b, decay_b = self._reversed(q_rot, k_rot, v, beta, decay)[1:]
            k_b = self._shifted(k)
            num_b, den_b = torch_chunk_sana_gdn(
                q_b, k_b, v_b, q_rot_b, k_rot_b, beta_b, decay_b, chunk_size=frames,
                return_components=True,
            )  # fmt: skip
            numerator, denominator = num_f + self._unflip(num_b), den_f + self._unflip(den_b)
        if self.record:
            self._record(block, branch, k_rot, v, beta, decay)
        return numerator, denominator

    def _time(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, D, N) -> (B, H, T, D, S)."""
        return _per_frame(x, self.frames)

    def _untime(self, x: torch.Tensor) -> torch.Tensor:
        batch, heads, frames, width, spatial = x.shape
        return x.permute(0, 1, 3, 2, 4).reshape(batch, heads, width, frames * spatial)

    def _flip(self, x: torch.Tensor) -> torch.Tensor:
        return self._untime(self._time(x).flip(2))

    def _shifted(self, x: torch.Tensor) -> torch.Tensor:
        return self._untime(flip_and_shift(self._time(x), dim=2, shift_val=0.0))

    def _unflip(self, x: torch.Tensor) -> torch.Tensor:
        return self._flip(x)

    def _reversed(self, q_rot, k_rot, v, beta, decay):
        """The backward scan's inputs as diffusers builds them (queries flipped; keys, values and
        gates flipped and shifted by one), with the state reset where the reversed scan steps
        from a chunk's last frame into the next chunk."""
        beta_b = flip_and_shift(beta, dim=2, shift_val=0.0)
        decay_b = flip_and_shift(decay, dim=2, shift_val=1.0)
        resets = [self.frames - end for _, end in self.bounds[:-1]]
        beta_b[:, :, resets] = 0.0
        decay_b[:, :, resets] = 0.0
        return self._flip(q_rot), self._shifted(k_rot), self._shifted(v), beta_b, decay_b

    def _record(self, block, branch, k_rot, v, beta, decay) -> None:
        beta_f, decay_f = _gates(beta, decay)
        w, u = _transitions(self._time(k_rot), self._time(v), beta_f, decay_f)
        ends = [end - 1 for _, end in self.bounds]
        self.states[(block, branch)] = _scan(reference_scan, w, u)[:, :, ends].movedim(2, 0)
        self.decays[block] = torch.stack([decay[:, :, s:e].mean(dim=2) for s, e in self.bounds])

    def short_conv(
        self, block: int, name: str, conv: SanaWMTemporalShortConvolution, x: torch.Tensor
    ) -> torch.Tensor:
        batch, tokens, channels = x.shape
        spatial = tokens // self.frames
        series = x.reshape(batch, self.frames, spatial, channels).permute(0, 2, 1, 3)
        series = series.reshape(batch * spatial, self.frames, channels)
        forward = conv._causal_conv(series)
        backward = torch.cat(
            [conv._causal_conv(series[:, s:e].flip(1)).flip(1) for s, e in self.bounds], dim=1
        )
        out = forward + backward - series * conv.weight[:, 0, -1]
        out = out.reshape(batch, spatial, self.frames, channels).permute(0, 2, 1, 3)
        return out.reshape(batch, tokens, channels)

    def t_conv(self, block: int, conv: torch.nn.Conv2d, h: torch.Tensor) -> torch.Tensor:
        """Tap by tap: frame t reads frame t + j - p unless that frame is outside the clip or in
        a later chunk than t."""
        taps = conv.kernel_size[0]
        half = taps // 2
        source = torch.arange(self.frames) + torch.arange(taps).view(-1, 1) - half
        clamped = source.clamp(0, self.frames - 1)
        valid = (source == clamped) & (self.chunk_of[clamped] <= self.chunk_of)
        out = torch.zeros_like(h)
        for tap in range(taps):
            shifted = h[:, :, clamped[tap]] * valid[tap].to(h).view(1, 1, -1, 1)
            out = out + torch.einsum("oi,bitn->botn", conv.weight[:, :, tap, 0], shifted)
        if conv.bias is not None:
            out = out + conv.bias.view(1, -1, 1, 1)
        return out
