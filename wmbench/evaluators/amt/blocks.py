"""The building blocks of AMT-S (Li et al., CVPR 2023, "AMT: All-Pairs Multi-Field Transforms
for Efficient Frame Interpolation"), written from VBench's copy of the network
(Vchitect/VBench at 45e79ec, ``vbench/third_party/amt/networks/blocks/{feat_enc,ifrnet,raft,
multi_flow}.py`` and ``utils/flow_utils.py``). Only what AMT-S uses: the instance-norm
bottleneck feature encoder, the PReLU pyramid encoder and decoders, the bidirectional
correlation pyramid and the small update block. Attribute names are those of the original
modules, so that the parameter names are those of ``amt-s.pth``'s ``state_dict``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def resize(x: torch.Tensor, scale_factor: float) -> torch.Tensor:
    """Bilinear resize by ``scale_factor`` (``align_corners=False``), as AMT's ``resize``."""
    return F.interpolate(x, scale_factor=scale_factor, mode="bilinear", align_corners=False)


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``image`` (B, C, H, W) sampled at ``x + flow(x)`` (flow (B, 2, H, W) in px, x first):
    bilinear, border padding, ``align_corners=True`` (AMT's ``utils.flow_utils.warp``)."""
    batch, _, height, width = flow.shape
    xs = torch.linspace(-1.0, 1.0, width, device=flow.device).view(1, 1, 1, width)
    ys = torch.linspace(-1.0, 1.0, height, device=flow.device).view(1, 1, height, 1)
    grid = torch.cat([xs.expand(batch, -1, height, -1), ys.expand(batch, -1, -1, width)], 1)
    scale = torch.tensor([(width - 1.0) / 2.0, (height - 1.0) / 2.0], device=flow.device)
    moved = (grid.to(image) + flow / scale.view(1, 2, 1, 1).to(flow)).permute(0, 2, 3, 1)
    return F.grid_sample(image, moved, mode="bilinear", padding_mode="border", align_corners=True)


def coords_grid(batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
    """Pixel coordinates (B, 2, H, W), x first."""
    rows, cols = torch.meshgrid(
        torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij"
    )
    return torch.stack([cols, rows]).float()[None].repeat(batch, 1, 1, 1)


def convrelu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution and a per-channel PReLU (IFRNet's ``convrelu``)."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1), nn.PReLU(out_channels))


class BottleneckBlock(nn.Module):
    """RAFT's bottleneck residual block with instance norm (``feat_enc.BottleneckBlock``)."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes // 4, 1)
        self.conv2 = nn.Conv2d(planes // 4, planes // 4, 3, stride, 1)
        self.conv3 = nn.Conv2d(planes // 4, planes, 1)
        self.norm1, self.norm2 = nn.InstanceNorm2d(planes // 4), nn.InstanceNorm2d(planes // 4)
        self.norm3 = nn.InstanceNorm2d(planes)
        self.downsample = (
            None
            if stride == 1
            else nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride), nn.InstanceNorm2d(planes))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = F.relu(self.norm2(self.conv2(y)))
        y = F.relu(self.norm3(self.conv3(y)))
        return F.relu((x if self.downsample is None else self.downsample(x)) + y)


class SmallEncoder(nn.Module):
    """RAFT's small feature encoder, instance norm: (B, 3, H, W) -> (B, ``output_dim``, H/8,
    W/8) (``feat_enc.SmallEncoder``)."""

    def __init__(self, output_dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 7, 2, 3)
        self.norm1 = nn.InstanceNorm2d(32)
        self.layer1 = nn.Sequential(BottleneckBlock(32, 32), BottleneckBlock(32, 32))
        self.layer2 = nn.Sequential(BottleneckBlock(32, 64, 2), BottleneckBlock(64, 64))
        self.layer3 = nn.Sequential(BottleneckBlock(64, 96, 2), BottleneckBlock(96, 96))
        self.conv2 = nn.Conv2d(96, output_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm1(self.conv1(x)))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))


class ResBlock(nn.Module):
    """IFRNet's residual block that refines its last ``side_channels`` channels apart
    (``ifrnet.ResBlock``)."""

    def __init__(self, in_channels: int, side_channels: int) -> None:
        super().__init__()
        self.side_channels = side_channels
        self.conv1 = convrelu(in_channels, in_channels)
        self.conv2 = convrelu(side_channels, side_channels)
        self.conv3 = convrelu(in_channels, in_channels)
        self.conv4 = convrelu(side_channels, side_channels)
        self.conv5 = nn.Conv2d(in_channels, in_channels, 3, 1, 1)
        self.prelu = nn.PReLU(in_channels)

    def _side(self, out: torch.Tensor, conv: nn.Module) -> torch.Tensor:
        side = self.side_channels
        return torch.cat([out[:, :-side], conv(out[:, -side:])], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(self._side(self.conv1(x), self.conv2))
        out = self.conv5(self._side(out, self.conv4))
        return self.prelu(x + out)


class Encoder(nn.Module):
    """IFRNet's pyramid encoder: features at 1/2, 1/4, 1/8, 1/16 (``ifrnet.Encoder``)."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.levels = len(channels)
        previous = 3
        for index, width in enumerate(channels, 1):
            self.add_module(
                f"pyramid{index}",
                nn.Sequential(convrelu(previous, width, 2), convrelu(width, width)),
            )
            previous = width

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for index in range(1, self.levels + 1):
            x = getattr(self, f"pyramid{index}")(x)
            features.append(x)
        return features


def _decoder_block(in_channels: int, hidden: int, skip: int, out_channels: int) -> nn.Sequential:
    """convrelu, ResBlock, then a stride-2 transposed convolution (the decoders' ``convblock``)."""
    return nn.Sequential(
        convrelu(in_channels, hidden),
        ResBlock(hidden, skip),
        nn.ConvTranspose2d(hidden, out_channels, 4, 2, 1),
    )


class InitDecoder(nn.Module):
    """The coarsest decoder: both images' features and t -> two flows and the intermediate
    feature, at twice the resolution (``ifrnet.InitDecoder``)."""

    def __init__(self, in_ch: int, out_ch: int, skip_ch: int) -> None:
        super().__init__()
        self.convblock = _decoder_block(2 * in_ch + 1, 2 * in_ch, skip_ch, out_ch + 4)

    def forward(self, f0, f1, embt):
        embt = embt.repeat(1, 1, *f0.shape[2:])
        out = self.convblock(torch.cat([f0, f1, embt], 1))
        flow0, flow1 = torch.chunk(out[:, :4], 2, 1)
        return flow0, flow1, out[:, 4:]


class IntermediateDecoder(nn.Module):
    """A finer decoder: residual flows on top of the upsampled coarser ones, from the features
    warped by them (``ifrnet.IntermediateDecoder``)."""

    def __init__(self, in_ch: int, out_ch: int, skip_ch: int) -> None:
        super().__init__()
        self.convblock = _decoder_block(3 * in_ch + 4, 3 * in_ch, skip_ch, out_ch + 4)

    def forward(self, ft_, f0, f1, flow0_in, flow1_in):
        f_in = torch.cat([ft_, warp(f0, flow0_in), warp(f1, flow1_in), flow0_in, flow1_in], 1)
        out = self.convblock(f_in)
        flow0, flow1 = torch.chunk(out[:, :4], 2, 1)
        flow0 = flow0 + 2.0 * resize(flow0_in, 2.0)
        flow1 = flow1 + 2.0 * resize(flow1_in, 2.0)
        return flow0, flow1, out[:, 4:]


class MultiFlowDecoder(nn.Module):
    """The finest decoder: ``num_flows`` flow pairs, blending masks and image residuals at full
    resolution (``multi_flow.MultiFlowDecoder``)."""

    def __init__(self, in_ch: int, skip_ch: int, num_flows: int) -> None:
        super().__init__()
        self.num_flows = num_flows
        self.convblock = _decoder_block(3 * in_ch + 4, 3 * in_ch, skip_ch, 8 * num_flows)

    def forward(self, ft_, f0, f1, flow0, flow1):
        n = self.num_flows
        f_in = torch.cat([ft_, warp(f0, flow0), warp(f1, flow1), flow0, flow1], 1)
        delta0, delta1, mask, img_res = torch.split(
            self.convblock(f_in), [2 * n, 2 * n, n, 3 * n], 1
        )
        flow0 = delta0 + 2.0 * resize(flow0, 2.0).repeat(1, n, 1, 1)
        flow1 = delta1 + 2.0 * resize(flow1, 2.0).repeat(1, n, 1, 1)
        return flow0, flow1, torch.sigmoid(mask), img_res


def multi_flow_combine(comb_block, img0, img1, flow0, flow1, mask, img_res, mean):
    """The interpolated frame (B, 3, H, W) from ``num_flows`` candidates: each blends ``img0``
    and ``img1`` (mean-free) warped by its flow pair with its mask, adds back ``mean`` (B, 1, 1,
    1) and its residual; their mean plus ``comb_block`` of all of them
    (``multi_flow.multi_flow_combine``)."""
    b, c, h, w = flow0.shape
    n = c // 2
    flow0, flow1 = flow0.reshape(b * n, 2, h, w), flow1.reshape(b * n, 2, h, w)
    mask, img_res = mask.reshape(b * n, 1, h, w), img_res.reshape(b * n, 3, h, w)
    img0 = img0.repeat_interleave(n, 0)
    img1 = img1.repeat_interleave(n, 0)
    mean = mean.repeat_interleave(n, 0)
    warps = mask * warp(img0, flow0) + (1 - mask) * warp(img1, flow1) + mean + img_res
    warps = warps.reshape(b, n, 3, h, w)
    return warps.mean(1) + comb_block(warps.view(b, 3 * n, h, w))


class BidirCorrBlock:
    """All-pairs correlation of two feature maps (B, C, H, W) / sqrt(C), pooled into
    ``num_levels`` levels both ways (fmap0 -> fmap1 and its transpose), looked up in a
    (2r + 1)^2 window around given coordinates (``raft.BidirCorrBlock``)."""

    def __init__(self, fmap0: torch.Tensor, fmap1: torch.Tensor, radius: int, num_levels: int):
        self.radius = radius
        batch, dim, height, width = fmap0.shape
        corr = (
            fmap0.flatten(2).transpose(1, 2)
            @ fmap1.flatten(2)
            / torch.sqrt(torch.tensor(dim).float())
        )  # (B, HW0, HW1)
        levels = [corr.reshape(batch * height * width, 1, height, width)]
        levels_t = [corr.transpose(1, 2).reshape(batch * height * width, 1, height, width)]
        for _ in range(num_levels - 1):
            levels.append(F.avg_pool2d(levels[-1], 2, stride=2))
            levels_t.append(F.avg_pool2d(levels_t[-1], 2, stride=2))
        self.pyramid, self.pyramid_t = levels, levels_t

    def _lookup(self, pyramid: list[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
        r = self.radius
        batch, _, height, width = coords.shape
        steps = torch.linspace(-r, r, 2 * r + 1, device=coords.device)
        delta = torch.stack(torch.meshgrid(steps, steps, indexing="ij"), -1).view(
            1, 2 * r + 1, 2 * r + 1, 2
        )
        centre = coords.permute(0, 2, 3, 1).reshape(batch * height * width, 1, 1, 2)
        out = []
        for level, corr in enumerate(pyramid):
            grid = centre / 2**level + delta  # RAFT adds (dy, dx) to (x, y), as trained
            size = torch.tensor([corr.shape[-1] - 1, corr.shape[-2] - 1], device=coords.device)
            sampled = F.grid_sample(corr, 2 * grid / size - 1, align_corners=True)
            out.append(sampled.view(batch, height, width, -1))
        return torch.cat(out, -1).permute(0, 3, 1, 2).contiguous().float()

    def __call__(self, coords0: torch.Tensor, coords1: torch.Tensor):
        return self._lookup(self.pyramid, coords0), self._lookup(self.pyramid_t, coords1)


class SmallUpdateBlock(nn.Module):
    """AMT's update block: from the correlations and flows of a level, residual updates of the
    intermediate feature and of both flows, computed at 1/8 resolution
    (``raft.SmallUpdateBlock``)."""

    def __init__(self, cdim, hidden_dim, flow_dim, corr_dim, fc_dim, corr_levels, radius,
                 scale_factor=None):  # fmt: skip
        super().__init__()
        planes = corr_levels * (2 * radius + 1) ** 2
        self.scale_factor = scale_factor
        self.convc1 = nn.Conv2d(2 * planes, corr_dim, 1)
        self.convf1 = nn.Conv2d(4, 2 * flow_dim, 7, padding=3)
        self.convf2 = nn.Conv2d(2 * flow_dim, flow_dim, 3, padding=1)
        self.conv = nn.Conv2d(corr_dim + flow_dim, fc_dim, 3, padding=1)

        def two_convs(inp: int, out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(inp, hidden_dim, 3, padding=1),
                nn.LeakyReLU(0.1),
                nn.Conv2d(hidden_dim, out, 3, padding=1),
            )

        self.gru = two_convs(fc_dim + 4 + cdim, hidden_dim)
        self.feat_head = two_convs(hidden_dim, cdim)
        self.flow_head = two_convs(hidden_dim, 4)

    def forward(self, net, flow, corr):
        scale = self.scale_factor
        net = resize(net, 1 / scale) if scale is not None else net
        cor = F.leaky_relu(self.convc1(corr), 0.1)
        flo = F.leaky_relu(self.convf2(F.leaky_relu(self.convf1(flow), 0.1)), 0.1)
        inp = F.leaky_relu(self.conv(torch.cat([cor, flo], 1)), 0.1)
        out = self.gru(torch.cat([inp, flow, net], 1))
        delta_net, delta_flow = self.feat_head(out), self.flow_head(out)
        if scale is not None:
            delta_net = resize(delta_net, scale)
            delta_flow = scale * resize(delta_flow, scale)
        return delta_net, delta_flow
