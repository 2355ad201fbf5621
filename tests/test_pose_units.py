"""pose_pipeline stages that need no reconstruction: keyframes, intrinsics, interpolation,
failures of bad videos, the CLI's input handling, depth sources and result files."""

import json

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pose_pipeline import Annotation, AnnotationFailure, FrameStatus, PinholeCamera, annotate, load
from pose_pipeline.camera import parse_intrinsics
from pose_pipeline.cli import main
from pose_pipeline.config import AnnotatorConfig
from pose_pipeline.frames import select_keyframes
from pose_pipeline.mapping import _incremental_options
from pose_pipeline.registration import register_all_frames
from pose_pipeline.scale import DepthFolder, ScaleEstimate, _sample
from pose_pipeline.summary import AnnotationSummary, MatchCounts, ProbePairs
from wmbench.core.errors import InputError, MissingWeightsError

K = np.array([[200.0, 0, 159.5], [0, 200.0, 89.5], [0, 0, 1]])


def test_keyframes_every_stride_sooner_when_fast_and_where_the_motion_changes():
    steady = np.tile([0.01, 0.0], (20, 1))
    assert select_keyframes(steady, 4, 0.5, 0.005).tolist() == [0, 4, 8, 12, 16, 20]
    fast = steady.copy()
    fast[8:12] = [0.06, 0.0]  # a burst of fast motion: shorter segments, bounded shift
    assert select_keyframes(fast, 4, 0.1, 1.0).tolist() == [0, 4, 8, 10, 12, 16, 20]
    turn = steady.copy()
    turn[9:] = [0.0, 0.01]  # the pan turns into a tilt after frame 9
    keyframes = select_keyframes(turn, 4, 0.5, 0.005).tolist()
    assert 9 in keyframes and keyframes == [0, 4, 8, 9, 13, 17, 20]
    assert select_keyframes(np.zeros((6, 2)), 4, 0.1, 0.005).tolist() == [0, 4, 6]


def test_camera_follows_the_resize_and_uses_colmap_pixel_centres():
    camera = PinholeCamera.from_matrix(K, (320, 180)).fitted(160)
    assert (camera.width, camera.height) == (160, 90)
    assert camera.fx == pytest.approx(100.0)
    assert camera.cx == pytest.approx(79.5)  # the image centre stays the centre
    assert camera.colmap_model == "SIMPLE_PINHOLE"
    assert camera.colmap_params == "100.0,80.0,45.0"
    assert PinholeCamera.from_matrix(K, (320, 180)).fitted(640).width == 320  # never upscaled
    assert PinholeCamera(200, 210, 159.5, 89.5, 320, 180).colmap_model == "PINHOLE"


def test_intrinsics_from_text_or_npz(tmp_path):
    assert parse_intrinsics("200,200,159.5,89.5", (320, 180)).matrix() == pytest.approx(K)
    np.savez(tmp_path / "cams.npz", intrinsics=np.repeat((K * [[2], [2], [1]])[None], 3, 0),
             image_size=[640, 360])  # fmt: skip
    camera = parse_intrinsics(str(tmp_path / "cams.npz"), (320, 180))
    assert camera.fx == pytest.approx(200.0) and camera.cx == pytest.approx(159.25)
    with pytest.raises(InputError, match="fx,fy,cx,cy"):
        parse_intrinsics("200,200", (320, 180))


def _pose(yaw_deg: float, centre: list[float]) -> np.ndarray:
    c2w = np.eye(4)
    c2w[:3, :3] = Rotation.from_euler("y", yaw_deg, degrees=True).as_matrix()
    c2w[:3, 3] = centre
    return c2w


def test_frames_between_keyframes_are_slerped_and_marked():
    poses = {
        0: (_pose(0, [0, 0, 0]), 0.3),
        4: (_pose(20, [1, 0, 0]), 0.4),
        30: (_pose(0, [5, 0, 0]), 0.2),
    }
    c2w, status, errors = register_all_frames(32, poses, max_gap=16)
    assert status[0] == status[4] == FrameStatus.REGISTERED
    assert (status[1:4] == FrameStatus.INTERPOLATED).all()
    assert Rotation.from_matrix(c2w[2, :3, :3]).as_euler("yxz", degrees=True)[0] == pytest.approx(
        10
    )
    assert c2w[1, :3, 3] == pytest.approx([0.25, 0, 0])
    assert (status[5:30] == FrameStatus.FAILED).all()  # a gap of 26 frames is too long
    assert (status[31:] == FrameStatus.FAILED).all()  # after the last keyframe
    assert np.isnan(c2w[10]).all() and errors[4] == 0.4 and np.isnan(errors[2])


# blobs of random colour a few pixels wide, new in every frame (what an untrained generator gives)
NOISE = np.stack([
    cv2.resize(block, (160, 90), interpolation=cv2.INTER_CUBIC)
    for block in np.random.default_rng(0).integers(0, 256, (40, 30, 53, 3), np.uint8)
])  # fmt: skip


@pytest.mark.parametrize(
    ("frames", "stage", "reason"),
    [
        (np.full((24, 90, 160, 3), 128, np.uint8), "features", "blank or textureless"),
        (np.zeros((2, 90, 160, 3), np.uint8), "frames", "too short"),
        (NOISE, "matching", "no scene geometry: 0 of"),
    ],
    ids=["blank", "too-short", "noise"],
)
def test_bad_videos_end_as_failures_with_a_reason(frames, stage, reason):
    result = annotate(frames, K / [[2], [2], [1]])
    assert isinstance(result, AnnotationFailure)
    assert result.stage == stage and reason in result.reason
    assert result.valid.shape == (len(frames),) and not result.valid.any()
    if stage == "matching":  # the probe stopped it: the full matching never ran
        assert result.summary.matching is None and result.summary.probe_pairs.probed > 0


def test_cli_rejects_bad_intrinsics_and_writes_failures(tmp_path, capsys):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(5):
        cv2.imwrite(str(frames / f"{i:04d}.png"), np.full((90, 160, 3), 40, np.uint8))
    out = tmp_path / "poses.npz"
    assert main(["annotate", str(frames), "--intrinsics", "1,2", "--out", str(out)]) == 2
    assert "fx,fy,cx,cy" in capsys.readouterr().err
    assert (
        main(["annotate", str(frames), "--intrinsics", "100,100,79.5,44.5", "--out", str(out)]) == 1
    )
    failure = load(out)
    assert isinstance(failure, AnnotationFailure) and "textureless" in failure.reason


SUMMARY = AnnotationSummary(
    config=AnnotatorConfig(stride=2).to_dict(), version="7", pycolmap="4.2.0", mean_keypoints=812.5,
    probe_pairs=ProbePairs(15, 16), matching=MatchCounts(40, 38, 3), mapper="incremental",
    num_frames=3, num_keyframes=2, registered_keyframes=2, registration_rate=1.0,
    posed_fraction=1.0, mean_reproj_err_px=0.25, num_points3d=900,
    scale=ScaleEstimate(1.02, 0.01, 300, 2, "exact"), scale_requested=True,
    mean_confidence=0.9, low_confidence_frames=0, timings_s={"frames": 0.1}, total_s=1.5,
)  # fmt: skip


def test_annotation_files_round_trip(tmp_path):
    poses = np.repeat(np.eye(4)[None], 3, 0)
    status = np.array([1, 2, 1], np.int8)
    errors = np.array([0.3, np.nan, 0.2])
    annotation = Annotation(poses, status, errors, np.array([0, 2]), K, True, SUMMARY)
    annotation.save(tmp_path / "a.npz")
    again = load(tmp_path / "a.npz")
    assert isinstance(again, Annotation) and again.metric and again.summary == annotation.summary
    np.testing.assert_array_equal(again.status, annotation.status)
    failure = AnnotationFailure("blank", "features", 3, AnnotationSummary(mean_keypoints=2.0))
    failure.save(tmp_path / "f.npz")
    assert load(tmp_path / "f.npz") == failure


def test_annotation_files_written_before_the_typed_summary_still_load(tmp_path):
    """The summary was a dict with the same keys (scale and probe as dicts): it loads as the
    record, an older annotator's settings as it recorded them; a key the record does not know
    is an error naming the file and the key."""
    old = {"config": {"stride": 2, "overlap": 8}, "probe_pairs": {"verified": 15,
           "probed": 16}, "scale": {"scale": 1.02, "spread": 0.01, "samples": 300, "frames": 2,
           "source": "exact"}, "registration_rate": 1.0, "timings_s": {"frames": 0.1}}  # fmt: skip
    arrays = {"c2w": np.repeat(np.eye(4)[None], 3, 0), "status": np.ones(3, np.int8),
              "reproj_err_px": np.zeros(3), "keyframes": np.arange(3), "intrinsics": K,
              "metric": True}  # fmt: skip
    np.savez(tmp_path / "old.npz", **arrays, summary=json.dumps(old))
    summary = load(tmp_path / "old.npz").summary
    assert summary.config == {"stride": 2, "overlap": 8} and summary.probe_pairs.probed == 16
    assert summary.scale.spread == 0.01 and summary.to_dict() == old
    np.savez(tmp_path / "odd.npz", **arrays, summary=json.dumps({"rate": 1.0}))
    with pytest.raises(InputError, match=r"odd\.npz.*summary.*unknown keys \['rate'\]"):
        load(tmp_path / "odd.npz")


def test_depth_folder_and_sampling(tmp_path):
    for i in range(3):
        np.save(tmp_path / f"{i:04d}.npy", np.full((45, 80), float(i + 1), np.float32))
    source = DepthFolder(tmp_path)
    assert source.depth(2, np.zeros((90, 160, 3))).mean() == 3.0
    with pytest.raises(InputError, match="frame 5"):
        source.depth(5, np.zeros((90, 160, 3)))
    ramp = np.tile(np.arange(80, dtype=np.float32), (45, 1))  # depth = column index
    xy = np.array([[2.0, 10.0], [120.0, 40.0]])  # COLMAP pixels of a 160 px wide image
    np.testing.assert_allclose(_sample(ramp, xy, (160, 90)), [0.5, 59.5], atol=1e-4)


def test_monocular_depth_needs_its_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    from pose_pipeline.depth_model import MonocularDepth

    with pytest.raises(MissingWeightsError) as error:
        MonocularDepth("indoor")
    assert str(tmp_path / "depth-anything-v2-metric-indoor-small" / "model.safetensors") in str(
        error.value
    )


def test_mapper_options_carry_the_bundle_adjustment_schedule():
    options = _incremental_options(AnnotatorConfig(ba_global_growth=1.7, init_min_tri_angle_deg=3))
    assert options.mapper.init_min_tri_angle == 3
    assert options.ba_global_frames_ratio == options.ba_global_points_ratio == 1.7
    assert options.mapper.ba_global_ignore_redundant_points3D
    plain = _incremental_options(AnnotatorConfig(ba_prune_redundant_points=False))
    assert not plain.mapper.ba_global_ignore_redundant_points3D
    assert plain.num_threads == plain.mapper.num_threads == 1  # reruns must be identical
    with pytest.raises(ValueError, match="ba_global_growth"):
        AnnotatorConfig(ba_global_growth=1.0)
