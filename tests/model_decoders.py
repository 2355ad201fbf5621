"""Faithful transcriptions of each baseline's own decoding / labelling code (numpy for torch),
used by test_controls_decoding.py to turn a compiled control back into a path. Each function
cites the file and commit it was read from; wmbench's compilers must agree with these, not the
other way round. Only the constants marked ASSUMED come from wmbench (a rate or unit no code of
the model fixes)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
from scipy.interpolate import interp1d
from scipy.spatial.transform import Rotation, Slerp

from wmbench.models.controls import action_models, poses, presets, yume
from wmbench.models.controls.geometry import poses_from, rotation_y

# --- Matrix-Game 3.0: SkyworkAI/Matrix-Game @ 20e033e, Matrix-Game-3/utils/utils.py and
# pipeline/inference_interactive_pipeline.py (get_current_action, the per-iteration loop).
WSAD_OFFSET = 12.35
DIAGONAL_OFFSET = 8.73
MOUSE_PITCH_SENSITIVITY = 15.0
MOUSE_YAW_SENSITIVITY = 15.0
MOUSE_THRESHOLD = 0.02
CAM_VALUE = 0.1
CAMERA_VALUE_MAP = {"i": [CAM_VALUE, 0], "k": [-CAM_VALUE, 0], "j": [0, -CAM_VALUE],
                    "l": [0, CAM_VALUE], "u": [0, 0]}  # fmt: skip
KEYBOARD_IDX = {"w": [1, 0, 0, 0, 0, 0], "s": [0, 1, 0, 0, 0, 0], "a": [0, 0, 1, 0, 0, 0],
                "d": [0, 0, 0, 1, 0, 0], "q": [0, 0, 0, 0, 0, 0]}  # fmt: skip


def compute_next_pose_from_action(current_pose, keyboard_action, mouse_action):
    x, y, z, pitch, yaw = current_pose
    w, s, a, d = keyboard_action[:4]
    mouse_x, mouse_y = mouse_action[:2]
    delta_pitch = MOUSE_PITCH_SENSITIVITY * mouse_x if abs(mouse_x) >= MOUSE_THRESHOLD else 0.0
    delta_yaw = MOUSE_YAW_SENSITIVITY * mouse_y if abs(mouse_y) >= MOUSE_THRESHOLD else 0.0
    new_pitch = pitch + delta_pitch
    new_yaw = yaw + delta_yaw
    while new_yaw > 180:
        new_yaw -= 360
    while new_yaw < -180:
        new_yaw += 360
    local_forward = 0.0
    if w > 0.5 and s < 0.5:
        local_forward = WSAD_OFFSET
    elif s > 0.5 and w < 0.5:
        local_forward = -WSAD_OFFSET
    local_right = 0.0
    if d > 0.5 and a < 0.5:
        local_right = WSAD_OFFSET
    elif a > 0.5 and d < 0.5:
        local_right = -WSAD_OFFSET
    if abs(local_forward) > 0.1 and abs(local_right) > 0.1:
        local_forward = np.sign(local_forward) * DIAGONAL_OFFSET
        local_right = np.sign(local_right) * DIAGONAL_OFFSET
    avg_yaw = float((yaw + new_yaw) / 2.0)
    yaw_rad = float(np.deg2rad(avg_yaw))
    cos_yaw, sin_yaw = np.cos(yaw_rad), np.sin(yaw_rad)
    delta_x = cos_yaw * local_forward - sin_yaw * local_right
    delta_y = sin_yaw * local_forward + cos_yaw * local_right
    return np.array([x + delta_x, y + delta_y, z, new_pitch, new_yaw])


def compute_all_poses_from_actions(keyboard_conditions, mouse_conditions, first_pose):
    count = len(keyboard_conditions)
    all_poses = np.zeros((count, 5))
    all_poses[0] = first_pose
    for i in range(count - 1):
        all_poses[i + 1] = compute_next_pose_from_action(
            all_poses[i], keyboard_conditions[i], mouse_conditions[i]
        )
    last_pose = compute_next_pose_from_action(
        all_poses[-1], keyboard_conditions[-1], mouse_conditions[-1]
    )
    return all_poses, last_pose


def matrix_game_3(stdin: str) -> np.ndarray:
    """Poses (N,4,4) relative to frame 0 from the stdin answers, iteration by iteration as the
    interactive pipeline chains them (57 frames, then 40 from the last pose). get_extrinsics's
    rotation Rz(yaw) Ry(pitch) R_init with the pitch read as the action labels say (I up, i.e.
    the opposite sign of get_extrinsics; see action_models.py), translation x 0.01."""
    lines = stdin.split()
    chunks, last = [], np.zeros(5)
    for iteration, (mouse, key) in enumerate(zip(lines[::2], lines[1::2], strict=True)):
        frames = 57 if iteration == 0 else 40
        keyboard = np.tile(KEYBOARD_IDX[key], (frames, 1))
        mouse_cond = np.tile(CAMERA_VALUE_MAP[mouse], (frames, 1))
        chunk, last = compute_all_poses_from_actions(keyboard, mouse_cond, last)
        chunks.append(chunk)
    out = []
    r_init = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0]], dtype=float)
    for x, y, z, pitch, yaw in np.concatenate(chunks):
        p, q = -np.deg2rad(pitch), np.deg2rad(yaw)
        rz = np.array([[np.cos(q), -np.sin(q), 0], [np.sin(q), np.cos(q), 0], [0, 0, 1]])
        ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
        pose = np.eye(4)
        pose[:3, :3] = rz @ ry @ r_init
        pose[:3, 3] = np.array([x, y, z]) * 0.01
        out.append(pose)
    out = np.array(out)
    return np.linalg.inv(out[0]) @ out


# --- Infinite-World: MeiGen-AI/Infinite-World @ 272478e, scripts/infworld_inference.py.
MOVE_ACTION_MAP = {"no-op": 0, "go forward": 1, "go back": 2, "go left": 3, "go right": 4,
                   "go forward and go left": 5, "go forward and go right": 6,
                   "go back and go left": 7, "go back and go right": 8, "uncertain": 9}  # fmt: skip
VIEW_ACTION_MAP = {"no-op": 0, "turn up": 1, "turn down": 2, "turn left": 3, "turn right": 4,
                   "turn up and turn left": 5, "turn up and turn right": 6,
                   "turn down and turn left": 7, "turn down and turn right": 8,
                   "uncertain": 9}  # fmt: skip


def load_action_sequence(text: str) -> tuple[list[int], list[int]]:
    actions = json.loads(text)
    move_indices = [MOVE_ACTION_MAP[a["move"]] for a in actions]
    view_indices = [VIEW_ACTION_MAP[a["view"]] for a in actions]
    return move_indices, view_indices


def _words(name: str, axes: dict[str, tuple[int, int]]) -> np.ndarray:
    """The direction an action name says, summed over its 'and'-joined words."""
    return np.sum([axes[word] for word in name.split(" and ") if word in axes] or [[0, 0]], 0)


def infinite_world(text: str) -> np.ndarray:
    """Poses (N,4,4) relative to frame 0: entry i moves frame i to i + 1 at the ASSUMED rates,
    yaw and pitch adding up and each step taken along the mid-step heading."""
    moves, views = load_action_sequence(text)
    move_names = {index: name for name, index in MOVE_ACTION_MAP.items()}
    view_names = {index: name for name, index in VIEW_ACTION_MAP.items()}
    step, turn = action_models.INFWORLD_STEP_M, action_models.INFWORLD_TURN_DEG  # ASSUMED
    move_axes = {"go forward": (1, 0), "go back": (-1, 0), "go left": (0, -1), "go right": (0, 1)}
    view_axes = {
        "turn right": (1, 0),
        "turn left": (-1, 0),
        "turn up": (0, 1),
        "turn down": (0, -1),
    }
    yaw, pitch, position = [0.0], [0.0], [np.zeros(3)]
    for move, view in zip(moves[:-1], views[:-1], strict=True):
        forward, right = _words(move_names[move], move_axes) * step
        d_yaw, d_pitch = _words(view_names[view], view_axes) * turn
        heading = rotation_y(yaw[-1] + d_yaw / 2)
        position.append(position[-1] + heading @ np.array([right, 0.0, forward]))
        yaw.append(yaw[-1] + d_yaw)
        pitch.append(pitch[-1] + d_pitch)
    return poses_from(np.array(yaw), np.array(pitch), np.array(position))


# --- YUME: stdstu12/YUME @ 111c3fa, fastvideo/sample/sample.py vocab_k / vocab_c and the
# caption format of fastvideo/dataset/t2v_datasets.py.
VOCAB_K = {"W": "Person moves forward (W).", "A": "Person moves left (A).",
           "S": "Person moves backward (S).", "D": "Person moves right (D).",
           "W+A": "Person moves forward and left (W+A).",
           "W+D": "Person moves forward and right (W+D).",
           "S+D": "Person moves backward and right (S+D).",
           "S+A": "Person moves backward and left (S+A).", "None": "Person stands still (·).",
           "·": "Person stands still (·)."}  # fmt: skip
VOCAB_C = {"→": "Camera turns right (→).", "←": "Camera turns left (←).",
           "↑": "Camera tilts up (↑).", "↓": "Camera tilts down (↓).",
           "↑→": "Camera tilts up and turns right (↑→).",
           "↑←": "Camera tilts up and turns left (↑←).",
           "↓→": "Camera tilts down and turns right (↓→).",
           "↓←": "Camera tilts down and turns left (↓←).",
           "·": "Camera remains still (·)."}  # fmt: skip
KEY_AXES = {"W": (1, 0), "S": (-1, 0), "A": (0, -1), "D": (0, 1)}  # (forward, right)
MOUSE_AXES = {"→": (1, 0), "←": (-1, 0), "↑": (0, 1), "↓": (0, -1)}  # (yaw, pitch)


def _direction(line: str, vocab: dict[str, str], axes: dict[str, tuple[int, int]]) -> np.ndarray:
    (key,) = {key for key, sentence in vocab.items() if sentence in line} - {"None"}
    vector = np.sum([axes[part] for part in key.replace("+", "") if part in axes] or [[0, 0]], 0)
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector.astype(float)


def yume_captions(text: str) -> tuple[np.ndarray, list[int]]:
    """Per-frame increments (32 k, 4: yaw, pitch, forward, right) from caption.txt, the
    distance in caption.txt's units (ASSUMED: 4.37 per m/s at its data's 30 fps), the view
    rotation per frame as written; and the segments whose rotation rate the caption leaves at
    0 although its mouse sentence turns (calculate_metrics_in_range returns all zeros when the
    segment does not translate): there the rotation columns hold the unit direction only."""
    increments, unknown = [], []
    for segment, line in enumerate(text.split("\n")):
        move = _direction(line, VOCAB_K, KEY_AXES)
        view = _direction(line, VOCAB_C, MOUSE_AXES)
        distance = float(line.split("Actual distance moved:")[1].split(" at 100")[0])
        rate = float(line.split("View rotation speed:")[1].rstrip("."))
        if np.any(view) and rate == 0:
            unknown.append(segment)
            rate = 1.0
        step = distance / yume.YUME_VALUE_PER_MPS / yume.YUME_DATA_FPS if np.any(move) else 0.0
        row = np.concatenate([view * rate, move * step])
        increments.append(np.tile(row, (yume.YUME_SEGMENT, 1)))
    return np.concatenate(increments), unknown


# --- LingBot-World: Robbyant/lingbot-world @ 6ca87d4, wan/image2video.py (the camera block)
# and wan/utils/cam_utils.py interpolate_camera_poses, compute_relative_poses.
def interpolate_camera_poses(src_indices, src_rot_mat, src_trans_vec, tgt_indices):
    interp_func_trans = interp1d(src_indices, src_trans_vec, axis=0, kind="linear",
                                 bounds_error=False, fill_value="extrapolate")  # fmt: skip
    interpolated_trans_vec = interp_func_trans(tgt_indices)
    quats = Rotation.from_matrix(src_rot_mat).as_quat().copy()
    for i in range(1, len(quats)):
        if np.dot(quats[i], quats[i - 1]) < 0:
            quats[i] = -quats[i]
    slerp_func_rot = Slerp(src_indices, Rotation.from_quat(quats))
    poses_out = np.zeros((len(tgt_indices), 4, 4))
    poses_out[:, :3, :3] = slerp_func_rot(tgt_indices).as_matrix()
    poses_out[:, :3, 3] = interpolated_trans_vec
    poses_out[:, 3, 3] = 1.0
    return poses_out


def compute_relative_poses(c2ws_mat, framewise=False, normalize_trans=True):
    relative_poses = np.linalg.inv(c2ws_mat[0:1]) @ c2ws_mat
    relative_poses[0] = np.eye(4)
    if framewise:
        relative_poses[1:] = np.linalg.inv(relative_poses[:-1]) @ relative_poses[1:]
    if normalize_trans:
        translations = relative_poses[:, :3, 3]
        max_norm = np.linalg.norm(translations, axis=-1).max()
        if max_norm > 0:
            relative_poses[:, :3, 3] = translations / max_norm
    return relative_poses


def lingbot_world(files: dict[str, bytes]) -> np.ndarray:
    """Latent poses (L,4,4) relative to the first, chained from what the model receives, in
    its units times the ASSUMED metres per unit."""
    c2ws = np.load(io.BytesIO(files["poses.npy"]))
    len_c2ws = len(c2ws)
    c2ws_infer = interpolate_camera_poses(
        src_indices=np.linspace(0, len_c2ws - 1, len_c2ws),
        src_rot_mat=c2ws[:, :3, :3],
        src_trans_vec=c2ws[:, :3, 3],
        tgt_indices=np.linspace(0, len_c2ws - 1, int((len_c2ws - 1) // 4) + 1),
    )
    steps = compute_relative_poses(c2ws_infer, framewise=True)
    chained = [steps[0]]
    for step in steps[1:]:
        chained.append(chained[-1] @ step)
    chained = np.array(chained)
    chained[:, :3, 3] *= poses.LINGBOT_UNIT_M  # ASSUMED
    return chained


# --- HY-WorldPlay: Tencent-Hunyuan/HY-WorldPlay @ da2d0c2, hyvideo/generate.py pose_to_input.
def hy_pose_to_input(text: str, latent_num: int):
    """(c2w per latent, intrinsics, trans_one_hot, rotate_one_hot) as pose_to_input builds
    them (its one-hot labels before one_hot_to_one_dimension)."""
    pose_json = json.loads(text)
    pose_keys = list(pose_json.keys())
    assert len(pose_keys) == latent_num
    intrinsic_list, w2c_list = [], []
    for i in range(latent_num):
        c2w = np.array(pose_json[pose_keys[i]]["extrinsic"])
        w2c_list.append(np.linalg.inv(c2w))
        intrinsic = np.array(pose_json[pose_keys[i]]["K"])
        intrinsic[0, 0] /= intrinsic[0, 2] * 2
        intrinsic[1, 1] /= intrinsic[1, 2] * 2
        intrinsic[0, 2] = 0.5
        intrinsic[1, 2] = 0.5
        intrinsic_list.append(intrinsic)
    c2ws = np.linalg.inv(np.array(w2c_list))
    relative_c2w = np.zeros_like(c2ws)
    relative_c2w[0] = c2ws[0]
    relative_c2w[1:] = np.linalg.inv(c2ws[:-1]) @ c2ws[1:]
    trans_one_hot = np.zeros((len(c2ws), 4), dtype=np.int32)
    rotate_one_hot = np.zeros((len(c2ws), 4), dtype=np.int32)
    move_norm_valid = 0.0001
    for i in range(1, len(c2ws)):
        move_dirs = relative_c2w[i, :3, 3]
        move_norms = np.linalg.norm(move_dirs)
        if move_norms > move_norm_valid:
            trans_angles_deg = np.arccos((move_dirs / move_norms).clip(-1.0, 1.0)) * 180 / math.pi
        else:
            trans_angles_deg = np.zeros(3)
        rot_angles_deg = Rotation.from_matrix(relative_c2w[i, :3, :3]).as_euler("xyz", degrees=True)
        if move_norms > move_norm_valid:
            if trans_angles_deg[2] < 60:
                trans_one_hot[i, 0] = 1  # forward
            elif trans_angles_deg[2] > 120:
                trans_one_hot[i, 1] = 1  # backward
            if trans_angles_deg[0] < 60:
                trans_one_hot[i, 2] = 1  # right
            elif trans_angles_deg[0] > 120:
                trans_one_hot[i, 3] = 1  # left
        if rot_angles_deg[1] > 5e-2:
            rotate_one_hot[i, 0] = 1  # right
        elif rot_angles_deg[1] < -5e-2:
            rotate_one_hot[i, 1] = 1  # left
        if rot_angles_deg[0] > 5e-2:
            rotate_one_hot[i, 2] = 1  # up
        elif rot_angles_deg[0] < -5e-2:
            rotate_one_hot[i, 3] = 1  # down
    return c2ws, np.array(intrinsic_list), trans_one_hot, rotate_one_hot


# --- GEN3C: nv-tlabs/GEN3C @ db2ffe1, cosmos_predict1/diffusion/inference/camera_utils.py
# (look_at_matrix, create_horizontal_trajectory, create_spiral_trajectory,
# generate_camera_trajectory), with the initial w2c the identity.
def look_at_matrix(camera_pos, target, invert_pos=True):
    forward = target - camera_pos
    forward = forward / np.linalg.norm(forward)
    up = np.array([0.0, 1.0, 0.0])
    right = np.cross(up, forward)
    right = right / np.linalg.norm(right)
    up = np.cross(forward, right)
    look_at = np.eye(4)
    look_at[0, :3], look_at[1, :3], look_at[2, :3] = right, up, forward
    look_at[:3, 3] = (-camera_pos) if invert_pos else camera_pos
    return look_at


def _view(pos, look_at, camera_rotation):
    target = {"trajectory_aligned": look_at + pos * 2, "center_facing": look_at,
              "no_rotation": look_at + pos}[camera_rotation]  # fmt: skip
    return look_at_matrix(pos, target)


def generate_camera_trajectory(trajectory_type, num_frames, movement_distance, camera_rotation,
                               center_depth=1.0):  # fmt: skip
    look_at = np.array([0.0, 0.0, center_depth])
    trajectory = []
    if trajectory_type in ["clockwise", "counterclockwise"]:
        positive = trajectory_type == "clockwise"
        for i in range(num_frames):
            theta = 2 * math.pi * 1 * i / (num_frames - 1)
            x = movement_distance * (math.cos(theta) - 1) * (1 if positive else -1) * center_depth
            y = movement_distance * math.sin(theta) * center_depth
            trajectory.append(_view(np.array([x, y, 0.0]), look_at, camera_rotation))
        return np.array(trajectory)
    axis, positive = {"left": (0, False), "right": (0, True), "up": (1, False),
                      "down": (1, True), "zoom_in": (2, True),
                      "zoom_out": (2, False)}[trajectory_type]  # fmt: skip
    for i in range(num_frames):
        pos = np.zeros(3)
        pos[axis] = i * movement_distance * center_depth / num_frames * (1 if positive else -1)
        trajectory.append(_view(pos, look_at, camera_rotation))
    return np.array(trajectory)


def gen3c(args: tuple[str, ...], num_frames: int) -> np.ndarray:
    """Camera-to-world poses (N,4,4) relative to the first from the preset arguments, its MoGe
    units divided by the ASSUMED units per metre."""
    options = dict(zip(args[::2], args[1::2], strict=True))
    w2cs = generate_camera_trajectory(options["--trajectory"], num_frames,
                                      float(options["--movement_distance"]),
                                      options["--camera_rotation"])  # fmt: skip
    c2ws = np.linalg.inv(w2cs)
    relative = np.linalg.inv(c2ws[0]) @ c2ws
    relative[:, :3, 3] /= presets.GEN3C_UNITS_PER_METRE  # ASSUMED
    return relative
