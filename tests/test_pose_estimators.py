"""Pose estimators: the registry, the ``file`` estimator's format and its checks at the boundary,
saved poses read back, and ``pi3`` (its clear error, its input size, and its call on a stand-in
``pi3`` package with a tiny checkpoint at the real store path)."""

import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from pose_pipeline import estimators, pi3
from pose_pipeline.estimators import ESTIMATORS, EstimatedPoses, FileEstimator, PoseRequest
from wmbench.core import weights
from wmbench.core.errors import InputError, MissingWeightsError

FRAMES = np.zeros((9, 8, 8, 3), dtype=np.uint8)


def _request(case_id: str = "hard_60s/indoor_001") -> PoseRequest:
    return PoseRequest(case_id, FRAMES, np.eye(3))


def _write(folder: Path, case_id: str = "hard_60s/indoor_001", **arrays) -> Path:
    path = folder / f"{case_id}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def _walk(count: int) -> np.ndarray:
    c2w = np.repeat(np.eye(4)[None], count, axis=0)
    c2w[:, 0, 3] = np.arange(count) * 0.1
    return c2w


def test_the_registry_names_the_three_estimators_and_refuses_others():
    assert {"pycolmap", "file", "pi3"} <= set(ESTIMATORS.names())
    with pytest.raises(InputError, match="unknown pose estimator 'colmap'"):
        estimators.build("colmap")
    with pytest.raises(InputError, match="pose estimator 'file'"):
        estimators.build("file", {"poses": "x", "stride": 2})
    with pytest.raises(InputError, match="AnnotatorConfig"):
        estimators.build("pycolmap", {"stride": 0})


def test_a_pose_file_is_read_with_its_frames_and_confidence(tmp_path):
    _write(tmp_path, c2w=_walk(3), frame_index=np.array([0, 4, 8]), confidence=np.ones(3) * 0.5)
    poses = FileEstimator(tmp_path).estimate(_request())
    np.testing.assert_array_equal(poses.frame_index, [0, 4, 8])
    np.testing.assert_array_equal(poses.c2w, _walk(3))
    assert poses.valid.all() and (poses.confidence == 0.5).all()
    assert poses.estimator == "file" and poses.settings == {"poses": str(tmp_path.resolve())}
    _write(tmp_path, "simple_60s/room_001", c2w=_walk(9), frame_index=np.arange(9))
    assert np.isnan(
        FileEstimator(tmp_path).estimate(_request("simple_60s/room_001")).confidence
    ).all()


@pytest.mark.parametrize(
    ("arrays", "field", "found"),
    [
        ({"c2w": _walk(3), "frame_index": np.array([0, 4])}, "frame_index", "shape (2,)"),
        ({"c2w": _walk(3), "frame_index": np.array([0, 4, 12])}, "frame_index", "0..12"),
        ({"c2w": _walk(3), "frame_index": np.array([0, 4, 4])}, "frame_index", "strictly"),
        ({"c2w": _walk(3) * np.nan, "frame_index": np.arange(3)}, "c2w", "NaN"),
        ({"c2w": _walk(3) * 2, "frame_index": np.arange(3)}, "c2w", ""),
        ({"c2w": _walk(3)}, "frame_index", "keys ['c2w']"),
        (
            {"c2w": _walk(3), "frame_index": np.arange(3), "confidence": np.ones(2)},
            "confidence",
            "",
        ),
    ],
    ids=["count", "past-the-end", "repeated", "nan", "non-rigid", "missing-field", "confidence"],
)
def test_a_bad_pose_file_names_the_file_and_the_field(tmp_path, arrays, field, found):
    path = _write(tmp_path, **arrays)
    with pytest.raises(InputError) as caught:
        FileEstimator(tmp_path).estimate(_request())
    assert caught.value.source == str(path) and caught.value.field == field
    assert found in str(caught.value)


def test_a_missing_case_file_names_the_file(tmp_path):
    with pytest.raises(InputError, match="indoor_001.npz: field 'poses'"):
        FileEstimator(tmp_path).estimate(_request())
    with pytest.raises(InputError, match="field 'poses'"):
        FileEstimator(tmp_path / "absent").check_available()


def test_saved_poses_read_back_exactly(tmp_path):
    poses = EstimatedPoses(
        _walk(4), np.arange(4), np.array([1, 1, 0, 1], bool), np.full(4, np.nan), "pycolmap",
        {"stride": 4}, metric=True, failure="",
    )  # fmt: skip
    path = tmp_path / "poses.npz"
    np.savez(path, **poses.to_arrays())
    with np.load(path, allow_pickle=False) as data:
        again = EstimatedPoses.from_arrays({k: data[k] for k in data.files}, path)
    for name in ("c2w", "frame_index", "valid", "confidence"):
        np.testing.assert_array_equal(getattr(again, name), getattr(poses, name))
    assert (again.estimator, again.settings, again.metric, again.failure) == (
        "pycolmap", {"stride": 4}, True, ""
    )  # fmt: skip
    with pytest.raises(InputError, match="field 'valid'"):
        EstimatedPoses.from_arrays({"c2w": poses.c2w}, path)


def test_pi3_says_what_is_missing_package_and_checkpoint(monkeypatch):
    monkeypatch.setattr(pi3.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingWeightsError) as caught:
        pi3.Pi3Estimator().check_available()
    message = str(caught.value)
    assert "the Pi3 package `pi3` is not installed" in message
    assert str(weights.entry_dir("pi3") / "model.safetensors") in message
    assert caught.value.missing == (weights.entry_dir("pi3") / "model.safetensors",)


def test_pi3_input_size_follows_its_loader():
    # 1280x704: scale sqrt(255000 / 901120); 49 x 27 patches exceed the limit, 49 x 26 do not
    assert pi3.target_size(1280, 704) == (686, 364)
    for width, height in ((1280, 704), (320, 176), (640, 360), (100, 1000)):
        w, h = pi3.target_size(width, height)
        assert w % 14 == 0 and h % 14 == 0 and w * h <= pi3.PIXEL_LIMIT


class _StandInPi3(torch.nn.Module):
    """Pi3's call contract: images (B, N, 3, H, W) in [0, 1] -> camera_poses (B, N, 4, 4) and conf
    (B, N, H, W, 1); here the camera walks 0.1 per input frame along x."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, images):
        batch, count, _, height, width = images.shape
        poses = torch.eye(4).repeat(batch, count, 1, 1)
        poses[..., 0, 3] = torch.arange(count) * 0.1 + self.weight
        return {"camera_poses": poses, "conf": torch.zeros(batch, count, height, width, 1)}


def test_pi3_runs_every_fourth_frame_through_the_model(monkeypatch):
    from safetensors.torch import save_file

    package = types.ModuleType("pi3")
    models = types.ModuleType("pi3.models")
    module = types.ModuleType("pi3.models.pi3")
    module.Pi3 = _StandInPi3
    for name, value in (("pi3", package), ("pi3.models", models), ("pi3.models.pi3", module)):
        monkeypatch.setitem(sys.modules, name, value)
    monkeypatch.setattr(pi3.importlib.util, "find_spec", lambda name: object())
    folder = weights.entry_dir("pi3")
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"weight": torch.zeros(1)}, str(folder / "model.safetensors"))
    try:
        estimator = pi3.Pi3Estimator(device="cpu")
        frames = np.random.default_rng(0).integers(0, 255, (10, 36, 64, 3), dtype=np.uint8)
        poses = estimator.estimate(PoseRequest("x", frames, np.eye(3)))
    finally:
        (folder / "model.safetensors").unlink()
    np.testing.assert_array_equal(poses.frame_index, [0, 4, 8])
    np.testing.assert_allclose(poses.c2w[:, 0, 3], [0.0, 0.1, 0.2], atol=1e-7)
    np.testing.assert_allclose(poses.confidence, 0.5)  # sigmoid(0)
    assert poses.estimator == "pi3" and poses.settings["interval"] == 4
    assert "pi3/model.safetensors" in poses.settings  # the checkpoint's digest is recorded
