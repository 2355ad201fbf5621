"""``background_consistency``: VBench's background consistency from CLIP ViT-B/32 features.

As Vchitect/VBench ``vbench/background_consistency.py`` (commit 45e79ec) computes it: every
frame of the video (``load_video`` reads all of them), VBench's ``clip_transform(224)`` of
``vbench/utils.py`` (torchvision ``Resize(224, BICUBIC, antialias=False)`` on the 0-255 float
frames, ``CenterCrop(224)``, / 255, CLIP's mean and std), the L2-normalised image embedding of
OpenAI's CLIP ViT-B/32; for each frame i > 0 the mean of ``max(0, cos(f_i, f_{i-1}))`` and
``max(0, cos(f_i, f_0))``, averaged over those frames: 1 for a frozen video.

The network is open_clip's ``ViT-B-32-quickgelu`` with OpenAI's weights (weight-store entry
``clip-vit-b-32``: open_clip's export of the checkpoint VBench loads with
``clip.load("ViT-B/32")``), in fp32 on every device, where ``clip.load`` runs fp16 on a GPU: the
last digits may differ from VBench's GPU numbers.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from torch import nn
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from wmbench.core import weights
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.clip_features import open_clip_model
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.sampling import all_frames
from wmbench.evaluators.subject_consistency import vbench_similarities
from wmbench.evaluators.vbench_dimensions import BACKGROUND_CONSISTENCY

ARCHITECTURE = "ViT-B-32-quickgelu"
WEIGHTS = "clip-vit-b-32"
CHECKPOINT = "open_clip_pytorch_model.bin"
IMAGE_SIZE = 224
BATCH = 32  # frames per forward pass (VBench's aesthetic batch; background takes all at once)


def background_model() -> nn.Module:
    """The store's CLIP ViT-B/32 (``ARCHITECTURE``), loaded once per process."""
    return open_clip_model(ARCHITECTURE, weights.require(WEIGHTS) / CHECKPOINT)


def vbench_clip_inputs(frames: np.ndarray) -> torch.Tensor:
    """VBench's ``clip_transform(224)`` of (N, H, W, 3) uint8 RGB frames: (N, 3, 224, 224)
    float32 (short side to 224 by bicubic without antialiasing, unclamped, centre crop)."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    resized = TF.resize(pixels, IMAGE_SIZE, InterpolationMode.BICUBIC, antialias=False)
    cropped = TF.center_crop(resized, IMAGE_SIZE) / 255.0
    return TF.normalize(cropped, OPENAI_DATASET_MEAN, OPENAI_DATASET_STD)


def clip_frame_embeddings(model: nn.Module, frames: np.ndarray) -> torch.Tensor:
    """L2-normalised CLIP image embeddings (N, D) float32 of ``frames`` (N, H, W, 3) uint8 on
    VBench's preprocessing, ``BATCH`` frames per forward pass."""
    target = next(model.parameters()).device
    chunks = []
    with single_torch_thread(), torch.inference_mode():
        for start in range(0, len(frames), BATCH):
            batch = vbench_clip_inputs(frames[start : start + BATCH]).to(target)
            chunks.append(F.normalize(model.encode_image(batch).float(), dim=-1).cpu())
    return torch.cat(chunks)


class BackgroundConsistency(Evaluator):
    """VBench background consistency (CLIP ViT-B/32) on every frame."""

    name = "background_consistency"
    version = "1"
    weight_entries = (WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                BACKGROUND_CONSISTENCY,
                True,
                "",
                "VBench background consistency: mean over frames i > 0 of the CLIP ViT-B/32 "
                "cosine similarity to frame i - 1 and to frame 0 (each clamped at 0), every "
                "frame, VBench's resize; 0-1, 1 = unchanged",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        model = self.network("clip", background_model)
        embeddings = clip_frame_embeddings(model, all_frames(inputs.video))
        previous, first = vbench_similarities(embeddings)
        per_frame = (previous + first) / 2.0
        value = float(per_frame.mean()) if len(per_frame) else float("nan")
        return EvalResult(
            metrics={BACKGROUND_CONSISTENCY: value},
            series={
                "frame_index": np.arange(1, len(embeddings)),
                "similarity": per_frame,
                "similarity_previous": previous,
                "similarity_first": first,
            },
        )
