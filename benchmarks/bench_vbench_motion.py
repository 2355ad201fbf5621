"""VBench's dynamic degree (RAFT) and motion smoothness (AMT-S) on a 60 s 720p clip (961 frames
at 16 fps, 1280 x 720), each beside one forward pass of its network on the same frames,
measured in the same run.

A 60 s clip at 16 fps gives each evaluator 480 network calls: dynamic degree samples every
second frame (481 frames, 480 RAFT pairs), motion smoothness interpolates between the 481 even
frames (480 AMT-S calls). To keep a CPU run bounded, each evaluator's own function runs on the
first ``PAIRS`` of those calls (a clip of ``2 * PAIRS + 1`` frames) and its time is scaled by
480 / ``PAIRS``; the scaled figure assumes every call costs the same, which holds since both
networks do a fixed amount of work per call (20 RAFT iterations, one AMT-S pass). Networks are
randomly initialised: the work does not depend on the weights. Both run on one torch thread on
the CPU, as the evaluators do.

    python -m pytest benchmarks/bench_vbench_motion.py -s -p no:cacheprovider
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
import torch
from torchvision.models.optical_flow import raft_large

from wmbench.evaluators.amt import AMTS
from wmbench.evaluators.dynamic_degree import vbench_dynamic_degree
from wmbench.evaluators.learned_weights import device
from wmbench.evaluators.motion_smoothness import amt_interpolate, vbench_motion_smoothness
from wmbench.evaluators.raft_flow import pair_batch, raft_flow
from wmbench.evaluators.reference import single_torch_thread

WIDTH, HEIGHT, FPS, CLIP_FRAMES, STEP_PX = 1280, 720, 16.0, 961, 2
CALLS_PER_CLIP = (CLIP_FRAMES - 1) // 2  # 480 for either evaluator
PAIRS = 2


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    """The first ``2 * PAIRS + 1`` frames of a camera sliding along a textured wall."""
    rng = np.random.default_rng(0)
    count = 2 * PAIRS + 1
    wall = rng.integers(0, 256, (HEIGHT, WIDTH + STEP_PX * count, 3), dtype=np.uint8)
    wall = cv2.GaussianBlur(wall, (0, 0), 1.5)
    return np.stack([wall[:, STEP_PX * t : STEP_PX * t + WIDTH] for t in range(count)])


def warm_up(call, *images: torch.Tensor) -> None:
    """One call on 256 x 256 crops, so that the timed calls pay no first-call setup."""
    call(*(image[..., :256, :256] for image in images))


def seconds(call) -> float:
    start = time.perf_counter()
    call()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def report(name: str, evaluator_s: float, forward_s: float) -> None:
    per_call = evaluator_s / PAIRS
    print(
        f"\n{name} on {device().type}: {per_call:.2f} s per call over {PAIRS} calls "
        f"(batch {pair_batch()}), one network forward {forward_s:.2f} s "
        f"({per_call / forward_s:.2f}x); per 60 s 720p clip {per_call * CALLS_PER_CLIP:.0f} s "
        f"({CALLS_PER_CLIP} calls, scaled from {PAIRS})"
    )


def test_dynamic_degree_raft_720p(frames):
    model = raft_large().eval().to(device())
    first, second = frames[:1], frames[2:3]  # the first pair dynamic degree scores at 16 fps
    target = next(model.parameters()).device
    image1, image2 = (
        torch.from_numpy(f).permute(0, 3, 1, 2).float() / 127.5 - 1 for f in (first, second)
    )
    image1, image2 = image1.to(target), image2.to(target)

    def forward() -> None:
        with single_torch_thread(), torch.inference_mode():
            model(image1, image2, num_flow_updates=20)

    with single_torch_thread(), torch.inference_mode():
        warm_up(lambda a, b: model(a, b, num_flow_updates=20), image1, image2)
    forward_s = seconds(forward)
    result = None

    def evaluate() -> None:
        nonlocal result
        result = vbench_dynamic_degree(
            frames, FPS, lambda a, b: raft_flow(model, a, b), pair_batch()
        )

    evaluator_s = seconds(evaluate)
    report("dynamic_degree (RAFT)", evaluator_s, forward_s)
    assert result is not None and len(result.score_px) == PAIRS


def test_motion_smoothness_amt_720p(frames):
    model = AMTS().eval().to(device())
    interpolate = amt_interpolate(model)
    pair = [
        torch.from_numpy(f).permute(0, 3, 1, 2).float() / 255.0 for f in (frames[:1], frames[2:3])
    ]
    warm_up(interpolate, *pair)
    forward_s = seconds(lambda: interpolate(*pair))  # 720 px: a multiple of 16, no padding
    result = None

    def evaluate() -> None:
        nonlocal result
        result = vbench_motion_smoothness(frames, interpolate, pair_batch())

    evaluator_s = seconds(evaluate)
    report("motion_smoothness (AMT-S)", evaluator_s, forward_s)
    assert result is not None and len(result.abs_diff_dn) == PAIRS
