"""Chunk-causal forward of diffusers' SanaWMTransformer3DModel: latent frames in chunks, each chunk
bidirectional within itself and causal to the chunks before it.

diffusers 0.42.1 ships the bidirectional forward only. This module drives the same modules (every
weight and sub-layer is diffusers'; only the order of calls is ours) with the chunk-causal rules of
NVlabs/Sana's chunk-causal model (``diffusion/model/nets/sana_gdn_blocks.py``: ``ChunkCausalGDN``,
``_forward_softmax_attn_chunk_causal``; ``sana_blocks.py``: ``ChunkGLUMBConvTemp``,
``CachedGLUMBConvTemp``; config ``configs/sana_wm/stage1/
sana_wm_stage1_sekai_chunk_causal_cp2_fsdp2.yaml``: chunk_size 3, ``first_chunk_plus_one``):

- softmax blocks (main and UCPE camera branch): a query sees its own chunk and earlier frames,
  optionally only the ``sink`` first frames and the ``window`` most recent ones;
- GDN blocks (main and camera branch): the forward delta-rule scan runs over all frames so far,
  the backward (anti-causal) scan only inside the chunk;
- the GDN key short convolution: causal convolution over all frames plus an anti-causal one
  inside the chunk (minus the shared centre tap), as ``ChunkCausalGDN._apply_temporal_short_conv``;
- the FFN's temporal convolution (GLUMBConvTemp's ``t_conv``): a frame sees the frames before it
  and the frames after it only inside its chunk.

Everything else (adaLN, cross-attention, the spatial convolutions, embedders) is frame-local.
The temporal mixing is delegated to a ``Mixer``: ``naive_causal.NaiveMixer`` runs one pass over
the whole sequence with masks, ``stream_cache.StreamCache`` one chunk against caches of the chunks
before it. Softmax attention runs in the model's dtype (diffusers casts fp32 to bf16 for
FlashAttention; in fp32 the two paths are compared at 1e-5), the camera branch with scale
``head_dim ** -0.5`` as Sana's chunk-causal code has it (diffusers' bidirectional camera branch
pads head_dim 112 to 128 and keeps SDPA's default scale of the padded width).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from diffusers.models.transformers.transformer_sana_wm import (
    GLUMBConvTemp,
    SanaWMRotaryPosEmbed,
    SanaWMTemporalShortConvolution,
    SanaWMTransformer3DModel,
    _apply_rotary_emb,
    _prepare_ucpe_ray_transforms,
    _SoftmaxUCPESinglePathLiteLA,
)

from reference_model.gdn import from_ray_space, to_ray_space, token_rows

Bounds = list[tuple[int, int]]


def chunk_bounds(frames: int, chunk: int) -> Bounds:
    """Sana's ``first_chunk_plus_one`` split of ``frames`` latent frames: the first chunk holds
    ``chunk + 1`` (the conditioning frame and one chunk), then ``chunk`` each; a shorter remainder
    joins the last chunk (``normalize_chunk_index`` of NVlabs/Sana ``diffusion/utils``)."""
    if chunk < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk}")
    if frames <= chunk + 1:
        return [(0, frames)]
    starts = [0, *range(chunk + 1, frames, chunk)]
    if len(starts) > 1 and frames - starts[-1] < chunk:
        starts.pop()
    return list(zip(starts, [*starts[1:], frames], strict=True))


class Mixer(Protocol):
    """The temporal mixing of one forward: everything that crosses frames. Shapes: ``q, k, v``
    (B, H, N, D) for ``attend``; (B, H, D, N) float32 for ``gdn`` with ``beta`` (B, H, F, S) and
    ``decay`` (B, H, F); ``x`` (B, N, C) for ``short_conv``; ``h`` (B, C, F, S) for ``t_conv``."""

    def attend(
        self, block: int, branch: str, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
    ) -> torch.Tensor: ...

    def gdn(
        self,
        block: int,
        branch: str,
        q: torch.Tensor | None,
        k: torch.Tensor | None,
        v: torch.Tensor,
        q_rot: torch.Tensor,
        k_rot: torch.Tensor,
        beta: torch.Tensor,
        decay: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def short_conv(
        self, block: int, name: str, conv: SanaWMTemporalShortConvolution, x: torch.Tensor
    ) -> torch.Tensor: ...

    def t_conv(self, block: int, conv: torch.nn.Conv2d, h: torch.Tensor) -> torch.Tensor: ...


@dataclass
class Context:
    """What every block of one forward reads: the token grid ``thw`` (F, H, W), the per-frame
    modulation ``t0`` (B, 1, F, 6C), text ``y`` and its mask, RoPE for the frames' absolute
    positions, the UCPE ray transforms and the chunk-Plücker embedding."""

    thw: tuple[int, int, int]
    t0: torch.Tensor
    y: torch.Tensor
    y_lens: torch.Tensor
    rope: torch.Tensor
    ucpe: tuple | None
    plucker: torch.Tensor | None


def forward(
    model: SanaWMTransformer3DModel,
    latents: torch.Tensor,
    timestep: torch.Tensor,
    text: torch.Tensor,
    text_mask: torch.Tensor,
    camera: torch.Tensor | None,
    plucker: torch.Tensor | None,
    frame_offset: int,
    mixer: Mixer,
) -> torch.Tensor:
    """The model's output (B, C, F, H, W) for ``latents`` (B, C, F, H, W) holding latent frames
    ``frame_offset ..`` at per-frame ``timestep`` (B, 1, F); ``camera`` (B, F, 20) and ``plucker``
    (B, 48, F, H, W) are those frames' slices of the pipeline's camera tensors. The prelude and
    epilogue follow ``SanaWMTransformer3DModel.forward``."""
    if model.config.ffn_type != "GLUMBConvTemp" or model.patch_size[0] != 1:
        raise ValueError("chunk-causal inference needs the GLUMBConvTemp FFN and patch_size[0] 1")
    dtype = model.dtype
    thw = tuple(n // p for n, p in zip(latents.shape[2:], model.patch_size, strict=True))
    x = model.x_embedder(latents.to(dtype))
    rope = _rope(model.rope, frame_offset, thw, x.device)
    timestep = timestep.long().to(torch.float32)
    t = model.t_embedder(model.time_proj(timestep.flatten()).to(dtype))
    t0 = model.t_block(t).unflatten(0, timestep.shape)
    t = t.unflatten(0, timestep.shape)
    y = model.y_embedder(text.to(dtype))
    if model.y_norm:
        y = model.attention_y_norm(y)
    y_lens = text_mask.to(torch.int16)
    if y_lens.shape[0] != y.shape[0]:
        y_lens = y_lens.repeat(y.shape[0] // y_lens.shape[0], 1)
    ucpe = None
    if camera is not None:
        ucpe = _prepare_ucpe_ray_transforms(
            head_dim=model.linear_head_dim,
            camera_conditions=camera,
            HW=thw,
            patch_size=model.patch_size,
            rotary_emb=rope,
        )
    plucker_emb = None
    if model.use_chunk_plucker_post_attn and plucker is not None:
        plucker_emb = model.plucker_embedder(plucker.to(dtype))
    context = Context(thw, t0, y, y_lens, rope, ucpe, plucker_emb)
    for index, block in enumerate(model.blocks):
        x = _block(block, index, x, context, mixer)
    x = model.final_layer(x, t)
    return model.unpatchify(x, *thw)


def _rope(rope: SanaWMRotaryPosEmbed, offset: int, thw, device) -> torch.Tensor:
    """``SanaWMRotaryPosEmbed.forward`` for frames ``offset ..`` of the clip (1, 1, N, D / 2):
    the time axis indexed from ``offset``, the table built for the chunk's tokens only."""
    frames, height, width = thw
    head = rope.attention_head_dim
    sizes = [head // 2 - 2 * (head // 6), head // 6, head // 6]
    freqs_f, freqs_h, freqs_w = rope.freqs.to(device).split_with_sizes(sizes, dim=1)
    grid = (frames, height, width)
    parts = [
        freqs_f[offset : offset + frames].view(frames, 1, 1, -1).expand(*grid, -1),
        freqs_h[:height].view(1, height, 1, -1).expand(*grid, -1),
        freqs_w[:width].view(1, 1, width, -1).expand(*grid, -1),
    ]
    return torch.cat(parts, dim=-1).reshape(1, 1, frames * height * width, -1)


def _modulate(
    x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor, frames: int
) -> torch.Tensor:
    batch, _, channels = x.shape
    return (x.reshape(batch, frames, -1, channels) * (1 + scale) + shift).reshape(x.shape)


def _gated(gate: torch.Tensor, x: torch.Tensor, frames: int) -> torch.Tensor:
    batch, _, channels = x.shape
    return (gate * x.reshape(batch, frames, -1, channels)).reshape(x.shape)


def _block(block: torch.nn.Module, index: int, x: torch.Tensor, ctx: Context, mixer: Mixer):
    """``SanaVideoMSCamCtrlBlock.forward`` (no frame-valid mask) with the temporal mixing routed."""
    batch = x.shape[0]
    frames = ctx.thw[0]
    modulation = block.scale_shift_table[None, None] + ctx.t0.reshape(batch, frames, 6, -1)
    shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = modulation.chunk(6, dim=-2)
    attend = _softmax_attention if isinstance(block.attn, _SoftmaxUCPESinglePathLiteLA) else _gdn
    h = _modulate(block.norm1(x), shift_msa, scale_msa, frames)
    x = x + _gated(gate_msa, attend(block.attn, index, h, ctx, mixer), frames)
    if ctx.plucker is not None and hasattr(block, "plucker_proj"):
        x = x + block.plucker_proj(ctx.plucker)
    x = x + block.cross_attn(x, ctx.y, mask=ctx.y_lens)
    h = _modulate(block.norm2(x), shift_mlp, scale_mlp, frames)
    return x + _gated(gate_mlp, _feed_forward(block.mlp, index, h, ctx.thw, mixer), frames)


def _feed_forward(
    mlp: GLUMBConvTemp, index: int, x: torch.Tensor, thw: tuple[int, int, int], mixer: Mixer
) -> torch.Tensor:
    """``GLUMBConvTemp.forward``: the per-frame gated conv, then the residual temporal conv."""
    batch, tokens, channels = x.shape
    frames, height, width = thw
    h = x.reshape(batch * frames, height, width, channels).permute(0, 3, 1, 2)
    value, gate = mlp.depth_conv(mlp.inverted_conv(h)).chunk(2, dim=1)
    h = mlp.point_conv(value * mlp.glu_act(gate))
    h = h.view(batch, frames, channels, height * width).permute(0, 2, 1, 3)
    h = h + mixer.t_conv(index, mlp.t_conv, h)
    return h.permute(0, 2, 3, 1).reshape(batch, tokens, channels)


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, N, H * D) -> (B, H, D, N)."""
    batch, tokens, _ = x.shape
    return x.reshape(batch, tokens, heads, -1).permute(0, 2, 3, 1)


def _softmax_attention(attn, index: int, x: torch.Tensor, ctx: Context, mixer: Mixer):
    """``_SoftmaxUCPESinglePathLiteLA.forward`` with the attention itself done by ``mixer``."""
    batch, tokens, channels = x.shape
    q, k, v = attn.qkv(x).reshape(batch, tokens, 3, channels).unbind(2)
    q = _apply_rotary_emb(_heads(attn.q_norm(q), attn.heads), ctx.rope).transpose(-1, -2)
    k = _apply_rotary_emb(_heads(attn.k_norm(k), attn.heads), ctx.rope).transpose(-1, -2)
    v = _heads(v, attn.heads).transpose(-1, -2)
    out = mixer.attend(index, "main", q, k, v).to(x.dtype)
    combined = out.transpose(1, 2).reshape(batch, tokens, channels)
    if ctx.ucpe is not None:
        q_c = _heads(attn.q_norm_cam(attn.q_proj_cam(x)), attn.cam_heads)
        k_c = _heads(attn.k_norm_cam(attn.k_proj_cam(x)), attn.cam_heads)
        v_c = _heads(attn.v_proj_cam(x), attn.cam_heads)
        q_u, k_u, v_u = (a.transpose(-1, -2) for a in to_ray_space(q_c, k_c, v_c, ctx.ucpe))
        cam = mixer.attend(index, "cam", q_u, k_u, v_u).to(x.dtype).transpose(-1, -2)
        combined = combined + attn.out_proj_cam(from_ray_space(cam, ctx.ucpe))
    combined = combined * F.silu(attn.output_gate(x).to(torch.float32))
    return attn.proj(combined.to(x.dtype))


def _gdn(attn, index: int, x: torch.Tensor, ctx: Context, mixer: Mixer) -> torch.Tensor:
    """``BidirectionalGDNUCPESinglePathLiteLA.forward`` with the scans and the short
    convolutions done by ``mixer``."""
    batch, tokens, channels = x.shape
    frames, height, width = ctx.thw
    spatial = height * width
    beta = attn.beta_proj(x).sigmoid().reshape(batch, frames, spatial, attn.heads)
    beta = beta.permute(0, 3, 1, 2)
    gate = attn.gate_proj(x.reshape(batch, frames, spatial, channels).mean(dim=2)).float()
    rate = attn.A_log.float().exp().view(1, 1, -1)
    decay = (-rate * F.softplus(gate + attn.dt_bias.float().view(1, 1, -1))).exp().transpose(1, 2)
    q, k, v = attn.qkv(x).reshape(batch, tokens, 3, channels).unbind(2)
    q, k, v = (
        x if conv is None else mixer.short_conv(index, name, conv, x)
        for name, conv, x in (("q", attn.conv_q, q), ("k", attn.conv_k, k), ("v", attn.conv_v, v))
    )
    q = _heads(attn.kernel_func(attn.q_norm(q)), attn.heads)
    k = _heads(attn.kernel_func(attn.k_norm(k)), attn.heads) * (attn.dim * spatial) ** -0.5
    v = _heads(v, attn.heads)
    q_rot, k_rot = _apply_rotary_emb(q, ctx.rope), _apply_rotary_emb(k, ctx.rope)
    numerator, denominator = mixer.gdn(
        index, "main", *(a.float() for a in (q, k, v, q_rot, k_rot, beta)), decay
    )
    combined = token_rows((numerator / (denominator + attn.attn.eps)).to(x.dtype))
    if ctx.ucpe is not None:
        combined = combined + attn.out_proj_cam(
            _gdn_camera(attn, index, x, beta, decay, ctx, mixer)
        )
    combined = combined * F.silu(attn.output_gate(x).to(torch.float32))
    return attn.proj(combined.to(x.dtype))


def _gdn_camera(attn, index, x, beta, decay, ctx: Context, mixer: Mixer) -> torch.Tensor:
    """``SanaWMBidirectionalGDNCamAttention.forward``: UCPE camera branch, numerator only, beta
    discounted by the energy UCPE adds to the keys."""
    batch, tokens, _ = x.shape
    frames = ctx.thw[0]
    convs = {"q_cam": attn.conv_q_cam, "k_cam": attn.conv_k_cam, "v_cam": attn.conv_v_cam}
    raw = {"q_cam": attn.q_proj_cam(x), "k_cam": attn.k_proj_cam(x), "v_cam": attn.v_proj_cam(x)}
    q, k, v = (
        raw[name] if convs[name] is None else mixer.short_conv(index, name, convs[name], raw[name])
        for name in raw
    )
    q = _heads(attn.kernel_func(attn.q_norm_cam(q)), attn.cam_heads)
    k = _heads(attn.kernel_func(attn.k_norm_cam(k)), attn.cam_heads)
    k = k * (attn.cam_head_dim * (tokens // frames)) ** -0.5
    v = _heads(v, attn.cam_heads)
    before = torch.linalg.vector_norm(k, dim=2, keepdim=True).clamp_min(1e-6)
    q_u, k_u, v_u = to_ray_space(q, k, v, ctx.ucpe)
    after = torch.linalg.vector_norm(k_u, dim=2, keepdim=True).clamp_min(1e-6)
    inflation = ((after / before) ** 2).view(batch, attn.cam_heads, frames, -1).mean(dim=-1)
    beta = beta / inflation.unsqueeze(-1).clamp_min(1.0)
    numerator, _ = mixer.gdn(
        index, "cam", None, None, *(a.float() for a in (v_u, q_u, k_u, beta)), decay.float()
    )
    return from_ray_space(numerator.to(x.dtype), ctx.ucpe)
