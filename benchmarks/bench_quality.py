"""Weight-free quality evaluators on one 961-frame 720p clip: at most 60 s on 2 CPU cores.

The clip is a camera sliding sideways along a textured wall 3 m away and back to its start
(frames are crops of the wall; depth is the constant plane), so every evaluator has work to
do: flow, drift windows, revisits in both protocols, and a reference video. The baseline in
the same run is one pass of cv2 over the clip (per-frame means), the floor of any per-frame
metric on this machine.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from wmbench.core.types import Trajectory
from wmbench.studies.validate_quality import eval_input, weight_free_evaluators

NUM_FRAMES, WIDTH, HEIGHT, FPS = 961, 1280, 720, 16.0
WALL_DEPTH_M, FOCAL_PX, STEP_PX = 3.0, 1000.0, 2
BUDGET_S = 60.0


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(0)
    half = NUM_FRAMES // 2
    shifts = np.concatenate([np.arange(half + 1), np.arange(half - 1, -1, -1)]) * STEP_PX
    wall = rng.integers(0, 256, (HEIGHT, WIDTH + int(shifts.max()), 3), dtype=np.uint8)
    wall = cv2.GaussianBlur(wall, (0, 0), 1.5)
    frames = np.empty((NUM_FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    for t, shift in enumerate(shifts):
        frames[t] = wall[:, shift : shift + WIDTH]
    c2w = np.repeat(np.eye(4)[None], NUM_FRAMES, axis=0)
    c2w[:, 0, 3] = shifts * WALL_DEPTH_M / FOCAL_PX  # content shifts by f * x / Z px
    k = np.array([[FOCAL_PX, 0, (WIDTH - 1) / 2], [0, FOCAL_PX, (HEIGHT - 1) / 2], [0, 0, 1]])
    trajectory = Trajectory(c2w, k, (WIDTH, HEIGHT), FPS)
    depth = np.broadcast_to(np.float32(WALL_DEPTH_M), (NUM_FRAMES, HEIGHT, WIDTH))
    return frames, trajectory, depth


def test_baseline_one_pass_over_the_clip(benchmark, clip):
    frames = clip[0]
    benchmark.pedantic(lambda: [cv2.mean(frame) for frame in frames], rounds=1, iterations=1)


def test_weight_free_evaluators_961_frames_720p(benchmark, clip):
    frames, trajectory, depth = clip
    seconds: dict[str, float] = {}

    def evaluate_all() -> dict[str, float]:
        inputs = eval_input(frames, trajectory, depth, reference=frames)  # fresh cache
        metrics: dict[str, float] = {}
        for evaluator in weight_free_evaluators():
            start = time.perf_counter()
            metrics |= evaluator.evaluate(inputs).metrics
            seconds[evaluator.name] = time.perf_counter() - start
        return metrics

    metrics = benchmark.pedantic(evaluate_all, rounds=1, iterations=1)
    total = sum(seconds.values())
    start = time.perf_counter()
    for frame in frames:
        cv2.mean(frame)
    baseline = time.perf_counter() - start
    print(
        "\n"
        + ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items())
        + f"; total {total:.1f} s against a {BUDGET_S:.0f} s budget"
        + f" ({total / BUDGET_S:.2f}x); {total / baseline:.0f}x one cv2 pass over the clip"
    )
    assert np.isfinite(list(metrics.values())).all()
