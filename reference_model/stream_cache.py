"""What streaming carries from one chunk to the next, and the chunk's temporal mixing against it.

:class:`StreamCache` is the :class:`reference_model.chunked.Mixer` of one chunk: softmax blocks
attend to the cached keys and values of earlier chunks (the ``sink`` first frames and the
``window`` most recent, or all) plus the chunk's own; GDN blocks continue the forward delta-rule
scan from the carried D x D state (and the normaliser's 1 x D row) and run the backward scan
inside the chunk; the key short convolution and the FFN's temporal convolution continue from the
last frames of their inputs. A pass with ``commit`` set (the chunk's clean latents, after its
denoising) writes the caches; the denoising passes only read them. Memory is constant in the
clip length: the window, the states and the convolution tails do not grow.

The forward scan from a carried state ``S_0`` is the zero-start scan with one frame prepended
(``W = 0``, ``U = S_0``), so any zero-start scan serves: gdn_kernel's torch loop or its Triton
kernel (``scan``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.transformers.transformer_sana_wm import SanaWMTemporalShortConvolution

from reference_model.gdn import (
    Scan,
    _gates,
    _per_frame,
    _per_token,
    _scan,
    _transitions,
    backward_states,
)
from reference_model.gdn_naive import reference_scan


class StreamCache:
    """Caches of one sequence (all batch rows: CFG's two halves carry their own), ``spatial``
    tokens per frame. After a commit: ``states[(block, branch)]`` (B, H, D, D) is the carried
    state of each GDN block's main and camera branch and ``decays[block]`` (B, H) the decay gate
    averaged over the committed chunk's frames."""

    def __init__(
        self, spatial: int, sink: int, window: int | None, scan: Scan = reference_scan
    ) -> None:
        self.spatial = spatial
        self.sink = sink
        self.window = window
        self.scan = scan
        self.commit = False
        self.kv: dict[tuple[int, str], tuple[torch.Tensor, torch.Tensor]] = {}
        self.states: dict[tuple[int, str], torch.Tensor] = {}
        self.normalisers: dict[int, torch.Tensor] = {}
        self.tails: dict[tuple[int, str], torch.Tensor] = {}
        self.decays: dict[int, torch.Tensor] = {}

    def attend(self, block: int, branch: str, q, k, v) -> torch.Tensor:
        cached = self.kv.get((block, branch))
        if cached is not None:
            k, v = torch.cat([cached[0], k], dim=2), torch.cat([cached[1], v], dim=2)
        out = F.scaled_dot_product_attention(q, k, v, scale=q.shape[-1] ** -0.5)
        if self.commit:
            self.kv[(block, branch)] = (self._evicted(k), self._evicted(v))
        return out

    def _evicted(self, x: torch.Tensor) -> torch.Tensor:
        """Keys or values (B, H, n * S, D) of the frames so far, cut to sink + window frames."""
        frames = x.shape[2] // self.spatial
        if self.window is None or frames <= self.sink + self.window:
            return x
        sink = x[:, :, : self.sink * self.spatial]
        return torch.cat([sink, x[:, :, (frames - self.window) * self.spatial :]], dim=2)

    def gdn(self, block, branch, q, k, v, q_rot, k_rot, beta, decay):
        frames = decay.shape[2]
        beta_f, decay_f = _gates(beta, decay)
        q_rot = _per_frame(q_rot, frames)
        w, u = _transitions(_per_frame(k_rot, frames), _per_frame(v, frames), beta_f, decay_f)
        states = self._forward(w, u, self.states.get((block, branch)))
        numerator = _per_token((states + backward_states(self.scan, w, u)) @ q_rot)
        denominator = None
        if q is not None:
            w_z, u_z = _transitions(_per_frame(k, frames), None, beta_f, decay_f)
            rows = self._forward(w_z.mT, u_z, self.normalisers.get(block))
            q = _per_frame(q, frames)
            denominator = _per_token((rows + backward_states(self.scan, w_z.mT, u_z)) @ q)
            if self.commit:
                self.normalisers[block] = rows[:, :, -1]
                self.decays[block] = decay.mean(dim=2)
        if self.commit:
            self.states[(block, branch)] = states[:, :, -1]
        return numerator, denominator

    def _forward(self, w: torch.Tensor, u: torch.Tensor, initial: torch.Tensor | None):
        """States S_t = S_{t-1} W_t + U_t of the chunk's frames, from ``initial`` (zero: None)."""
        if initial is None:
            return _scan(self.scan, w, u)
        w = torch.cat([torch.zeros_like(w[:, :, :1]), w], dim=2)
        u = torch.cat([initial.unsqueeze(2), u], dim=2)
        return _scan(self.scan, w, u)[:, :, 1:]

    def short_conv(
        self, block: int, name: str, conv: SanaWMTemporalShortConvolution, x: torch.Tensor
    ) -> torch.Tensor:
        batch, tokens, channels = x.shape
        frames = tokens // self.spatial
        series = x.reshape(batch, frames, self.spatial, channels).permute(0, 2, 1, 3)
        series = series.reshape(batch * self.spatial, frames, channels)
        tail = self.tails.get((block, name))
        full = series if tail is None else torch.cat([tail, series], dim=1)
        forward = conv._causal_conv(full)[:, full.shape[1] - frames :]
        backward = conv._causal_conv(series.flip(1)).flip(1)
        out = forward + backward - series * conv.weight[:, 0, -1]
        if self.commit:
            self.tails[(block, name)] = full[:, max(0, full.shape[1] - conv.kernel_size + 1) :]
        out = out.reshape(batch, self.spatial, frames, channels).permute(0, 2, 1, 3)
        return out.reshape(batch, tokens, channels)

    def t_conv(self, block: int, conv: torch.nn.Conv2d, h: torch.Tensor) -> torch.Tensor:
        frames = h.shape[2]
        tail = self.tails.get((block, "t_conv"))
        full = h if tail is None else torch.cat([tail, h], dim=2)
        out = conv(full)[:, :, full.shape[2] - frames :]
        if self.commit:
            self.tails[(block, "t_conv")] = full[:, :, full.shape[2] - conv.kernel_size[0] // 2 :]
        return out
