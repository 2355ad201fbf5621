"""VBench's subject consistency and aesthetic quality exactly as VBench computes them.

The ``subject_consistency`` and ``aesthetic`` evaluators use VBench's formulas on sampled frames
(every frame at about 8 fps; 16 frames) with antialiased resizing: cheaper, and named so
(``subject_consistency/vbench_8fps``, ``aesthetic_quality/vbench_16frames``). The evaluators
here are VBench's definitions, the values its quality score takes:

* ``subject_consistency_vbench``: Vchitect/VBench ``vbench/subject_consistency.py`` (commit
  45e79ec): every frame, ``dino_transform(224)`` of ``vbench/utils.py`` (torchvision
  ``Resize(224, antialias=False)``, bilinear, on the 0-255 float frames, / 255, ImageNet mean and
  std, no crop), DINO ViT-B/16's CLS feature; the mean over frames i > 0 of the clamped cosines to
  frame i - 1 and to frame 0.
* ``aesthetic_vbench``: ``vbench/aesthetic_quality.py``: every frame, ``clip_transform(224)``
  (as background consistency), CLIP ViT-L/14's L2-normalised embedding, the LAION linear head,
  / 10, the mean over frames. open_clip in fp32 where VBench's ``clip.load`` runs fp16 on a GPU.

Both share the networks (and their weight-store entries) of the sampled evaluators.
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from wmbench.evaluators import clip_features, subject_consistency
from wmbench.evaluators.aesthetic import HEAD_WEIGHTS, aesthetic_scores, load_aesthetic_head
from wmbench.evaluators.background_consistency import clip_frame_embeddings
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.sampling import all_frames
from wmbench.evaluators.subject_consistency import (
    BATCH,
    IMAGENET_MEAN,
    IMAGENET_STD,
    SHORT_SIDE,
    DinoViT,
    vbench_similarities,
)
from wmbench.evaluators.vbench_dimensions import (
    AESTHETIC_QUALITY,
    SUBJECT_CONSISTENCY,
)


def vbench_dino_inputs(frames: np.ndarray) -> torch.Tensor:
    """VBench's ``dino_transform(224)`` of (N, H, W, 3) uint8 frames: short side to 224 px
    (bilinear, no antialiasing), [0, 1], ImageNet mean and std."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    resized = TF.resize(pixels, SHORT_SIDE, InterpolationMode.BILINEAR, antialias=False)
    return TF.normalize(resized / 255.0, IMAGENET_MEAN, IMAGENET_STD)


def vbench_dino_features(model: DinoViT, frames: np.ndarray) -> torch.Tensor:
    """DINO features (N, C) of every frame of ``frames`` (N, H, W, 3) uint8 on VBench's
    preprocessing, ``BATCH`` frames per forward pass."""
    target = next(model.parameters()).device
    with single_torch_thread(), torch.inference_mode():
        return torch.cat([
            model(vbench_dino_inputs(frames[start : start + BATCH]).to(target)).cpu()
            for start in range(0, len(frames), BATCH)
        ])  # fmt: skip


class SubjectConsistencyVBench(Evaluator):
    """VBench subject consistency (DINO ViT-B/16) on every frame, VBench's resize."""

    name = "subject_consistency_vbench"
    version = "1"
    weight_entries = (subject_consistency.WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                SUBJECT_CONSISTENCY,
                True,
                "",
                "VBench subject consistency: mean over frames i > 0 of the DINO ViT-B/16 cosine "
                "similarity to frame i - 1 and to frame 0 (each clamped at 0), every frame, "
                "VBench's resize; 0-1, 1 = unchanged",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        model = self.network("dino", subject_consistency.dino_model)
        features = vbench_dino_features(model, all_frames(inputs.video))
        previous, first = vbench_similarities(features)
        per_frame = (previous + first) / 2.0
        value = float(per_frame.mean()) if len(per_frame) else float("nan")
        return EvalResult(
            metrics={SUBJECT_CONSISTENCY: value},
            series={"frame_index": np.arange(1, len(features)), "similarity": per_frame},
        )


class AestheticVBench(Evaluator):
    """VBench aesthetic quality (LAION head on CLIP ViT-L/14) on every frame, VBench's resize."""

    name = "aesthetic_vbench"
    version = "1"
    weight_entries = (clip_features.CLIP_WEIGHTS, HEAD_WEIGHTS)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                AESTHETIC_QUALITY,
                True,
                "",
                "VBench aesthetic quality: mean over every frame of the LAION aesthetic "
                "predictor v1 (linear head on CLIP ViT-L/14) score / 10, VBench's resize; 0-1",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        clip = self.network("clip", lambda: clip_features.load_clip().model)
        embeddings = clip_frame_embeddings(clip, all_frames(inputs.video))
        head = self.network("head", load_aesthetic_head)
        scores = aesthetic_scores(head, embeddings.numpy())
        return EvalResult(
            metrics={AESTHETIC_QUALITY: float(np.mean(scores / 10.0))},
            series={"frame_index": np.arange(len(scores)), "aesthetic_score": scores},
        )
