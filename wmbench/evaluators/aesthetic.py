"""``aesthetic``: the LAION aesthetic predictor v1, as VBench's ``aesthetic_quality`` uses it.

The predictor is a linear head (``nn.Linear(768, 1)``, ``sa_0_4_vit_l_14_linear.pth``) on the
L2-normalised CLIP ViT-L/14 image embedding of a frame; it scores on a roughly 1-10 scale.
VBench divides each frame's score by 10 and averages over frames: the mean over the frames
scored here is ``aesthetic_quality/vbench_16frames``, ``aesthetic_score/laion_v1`` the same mean
before the division. VBench scores every frame; a mean allows sampling, so here at most
``clip_features.MAX_FRAMES`` (16) evenly spaced frames are scored, first and last included
(shared with ``clip_score``). VBench also runs OpenAI's ``clip`` package in fp16 on GPU and
resizes float tensors, where this runs open_clip in fp32 with PIL's resize: small differences in
the last digits are expected. ``aesthetic_vbench`` (:mod:`.vbench_exact`) is VBench's own frame
handling.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from wmbench.core import weights
from wmbench.evaluators import clip_features
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.learned_weights import device, load_state, read_state

HEAD_WEIGHTS = "laion-aesthetic-vit-l-14"
HEAD_FILE = "sa_0_4_vit_l_14_linear.pth"
EMBED_DIM = 768  # CLIP ViT-L/14's embedding size, the head's input


def load_aesthetic_head() -> nn.Linear:
    """The LAION linear head from the weight store, in eval mode on :func:`device`."""
    path = weights.require(HEAD_WEIGHTS) / HEAD_FILE
    head = nn.Linear(EMBED_DIM, 1)
    expected = f"the state dict of nn.Linear({EMBED_DIM}, 1)"
    load_state(head, read_state(path, expected), path, expected)
    return head.to(device()).eval()


def aesthetic_scores(head: nn.Linear, embeddings: np.ndarray) -> np.ndarray:
    """The head's score (about 1-10) of each L2-normalised embedding (N, 768)."""
    features = torch.from_numpy(embeddings).to(device())
    with torch.inference_mode():
        return head(features)[:, 0].double().cpu().numpy()


class Aesthetic(Evaluator):
    """LAION aesthetic predictor v1 on CLIP ViT-L/14 features, VBench's 0-1 scale and raw."""

    name = "aesthetic"
    version = "1"
    weight_entries = (clip_features.CLIP_WEIGHTS, HEAD_WEIGHTS)

    def metric_specs(self) -> list[MetricSpec]:
        frames = "over up to 16 evenly spaced frames"
        return [
            MetricSpec(
                "aesthetic_quality/vbench_16frames",
                True,
                "",
                f"VBench aesthetic quality: mean {frames} of the LAION aesthetic predictor v1 "
                "(linear head on CLIP ViT-L/14) score / 10",
            ),
            MetricSpec(
                "aesthetic_score/laion_v1",
                True,
                "",
                f"mean {frames} of the LAION aesthetic predictor v1 score (about 1-10)",
            ),
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        clip = self.network("clip", clip_features.load_clip)
        head = self.network("head", load_aesthetic_head)
        frames = clip_features.shared_frame_embeddings(inputs, clip)
        scores = aesthetic_scores(head, frames.embeddings)
        return EvalResult(
            metrics={
                "aesthetic_quality/vbench_16frames": float(np.mean(scores / 10.0)),
                "aesthetic_score/laion_v1": float(scores.mean()),
            },
            series={"frame_index": frames.frame_index, "aesthetic_score": scores},
        )
