"""``motion_smoothness``: VBench's motion smoothness, AMT-S frame interpolation.

VBench (Vchitect/VBench at 45e79ec, ``vbench/motion_smoothness.py``): every frame of the video
at its own rate; the even frames 0, 2, 4, ... are kept, each pair of consecutive kept frames is
interpolated at t = 1/2 by AMT-S (:class:`wmbench.evaluators.amt.AMTS`, frames in [0, 1], padded
by replication to multiples of 16, ``scale_factor`` 1), each interpolated frame is turned back
into 8 bits as VBench's ``tensor2img`` does (``x * 255`` clipped to [0, 255], truncated) and
compared with the dropped odd frame it stands for: the mean absolute difference in grey levels
over all pixels and channels, ``d_i``. The score is ``(255 - mean_i d_i) / 255``: 1 when every
dropped frame is exactly what interpolation predicts, lower when motion is not smooth.

A video with fewer than three frames (no pair to interpolate) gives NaN (VBench asserts).
The weights are ``amt-s`` of the weight store (``amt-s.pth``, whose ``state_dict`` loads
strictly); nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from wmbench.core import weights
from wmbench.core.errors import InputError
from wmbench.evaluators.amt import AMTS
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import device, load_state, read_state
from wmbench.evaluators.raft_flow import pair_batch, require_min_side, sintel_padding
from wmbench.evaluators.sampling import all_frames
from wmbench.evaluators.vbench_dimensions import MOTION_SMOOTHNESS

WEIGHTS = "amt-s"
CHECKPOINT = "amt-s.pth"
PAD_MULTIPLE = 16
AMT_KEYS = (
    "AMT's checkpoint: a dict whose 'state_dict' holds AMT-S's parameters (feat_encoder, "
    "encoder, decoder1-4, update2-4, comb_block)"
)

InterpolateFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""(N, 3, H, W) first and second frames in [0, 1] -> the frames half-way (N, 3, H, W)."""


@dataclass(frozen=True)
class MotionSmoothnessResult:
    """The dropped frames compared (``frame_index``, odd indices), each one's mean absolute
    difference to its interpolation (``abs_diff_dn``, grey levels) and VBench's ``score``."""

    frame_index: np.ndarray
    abs_diff_dn: np.ndarray
    score: float


def load_amt(path: Path) -> AMTS:
    """AMT-S with the ``state_dict`` of the checkpoint at ``path``, on :func:`device`, in eval
    mode; an InputError naming the file when it holds no such dict or it does not fit."""
    state = read_state(path, AMT_KEYS).get("state_dict")
    if not isinstance(state, dict):
        raise InputError(path, "state_dict", AMT_KEYS, "no 'state_dict' dict")
    model = AMTS()
    load_state(model, state, path, AMT_KEYS)
    return model.eval().to(device())


def amt_model() -> AMTS:
    """The weight store's AMT-S."""
    return load_amt(weights.require(WEIGHTS) / CHECKPOINT)


def amt_interpolate(model: AMTS) -> InterpolateFn:
    """``model``'s frames at t = 1/2 (VBench's ``embt``), on the model's device, one torch
    thread (as :func:`wmbench.evaluators.raft_flow.raft_flow`)."""
    target = next(model.parameters()).device

    def interpolate(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        require_min_side(*first.shape[-2:], "AMT-S")
        embt = torch.full((len(first), 1, 1, 1), 0.5, device=target)
        with single_torch_thread(), torch.inference_mode():
            return model(first.to(target), second.to(target), embt)

    return interpolate


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [0, 1] -> (N, H, W, 3) uint8 as VBench's ``tensor2img``: ``x * 255``
    clipped, then truncated."""
    scaled = (frames * 255.0).permute(0, 2, 3, 1).cpu().numpy()
    return scaled.clip(0, 255).astype(np.uint8)


def vbench_motion_smoothness(
    frames: np.ndarray, interpolate: InterpolateFn, batch: int = 1
) -> MotionSmoothnessResult:
    """VBench's motion smoothness of ``frames`` (T, H, W, 3) uint8, half-way frames from
    ``interpolate``, ``batch`` pairs per call (1: VBench's own loop, the reference for
    batching)."""
    kept, dropped = frames[0::2], frames[1::2]
    pairs = len(kept) - 1
    if pairs < 1:
        return MotionSmoothnessResult(np.zeros(0, int), np.zeros(0), float("nan"))
    height, width = frames.shape[1:3]
    left, right, top, bottom = padding = sintel_padding(height, width, PAD_MULTIPLE)

    def tensor(images: np.ndarray) -> torch.Tensor:
        pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
        return F.pad(pixels.float() / 255.0, padding, mode="replicate")

    diffs = []
    for start in range(0, pairs, batch):
        stop = min(start + batch, pairs)
        middle = interpolate(tensor(kept[start:stop]), tensor(kept[start + 1 : stop + 1]))
        middle = middle[..., top : top + height, left : left + width]
        truth = dropped[start:stop].astype(np.int16)
        diffs.append(np.abs(to_uint8(middle).astype(np.int16) - truth).mean(axis=(1, 2, 3)))
    abs_diff = np.concatenate(diffs)
    score = (255.0 - float(np.mean(abs_diff))) / 255.0
    return MotionSmoothnessResult(np.arange(1, 2 * pairs, 2), abs_diff, score)


class MotionSmoothness(Evaluator):
    """VBench motion smoothness with AMT-S (our implementation, ``amt-s.pth``)."""

    name = "motion_smoothness"
    version = "1"
    weight_entries = (WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                MOTION_SMOOTHNESS,
                True,
                "",
                "VBench motion smoothness: (255 - mean abs difference of each odd frame to the "
                "AMT-S interpolation of its even neighbours) / 255, every frame at the video's "
                "own rate; 1 = perfectly predictable motion",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        interpolate = amt_interpolate(self.network("amt", amt_model))
        result = vbench_motion_smoothness(all_frames(inputs.video), interpolate, pair_batch())
        return EvalResult(
            metrics={MOTION_SMOOTHNESS: result.score},
            series={"frame_index": result.frame_index, "abs_diff_dn": result.abs_diff_dn},
        )
