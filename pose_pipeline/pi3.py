"""``pi3``: camera poses from Pi3 (Wang et al., yyfz233/Pi3), as SANA-WM-Bench scores videos.

SANA-WM-Bench's ``tools/metrics/sana_wm/eval_benchmark_poses.py`` (NVlabs/Sana; read from the
fork HaoyiZhu/NVlabs-Sana at 28bfab0) runs ``Pi3`` on every ``--interval 4``-th frame of the
video in one forward pass, under bf16 autocast on GPUs of compute capability 8 or more (fp16
below), and takes ``camera_poses`` (camera-to-world, up to a similarity) as the estimate. The
frames are prepared as Pi3's ``pi3/utils/basic.py::load_images_as_tensor`` does (yyfz/Pi3 at
55831105): one size for all, the largest multiple of 14 on each side under ``PIXEL_LIMIT``
pixels keeping the aspect ratio, PIL Lanczos resampling, values in [0, 1]. The model is built as
Pi3's ``example.py`` does with a local checkpoint: ``Pi3()`` and ``load_state_dict`` of the
safetensors file. Per-frame confidence is the mean over pixels of ``sigmoid(conf)``.

Needs the ``pi3`` package (``pip install git+https://github.com/yyfz233/Pi3``; it is not on PyPI)
and ``model.safetensors`` in the weight store entry ``pi3`` (``wmbench weights fetch pi3`` on a
machine with internet access); a GPU is strongly advised (a 961-frame video is 241 frames in one
pass). Here frames come from memory, not from decoding the mp4 as the scripts do.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np

from pose_pipeline.estimators import EstimatedPoses, PoseEstimator, PoseRequest
from wmbench.core import weights
from wmbench.core.errors import MissingWeightsError

PACKAGE = "pi3"
WEIGHTS = "pi3"
CHECKPOINT = "model.safetensors"
PIXEL_LIMIT = 255000
PATCH = 14
INTERVAL = 4


def target_size(width: int, height: int, limit: int = PIXEL_LIMIT) -> tuple[int, int]:
    """Pi3's input size for ``width`` x ``height`` frames: multiples of 14, at most ``limit``
    pixels, the aspect ratio kept as ``load_images_as_tensor`` keeps it."""
    scale = math.sqrt(limit / (width * height))
    target_w, target_h = width * scale, height * scale
    k, m = round(target_w / PATCH), round(target_h / PATCH)
    while (k * PATCH) * (m * PATCH) > limit:
        if k / m > target_w / target_h:
            k -= 1
        else:
            m -= 1
    return max(1, k) * PATCH, max(1, m) * PATCH


def pi3_inputs(frames: np.ndarray) -> np.ndarray:
    """Frames (N, H, W, 3) uint8 -> (N, 3, H', W') float32 in [0, 1] at :func:`target_size`."""
    from PIL import Image

    size = target_size(frames.shape[2], frames.shape[1])
    resized = [
        np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))
        for frame in frames
    ]
    return (np.stack(resized).astype(np.float32) / 255.0).transpose(0, 3, 1, 2)


class Pi3Estimator(PoseEstimator):
    """Pi3 on every ``interval``-th frame (SANA-WM-Bench: 4), on ``device`` (auto: CUDA when
    present)."""

    name = "pi3"

    def __init__(self, interval: int = INTERVAL, device: str = "auto") -> None:
        self.interval = int(interval)
        self.device = device
        self._model: Any = None

    def settings(self) -> dict[str, Any]:
        """The interval, and the checkpoint's sha256 (its first digits) when it is present."""
        present = not weights.missing_files(WEIGHTS)
        return {"interval": self.interval, **(weights.digests([WEIGHTS]) if present else {})}

    def check_available(self) -> None:
        """Both the ``pi3`` package and the checkpoint; one error naming whichever is missing."""
        problems = []
        if importlib.util.find_spec(PACKAGE) is None:
            problems.append(
                "the Pi3 package `pi3` is not installed (pip install "
                "git+https://github.com/yyfz233/Pi3)"
            )
        missing = weights.missing_files(WEIGHTS)
        if missing:
            problems.append(
                f"its checkpoint is not in the weight store: {', '.join(map(str, missing))} "
                f"(`python -m wmbench weights fetch {WEIGHTS}` on a machine with internet access)"
            )
        if problems:
            raise MissingWeightsError(
                "pose estimator 'pi3' cannot run here: " + "; ".join(problems), missing
            )

    def _network(self) -> Any:
        import torch
        from pi3.models.pi3 import Pi3
        from safetensors.torch import load_file

        if self._model is None:
            name = self.device
            if name == "auto":
                name = "cuda" if torch.cuda.is_available() else "cpu"
            model = Pi3()
            model.load_state_dict(load_file(str(weights.require(WEIGHTS) / CHECKPOINT)))
            self._model = model.to(torch.device(name)).eval().requires_grad_(False)
        return self._model

    def estimate(self, request: PoseRequest) -> EstimatedPoses:
        import torch

        self.check_available()
        model = self._network()
        target = next(model.parameters()).device
        frame_index = np.arange(0, len(request.frames), self.interval)
        frames = request.frames
        picked = frames[frame_index] if isinstance(frames, np.ndarray) else frames.take(frame_index)
        images = torch.from_numpy(pi3_inputs(picked))[None].to(target)
        cuda = target.type == "cuda"
        dtype = (
            torch.bfloat16
            if cuda and torch.cuda.get_device_capability(target)[0] >= 8
            else torch.float16
        )
        with torch.no_grad(), torch.amp.autocast("cuda", dtype=dtype, enabled=cuda):
            result = model(images)
        c2w = result["camera_poses"][0].float().cpu().double().numpy()
        confidence = torch.sigmoid(result["conf"][0, ..., 0].float()).mean(dim=(1, 2))
        valid = np.isfinite(c2w).all(axis=(1, 2))
        c2w[~valid] = np.nan
        return EstimatedPoses(
            c2w, frame_index, valid, confidence.cpu().double().numpy(), self.name, self.settings()
        )
