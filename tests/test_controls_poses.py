"""Pose conventions (LingBot-World, HY-WorldPlay): files decode to the request exactly; the
path expressed is the latent-rate poses interpolated, pinned on known paths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.control_paths import FAMILIES, dolly, intrinsics_for
from wmbench.models.controls import PathError, poses


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_lingbot_files_round_trip_exactly(family):
    c2w = FAMILIES[family](81)
    intrinsics = intrinsics_for(81, (832, 480))
    control = poses.lingbot_world(c2w, intrinsics)
    decoded_c2w, decoded_k = poses.read_lingbot_world(control.files)
    assert np.array_equal(decoded_c2w, c2w) and np.array_equal(decoded_k, intrinsics)
    assert np.load(__import__("io").BytesIO(control.files["intrinsics.npy"])).shape == (81, 4)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hy_worldplay_json_round_trips(family):
    c2w = FAMILIES[family](125)
    intrinsics = intrinsics_for(125, (832, 480))
    control = poses.hy_worldplay(c2w, intrinsics, (832, 480))
    entries = json.loads(control.files["pose.json"])
    assert list(entries) == [str(i) for i in range(32)]  # one per latent: (125 - 1) / 4 + 1
    assert np.array_equal(entries["0"]["extrinsic"], np.eye(4))
    relative, ks = poses.read_hy_worldplay(control.files)
    relative[:, :3, 3] /= poses.HY_UNITS_PER_METRE  # its pose units back to metres
    np.testing.assert_allclose(c2w[0] @ relative, c2w[::4], atol=1e-12)
    # the focal it reads, fx / (2 cx) * W, is the request's; the principal point is the centre
    np.testing.assert_allclose(ks[:, 0, 0] / (2 * ks[:, 0, 2]) * 832, intrinsics[::4, 0, 0])
    assert control.details["principal_point_offset_px_max"] == pytest.approx(0.5)


def test_lingbot_expresses_its_normalised_steps():
    walk = dolly(81, metres=5.0)  # 1 m/s at 16 fps: its largest latent step is 0.25 m
    error = PathError.between(poses.lingbot_world(walk, intrinsics_for(81, (832, 480))).expressed,
                              walk)  # fmt: skip
    assert error.translation_m.max() < 1e-9
    slow = dolly(81, metres=2.5)  # 0.5 m/s: normalised to the same 0.25 m per latent
    control = poses.lingbot_world(slow, intrinsics_for(81, (832, 480)))
    error = PathError.between(control.expressed, slow)
    assert error.translation_m[-1] == pytest.approx(2.5)  # it walks 5 m where 2.5 m were asked
    assert control.ignored[0].input == "scale" and "0.125 m" in control.ignored[0].requested
    wiggle = FAMILIES["yaw_wiggle"](81)  # a 2-frame period cannot pass a 4-frame latent
    error = PathError.between(poses.lingbot_world(wiggle, intrinsics_for(81, (832, 480)))
                              .expressed, wiggle)  # fmt: skip
    assert error.rotation_deg.max() > 0.1 and np.all(error.rotation_deg[::4] < 1e-6)


def test_frame_rules():
    assert [poses.four_n_plus_one(n) for n in (1, 2, 5, 6, 961)] == [1, 5, 5, 9, 961]
    assert poses.hy_worldplay_frames(125) == 125 and poses.hy_worldplay_frames(126) == 141
    assert (poses.hy_worldplay_frames(961) - 1) // 4 + 1 == 244
