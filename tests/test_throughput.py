"""The throughput evaluator: speed columns without weight loading where an adapter timed it."""

import math
from pathlib import Path

import numpy as np
import pytest

from wmbench.core.errors import InputError
from wmbench.core.resources import ResourceUsage
from wmbench.core.types import Case, Trajectory, Video
from wmbench.evaluators.base import EvalInput
from wmbench.evaluators.throughput import Throughput
from wmbench.models.base import Generation

FPS = 16.0


def _inputs(frames: int, wall: float, stages: dict[str, float]) -> EvalInput:
    c2w = np.repeat(np.eye(4)[None], frames, axis=0)
    trajectory = Trajectory(c2w, np.diag([50.0, 50.0, 1.0]), (32, 18), FPS)
    video = Video(np.zeros((frames, 18, 32, 3), np.uint8), FPS)
    case = Case("c", Path("<synthetic>"), "", trajectory, "synthetic")
    generation = Generation(video, stage_seconds=stages)
    usage = ResourceUsage(wall, 2**30, "rss")
    return EvalInput(case, trajectory, video, generation, usage=usage)


def test_a_timed_load_is_left_out_of_the_speed_columns():
    metrics = Throughput().evaluate(_inputs(160, 30.0, {"load": 10.0, "generate": 19.0})).metrics
    assert metrics["gen_seconds"] == pytest.approx(20.0)
    assert metrics["load_seconds"] == pytest.approx(10.0)
    # 160 frames = 10 s of video in 20 s: 120 s per minute of video, 30 videos per hour
    assert metrics["seconds_per_60s_video"] == pytest.approx(120.0)
    assert metrics["videos_per_hour_60s"] == pytest.approx(30.0)
    assert metrics["frames_per_s"] == pytest.approx(8.0)


def test_without_a_timed_load_the_wall_time_counts_whole():
    metrics = Throughput().evaluate(_inputs(160, 30.0, {"render": 29.0})).metrics
    assert metrics["gen_seconds"] == pytest.approx(30.0)
    assert math.isnan(metrics["load_seconds"])


def test_a_load_longer_than_the_wall_time_is_refused():
    with pytest.raises(InputError, match="load"):
        Throughput().evaluate(_inputs(16, 5.0, {"load": 6.0}))
