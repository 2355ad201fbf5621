"""Action and preset compilers pinned on known paths: exact where the control can say the path,
held actions and their cost where it cannot, and the kinematics against a plain port of
Matrix-Game 3.0's own action-to-pose code (the decoding tests run every compiler's output back
through its model's own code: test_controls_decoding.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.control_paths import FAMILIES, circle, dolly, pitch_tilt, slow_walk, yaw_turn
from wmbench.models.controls import PathError, presets, yume
from wmbench.models.controls import action_models as actions
from wmbench.models.controls.actions import PathState, integrate
from wmbench.models.controls.geometry import poses_from


def test_infinite_world_holds_each_action_for_its_runs():
    c2w = slow_walk(fps=30.0)  # 0.5 m/s: half its assumed walking rate
    control = actions.infinite_world(c2w, hold=20)
    entries = json.loads(control.files["actions.json"])
    assert len(entries) == len(c2w) and entries[-1] == {"move": "no-op", "view": "no-op"}
    moves = [entry["move"] for entry in entries[:-1]]
    runs = [moves[i : i + 20] for i in range(0, len(moves), 20)]
    assert all(len(set(run)) == 1 for run in runs)  # no per-frame dithering
    assert {run[0] for run in runs} == {"go forward", "no-op"}  # half the runs walk
    error = PathError.between(control.expressed, c2w)
    # on / off runs of 20 frames at 1/30 m per frame: up to half a run's walk behind or ahead
    assert 0.1 < error.translation_m.max() <= 20 / 30 / 2 + 1e-9


@pytest.mark.parametrize("path", ["dolly", "yaw_turn", "pitch_tilt"])
def test_infinite_world_is_exact_at_its_own_rates(path):
    # 1/30 m or 1 degree per frame
    c2w = {"dolly": dolly(91, metres=3.0), "yaw_turn": yaw_turn(91, degrees=90.0),
           "pitch_tilt": pitch_tilt(61, degrees=60.0)}[path]  # fmt: skip
    error = PathError.between(actions.infinite_world(c2w).expressed, c2w)
    assert error.rotation_deg.max() < 1e-6 and error.translation_m.max() < 1e-9


def test_infinite_world_action_names():
    turn = json.loads(actions.infinite_world(yaw_turn(31, 30.0)).files["actions.json"])
    assert {e["view"] for e in turn[:-1]} == {"turn right"} and turn[-1] == {
        "move": "no-op",
        "view": "no-op",
    }
    tilt = json.loads(actions.infinite_world(pitch_tilt(31, 30.0)).files["actions.json"])
    assert {e["view"] for e in tilt[:-1]} == {"turn up"}
    walk = json.loads(actions.infinite_world(dolly(31, 1.0)).files["actions.json"])
    assert {e["move"] for e in walk[:-1]} == {"go forward"}
    assert actions.infinite_world_frames(17) == 81 and actions.infinite_world_frames(1041) == 1041


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
        p, q = -np.deg2rad(pitch), np.deg2rad(yaw)  # pitch as its labels read it: I (+) is up
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
    values = {0: (0, 0), 1: (0, 0.1), 2: (0, -0.1), 3: (-0.1, 0), 4: (0.1, 0)}  # u l j k i
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
def test_yume_exact_on_constant_rate_paths_within_its_range(family):
    c2w = circle(97, radius=1.0) if family == "circle" else FAMILIES[family](97)
    control = yume.yume(c2w, "A street.")
    error = PathError.between(control.expressed, c2w)
    assert error.rotation_deg.max() < 1e-6 and error.translation_m.max() < 1e-9
    lines = control.files["caption.txt"].decode().split("\n")
    assert len(lines) == 3 and all(line.startswith("A street.Person ") for line in lines)
    assert control.details["clipped_segments"] == 0


def test_yume_captions_carry_its_vocabulary_and_magnitudes_in_its_units():
    control = yume.yume(circle(65, radius=1.0), "A.")
    line = control.files["caption.txt"].decode().split("\n")[0]
    assert "Person moves forward (W).Camera turns right (→).Actual distance moved:" in line
    speed, travel, view = yume.yume_magnitudes(control.expressed[:33])
    assert view == pytest.approx(360 / 64, rel=1e-9)  # constant turn per frame
    assert travel == pytest.approx(360 / 64, rel=1e-6)  # a circle turns its travel as much
    value = speed * yume.YUME_VALUE_PER_MPS  # m/s at its data's 30 fps, in caption.txt's units
    assert 0.1 <= value <= 10 and f"Actual distance moved:{value} at 100 meters" in line
    assert f"View rotation speed:{view}." in line
    tilt = yume.yume(pitch_tilt(33), "A.").files["caption.txt"].decode()
    assert "Person stands still (·).Camera tilts up (↑)." in tilt
    fast = yume.yume(dolly(33, metres=10.0), "A.")  # 9.4 m/s at 30 fps: beyond 10 units
    assert (
        fast.details["clipped_segments"] == 1
        and "moved:10.0 at" in fast.files["caption.txt"].decode()
    )
    moved = np.linalg.norm(fast.expressed[-1, :3, 3] - fast.expressed[0, :3, 3])
    assert moved == pytest.approx(10.0 / yume.YUME_VALUE_PER_MPS / 30 * 32)


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
        path[:, :3, 3] /= presets.GEN3C_UNITS_PER_METRE  # its units to metres
        control = presets.gen3c(path)
        assert control.details["trajectory"] == trajectory
        assert control.details["camera_rotation"] == rotation
        assert control.details["movement_distance"] == pytest.approx(0.4, rel=1e-4)
        assert "--movement_distance" in control.args
    turn = presets.gen3c(yaw_turn(121))  # a pan in place: no preset can say it
    assert PathError.between(turn.expressed, yaw_turn(121)).rotation_deg.max() > 45
    assert presets.gen3c_frames(2) == 121 and presets.gen3c_frames(961) == 961
