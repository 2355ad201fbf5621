"""Action and preset compilers pinned on known paths: exact where the control can say the path,
within the stated quantisation bound where it cannot, and the kinematics against a plain port
of Matrix-Game 3.0's own action-to-pose code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.control_paths import FAMILIES, circle, dolly, pitch_tilt, yaw_turn
from wmbench.models.controls import PathError, presets
from wmbench.models.controls import action_models as actions
from wmbench.models.controls.actions import PathState, integrate
from wmbench.models.controls.geometry import poses_from


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_infinite_world_error_within_its_quantisation_bound(family):
    c2w = FAMILIES[family](161)
    control = actions.infinite_world(c2w)
    error = PathError.between(control.expressed, c2w)
    assert control.bound.holds(error), (error.summary(), control.bound)
    # the bound scales with the steps: half a turn step per rotation axis
    assert control.bound.rotation_deg == pytest.approx(control.details["turn_deg_per_frame"])
    entries = json.loads(control.files["actions.json"])
    assert len(entries) == 161 and {e["move"] for e in entries} <= set(
        actions.INFWORLD_MOVES.values()
    )


@pytest.mark.parametrize("family", ["yaw_turn", "pitch_tilt", "dolly", "strafe", "circle"])
def test_infinite_world_is_exact_on_constant_rate_paths(family):
    c2w = FAMILIES[family](161)
    error = PathError.between(actions.infinite_world(c2w).expressed, c2w)
    assert error.rotation_deg.max() < 1e-6 and error.translation_m.max() < 1e-9


def test_infinite_world_action_names():
    turn = json.loads(actions.infinite_world(yaw_turn(11)).files["actions.json"])
    assert {e["view"] for e in turn[:-1]} == {"turn right"} and turn[-1] == {
        "move": "no-op",
        "view": "no-op",
    }
    tilt = json.loads(actions.infinite_world(pitch_tilt(11)).files["actions.json"])
    assert {e["view"] for e in tilt[:-1]} == {"turn up"}
    walk = json.loads(actions.infinite_world(dolly(11)).files["actions.json"])
    assert {e["move"] for e in walk[:-1]} == {"go forward"}


def _mg3_port(keys, mouse):
    """Matrix-Game-3/utils/utils.py compute_next_pose_from_action + cam_utils get_extrinsics,
    written out plainly: poses from per-frame WASD (one-hot) and mouse (pitch, yaw) values."""
    pose, poses = np.zeros(5), [np.zeros(5)]
    for (w, s, a, d), (mx, my) in zip(keys, mouse, strict=True):
        x, y, z, pitch, yaw = pose
        new_pitch, new_yaw = pitch + 15.0 * mx, yaw + 15.0 * my
        forward = 12.35 * ((w > 0.5) - (s > 0.5))
        right = 12.35 * ((d > 0.5) - (a > 0.5))
        rad = np.deg2rad((yaw + new_yaw) / 2)
        pose = np.array(
            [
                x + np.cos(rad) * forward - np.sin(rad) * right,
                y + np.sin(rad) * forward + np.cos(rad) * right,
                z,
                new_pitch,
                new_yaw,
            ]
        )
        poses.append(pose)
    out = []
    r_init = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0]], dtype=float)
    for x, y, z, pitch, yaw in poses:
        p, q = np.deg2rad(pitch), np.deg2rad(yaw)
        rz = np.array([[np.cos(q), -np.sin(q), 0], [np.sin(q), np.cos(q), 0], [0, 0, 1]])
        ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
        e = np.eye(4)
        e[:3, :3] = rz @ ry @ r_init
        e[:3, 3] = np.array([x, y, z]) * 0.01
        out.append(e)
    out = np.array(out)
    return np.linalg.inv(out[0]) @ out


def test_matrix_game_kinematics_match_its_own_code():
    rng = np.random.default_rng(0)
    frames = 60
    key = rng.integers(0, 5, frames)  # q w s d a
    mouse = rng.integers(0, 5, frames)  # u l j k i
    onehot = {0: (0, 0, 0, 0), 1: (1, 0, 0, 0), 2: (0, 1, 0, 0), 3: (0, 0, 0, 1), 4: (0, 0, 1, 0)}
    values = {0: (0, 0), 1: (0, 0.1), 2: (0, -0.1), 3: (-0.1, 0), 4: (0.1, 0)}  # (mouse_x, mouse_y)
    theirs = _mg3_port([onehot[k] for k in key], [values[m] for m in mouse])
    effects = np.zeros((frames, 4))
    effects[:, [0, 1]] = actions.MG3_MOUSE.effects[mouse]
    effects[:, [2, 3]] = actions.MG3_KEYS.effects[key]
    ours = integrate(effects, np.eye(4))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_matrix_game_stdin_and_exactness_at_its_own_rates():
    frames = actions.matrix_game_3_frames(100)
    assert frames == 137  # 57 + 40 * 2
    rates = np.concatenate([np.full(57, 1.5), np.zeros(40), np.full(39, -1.5)])  # right, hold, left
    yaw = np.concatenate([[0.0], np.cumsum(rates)])
    c2w = poses_from(yaw, np.zeros(frames), np.zeros((frames, 3)))
    control = actions.matrix_game_3(c2w)
    assert control.stdin == "l\nq\nu\nq\nj\nq\n"
    error = PathError.between(control.expressed, c2w)
    assert error.rotation_deg.max() < 1e-6


@pytest.mark.parametrize("family", ["yaw_turn", "dolly", "strafe", "pitch_tilt"])
def test_matrix_game_single_axis_error_within_half_an_iteration(family):
    c2w = FAMILIES[family](137)
    control = actions.matrix_game_3(c2w)
    error = PathError.between(control.expressed, c2w)
    # one key for 57 or 40 frames: at iteration ends the residual is within half an iteration
    ends = np.array([0, 57, 97, 136])
    assert error.rotation_deg[ends].max() <= 57 * actions.MG3_TURN_DEG / 2 + 1e-6
    assert error.translation_m[ends].max() <= 57 * actions.MG3_STEP_M / 2 + 1e-9


@pytest.mark.parametrize("family", ["yaw_turn", "pitch_tilt", "dolly", "strafe", "circle"])
def test_yume_exact_on_constant_rate_paths(family):
    c2w = FAMILIES[family](96)
    control = actions.yume(c2w, "A street.")
    error = PathError.between(control.expressed, c2w)
    assert error.rotation_deg.max() < 1e-6 and error.translation_m.max() < 1e-9
    lines = control.files["caption.txt"].decode().split("\n")
    assert len(lines) == 3 and all(line.startswith("A street.Person ") for line in lines)


def test_yume_captions_carry_its_vocabulary_and_magnitudes():
    control = actions.yume(circle(64), "A.")
    line = control.files["caption.txt"].decode().split("\n")[0]
    assert "Person moves forward (W).Camera turns right (→).Actual distance moved:" in line
    speed, travel, view = actions.yume_magnitudes(control.expressed[:33])
    assert view == pytest.approx(360 / 63, rel=1e-9)  # constant turn per frame
    assert travel == pytest.approx(360 / 63, rel=1e-6)  # a circle turns its travel as much
    assert f"View rotation speed:{view}." in line and f"{speed * 100} at 100 meters" in line
    tilt = actions.yume(pitch_tilt(32), "A.").files["caption.txt"].decode()
    assert "Person stands still (·).Camera tilts up (↑)." in tilt


def test_path_state_reads_yaw_pitch_and_heading_steps():
    state = PathState.of(circle(37))
    np.testing.assert_allclose(state.increments[:, 0], 10.0)
    np.testing.assert_allclose(state.increments[:, 3], 0.0, atol=1e-12)
    assert np.abs(state.vertical).max() < 1e-12


def test_gen3c_recovers_its_own_presets_and_reports_what_it_cannot_say():
    for trajectory, rotation in [("right", "no_rotation"), ("left", "center_facing"),
                                 ("up", "trajectory_aligned"),
                                 ("clockwise", "center_facing")]:  # fmt: skip
        path = presets.preset_path(trajectory, rotation, 0.4, 121)
        control = presets.gen3c(path)
        assert control.details["trajectory"] == trajectory
        assert control.details["camera_rotation"] == rotation
        assert control.details["movement_distance"] == pytest.approx(0.4, rel=1e-4)
        assert "--movement_distance" in control.args
    turn = presets.gen3c(yaw_turn(121))  # a pan in place: no preset can say it
    assert PathError.between(turn.expressed, yaw_turn(121)).rotation_deg.max() > 45
    assert presets.gen3c_frames(2) == 121 and presets.gen3c_frames(961) == 961
