"""``imaging_quality``: VBench's imaging quality (MUSIQ trained on SPAQ) and its decay over time.

As Vchitect/VBench ``vbench/imaging_quality.py`` (commit 45e79ec) computes it: every frame; its
default preprocessing mode ``longer``: when the longer side exceeds 512 px, torchvision's
``Resize((int(s h), int(s w)), antialias=False)`` (bilinear) with ``s = 512 / max(h, w)`` on the
0-255 float frames, then / 255; pyiqa's MUSIQ (``pyiqa.archs.musiq_arch.MUSIQ`` with the SPAQ
checkpoint ``musiq_spaq_ckpt-358bb6af.pth``, evaluated with ``training`` off, which turns on its
multi-scale patching: the frame plus its 384 and 224 px versions) scores each frame 0-100, one
frame per call; the video's imaging quality is the mean / 100. Here frames go ``BATCH`` per call
(:func:`musiq_scores`; :func:`musiq_scores_per_frame` is VBench's loop, the twin the tests
compare it with).

Temporal degradation, as the SANA-WM paper reads it (FACTS.md): the mean MUSIQ score of the first
10 s minus that of the last 10 s (``drift.window_frames``: 10 s, at most a third of a short
video), ``delta_iq``, in MUSIQ's 0-100 units (VBench's imaging quality x 100, as the paper's
tables print IQ and ΔIQ); positive = quality lost along the video. The series ``window_iq``
holds the mean over consecutive 10 s windows from frame 0 (a shorter remainder is left out).

The network comes from weight-store entry ``musiq-spaq`` (pyiqa's release file, loaded strictly,
a ``module.`` prefix removed as pyiqa's ``clean_state_dict`` does); nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from pyiqa.archs.musiq_arch import MUSIQ
from torchvision.transforms import functional as TF

from wmbench.core import weights
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.drift import window_frames
from wmbench.evaluators.learned_weights import device, load_state, read_state
from wmbench.evaluators.reference import single_torch_thread
from wmbench.evaluators.sampling import all_frames
from wmbench.evaluators.vbench_dimensions import IMAGING_QUALITY

WEIGHTS = "musiq-spaq"
CHECKPOINT = "musiq_spaq_ckpt-358bb6af.pth"
# pyiqa's MUSIQ defaults, which VBench's ``MUSIQ(pretrained_model_path=...)`` uses for SPAQ
ARCHITECTURE: dict[str, int] = {"hidden_size": 384, "mlp_dim": 1152, "num_heads": 6,
                                "num_layers": 14}  # fmt: skip
LONGER_SIDE = 512
BATCH = 8
MUSIQ_KEYS = "the state dict of pyiqa 0.1.16's MUSIQ (conv_root, block1, transformer_encoder, head)"
DELTA_IQ = "delta_iq/vbench_musiq"
FIRST_IQ = "imaging_quality_first_10s/vbench_musiq"
LAST_IQ = "imaging_quality_last_10s/vbench_musiq"


def load_musiq(path: Path, architecture: dict[str, int]) -> MUSIQ:
    """pyiqa's MUSIQ of ``architecture`` with the weights of ``path``, in eval mode on
    :func:`device`."""
    model = MUSIQ(pretrained=False, pretrained_model_path=None, **architecture)
    state = read_state(path, MUSIQ_KEYS)
    state = {key.removeprefix("module."): value for key, value in state.items()}
    load_state(model, state, path, MUSIQ_KEYS)
    return model.eval().to(device())


def musiq_model() -> MUSIQ:
    """The weight store's MUSIQ-SPAQ."""
    return load_musiq(weights.require(WEIGHTS) / CHECKPOINT, ARCHITECTURE)


def vbench_musiq_inputs(frames: np.ndarray) -> torch.Tensor:
    """VBench's ``transform(images, 'longer')`` of (N, H, W, 3) uint8 frames: (N, 3, h, w)
    float in [0, 1], the longer side brought to 512 px when it is longer."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    height, width = pixels.shape[-2:]
    if max(height, width) > LONGER_SIDE:
        scale = LONGER_SIDE / max(height, width)
        size = [int(scale * height), int(scale * width)]
        pixels = TF.resize(pixels, size, antialias=False)
    return pixels / 255.0


def musiq_scores(model: MUSIQ, frames: np.ndarray) -> np.ndarray:
    """MUSIQ's score (0-100) of each of ``frames`` (N, H, W, 3) uint8, ``BATCH`` per call."""
    target = next(model.parameters()).device
    scores = []
    with single_torch_thread(), torch.inference_mode():
        for start in range(0, len(frames), BATCH):
            batch = vbench_musiq_inputs(frames[start : start + BATCH]).to(target)
            scores.append(model(batch).reshape(-1).double().cpu())
    return torch.cat(scores).numpy()


def musiq_scores_per_frame(model: MUSIQ, frames: np.ndarray) -> np.ndarray:
    """The same scores one frame per call, as VBench's ``technical_quality`` loop runs."""
    target = next(model.parameters()).device
    images = vbench_musiq_inputs(frames)
    with torch.inference_mode():
        return np.array([float(model(image[None].to(target))) for image in images])


def window_means(scores: np.ndarray, window: int) -> np.ndarray:
    """Mean of ``scores`` over consecutive windows of ``window`` frames from the first (a
    shorter remainder is left out)."""
    count = len(scores) // window
    return scores[: count * window].reshape(count, window).mean(axis=1)


class ImagingQuality(Evaluator):
    """VBench imaging quality (MUSIQ-SPAQ) on every frame, and its change from the first to the
    last 10 s (the SANA-WM paper's ΔIQ)."""

    name = "imaging_quality"
    version = "1"
    weight_entries = (WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        window = "10 s (a third of a shorter video)"
        return [
            MetricSpec(
                IMAGING_QUALITY,
                True,
                "",
                "VBench imaging quality: mean over every frame of the MUSIQ (SPAQ) score / 100, "
                "longer side resized to 512 px; 0-1",
            ),
            MetricSpec(
                FIRST_IQ, True, "MUSIQ 0-100", f"mean MUSIQ (SPAQ) score of the first {window}"
            ),
            MetricSpec(
                LAST_IQ, True, "MUSIQ 0-100", f"mean MUSIQ (SPAQ) score of the last {window}"
            ),
            MetricSpec(
                DELTA_IQ,
                False,
                "MUSIQ 0-100",
                f"temporal degradation (SANA-WM's ΔIQ): imaging quality x 100 of the first "
                f"{window} minus that of the last; > 0 = quality lost",
            ),
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        video = inputs.video
        scores = musiq_scores(self.network("musiq", musiq_model), all_frames(video))
        window = window_frames(len(scores), video.fps)
        first, last = float(scores[:window].mean()), float(scores[-window:].mean())
        return EvalResult(
            metrics={
                IMAGING_QUALITY: float(scores.mean()) / 100.0,
                FIRST_IQ: first,
                LAST_IQ: last,
                DELTA_IQ: first - last,
            },
            series={
                "frame_index": np.arange(len(scores)),
                "musiq": scores,
                "window_start_frame": np.arange(len(scores) // window) * window,
                "window_iq": window_means(scores, window),
            },
        )
