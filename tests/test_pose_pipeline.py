"""The annotator and the ``camera`` evaluator end to end on one short oracle clip (40 frames,
320x180) of a synthetic room with exact depth: accuracy, metric scale, statuses, reruns."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from pose_pipeline import Annotation, AnnotatorConfig, ExactDepth, FrameStatus, annotate, load
from pose_pipeline.cli import main
from wmbench.core.types import Case, Video
from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import EvalInput
from wmbench.evaluators.camera import POSES, CameraEvaluator
from wmbench.models.base import Generation
from wmbench.studies.pose_floor import REPEAT_ATOL, oracle_clip, rerun_gap, score_annotation

CONFIG = AnnotatorConfig()


@pytest.fixture(scope="module")
def clip():
    return oracle_clip("room", "smooth", 0, 40, 320, 180)


@pytest.fixture(scope="module")
def annotation(clip):
    return annotate(clip.frames, clip.truth.intrinsics[0], CONFIG, ExactDepth(clip.depth))


def _inputs(clip, frames, depth) -> EvalInput:
    case = Case("room_001", Path("unused.png"), "a room", clip.truth, "simple_60s")
    video = Video(frames, clip.truth.fps)
    return EvalInput(case, clip.truth, video, Generation(video, depth=depth))


def test_oracle_clip_is_recovered_in_metres(annotation, clip):
    assert isinstance(annotation, Annotation) and annotation.metric
    scored = score_annotation(annotation, clip.truth)
    metrics = scored["metrics"]
    assert metrics["rot_err_deg/wmbench"] < 0.2
    assert metrics["trans_err_pct_of_path/wmbench"] < 1.0
    assert metrics["scale_factor/wmbench"] == pytest.approx(1.0, abs=0.02)
    assert metrics["metric_path_length_ratio"] == pytest.approx(1.0, abs=0.02)
    assert annotation.summary.registration_rate == 1.0
    probe = annotation.summary.probe_pairs  # consecutive keyframes of a real video verify
    assert probe.probed > 0 and probe.verified == probe.probed
    assert annotation.summary.mean_reproj_err_px < 1.0
    keyframes = np.zeros(len(clip.truth), dtype=bool)
    keyframes[annotation.keyframes] = True
    assert (annotation.status[keyframes] == FrameStatus.REGISTERED).all()
    assert (annotation.status[~keyframes] == FrameStatus.INTERPOLATED).all()
    np.testing.assert_allclose(annotation.c2w[0], np.eye(4), atol=1e-12)
    assert set(annotation.summary.timings_s) == {
        "frames", "features", "matching", "mapping", "registration", "scale"
    }  # fmt: skip


def test_camera_evaluator_reuses_and_repeats_the_annotation(annotation, clip):
    evaluator = CameraEvaluator(CONFIG)
    inputs = _inputs(clip, clip.frames, clip.depth)
    result = evaluator.evaluate(inputs)
    rerun = inputs.shared(POSES, lambda: None).annotation  # the evaluator's own, shared
    assert rerun_gap(rerun, annotation) <= REPEAT_ATOL
    names = {spec.name for spec in evaluator.metric_specs()}
    assert set(result.metrics) == names
    assert all(np.isfinite(value) for value in result.metrics.values())
    assert result.metrics["annotation_failed"] == 0.0
    assert result.metrics["rot_err_deg/wmbench"] < 0.2
    assert len(result.series["rot_err_deg/wmbench"]) == len(clip.truth)
    assert len(result.series["rot_err_deg/wmbench/window_10s"]) == 1


def test_camera_evaluator_scores_a_blank_video_as_the_static_camera(clip):
    blank = np.full_like(clip.frames, 90)
    result = CameraEvaluator(CONFIG).evaluate(_inputs(clip, blank, None))
    static = np.repeat(clip.truth.c2w[:1], len(clip.truth), axis=0)
    baseline, _ = camera_metrics.score(static, clip.truth.c2w, None, clip.truth.fps)
    assert result.metrics["annotation_failed"] == 1.0
    assert result.metrics["registration_rate"] == 0.0
    assert result.metrics["rot_err_deg/wmbench"] == pytest.approx(baseline["rot_err_deg/wmbench"])
    assert result.metrics["trans_err_m/wmbench"] > 0.1
    assert "scale_factor/wmbench" not in result.metrics


def test_cli_annotates_a_frame_folder_in_metres(annotation, clip, tmp_path):
    """The command line on the same clip written as PNG frames and per-frame depth maps gives
    the same poses as the in-memory call."""
    frames, depth = tmp_path / "frames", tmp_path / "depth"
    frames.mkdir(), depth.mkdir()
    for i, (frame, z) in enumerate(zip(clip.frames, clip.depth, strict=True)):
        cv2.imwrite(str(frames / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        np.save(depth / f"{i:04d}.npy", z)
    k = clip.truth.intrinsics[0]
    spec = f"{k[0, 0]},{k[1, 1]},{k[0, 2]},{k[1, 2]}"
    out = tmp_path / "poses.npz"
    assert main(["annotate", str(frames), "--intrinsics", spec, "--depth", str(depth),
                 "--out", str(out)]) == 0  # fmt: skip
    written = load(out)
    assert isinstance(written, Annotation) and written.metric
    assert rerun_gap(written, annotation) <= REPEAT_ATOL


def test_sparse_model_lies_where_the_poses_and_the_exact_depth_say(annotation, clip):
    """The record's points, in the annotation's frame and metres, reproject onto their
    observations through the annotation's poses and sit at the exact depth there."""
    sparse = annotation.sparse
    assert sparse is not None and len(sparse.points) > 100
    assert set(np.unique(sparse.obs_frame)) == set(annotation.keyframes.tolist())
    K = annotation.intrinsics
    errors, ratios = [], []
    for frame in annotation.keyframes:
        xy, points = sparse.observed_in(int(frame))
        w2c = np.linalg.inv(annotation.c2w[frame])
        camera = points @ w2c[:3, :3].T + w2c[:3, 3]
        projected = camera @ K.T
        errors.append(np.linalg.norm(projected[:, :2] / projected[:, 2:] - xy, axis=1))
        u, v = np.rint(xy).astype(int).T
        ratios.append(camera[:, 2] / clip.depth[frame][v, u])
    assert np.median(np.concatenate(errors)) < 0.5
    assert np.median(np.concatenate(ratios)) == pytest.approx(1.0, abs=0.01)
