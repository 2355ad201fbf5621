"""``clip_score``: text-video alignment as CLIPSIM, with CLIP ViT-L/14.

CLIPSIM (GODIVA, then many video-generation papers) is the mean over frames of the cosine
similarity between the CLIP embedding of the frame and that of the prompt. It is reported here
as the raw cosine, in [-1, 1] (papers that print values near 30 multiply it by 100). Papers
differ in the CLIP backbone (often ViT-B/32): compare values only under the same backbone.
A mean over frames allows sampling, so at most ``clip_features.MAX_FRAMES`` (16) evenly spaced
frames are embedded, first and last included (the ``aesthetic`` evaluator shares them). The
prompt is truncated to CLIP's 77 tokens by its tokenizer.
"""

from __future__ import annotations

from wmbench.core.errors import InputError
from wmbench.evaluators import clip_features
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec

METRIC = "clipsim/vit_l_14"


class ClipScore(Evaluator):
    """CLIPSIM: mean frame-prompt cosine similarity of CLIP ViT-L/14 embeddings (raw, [-1, 1])."""

    name = "clip_score"
    version = "1"
    weight_entries = (clip_features.CLIP_WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                METRIC,
                True,
                "",
                "CLIPSIM: mean over up to 16 evenly spaced frames of the cosine similarity of "
                "frame and prompt CLIP ViT-L/14 embeddings; raw cosine in [-1, 1], not x100",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        prompt = inputs.case.prompt
        if not prompt.strip():
            raise InputError(inputs.case.id, "prompt", "a non-empty text prompt", "an empty one")
        clip = self.network("clip", clip_features.load_clip)
        frames = clip_features.shared_frame_embeddings(inputs, clip)
        cosine = frames.embeddings.astype(float) @ clip_features.text_embedding(clip, prompt)
        return EvalResult(
            metrics={METRIC: float(cosine.mean())},
            series={"frame_index": frames.frame_index, "clipsim": cosine},
        )
