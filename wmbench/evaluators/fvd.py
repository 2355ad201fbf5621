"""``fvd``: I3D features of 16-frame clips for the Fréchet Video Distance, StyleGAN-V's protocol.

FVD compares two *sets* of videos (a Gaussian fitted to each set's I3D features), so it is no
per-case number. Per case this evaluator stores the features of the generated clips and of the
ground-truth clips (series ``fvd/generated_features`` and ``fvd/reference_features``, float32
(N, D)); the run store pools them per model and split into one FVD
(:mod:`wmbench.set_metrics`). Its per-case metrics are the number of clips and FVD's mean term
on the case alone, named as such.

Protocol, after StyleGAN-V's ``src/metrics/frechet_video_distance.py`` (``fvd2048_16f``):

* Detector: StyleGAN-V's TorchScript port of the tf.hub Kinetics-400 I3D, ``i3d_torchscript.pt``
  of the weight store's ``i3d`` entry (nothing is downloaded), called as
  ``detector(clips, rescale=True, resize=True, return_features=True)`` on uint8 clips
  (B, 3, T, H, W) in [0, 255]. The archive itself scales to [-1, 1] (``x / 255 * 2 - 1``) and
  resizes every frame to 224 x 224 (aspect ratio not kept), as in StyleGAN-V, and returns the
  400 features before the softmax.
* Clips: ``CLIP_FRAMES`` = 16 consecutive frames at the video's own frame rate (no subsampling).
* Distance: Fréchet distance of the two sets' means and covariances (normalised by N, as
  StyleGAN-V's ``FeatureStats``), ``||mu1 - mu2||^2 + tr(S1 + S2 - 2 sqrtm(S1 S2))`` with
  ``scipy.linalg.sqrtm``.

Deviations from StyleGAN-V:

* StyleGAN-V takes one clip per video (the generator's first 16 frames; a random window of each
  real video). Here every video gives up to ``MAX_CLIPS`` evenly spaced, non-overlapping windows
  (the first at frame 0, the last ending at the last frame), the same windows in the generated
  and the ground-truth video; a set's N is its number of clips, and clips of one video are not
  independent. SANA-WM-Bench (160 videos of 961 frames) so gives 2560 clips, above the 2048
  videos of the literature.
* The reference set is the ground truth of the same cases (synthetic cases render one), not an
  independent sample of real videos.
* A video shorter than one clip is an InputError for the case (StyleGAN-V drops such videos).
* A case without ground truth (the real SANA-WM-Bench has none) gets NaN metrics and no
  features: it does not apply there, and the set-level FVD leaves the case out.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from wmbench.core import weights
from wmbench.core.errors import InputError
from wmbench.evaluators.base import (
    EvalInput,
    EvalResult,
    Evaluator,
    MetricSpec,
    SetMetric,
    SetValue,
)
from wmbench.evaluators.functional.reference_video import reference_frames
from wmbench.evaluators.learned_weights import device
from wmbench.evaluators.sampling import all_frames, sample_indices

WEIGHTS = "i3d"
ARCHIVE = "i3d_torchscript.pt"
CLIP_FRAMES = 16
MAX_CLIPS = 16
BATCH_CLIPS = 8
DETECTOR_KWARGS = {"rescale": True, "resize": True, "return_features": True}
ARCHIVE_FORM = "a TorchScript archive (StyleGAN-V's I3D: detector(x, rescale, resize, ...))"
METRICS = ("fvd/clips", "fvd/mean_feature_sq_dist")
FEATURE_SERIES = ("generated_features", "reference_features")
LITERATURE_CLIPS = 2048
IMAGINARY_TOLERANCE = 1e-3  # of sqrtm's largest real entry; rounding leaves ~1e-6 on real data


def load_detector(path: Path) -> torch.jit.ScriptModule:
    """The TorchScript detector saved at ``path``, on :func:`device`, in eval mode; an
    InputError naming the file when it is no TorchScript archive."""
    try:
        detector = torch.jit.load(str(path), map_location=device())
    except Exception as error:  # noqa: BLE001 - any unreadable archive is reported alike
        raise InputError(
            path, "torchscript", ARCHIVE_FORM, f"an unreadable file ({error})"
        ) from error
    return detector.eval()


def i3d_detector() -> torch.jit.ScriptModule:
    """The weight store's I3D; MissingWeightsError naming the file when it is absent."""
    return load_detector(weights.require(WEIGHTS) / ARCHIVE)


def clip_starts(num_frames: int, max_clips: int = MAX_CLIPS) -> np.ndarray:
    """First frames of at most ``max_clips`` non-overlapping windows of ``CLIP_FRAMES`` frames,
    evenly spaced from frame 0 to the last full window; empty below one clip."""
    count = min(num_frames // CLIP_FRAMES, max_clips)
    if count == 0:
        return np.zeros(0, dtype=int)
    return sample_indices(num_frames - CLIP_FRAMES + 1, count)


def video_clips(frames: np.ndarray, starts: np.ndarray) -> torch.Tensor:
    """The clips of ``frames`` (T, H, W, 3) uint8 that begin at ``starts``, in the detector's
    layout: (N, 3, CLIP_FRAMES, H, W) uint8, contiguous."""
    windows = np.stack([frames[start : start + CLIP_FRAMES] for start in starts])
    return torch.from_numpy(windows).permute(0, 4, 1, 2, 3).contiguous()


def i3d_features(
    detector: torch.jit.ScriptModule, frames: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """Detector features (N, D) float32 of the clips of ``frames`` beginning at ``starts``,
    ``BATCH_CLIPS`` clips per call."""
    batches = [starts[begin : begin + BATCH_CLIPS] for begin in range(0, len(starts), BATCH_CLIPS)]
    with torch.inference_mode():
        features = [
            detector(video_clips(frames, batch).to(device()), **DETECTOR_KWARGS).float().cpu()
            for batch in batches
        ]
    stacked = torch.cat(features)
    if stacked.ndim != 2:
        path = weights.entry_dir(WEIGHTS) / ARCHIVE
        raise InputError(path, "features", "(clips, D) features", str(tuple(stacked.shape)))
    return stacked.numpy()


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of ``features`` (N, D) in float64, the covariance
    normalised by N as StyleGAN-V's (one sample: zero covariance); no samples is a ValueError."""
    values = np.asarray(features, dtype=np.float64)
    if values.ndim != 2 or len(values) == 0:
        raise ValueError(f"expected features (N >= 1, D), found shape {values.shape}")
    mean = values.mean(axis=0)
    centred = values - mean
    return mean, centred.T @ centred / len(values)


def trace_sqrt_product(cov1: np.ndarray, cov2: np.ndarray) -> float:
    """tr(sqrtm(cov1 @ cov2)) by ``scipy.linalg.sqrtm``: its real part, imaginary parts up to
    ``IMAGINARY_TOLERANCE`` of the largest real entry tolerated (rank-deficient covariances leave
    rounding there), larger ones a ValueError; 0 when a covariance is zero (one sample)."""
    if not cov1.any() or not cov2.any():
        return 0.0
    with warnings.catch_warnings():  # singular below N > D: the set records say so
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(cov1 @ cov2)
    if not np.isfinite(root).all():
        raise ValueError("sqrtm(S1 S2) is not finite")
    real = np.real(root)
    imaginary = float(np.abs(np.imag(root)).max())
    if imaginary > IMAGINARY_TOLERANCE * max(1.0, float(np.abs(real).max())):
        raise ValueError(f"sqrtm(S1 S2) has an imaginary part of {imaginary:.3g}")
    return float(np.trace(real))


def frechet_distance(
    mean1: np.ndarray, cov1: np.ndarray, mean2: np.ndarray, cov2: np.ndarray
) -> float:
    """``||mean1 - mean2||^2 + tr(cov1 + cov2 - 2 sqrtm(cov1 cov2))``, clamped at 0 (rounding
    can leave a tiny negative value for equal sets)."""
    difference = mean1 - mean2
    value = difference @ difference + np.trace(cov1) + np.trace(cov2)
    return max(0.0, float(value - 2.0 * trace_sqrt_product(cov1, cov2)))


def frechet_video_distance(features1: np.ndarray, features2: np.ndarray) -> float:
    """The Fréchet distance between two feature sets (N1, D) and (N2, D)."""
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2))


FVD_SPEC = MetricSpec(
    "fvd",
    False,
    "",
    "Fréchet Video Distance (StyleGAN-V's I3D, 16-frame clips) between the pooled generated and "
    "ground-truth clips of a model and split; set-level, N = clips; unreliable unless N > "
    f"feature size (the literature uses {LITERATURE_CLIPS})",
)


class PooledFvd(SetMetric):
    """FVD over a set of cases: the clip features each case stored, pooled on both sides.
    Cases without features (no ground truth, or the evaluator failed) are left out of both.
    With N clips the covariance has rank at most N - 1, so unless N > D (the feature size) the
    Gaussian fit is degenerate and the value is marked unreliable."""

    spec = FVD_SPEC

    def __init__(self) -> None:
        self._generated: list[np.ndarray] = []
        self._reference: list[np.ndarray] = []

    def update(self, series: Mapping[str, np.ndarray]) -> None:
        if FEATURE_SERIES[0] in series and FEATURE_SERIES[1] in series:
            self._generated.append(np.asarray(series[FEATURE_SERIES[0]]))
            self._reference.append(np.asarray(series[FEATURE_SERIES[1]]))

    def compute(self) -> SetValue:
        if not self._generated:
            return SetValue(None, 0, False, "no case with FVD features")
        generated, reference = np.concatenate(self._generated), np.concatenate(self._reference)
        dim = int(generated.shape[1])
        reliable = min(len(generated), len(reference)) > dim
        note = f"N={len(generated)} clips" + ("" if reliable else f", unreliable: N ≤ D={dim}")
        try:
            value: float | None = frechet_video_distance(generated, reference)
        except ValueError as error:
            value, note = None, f"{note}; {error}"
        return SetValue(value, len(generated), reliable, note)


class FrechetVideoDistance(Evaluator):
    """Per case: I3D features of the generated and ground-truth clips; FVD itself is set-level
    (:class:`PooledFvd`, per model and split)."""

    name = "fvd"
    version = "1"
    weight_entries = (WEIGHTS,)
    needs_reference = True

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                METRICS[0],
                True,
                "clips",
                f"{CLIP_FRAMES}-frame clips taken from the generated video (as many from the "
                f"ground truth; at most {MAX_CLIPS}): the case's share of the set-level FVD",
            ),
            MetricSpec(
                METRICS[1],
                False,
                "",
                "per case: squared distance between the mean I3D feature of the generated clips "
                "and that of the ground-truth clips (FVD's mean term on this case alone; not "
                "FVD, which is set-level: summary.json and the leaderboard)",
            ),
        ]

    def set_metrics(self) -> list[SetMetric]:
        return [PooledFvd()]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        if inputs.reference is None:  # real cases: no ground-truth set to compare with
            return EvalResult(metrics={name: float("nan") for name in METRICS})
        generated = all_frames(inputs.video)
        reference = all_frames(reference_frames(inputs))
        length = min(len(generated), len(reference))
        starts = clip_starts(length)
        if not len(starts):
            raise InputError(
                inputs.case.id,
                "video",
                f"at least {CLIP_FRAMES} frames (one FVD clip)",
                f"{length} frames",
            )
        detector = self.network("i3d", i3d_detector)
        features = i3d_features(detector, generated, starts)
        truth = i3d_features(detector, reference, starts)
        distance = features.astype(np.float64).mean(axis=0) - truth.astype(np.float64).mean(axis=0)
        return EvalResult(
            metrics={METRICS[0]: float(len(starts)), METRICS[1]: float(distance @ distance)},
            series={
                "clip_start": starts,
                FEATURE_SERIES[0]: features,
                FEATURE_SERIES[1]: truth,
            },
        )
