"""``imaging_quality``: VBench's imaging quality (MUSIQ trained on SPAQ) and its decay over time.

As Vchitect/VBench ``vbench/imaging_quality.py`` (commit 45e79ec) computes it: every frame; its
default preprocessing mode ``longer``: when the longer side exceeds 512 px, torchvision's
``Resize((int(s h), int(s w)), antialias=False)`` (bilinear) with ``s = 512 / max(h, w)`` on the
0-255 float frames, then / 255; pyiqa's MUSIQ (``pyiqa.archs.musiq_arch.MUSIQ``, transcribed in
:mod:`wmbench.evaluators.musiq` and tested equal to it, with the SPAQ
checkpoint ``musiq_spaq_ckpt-358bb6af.pth``, evaluated with ``training`` off, which turns on its
multi-scale patching: the frame plus its 384 and 224 px versions) scores each frame 0-100, one
frame per call; the video's imaging quality is the mean / 100. Here frames go ``BATCH`` per call
(:func:`musiq_scores`; :func:`musiq_scores_per_frame` is VBench's loop, the twin the tests
compare it with).

Temporal degradation, as SANA-WM-Bench's ``eval_temporal_degradation`` computes it
(``tools/metrics/sana_wm/eval_unified.py``, HaoyiZhu/NVlabs-Sana at 006a401): the video is cut
into consecutive windows of ``int(window_sec * fps)`` = 160 frames from frame 0 (its ``fps``
argument keeps its default 16: ``main`` never passes the video's rate), ``n // 160`` of them
(a remainder is left out; of 961 frames the last window is frames 800-959), each window written
to a new mp4 (``iio.imwrite``) and scored by VBench's imaging quality from that file. Here each
window is likewise re-encoded (:func:`reencoded`, through :mod:`wmbench.data.video_io`) and its
decoded frames scored. ``imaging_quality_first_10s`` / ``_last_10s`` are the first and last
window's mean MUSIQ score (0-100, VBench's imaging quality x 100 as the tables print it) and
``delta_iq`` their difference (> 0: quality lost). A video too short for two such windows (the
script then reports no trend) gets windows of a third of its length instead, so short runs still
show a trend; the series ``window_iq`` holds every window's score.
The network comes from weight-store entry ``musiq-spaq`` (pyiqa's release file, loaded strictly,
a ``module.`` prefix removed as pyiqa's ``clean_state_dict`` does); nothing is downloaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import functional as TF

from wmbench.core import weights
from wmbench.core.types import Video
from wmbench.data.video_io import read_video, write_video
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.drift import window_frames
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import device, load_state, read_state
from wmbench.evaluators.musiq import MUSIQ
from wmbench.evaluators.sampling import all_frames
from wmbench.evaluators.vbench_dimensions import IMAGING_QUALITY

WEIGHTS = "musiq-spaq"
CHECKPOINT = "musiq_spaq_ckpt-358bb6af.pth"
# pyiqa's MUSIQ defaults, which VBench's ``MUSIQ(pretrained_model_path=...)`` uses for SPAQ
ARCHITECTURE: dict[str, int] = {"hidden_size": 384, "mlp_dim": 1152, "num_heads": 6,
                                "num_layers": 14}  # fmt: skip
LONGER_SIDE = 512
BATCH = 8
SANAWM_WINDOW = 160  # int(10.0 * 16.0): eval_temporal_degradation's window_sec and default fps
SANAWM_CLIP_FPS = 16  # the rate its window clips are written at (int(fps), fps = 16.0)
MUSIQ_KEYS = "the state dict of pyiqa 0.1.16's MUSIQ (conv_root, block1, transformer_encoder, head)"
DELTA_IQ = "delta_iq/vbench_musiq"
FIRST_IQ = "imaging_quality_first_10s/vbench_musiq"
LAST_IQ = "imaging_quality_last_10s/vbench_musiq"


def load_musiq(path: Path, architecture: dict[str, int]) -> MUSIQ:
    """pyiqa's MUSIQ of ``architecture`` with the weights of ``path``, in eval mode on
    :func:`device`."""
    model = MUSIQ(**architecture)
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


def degradation_window(num_frames: int, fps: float) -> int:
    """SANA-WM-Bench's 160-frame window where the video holds two of them, else a third of it
    (``drift.window_frames``)."""
    if num_frames >= 2 * SANAWM_WINDOW:
        return SANAWM_WINDOW
    return window_frames(num_frames, fps)


def reencoded(frames: np.ndarray, fps: float = SANAWM_CLIP_FPS) -> np.ndarray:
    """``frames`` written to an mp4 and decoded again, as the script scores its window clips."""
    with tempfile.TemporaryDirectory(prefix="wmbench-iq-") as folder:
        path = Path(folder) / "window.mp4"
        write_video(path, Video(np.ascontiguousarray(frames), fps))
        return read_video(path).frames


class ImagingQuality(Evaluator):
    """VBench imaging quality (MUSIQ-SPAQ) on every frame, and its change from the first to the
    last 10 s (the SANA-WM paper's ΔIQ)."""

    name = "imaging_quality"
    version = "1"
    weight_entries = (WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        window = "160-frame window, re-encoded (a third of a video shorter than two)"
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
        model = self.network("musiq", musiq_model)
        frames = all_frames(video)
        scores = musiq_scores(model, frames)
        window = degradation_window(len(scores), video.fps)
        starts = np.arange(len(scores) // window) * window
        windows = np.array([
            musiq_scores(model, reencoded(frames[start : start + window])).mean()
            for start in starts
        ])  # fmt: skip
        first, last = float(windows[0]), float(windows[-1])
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
                "window_start_frame": starts,
                "window_iq": windows,
            },
        )
