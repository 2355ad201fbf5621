"""A metric monocular depth source: Depth Anything V2 Metric (Small) through transformers, loaded
only from the local weight store (``$WMBENCH_WEIGHTS``); absent weights raise
:class:`wmbench.core.errors.MissingWeightsError` naming the files to place. Nothing is
downloaded."""

from __future__ import annotations

import numpy as np

from wmbench.core import weights

ENTRIES = {
    "indoor": "depth-anything-v2-metric-indoor-small",
    "outdoor": "depth-anything-v2-metric-outdoor-small",
}


class MonocularDepth:
    """Metric z-depth predicted from each keyframe (at the model's working resolution)."""

    def __init__(self, scene: str = "indoor", num_threads: int = 2) -> None:
        if scene not in ENTRIES:
            raise ValueError(f"scene must be one of {sorted(ENTRIES)}, got {scene!r}")
        folder = weights.require(ENTRIES[scene])
        import torch
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        self.name = f"monocular:{ENTRIES[scene]}"
        self._torch = torch
        self._threads = num_threads
        self._processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        self._model = AutoModelForDepthEstimation.from_pretrained(folder, local_files_only=True)
        self._model.eval()

    def depth(self, frame: int, image: np.ndarray) -> np.ndarray:
        torch = self._torch
        previous = torch.get_num_threads()
        torch.set_num_threads(self._threads)
        try:
            inputs = self._processor(images=image, return_tensors="pt")
            with torch.inference_mode():
                predicted = self._model(**inputs).predicted_depth
        finally:
            torch.set_num_threads(previous)
        return predicted[0].float().numpy()
