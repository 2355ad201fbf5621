"""Opt-in fast GDN for SANA-WM: subclasses of diffusers' GDN attention modules whose state walk is
one scan call (the Triton kernel of :mod:`reference_model.gdn_kernel`, or its torch twin).

SANA-WM's Gated DeltaNet is frame-wise. With a frame's S keys and values as D x S matrices
``K_t``, ``V_t`` and per-token gates ``B_t = diag(beta)``, every token of frame t updates the
per-head D x D state from the same previous state::

    S_t = S_{t-1} W_t + U_t,    W_t = g_t (I - K_t B_t K_t^T),    U_t = V_t B_t K_t^T

and reads it as ``S_t Q_t``. flash-linear-attention's ``chunk_gated_delta_rule`` runs the token-wise
rule instead, where each token of a frame sees the state the tokens before it wrote: the product of
S rank-1 factors ``(I - beta_i k_i k_i^T)``, not ``I - K_t B_t K_t^T``. That is another function, so
fla cannot run this model. diffusers computes W_t and U_t with batched matmuls and then walks the
frames in a Python loop of small matmuls; here the matmuls stay and the walk is one scan.
The attention is bidirectional: frame t reads the forward state (frames up to t) plus the
backward state of the frames after it, ``B_t = B_{t+1} W_{t+1} + U_{t+1}``, ``B_T = 0``.

The extension point (diffusers 0.42.1, ``models/transformers/transformer_sana_wm.py``):
``SanaWMBidirectionalGDNAttention`` (line 1362) and ``SanaWMBidirectionalGDNCamAttention``
(line 1524) are plain ``nn.Module``s, not ``AttentionModuleMixin``s, so they take no attention
processor, and the model (``ModelMixin, ConfigMixin``, no ``AttentionMixin``) has no
``set_attn_processor``; its ``from_pretrained`` takes no class for an inner module either (its
``__init__`` builds the blocks). The classes' docstrings make them the model's compute units:
each "holds no parameters" and ``BidirectionalGDNUCPESinglePathLiteLA.forward`` "issues every
layer call and passes the resulting tensors in" (lines 1979, 2032); that block keeps them as its
``attn`` / ``cam_attn`` children, which "own no parameters -- so the checkpoint layout is
untouched -- and only carry the recurrence configuration" (line 1873). So the subclasses below
override ``forward`` with the documented signature, are built from that configuration (``eps``,
``chunk_size``), and :func:`set_gdn_scan` installs them with PyTorch's ``nn.Module.set_submodule``;
the state dict does not change. Their ``forward`` follows the parents' steps (key scale, token
masks, RoPE or UCPE, gate masks, fp32 scans) with diffusers' helpers, no copy of the parents'
code; tests/test_reference_model_gdn.py checks each against its parent's ``forward``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from diffusers.models.transformers.transformer_sana_wm import (
    SanaWMBidirectionalGDNAttention,
    SanaWMBidirectionalGDNCamAttention,
    _apply_rotary_emb,
    _apply_ucpe_transform,
    _downscale_to_reference_rms,
)

Scan = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SCANS = ("torch", "triton")


def named_scan(name: str) -> Scan | None:
    """The scan behind a ``gdn`` option value: ``torch`` is diffusers' own code (None)."""
    if name == "torch":
        return None
    if name == "triton":
        from reference_model.gdn_kernel import triton_scan

        return triton_scan
    raise ValueError(f"unknown GDN scan {name!r}; known: {', '.join(SCANS)}")


def _per_frame(x: torch.Tensor, frames: int) -> torch.Tensor:
    """(B, H, D, N) tokens -> (B, H, T, D, S) frames."""
    batch, heads, width, tokens = x.shape
    return x.view(batch, heads, width, frames, tokens // frames).permute(0, 1, 3, 2, 4)


def _per_token(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, D, S) frames -> (B, H, D, N) tokens."""
    batch, heads, frames, width, spatial = x.shape
    return x.permute(0, 1, 3, 2, 4).reshape(batch, heads, width, frames * spatial)


def _gates(beta: torch.Tensor, decay: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """beta (B, H, T) or (B, H, T, S) and decay (B, H, T) broadcast over (B, H, T, D, S)."""
    batch, heads, frames = decay.shape
    beta = beta.unsqueeze(3) if beta.ndim == 4 else beta.view(batch, heads, frames, 1, 1)
    return beta, decay.view(batch, heads, frames, 1, 1)


def _transitions(
    k: torch.Tensor, v: torch.Tensor | None, beta: torch.Tensor, decay: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """W_t = g_t (I - K B K^T) and U_t = V B K^T for frames (B, H, T, D, S); with ``v`` None,
    U_t is the row sum(K B) (diffusers' normaliser stream, whose target is 1)."""
    eye = torch.eye(k.shape[3], device=k.device, dtype=k.dtype)
    k_beta = k * beta
    w = decay * (eye - k_beta @ k.mT)
    u = k_beta.sum(dim=-1).unsqueeze(-2) if v is None else (v * beta) @ k.mT
    return w, u


def _scan(scan: Scan, w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Run ``scan`` over (B, H, T, ...) by folding B and H into its N."""
    batch, heads = w.shape[:2]
    return scan(w.flatten(0, 1), u.flatten(0, 1)).unflatten(0, (batch, heads))


def backward_states(scan: Scan, w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """States of the frames after each frame, ``B_t = B_{t+1} W_{t+1} + U_{t+1}``, ``B_T = 0``:
    the zero-start scan over the reversed frames 2..T, shifted by one (diffusers' exclusive
    backward pass, which runs its rule on ``flip_and_shift``-ed inputs)."""
    last = torch.zeros_like(u[:, :, :1])
    if w.shape[2] == 1:
        return last
    reverse = _scan(scan, w[:, :, 1:].flip(2), u[:, :, 1:].flip(2)).flip(2)
    return torch.cat([reverse, last], dim=2)


def _bidirectional(scan: Scan, w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Forward (frames up to t) plus backward (frames after t) states of every frame."""
    return _scan(scan, w, u) + backward_states(scan, w, u)


def _scaled_heads_first(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, num_frames: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, N, H, D) -> (B, H, D, N), keys scaled by (D * S)^-1/2 as both parents do."""
    _, tokens, _, width = query.shape
    key = key * ((width**-0.5) * ((tokens // num_frames) ** -0.5))
    return tuple(x.permute(0, 2, 3, 1) for x in (query, key, value))


def _token_masked(mask: torch.Tensor | None, *xs: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(B, H, D, N) tensors times the (B, N) token mask (unchanged without one)."""
    if mask is None:
        return xs
    batch, tokens = mask.shape
    return tuple(x * mask.view(batch, 1, 1, tokens) for x in xs)


def _masked_gates(
    beta: torch.Tensor,
    decay: torch.Tensor,
    beta_valid_mask: torch.Tensor | None,
    decay_valid_mask: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded frames write nothing (beta 0) and keep the state (decay 1); fp32 gates."""
    if beta_valid_mask is not None:
        beta = beta * beta_valid_mask.to(beta.dtype)
    if decay_valid_mask is not None:
        keep = decay_valid_mask.to(decay.dtype)
        decay = decay * keep + (1.0 - keep)
    return beta.float(), decay.float()


def token_rows(x: torch.Tensor) -> torch.Tensor:
    """(B, H, D, N) -> (B, N, H * D): the layout both parents return. Masked tokens are zero
    already (their queries are), so the parents' last token mask is not repeated."""
    batch, heads, width, tokens = x.shape
    return x.permute(0, 3, 1, 2).reshape(batch, tokens, heads * width)


def to_ray_space(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, ray_transforms: tuple
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Camera-branch q, k, v (B, H, D, N) into UCPE ray space (q by P^T, k and v by P^-1),
    back at their pre-UCPE RMS, as the UCPE camera attentions of diffusers do."""
    _, p_t, p_inv, rope_cam = ray_transforms
    q_u = _apply_ucpe_transform(q.transpose(-1, -2), p_t, rope_cam).transpose(-1, -2)
    kv_u = _apply_ucpe_transform(torch.cat([k, v], dim=1).transpose(-1, -2), p_inv, rope_cam)
    k_u, v_u = kv_u.transpose(-1, -2).chunk(2, dim=1)
    return tuple(_downscale_to_reference_rms(a, b) for a, b in ((q, q_u), (k, k_u), (v, v_u)))


def from_ray_space(out: torch.Tensor, ray_transforms: tuple) -> torch.Tensor:
    """(B, H, D, N) camera output decoded from ray space (by P) -> (B, N, H * D)."""
    p, _, _, rope_cam = ray_transforms
    decoded = _apply_ucpe_transform(out.transpose(-1, -2), p, rope_cam, inverse_rope=True)
    return token_rows(decoded.transpose(-1, -2))


class FastGDNAttention(SanaWMBidirectionalGDNAttention):
    """``SanaWMBidirectionalGDNAttention`` whose forward and backward passes (state and
    normaliser) are walked by ``scan``; the same arguments and output. ``chunk_size`` is kept as
    configuration only: diffusers' chunks split its frame loop, not the rule, and a scan walks
    all frames at once."""

    def __init__(self, scan: Scan, eps: float = 1e-15, chunk_size: int = 21) -> None:
        super().__init__(eps=eps, chunk_size=chunk_size)
        self.scan = scan

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        beta: torch.Tensor,
        decay: torch.Tensor,
        recall_gate: torch.Tensor,
        num_frames: int,
        rotary_emb: torch.Tensor | None = None,
        token_valid_mask: torch.Tensor | None = None,
        beta_valid_mask: torch.Tensor | None = None,
        decay_valid_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        del recall_gate  # unused by the rule, as in diffusers
        dtype = value.dtype
        q, k, v = _token_masked(
            token_valid_mask, *_scaled_heads_first(query, key, value, num_frames)
        )
        q_rot, k_rot = (q, k) if rotary_emb is None else (
            _apply_rotary_emb(q, rotary_emb), _apply_rotary_emb(k, rotary_emb)
        )  # fmt: skip
        beta, decay = _gates(*_masked_gates(beta, decay, beta_valid_mask, decay_valid_mask))
        q, k, v, q_rot, k_rot = (_per_frame(x.float(), num_frames) for x in (q, k, v, q_rot, k_rot))
        states = _bidirectional(self.scan, *_transitions(k_rot, v, beta, decay))
        # diffusers keeps the normaliser state as a column, z_t = W_t z_{t-1} + u_t: as a row it
        # is the same scan over the transposed transitions.
        w_z, u_z = _transitions(k, None, beta, decay)
        rows = _bidirectional(self.scan, w_z.mT, u_z)
        out = _per_token(states @ q_rot) / (_per_token(rows @ q) + self.eps)
        return token_rows(out.to(dtype))


class FastGDNCamAttention(SanaWMBidirectionalGDNCamAttention):
    """``SanaWMBidirectionalGDNCamAttention`` (UCPE camera branch, numerator only) whose
    forward and backward passes are walked by ``scan``; the same arguments and output."""

    def __init__(self, scan: Scan, chunk_size: int = 21) -> None:
        super().__init__(chunk_size=chunk_size)
        self.scan = scan

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        ray_transforms: tuple,
        beta: torch.Tensor,
        decay: torch.Tensor,
        num_frames: int,
        token_valid_mask: torch.Tensor | None = None,
        beta_valid_mask: torch.Tensor | None = None,
        decay_valid_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        batch, tokens, heads, _ = query.shape
        dtype = value.dtype
        q, k, v = _scaled_heads_first(query, key, value, num_frames)
        before = torch.linalg.vector_norm(k, dim=2, keepdim=True).clamp_min(1e-6)
        q_u, k_u, v_u = to_ray_space(q, k, v, ray_transforms)
        after = torch.linalg.vector_norm(k_u, dim=2, keepdim=True).clamp_min(1e-6)
        q_u, k_u, v_u = _token_masked(token_valid_mask, q_u, k_u, v_u)
        # the energy UCPE adds to the keys, per frame, discounted from beta
        inflation = ((after / before) ** 2).view(batch, heads, num_frames, -1).mean(dim=-1)
        beta = beta / (inflation if beta.ndim == 3 else inflation.unsqueeze(-1)).clamp_min(1.0)
        beta, decay = _gates(*_masked_gates(beta, decay, beta_valid_mask, decay_valid_mask))
        q_u, k_u, v_u = (_per_frame(x.float(), num_frames) for x in (q_u, k_u, v_u))
        states = _bidirectional(self.scan, *_transitions(k_u, v_u, beta, decay))
        return from_ray_space(_per_token(states @ q_u).to(dtype), ray_transforms)


def _replacement(module: torch.nn.Module, scan: Scan | None) -> torch.nn.Module | None:
    """The module ``module`` becomes under ``scan`` (None: it stays), same configuration."""
    if isinstance(module, SanaWMBidirectionalGDNAttention):
        if scan is not None:
            return FastGDNAttention(scan, eps=module.eps, chunk_size=module.chunk_size)
        if isinstance(module, FastGDNAttention):
            return SanaWMBidirectionalGDNAttention(eps=module.eps, chunk_size=module.chunk_size)
    if isinstance(module, SanaWMBidirectionalGDNCamAttention):
        if scan is not None:
            return FastGDNCamAttention(scan, chunk_size=module.chunk_size)
        if isinstance(module, FastGDNCamAttention):
            return SanaWMBidirectionalGDNCamAttention(chunk_size=module.chunk_size)
    return None


def set_gdn_scan(model: torch.nn.Module, scan: Scan | None) -> int:
    """Put every GDN attention module of ``model`` on ``scan`` (the subclasses above; None:
    back to diffusers' own classes). Returns how many GDN modules ``model`` holds."""
    gdn = (SanaWMBidirectionalGDNAttention, SanaWMBidirectionalGDNCamAttention)
    if isinstance(model, gdn):
        raise ValueError("set_gdn_scan replaces GDN modules inside a model; pass their owner")
    names = [name for name, module in model.named_modules() if isinstance(module, gdn)]
    for name in names:
        module = model.get_submodule(name)
        new = _replacement(module, scan)
        if new is not None:
            model.set_submodule(name, new.train(module.training))
    return len(names)
