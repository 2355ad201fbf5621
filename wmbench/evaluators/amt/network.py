"""AMT-S, the frame interpolator of VBench's motion smoothness, written from VBench's copy
(Vchitect/VBench at 45e79ec, ``vbench/third_party/amt/networks/AMT-S.py`` with
``cfgs/AMT-S.yaml``: ``corr_radius: 3, corr_lvls: 4, num_flows: 3``). Its parameter names are
those of the ``state_dict`` in ``amt-s.pth`` (huggingface.co/lalala125/AMT), so that file loads
strictly.

Only the evaluation path VBench takes is written: ``scale_factor`` 1 (VBench uses 1 on the CPU,
and on a GPU whenever its memory rule allows full resolution, which at 720p is any GPU above
about 7 GB) and the interpolated frame alone as the output.
"""

from __future__ import annotations

import torch
from torch import nn

from wmbench.evaluators.amt.blocks import (
    BidirCorrBlock,
    Encoder,
    InitDecoder,
    IntermediateDecoder,
    MultiFlowDecoder,
    SmallEncoder,
    SmallUpdateBlock,
    coords_grid,
    multi_flow_combine,
    resize,
)


class AMTS(nn.Module):
    """AMT-S: ``model(img0, img1, embt)`` is the frame at time ``embt`` (B, 1, 1, 1) in (0, 1)
    between ``img0`` and ``img1`` (B, 3, H, W) in [0, 1], H and W multiples of 16, clamped to
    [0, 1]."""

    def __init__(
        self,
        corr_radius: int = 3,
        corr_lvls: int = 4,
        num_flows: int = 3,
        channels: tuple[int, ...] = (20, 32, 44, 56),
        skip_channels: int = 20,
    ) -> None:
        super().__init__()
        self.radius, self.corr_levels = corr_radius, corr_lvls
        self.feat_encoder = SmallEncoder(output_dim=84)
        self.encoder = Encoder(channels)
        self.decoder4 = InitDecoder(channels[3], channels[2], skip_channels)
        self.decoder3 = IntermediateDecoder(channels[2], channels[1], skip_channels)
        self.decoder2 = IntermediateDecoder(channels[1], channels[0], skip_channels)
        self.decoder1 = MultiFlowDecoder(channels[0], skip_channels, num_flows)
        self.update4 = self._update_block(channels[2])
        self.update3 = self._update_block(channels[1], 2)
        self.update2 = self._update_block(channels[0], 4)
        self.comb_block = nn.Sequential(
            nn.Conv2d(3 * num_flows, 6 * num_flows, 3, 1, 1),
            nn.PReLU(6 * num_flows),
            nn.Conv2d(6 * num_flows, 3, 3, 1, 1),
        )

    def _update_block(self, cdim: int, scale_factor: int | None = None) -> SmallUpdateBlock:
        return SmallUpdateBlock(cdim, hidden_dim=76, flow_dim=20, corr_dim=64, fc_dim=68,
                                corr_levels=self.corr_levels, radius=self.radius,
                                scale_factor=scale_factor)  # fmt: skip

    @staticmethod
    def _lookup(corr_fn, coord, flow0, flow1, embt, downsample: int):
        """Correlations at the positions the flows to t imply for the flows 0 -> 1 and 1 -> 0
        (linear motion: scaled by 1 / (1 - t) and 1 / t), at 1/8 resolution; and both flows."""
        if downsample != 1:
            flow0 = resize(flow0, 1 / downsample) / downsample
            flow1 = resize(flow1, 1 / downsample) / downsample
        corr0, corr1 = corr_fn(coord + flow1 * (1.0 / embt), coord + flow0 * (1.0 / (1.0 - embt)))
        return torch.cat([corr0, corr1], 1), torch.cat([flow0, flow1], 1)

    @staticmethod
    def _refine(update, feature, flow0, flow1, corr, flow):
        """One residual update of a level's feature and flows."""
        delta_feature, delta_flow = update(feature, flow, corr)
        delta0, delta1 = torch.chunk(delta_flow, 2, 1)
        return feature + delta_feature, flow0 + delta0, flow1 + delta1

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, embt: torch.Tensor) -> torch.Tensor:
        mean = torch.cat([img0, img1], 2).mean(1, True).mean(2, True).mean(3, True)
        img0, img1 = img0 - mean, img1 - mean
        batch, _, height, width = img0.shape
        coord = coords_grid(batch, height // 8, width // 8, img0.device)
        fmap0, fmap1 = torch.chunk(self.feat_encoder(torch.cat([img0, img1])), 2)
        corr_fn = BidirCorrBlock(fmap0, fmap1, self.radius, self.corr_levels)
        _, f0_2, f0_3, f0_4 = features0 = self.encoder(img0)
        _, f1_2, f1_3, f1_4 = features1 = self.encoder(img1)

        flow0, flow1, feature = self.decoder4(f0_4, f1_4, embt)  # 1/8
        corr, flow = self._lookup(corr_fn, coord, flow0, flow1, embt, 1)
        feature, flow0, flow1 = self._refine(self.update4, feature, flow0, flow1, corr, flow)
        for decoder, update, f0, f1, downsample in (
            (self.decoder3, self.update3, f0_3, f1_3, 2),  # -> 1/4
            (self.decoder2, self.update2, f0_2, f1_2, 4),  # -> 1/2
        ):
            flow0, flow1, feature = decoder(feature, f0, f1, flow0, flow1)
            corr, flow = self._lookup(corr_fn, coord, flow0, flow1, embt, downsample)
            feature, flow0, flow1 = self._refine(update, feature, flow0, flow1, corr, flow)

        flow0, flow1, mask, img_res = self.decoder1(
            feature, features0[0], features1[0], flow0, flow1
        )
        frame = multi_flow_combine(self.comb_block, img0, img1, flow0, flow1, mask, img_res, mean)
        return torch.clamp(frame, 0, 1)
