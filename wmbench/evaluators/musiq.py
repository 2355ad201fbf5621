"""MUSIQ (Ke et al. 2021) as VBench's imaging quality runs it: a transcription of pyiqa 0.1.16's
evaluation path, so the evaluator needs neither pyiqa nor its ~26 requirements.

Transcribed from pyiqa 0.1.16 (chaofengc/IQA-PyTorch): ``pyiqa/archs/musiq_arch.py`` (the network,
its module and parameter names, so pyiqa's checkpoints load strictly), ``pyiqa/data/
multiscale_trans_util.py`` (``get_multiscale_patches``), ``pyiqa/matlab_utils/padding.py``
(``exact_padding_2d``, TensorFlow's "same" padding) and ``pyiqa/archs/arch_util.py``
(``dist_to_mos``). Only inference is kept: dropout and drop-path rates are 0 there, and pyiqa
builds patches only with ``training`` off. ``tests/test_musiq.py`` checks equality with pyiqa's
MUSIQ on identical random weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

RESNET_TOKEN_DIM = 64


def same_padding(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """``exact_padding_2d(x, kernel, stride, mode="same")``: zero padding TensorFlow's way."""
    height, width = x.shape[-2:]
    pad_row = (math.ceil(height / stride) - 1) * stride + kernel - height
    pad_col = (math.ceil(width / stride) - 1) * stride + kernel - width
    return F.pad(x, (pad_col // 2, pad_col - pad_col // 2, pad_row // 2, pad_row - pad_row // 2))


class StdConv(nn.Conv2d):
    """Weight-standardised convolution with "same" padding."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = same_padding(x, self.kernel_size[0], self.stride[0])
        weight = self.weight - self.weight.mean((1, 2, 3), keepdim=True)
        weight = weight / (weight.std((1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x, weight, self.bias, self.stride)


class Bottleneck(nn.Module):
    def __init__(self, inplanes: int, outplanes: int, stride: int = 1) -> None:
        super().__init__()
        width = inplanes
        self.conv1 = StdConv(inplanes, width, 1, 1, bias=False)
        self.gn1 = nn.GroupNorm(32, width, eps=1e-4)
        self.conv2 = StdConv(width, width, 3, 1, bias=False)
        self.gn2 = nn.GroupNorm(32, width, eps=1e-4)
        self.conv3 = StdConv(width, outplanes, 1, 1, bias=False)
        self.gn3 = nn.GroupNorm(32, outplanes, eps=1e-4)
        self.relu = nn.ReLU(True)
        self.needs_projection = inplanes != outplanes or stride != 1
        if self.needs_projection:
            self.conv_proj = StdConv(inplanes, outplanes, 1, stride, bias=False)
            self.gn_proj = nn.GroupNorm(32, outplanes, eps=1e-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.gn_proj(self.conv_proj(x)) if self.needs_projection else x
        x = self.relu(self.gn1(self.conv1(x)))
        x = self.relu(self.gn2(self.conv2(x)))
        return self.relu(self.gn3(self.conv3(x)) + identity)


class Mlp(nn.Module):
    def __init__(self, in_features: int, hidden_features: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class MultiHeadAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, tokens, channels = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch, tokens, self.num_heads, -1).permute(0, 2, 1, 3)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        attn = (q @ k.transpose(-2, -1)) * self.scale
        pair = mask.reshape(batch, 1, tokens, 1) * mask.reshape(batch, 1, 1, tokens)
        attn = attn.masked_fill(pair == 0, -1e3).softmax(dim=-1)
        return self.out((attn @ v).transpose(1, 2).reshape(batch, tokens, channels))


class TransformerBlock(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, num_heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attention = MultiHeadAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, mlp_dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


class AddHashSpatialPositionEmbs(nn.Module):
    def __init__(self, grid_size: int, dim: int) -> None:
        super().__init__()
        self.position_emb = nn.Parameter(torch.randn(1, grid_size * grid_size, dim) * 0.02)

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return x + self.position_emb.squeeze(0)[positions.long()]


class AddScaleEmbs(nn.Module):
    def __init__(self, num_scales: int, dim: int) -> None:
        super().__init__()
        self.scale_emb = nn.Parameter(torch.randn(num_scales, dim) * 0.02)

    def forward(self, x: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        return x + self.scale_emb[scales.long()]


class TransformerEncoder(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, num_heads: int, num_layers: int,
                 num_scales: int, grid_size: int) -> None:  # fmt: skip
        super().__init__()
        self.posembed_input = AddHashSpatialPositionEmbs(grid_size, dim)
        self.scaleembed_input = AddScaleEmbs(num_scales, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.transformer = nn.ModuleDict(
            {f"encoderblock_{i}": TransformerBlock(dim, mlp_dim, num_heads)
             for i in range(num_layers)}
        )  # fmt: skip

    def forward(self, x: torch.Tensor, positions: torch.Tensor, scales: torch.Tensor,
                masks: torch.Tensor) -> torch.Tensor:  # fmt: skip
        x = self.scaleembed_input(self.posembed_input(x, positions), scales)
        x = torch.cat([self.cls.repeat(len(x), 1, 1), x], dim=1)
        mask = torch.cat([torch.ones((len(x), 1)).to(masks), masks], dim=1)
        for block in self.transformer.values():
            x = block(x, mask)
        return self.encoder_norm(x)


class MUSIQ(nn.Module):
    """pyiqa's ``MUSIQ`` in eval mode: (N, 3, H, W) images in [0, 1] -> (N, 1) scores."""

    def __init__(self, patch_size: int = 32, num_class: int = 1, hidden_size: int = 384,
                 mlp_dim: int = 1152, num_heads: int = 6, num_layers: int = 14,
                 num_scales: int = 3, spatial_pos_grid_size: int = 10,
                 longer_side_lengths: tuple[int, ...] = (224, 384),
                 max_seq_len_from_original_res: int = -1) -> None:  # fmt: skip
        super().__init__()
        self.patch_size = patch_size
        self.grid_size = spatial_pos_grid_size
        self.longer_side_lengths = sorted(longer_side_lengths)
        self.max_seq_len_from_original_res = max_seq_len_from_original_res
        self.conv_root = StdConv(3, RESNET_TOKEN_DIM, 7, 2, bias=False)
        self.gn_root = nn.GroupNorm(32, RESNET_TOKEN_DIM, eps=1e-6)
        self.block1 = Bottleneck(RESNET_TOKEN_DIM, RESNET_TOKEN_DIM * 4)
        token_patch = patch_size // 4
        self.embedding = nn.Linear(RESNET_TOKEN_DIM * 4 * token_patch**2, hidden_size)
        self.transformer_encoder = TransformerEncoder(
            hidden_size, mlp_dim, num_heads, num_layers, num_scales, spatial_pos_grid_size
        )
        linear = nn.Linear(hidden_size, num_class)
        self.head = nn.Sequential(linear, nn.Softmax(dim=-1)) if num_class > 1 else linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = multiscale_patches((x - 0.5) * 2, self)
        batch, tokens, _ = x.shape
        positions, scales, masks = x[:, :, -3], x[:, :, -2], x[:, :, -1].bool()
        x = x[:, :, :-3].reshape(-1, 3, self.patch_size, self.patch_size)
        x = self.gn_root(self.conv_root(x))
        x = F.max_pool2d(same_padding(F.relu(x), 3, 2), 3, 2)
        x = self.block1(x).permute(0, 2, 3, 1).reshape(batch, tokens, -1)
        x = self.transformer_encoder(self.embedding(x), positions, scales, masks)
        q = self.head(x[:, 0])
        return (q * torch.arange(1, q.shape[-1] + 1).to(q)).sum(dim=-1, keepdim=True)


def _hashed_positions(grid_size: int, count_h: int, count_w: int) -> torch.Tensor:
    """(1, count_h * count_w) indices of the hashed grid_size x grid_size position table."""
    grid = torch.arange(grid_size).float().reshape(1, 1, grid_size)
    across = F.interpolate(grid, count_w, mode="nearest").repeat(1, count_h, 1)
    down = F.interpolate(grid, count_h, mode="nearest").transpose(1, 2).repeat(1, 1, count_w)
    return (down * grid_size + across).reshape(1, -1)


def _patches(image: torch.Tensor, size: int, grid_size: int, scale_id: int,
             max_seq_len: int) -> torch.Tensor:  # fmt: skip
    """(n, 3 * size**2 + 3, L): patches (stride = size, TF "same" padding), hashed position,
    scale id and mask, padded or cut to ``max_seq_len`` (all patches when negative)."""
    count = len(image)
    patches = F.unfold(same_padding(image, size, size), size, 1, stride=size)
    count_h, count_w = (math.ceil(side / size) for side in image.shape[-2:])
    spatial = _hashed_positions(grid_size, count_h, count_w).unsqueeze(1).repeat(count, 1, 1)
    spatial = spatial.to(patches)
    out = torch.cat([patches, spatial, torch.ones_like(spatial) * scale_id,
                     torch.ones_like(spatial)], dim=1)  # fmt: skip
    if max_seq_len >= 0:
        padding = torch.zeros((count, out.shape[1], max_seq_len)).to(out)
        out = torch.cat([out, padding], dim=-1)[:, :, :max_seq_len]
    return out


def multiscale_patches(image: torch.Tensor, model: MUSIQ) -> torch.Tensor:
    """pyiqa's ``get_multiscale_patches``: each longer-side scale (bicubic, aspect kept) then
    the original resolution, as (n, L, 3 * patch**2 + 3)."""
    height, width = image.shape[-2:]
    outputs = []
    for scale_id, longer in enumerate(model.longer_side_lengths):
        ratio = longer / max(height, width)
        size = (round(height * ratio), round(width * ratio))
        resized = F.interpolate(image, size, mode="bicubic", align_corners=False)
        max_seq_len = int(math.ceil(longer / model.patch_size) ** 2)
        outputs.append(_patches(resized, model.patch_size, model.grid_size, scale_id, max_seq_len))
    outputs.append(_patches(image, model.patch_size, model.grid_size,
                            len(model.longer_side_lengths),
                            model.max_seq_len_from_original_res))  # fmt: skip
    return torch.cat(outputs, dim=-1).transpose(1, 2)
