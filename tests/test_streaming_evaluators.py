"""Streaming evaluation equals in-memory evaluation: every weight-free evaluator and the camera,
on an oracle clip with exact depth, read from disk in chunks of several sizes (the frames and
depth spooled as a model writes them, the one decoding pass of the harness) against the same
frames as one array in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pose_pipeline import AnnotatorConfig
from tests.test_quality_evaluators import out_and_back, out_and_back_frames
from wmbench.core.types import Case, FrameSequence, Video
from wmbench.data.spool import FrameSpool
from wmbench.data.video_io import VideoWriter, open_video
from wmbench.evaluators.base import EvalInput, Evaluator
from wmbench.evaluators.camera import CameraEvaluator
from wmbench.evaluators.drift import WindowColorShift, color_shift_delta_e, window_frames
from wmbench.evaluators.sharpness import SampledLaplacian, sharpness_series
from wmbench.models.base import Generation
from wmbench.studies.pose_floor import REPEAT_ATOL, oracle_clip
from wmbench.studies.validate_quality import eval_input, weight_free_evaluators


class Rechunked:
    """A frame sequence served ``size`` frames per chunk (chunk boundaries anywhere)."""

    def __init__(self, frames: FrameSequence, size: int) -> None:
        self.frames, self.chunk, self.fps = frames, size, frames.fps
        self.passes = 0

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        return self.frames.size

    def chunks(self, size: int = 0) -> Iterator[np.ndarray]:
        self.passes += 1
        return self.frames.chunks(self.chunk)

    def take(self, indices) -> np.ndarray:
        return self.frames.take(indices)


def _spool(array: np.ndarray, fps: float = 0.0) -> FrameSpool:
    spool = FrameSpool(array.shape[1:], array.dtype, fps)
    for start in range(0, len(array), 5):
        spool.write(array[start : start + 5])
    return spool


@pytest.fixture(scope="module")
def clip():
    return oracle_clip("room", "smooth", 0, 40, 320, 180)


def _inputs(clip, video: FrameSequence, depth, reference: FrameSequence) -> EvalInput:
    inputs = eval_input(clip.frames[:1], clip.truth)  # the case with its revisit pairs
    pairs = inputs.case.evaluation_pairs
    case = Case("room_001", Path("unused.png"), "", clip.truth, "synthetic", evaluation_pairs=pairs)
    return EvalInput(case, clip.truth, video, Generation(video, depth=depth), reference)


def _score(inputs: EvalInput, evaluators: list[Evaluator], stream: bool) -> dict:
    if stream:  # the harness's one pass feeding every accumulator
        inputs.prefetch({k: m for e in evaluators for k, m in e.accumulators(inputs).items()})
    results = {e.name: e.evaluate(inputs) for e in evaluators}
    metrics = {k: v for r in results.values() for k, v in r.metrics.items()}
    series = {f"{n}/{k}": v for n, r in results.items() for k, v in r.series.items()}
    return {**metrics, **series}


def _assert_same(streamed: dict, memory: dict, atol: float = 0.0) -> None:
    assert streamed.keys() == memory.keys()
    for key, value in memory.items():
        np.testing.assert_allclose(streamed[key], value, rtol=1e-12, atol=atol, err_msg=key)


@pytest.mark.parametrize("chunk", [1, 32])
def test_weight_free_streamed_from_disk_equals_in_memory(clip, chunk):
    video = Video(clip.frames, clip.truth.fps)
    memory = _score(_inputs(clip, video, clip.depth, video), weight_free_evaluators(), False)
    spooled = Rechunked(_spool(clip.frames, clip.truth.fps), chunk)
    inputs = _inputs(clip, spooled, _spool(clip.depth), spooled)
    streamed = _score(inputs, weight_free_evaluators(), True)
    _assert_same(streamed, memory)
    assert spooled.passes == 1  # flicker, flow, sharpness and drift share one decoding pass


def test_revisits_streamed_equal_in_memory_on_a_returning_path():
    trajectory, frames = out_and_back(17), out_and_back_frames(17)
    depth = np.full((17, *frames.shape[1:3]), 3.0, np.float32)
    memory = _score(eval_input(frames, trajectory, depth, frames), weight_free_evaluators(), False)
    streamed_inputs = eval_input(frames[:1], trajectory)
    spooled = Rechunked(_spool(frames, trajectory.fps), 4)
    streamed_inputs.video = spooled
    streamed_inputs.reference = spooled
    streamed_inputs.generation = Generation(spooled, depth=_spool(depth))
    streamed = _score(streamed_inputs, weight_free_evaluators(), True)
    _assert_same(streamed, memory)
    assert np.isfinite(memory["revisit_psnr_db/depth_warp"])  # pairs were compared


def test_h264_file_streamed_equals_its_frames_in_memory(clip, tmp_path):
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, clip.truth.fps) as writer:
        writer.write(clip.frames)
    handle = open_video(path)
    decoded = handle.read()
    memory = _score(_inputs(clip, decoded, clip.depth, decoded), weight_free_evaluators(), False)
    streamed = _score(_inputs(clip, handle, clip.depth, handle), weight_free_evaluators(), True)
    _assert_same(streamed, memory)


def test_camera_reads_the_video_lazily_with_the_same_poses(clip):
    config = AnnotatorConfig(num_threads=1)
    video = Video(clip.frames, clip.truth.fps)
    memory = _score(_inputs(clip, video, clip.depth, video), [CameraEvaluator(config)], False)
    spooled = Rechunked(_spool(clip.frames, clip.truth.fps), 7)
    inputs = _inputs(clip, spooled, _spool(clip.depth), spooled)
    streamed = _score(inputs, [CameraEvaluator(config)], False)
    timing = {k for k in memory if "seconds" in k}
    assert memory["annotation_failed"] == 0.0
    _assert_same(
        {k: v for k, v in streamed.items() if k not in timing},
        {k: v for k, v in memory.items() if k not in timing},
        atol=REPEAT_ATOL,
    )


def test_sampled_accumulators_equal_their_plain_twins(clip):
    frames = clip.frames
    count, window = len(frames), window_frames(len(frames), clip.truth.fps)
    sharp, color = SampledLaplacian(count, 12), WindowColorShift(count, window)
    for start in range(0, count, 9):
        sharp.update(frames[start : start + 9], start)
        color.update(frames[start : start + 9], start)
    twin = sharpness_series(frames, 12)
    np.testing.assert_array_equal(sharp.compute().frame_index, twin.frame_index)
    np.testing.assert_array_equal(sharp.compute().values, twin.values)
    assert color.compute() == color_shift_delta_e(frames, window)
