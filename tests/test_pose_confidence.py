"""Per-frame confidence: known answers for the formula, and a corrupted stretch of an oracle clip
shows as low confidence while the clean frames keep a high one."""

import numpy as np
import pytest

from pose_pipeline import AnnotatorConfig, ExactDepth, FrameStatus, annotate, load
from pose_pipeline.confidence import LOW_CONFIDENCE, frame_confidence, keyframe_confidence
from wmbench.studies.pose_floor import oracle_clip

R, I, F = FrameStatus.REGISTERED, FrameStatus.INTERPOLATED, FrameStatus.FAILED  # noqa: E741


def test_keyframe_confidence_known_answers():
    support = np.array([100, 100, 100, 25])  # median 100: half of it is full support
    errors = np.array([0.0, 1.0, np.nan, 0.0])
    np.testing.assert_allclose(keyframe_confidence(support, errors), [1.0, 0.5, 0.0, 0.5])


def test_interpolated_frames_decay_beyond_half_the_stride():
    status = np.array([R, I, I, I, R] + [I] * 11 + [R, F])
    errors = np.where(status == R, 0.0, np.nan)
    support = {0: 100, 4: 100, 16: 100}
    confidence = frame_confidence(status, errors, support, stride=4)
    np.testing.assert_allclose(confidence[:5], 1.0)  # the usual gap keeps full confidence
    distance = np.minimum(np.arange(5, 16) - 4, 16 - np.arange(5, 16))
    np.testing.assert_allclose(confidence[5:16], np.exp(-np.maximum(0, distance - 2) / 2))
    assert confidence[16] == 1.0 and confidence[17] == 0.0


def test_no_registered_frame_means_no_confidence():
    status = np.array([F, F, F])
    assert (frame_confidence(status, np.full(3, np.nan), {}, 4) == 0).all()


@pytest.fixture(scope="module")
def corrupted():
    """The 40-frame test clip with frames 16-27 replaced by noise (a stretch SfM cannot place)."""
    clip = oracle_clip("room", "smooth", 0, 40, 320, 180)
    frames = clip.frames.copy()
    frames[16:28] = np.random.default_rng(0).integers(0, 256, frames[16:28].shape, np.uint8)
    result = annotate(frames, clip.truth.intrinsics[0], AnnotatorConfig(), ExactDepth(clip.depth))
    return result


def test_a_corrupted_stretch_shows_as_low_confidence(corrupted, tmp_path):
    confidence = corrupted.confidence
    assert confidence.shape == (40,) and ((confidence >= 0) & (confidence <= 1)).all()
    assert confidence[19:25].max() < LOW_CONFIDENCE  # the middle of the stretch
    clean = np.r_[0:12, 32:40]
    assert np.median(confidence[clean]) > 0.8
    assert corrupted.summary.low_confidence_frames >= 6
    corrupted.save(tmp_path / "poses.npz")
    np.testing.assert_array_equal(load(tmp_path / "poses.npz").confidence, confidence)
    assert (corrupted.status[16:28] != FrameStatus.REGISTERED).all()
