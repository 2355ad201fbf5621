"""``subject_consistency``: VBench's subject consistency from DINO ViT-B/16 features.

VBench embeds every frame with facebookresearch/dino's ``dino_vitb16`` (the CLS token after the
final LayerNorm), L2-normalises it and, for each frame i > 0, takes the mean of
``max(0, cos(f_i, f_{i-1}))`` and ``max(0, cos(f_i, f_0))``; the score is the mean over those
frames: 1 for a frozen video, lower when the subject changes. Frames are resized so that the
short side is 224 px (bilinear, aspect ratio kept, no crop; DINO interpolates its positional
embeddings to the patch grid), scaled to [0, 1] and normalised with ImageNet's mean and std.

Deviations from VBench, both stated in the metric's description:

* VBench uses every frame at the video's own rate. Consecutive-frame similarity depends on the
  spacing of the frames, so here every ``round(fps / SAMPLE_FPS)``-th frame is used (frames
  about ``1 / SAMPLE_FPS`` s apart, from frame 0), whatever the video's rate or length; long
  videos cost proportionally more (one ViT-B pass per sampled frame).
* The resize is antialiased, as torchvision's ``Resize`` on PIL images (VBench's frame-folder
  path); VBench's video-tensor path resizes without antialiasing.

The metric is ``subject_consistency/vbench_8fps``; ``subject_consistency_vbench``
(:mod:`.vbench_exact`) is VBench's own frame handling. The weights are ``dino-vitb16`` of the
weight store (the official checkpoint, loaded strictly
into timm's ViT); nothing is downloaded. ``ARCHITECTURE`` names the ViT's size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from wmbench.core import weights
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import (
    device,
    load_state,
    read_state,
)
from wmbench.evaluators.sampling import all_frames, finite_mean

WEIGHTS = "dino-vitb16"
CHECKPOINT = "dino_vitbase16_pretrain.pth"
ARCHITECTURE: dict[str, int] = {"patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12}
SAMPLE_FPS = 8.0
SHORT_SIDE = 224
BATCH = 16
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DINO_KEYS = (
    "facebookresearch/dino's ViT state dict (cls_token, pos_embed, patch_embed, blocks, norm)"
)


def dino_position_embedding(
    pos_embed: torch.Tensor, rows: int, cols: int, square: bool
) -> torch.Tensor:
    """DINO's ``interpolate_pos_encoding``: the (1, 1 + N, C) embeddings of a square grid of N
    patches, resampled (bicubic, scale factor ``(n + 0.1) / sqrt(N)``) to ``rows`` x ``cols``
    unless the image is ``square`` with the same grid."""
    count = pos_embed.shape[1] - 1
    if rows * cols == count and square:
        return pos_embed
    side = int(math.sqrt(count))
    grid = pos_embed[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    scale = ((rows + 0.1) / side, (cols + 0.1) / side)
    grid = F.interpolate(grid, scale_factor=scale, mode="bicubic")
    return torch.cat([pos_embed[:, :1], grid.permute(0, 2, 3, 1).reshape(1, rows * cols, -1)], 1)


class DinoViT(VisionTransformer):
    """timm's ViT with DINO's token preparation (its positional-embedding interpolation), so that
    frames of any aspect ratio get DINO's features; ``model(x)`` is the CLS token after the final
    norm. Its parameter names are those of DINO's checkpoints; they stay uninitialised until
    loaded."""

    def __init__(self, **architecture: int) -> None:
        super().__init__(num_classes=0, dynamic_img_size=True, weight_init="skip", **architecture)

    def prepare_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """DINO's ``prepare_tokens``: patch embeddings after the CLS token, plus the positional
        embeddings interpolated to the patch grid of ``x`` (B, 3, H, W)."""
        height, width = x.shape[-2:]
        size = self.patch_embed.patch_size
        # DINO's strided convolution drops the pixels beyond the last whole patch; timm asserts
        whole = x[..., : height // size[0] * size[0], : width // size[1] * size[1]]
        patches = self.patch_embed(whole)  # (B, rows, cols, C): dynamic image size
        batch, rows, cols, dim = patches.shape
        cls = self.cls_token.expand(batch, -1, -1)
        tokens = torch.cat([cls, patches.reshape(batch, rows * cols, dim)], dim=1)
        return tokens + dino_position_embedding(self.pos_embed, rows, cols, height == width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The CLS token after the final norm (DINO's ``forward``)."""
        return self.norm(self.blocks(self.prepare_tokens(x)))[:, 0]


def load_dino(path: Path, architecture: Mapping[str, int]) -> DinoViT:
    """A :class:`DinoViT` of ``architecture`` with the weights of ``path``, on
    :func:`device`, in eval mode."""
    model = DinoViT(**architecture)
    load_state(model, read_state(path, DINO_KEYS), path, DINO_KEYS)
    return model.eval().to(device())


def dino_model() -> DinoViT:
    """The weight store's DINO model of ``ARCHITECTURE``."""
    return load_dino(weights.require(WEIGHTS) / CHECKPOINT, ARCHITECTURE)


def dino_inputs(frames: np.ndarray) -> torch.Tensor:
    """Frames (N, H, W, 3) uint8 -> (N, 3, 224, W') float: short side to ``SHORT_SIDE`` px
    (bilinear, antialiased), [0, 1], ImageNet mean and std."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)
    resized = TF.resize(pixels, SHORT_SIDE, InterpolationMode.BILINEAR, antialias=True)
    return TF.normalize(resized.float() / 255.0, IMAGENET_MEAN, IMAGENET_STD)


def dino_features(model: DinoViT, frames: np.ndarray, index: np.ndarray) -> torch.Tensor:
    """DINO features (N, C) of ``frames[index]`` ((T, H, W, 3) uint8, N indices), in batches of
    ``BATCH``."""
    target = next(model.parameters()).device
    batches = [index[start : start + BATCH] for start in range(0, len(index), BATCH)]
    with single_torch_thread(), torch.inference_mode():
        return torch.cat([model(dino_inputs(frames[batch]).to(target)) for batch in batches])


def vbench_similarities(features: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """For each frame i > 0 of ``features`` (N, C): the cosine similarity to frame i - 1 and to
    frame 0, clamped at 0 as VBench does (two arrays of N - 1)."""
    unit = F.normalize(features.double(), dim=-1)
    previous = (unit[1:] * unit[:-1]).sum(dim=-1).clamp(min=0.0)
    first = (unit[1:] @ unit[0]).clamp(min=0.0)
    return previous.cpu().numpy(), first.cpu().numpy()


def sampled_frames(num_frames: int, fps: float) -> np.ndarray:
    """Every ``round(fps / SAMPLE_FPS)``-th frame index (every frame at or below that rate)."""
    return np.arange(0, num_frames, max(1, round(fps / SAMPLE_FPS)))


class SubjectConsistency(Evaluator):
    """VBench subject consistency (DINO ViT-B/16) on frames sampled at ``SAMPLE_FPS``."""

    name = "subject_consistency"
    version = "1"
    weight_entries = (WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                "subject_consistency/vbench_8fps",
                True,
                "",
                "VBench subject consistency: mean over frames of the DINO ViT-B/16 cosine "
                "similarity to the previous and the first frame; every round(fps / "
                f"{SAMPLE_FPS:g})-th frame (about {SAMPLE_FPS:g} fps), not every frame",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        video = inputs.video
        index = sampled_frames(len(video), video.fps)
        features = dino_features(self.network("dino", dino_model), all_frames(video), index)
        previous, first = vbench_similarities(features)
        per_frame = (previous + first) / 2.0
        return EvalResult(
            metrics={"subject_consistency/vbench_8fps": finite_mean(per_frame)},
            series={
                "frame_index": index[1:],
                "similarity": per_frame,
                "similarity_previous": previous,
                "similarity_first": first,
            },
        )
