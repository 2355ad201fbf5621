"""``reference``: PSNR and SSIM of the generated video against a ground-truth video.

Both are computed per frame by :mod:`wmbench.evaluators.functional.image` (torchmetrics'
definitions on RGB in [0, 1]), then averaged over frames. A mean over frames allows sampling,
so at most ``MAX_FRAMES`` evenly spaced frames are compared.
"""

from __future__ import annotations

import numpy as np

from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.functional.image import psnr_db, ssim
from wmbench.evaluators.functional.reference_video import MAX_FRAMES, reference_frames
from wmbench.evaluators.sampling import sample_indices


class Reference(Evaluator):
    """PSNR and SSIM against the suite's ground-truth video (synthetic worlds render one); NaN,
    the run store's "does not apply", for a case without one."""

    name = "reference"
    version = "1"
    needs_reference = True

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec("psnr_db", True, "dB", "PSNR against the ground-truth video, RGB"),
            MetricSpec("ssim", True, "", "SSIM (torchmetrics defaults) against the ground truth"),
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        if inputs.reference is None:  # real cases: PSNR/SSIM do not apply
            return EvalResult(metrics={"psnr_db": float("nan"), "ssim": float("nan")})
        reference = reference_frames(inputs)
        index = sample_indices(min(len(inputs.video), len(reference)), MAX_FRAMES)
        pairs = list(zip(inputs.video.take(index), reference.take(index), strict=True))
        psnr = np.array([psnr_db(frame, truth) for frame, truth in pairs])
        similarity = np.array([ssim(frame, truth) for frame, truth in pairs])
        return EvalResult(
            metrics={"psnr_db": float(psnr.mean()), "ssim": float(similarity.mean())},
            series={"frame_index": index, "psnr_db": psnr, "ssim": similarity},
        )
