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

import functools
import os
import time

import cv2
import numpy as np
import pytest
import torch
from torchvision.models.optical_flow import raft_large

from wmbench.evaluators.amt import AMTS
from wmbench.evaluators.dynamic_degree import vbench_dynamic_degree
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import device
from wmbench.evaluators.motion_smoothness import amt_interpolate, vbench_motion_smoothness
from wmbench.evaluators.raft_flow import FLOW_ITERS, pair_batch, raft_flow, raft_inputs

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


def report(name: str, forward, evaluate) -> None:
    """Print ``evaluate``'s time per call beside one ``forward``: the faster of one timed before
    and one after it (a shared machine's load moves single timings by up to 2x)."""
    before = seconds(forward)
    per_call = seconds(evaluate) / PAIRS
    forward_s = min(before, seconds(forward))
    print(
        f"\n{name} on {device().type} (load {os.getloadavg()[0]:.1f}): {per_call:.2f} s per "
        f"call over {PAIRS} calls (batch {pair_batch()}), one network forward {forward_s:.2f} s "
        f"({per_call / forward_s:.2f}x); per 60 s 720p clip {per_call * CALLS_PER_CLIP:.0f} s "
        f"({CALLS_PER_CLIP} calls, scaled from {PAIRS})"
    )


def test_dynamic_degree_raft_720p(frames):
    model = raft_large().eval().to(device())
    target = next(model.parameters()).device
    pair = [raft_inputs(f).to(target) for f in (frames[:1], frames[2:3])]  # 720 = 90 x 8

    def forward(a: torch.Tensor, b: torch.Tensor) -> None:
        with single_torch_thread(), torch.inference_mode():
            model(a, b, num_flow_updates=FLOW_ITERS)

    warm_up(forward, *pair)
    scores = []

    def evaluate() -> None:
        flow = functools.partial(raft_flow, model)
        scores.append(vbench_dynamic_degree(frames, FPS, flow, pair_batch()).score_px)

    report("dynamic_degree (RAFT)", lambda: forward(*pair), evaluate)
    assert len(scores[0]) == PAIRS


def test_motion_smoothness_amt_720p(frames):
    interpolate = amt_interpolate(AMTS().eval().to(device()))
    pair = [  # 720 = 45 x 16: no padding
        torch.from_numpy(f).permute(0, 3, 1, 2).float() / 255.0 for f in (frames[:1], frames[2:3])
    ]
    warm_up(interpolate, *pair)
    diffs = []

    def evaluate() -> None:
        diffs.append(vbench_motion_smoothness(frames, interpolate, pair_batch()).abs_diff_dn)

    report("motion_smoothness (AMT-S)", lambda: interpolate(*pair), evaluate)
    assert len(diffs[0]) == PAIRS
