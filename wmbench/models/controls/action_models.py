"""Action compilers for Matrix-Game 3.0, Infinite-World and YUME (see actions.py for the axes)."""

from __future__ import annotations

import json
import math

import numpy as np

from wmbench.core.errors import InputError
from wmbench.models.controls.actions import (
    FORWARD,
    PITCH,
    RIGHT,
    YAW,
    Alphabet,
    PathState,
    apply,
    integrate,
    period_targets,
    quantise,
    ternary,
)
from wmbench.models.controls.record import ErrorBound, NativeControl

# Matrix-Game 3.0 (SkyworkAI/Matrix-Game @ 20e033e, Matrix-Game-3/generate.py --interactive,
# pipeline/inference_interactive_pipeline.py get_current_action, utils/utils.py): per iteration
# (57 frames, then 40 each) one mouse key of I K J L U and one keyboard key of W S A D Q read from
# standard input; a mouse key moves 0.1 x 15 = 1.5 degrees per frame, a movement key 12.35
# units x 0.01 (get_extrinsics) = 0.1235 m per frame. The pipeline's own extrinsics turn right on
# L and tilt the camera down on I (get_extrinsics pitches about its y axis), so I is pitch -1.5.
MG3_TURN_DEG = 1.5
MG3_STEP_M = 0.1235
MG3_FIRST, MG3_NEXT = 57, 40
MG3_MOUSE = Alphabet(
    ("u", "l", "j", "k", "i"),
    np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]], dtype=np.float64) * MG3_TURN_DEG,
    (YAW, PITCH),
)
MG3_KEYS = Alphabet(
    ("q", "w", "s", "d", "a"),
    np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]], dtype=np.float64) * MG3_STEP_M,
    (FORWARD, RIGHT),
)


def matrix_game_3_frames(minimum: int) -> int:
    """57 + 40 (n - 1) frames for the smallest n covering ``minimum``."""
    return MG3_FIRST + MG3_NEXT * max(0, math.ceil((minimum - MG3_FIRST) / MG3_NEXT))


def matrix_game_3(c2w: np.ndarray) -> NativeControl:
    """Standard input for ``generate.py --interactive``: a mouse line and a key line per
    iteration, for poses (N,4,4) with N = 57 + 40 (n - 1)."""
    iterations = (len(c2w) - MG3_FIRST) // MG3_NEXT + 1
    lengths = np.array([MG3_FIRST] + [MG3_NEXT] * (iterations - 1))
    lengths[-1] -= 1  # the last iteration's final step lands after the last frame
    state = PathState.of(c2w)
    targets = period_targets(state.increments, lengths)
    mouse, keys = quantise(targets, lengths, MG3_MOUSE), quantise(targets, lengths, MG3_KEYS)
    effects = np.zeros_like(state.increments)
    apply(mouse, lengths, MG3_MOUSE, effects)
    apply(keys, lengths, MG3_KEYS, effects)
    stdin = "".join(
        f"{MG3_MOUSE.names[m]}\n{MG3_KEYS.names[k]}\n" for m, k in zip(mouse, keys, strict=True)
    )
    return NativeControl(
        files={"actions.txt": stdin.encode()},
        expressed=integrate(effects, c2w[0]),
        stdin=stdin,
        details={"iterations": iterations, "turn_deg_per_frame": MG3_TURN_DEG,
                 "step_m_per_frame": MG3_STEP_M},
    )  # fmt: skip


# Infinite-World (MeiGen-AI/Infinite-World @ 272478e, scripts/infworld_inference.py): an action
# JSON per video, [{"move": ..., "view": ...}, ...], one entry per frame, names from
# MOVE_ACTION_MAP / VIEW_ACTION_MAP; 13 chunks of 80 frames after the first (1041 frames). The
# repository defines no step per action (its labels come from thresholded pose changes), so the
# compiler takes the path's own peak rates as the steps and reports them.
INFWORLD_FRAMES = 1 + 13 * 80
INFWORLD_MOVES = {
    (0, 0): "no-op", (1, 0): "go forward", (-1, 0): "go back", (0, -1): "go left",
    (0, 1): "go right", (1, -1): "go forward and go left", (1, 1): "go forward and go right",
    (-1, -1): "go back and go left", (-1, 1): "go back and go right",
}  # fmt: skip
INFWORLD_VIEWS = {
    (0, 0): "no-op", (0, 1): "turn up", (0, -1): "turn down", (-1, 0): "turn left",
    (1, 0): "turn right", (-1, 1): "turn up and turn left", (1, 1): "turn up and turn right",
    (-1, -1): "turn down and turn left", (1, -1): "turn down and turn right",
}  # fmt: skip


def infinite_world_frames(minimum: int) -> int:
    """Infinite-World's script always writes 1041 frames."""
    if minimum > INFWORLD_FRAMES:
        raise InputError(
            "infinite-world", "frames", f"at most {INFWORLD_FRAMES} frames", str(minimum)
        )
    return INFWORLD_FRAMES


def infinite_world(c2w: np.ndarray) -> NativeControl:
    """The per-frame action JSON for poses (N,4,4), steps = the path's peak rates."""
    state = PathState.of(c2w)
    turn = float(np.abs(state.increments[:, [YAW, PITCH]]).max())
    step = float(np.abs(state.increments[:, [FORWARD, RIGHT]]).max())
    views = ternary(INFWORLD_VIEWS, (YAW, PITCH), (turn, turn))
    moves = ternary(INFWORLD_MOVES, (FORWARD, RIGHT), (step, step))
    lengths = np.ones(len(state.increments), dtype=int)
    view, move = (
        quantise(state.increments, lengths, views),
        quantise(state.increments, lengths, moves),
    )
    effects = np.zeros_like(state.increments)
    apply(view, lengths, views, effects)
    apply(move, lengths, moves, effects)
    actions = [
        {"move": moves.names[m], "view": views.names[v]} for m, v in zip(move, view, strict=True)
    ]
    actions.append({"move": "no-op", "view": "no-op"})  # one entry per frame
    return NativeControl(
        files={"actions.json": json.dumps(actions, indent=1).encode()},
        expressed=integrate(effects, c2w[0]),
        bound=per_frame_bound(state, effects, turn, step),
        details={"turn_deg_per_frame": turn, "step_m_per_frame": step},
    )


def per_frame_bound(state: PathState, effects: np.ndarray, turn: float, step: float) -> ErrorBound:
    """How far per-frame ternary keys with steps at the path's peak rates can stray.

    Error feedback keeps every axis's running sum within half a step of the request, so yaw
    and pitch each err by at most turn / 2 and roll is never expressed. For the centre, with
    E the heading-frame residual (at most step / sqrt(2)), summation by parts gives
    |err| <= step / sqrt(2) * (1 + sum |d yaw_expressed| in rad) + yaw error (rad) * horizontal
    path length + the vertical distance travelled (|Ry(a) v - Ry(b) v| <= |a - b| |v|)."""
    yaw_error = turn / 2
    rotation = yaw_error + turn / 2 + float(np.abs(state.angles[:, 2]).max())
    horizontal = float(np.linalg.norm(state.increments[:, [FORWARD, RIGHT]], axis=1).sum())
    turning = float(np.deg2rad(np.abs(effects[:, YAW]).sum()))
    translation = (
        step / math.sqrt(2) * (1 + turning)
        + np.deg2rad(yaw_error) * horizontal
        + float(np.abs(state.vertical).sum())
    )
    return ErrorBound(rotation_deg=rotation, translation_m=float(translation))


# YUME (stdstu12/YUME @ 111c3fa, scripts/inference/sample_image.sh -> fastvideo/sample/sample.py
# with --jpg_dir and --caption_path): one caption line per 32 generated frames (2 s at 16 fps):
# the scene text, a key sentence and a mouse sentence from sample.py's vocab_k / vocab_c, then the
# magnitudes as fastvideo/dataset/t2v_datasets.py writes them from calculate_metrics_in_range
# (speed x 100, turn of the travel direction, turn of the view; per frame, fps=30 as there).
YUME_SEGMENT = 32
YUME_KEYS = {
    (1, 0): "Person moves forward (W).",
    (0, -1): "Person moves left (A).",
    (-1, 0): "Person moves backward (S).",
    (0, 1): "Person moves right (D).",
    (1, -1): "Person moves forward and left (W+A).",
    (1, 1): "Person moves forward and right (W+D).",
    (-1, 1): "Person moves backward and right (S+D).",
    (-1, -1): "Person moves backward and left (S+A).",
    (0, 0): "Person stands still (·).",
}
YUME_MOUSE = {
    (1, 0): "Camera turns right (→).",
    (-1, 0): "Camera turns left (←).",
    (0, 1): "Camera tilts up (↑).",
    (0, -1): "Camera tilts down (↓).",
    (1, 1): "Camera tilts up and turns right (↑→).",
    (-1, 1): "Camera tilts up and turns left (↑←).",
    (1, -1): "Camera tilts down and turns right (↓→).",
    (-1, -1): "Camera tilts down and turns left (↓←).",
    (0, 0): "Camera remains still (·).",
}


def yume_frames(minimum: int) -> int:
    """Whole 32-frame segments covering ``minimum`` frames."""
    return YUME_SEGMENT * math.ceil(minimum / YUME_SEGMENT)


def yume(c2w: np.ndarray, scene: str) -> NativeControl:
    """caption.txt for poses (N,4,4), N a multiple of 32: per segment the key and mouse
    direction nearest the requested motion (with what earlier segments left undone) and its
    magnitude, held constant over the segment."""
    state = PathState.of(c2w)
    lengths = np.full(len(c2w) // YUME_SEGMENT, YUME_SEGMENT)
    lengths[-1] -= 1
    targets = period_targets(state.increments, lengths)
    effects = np.zeros_like(state.increments)
    keys = _directions(targets[:, [FORWARD, RIGHT]], lengths, effects, (FORWARD, RIGHT))
    mouse = _directions(targets[:, [YAW, PITCH]], lengths, effects, (YAW, PITCH))
    expressed = integrate(effects, c2w[0])
    lines = []
    for segment, (key, view) in enumerate(zip(keys, mouse, strict=True)):
        frames = expressed[segment * YUME_SEGMENT : (segment + 1) * YUME_SEGMENT + 1]
        speed, travel_turn, view_turn = yume_magnitudes(frames)
        lines.append(
            f"{scene}{YUME_KEYS[key]}{YUME_MOUSE[view]}Actual distance moved:{speed * 100}"
            f" at 100 meters per second.Angular change rate (turn speed):{travel_turn}."
            f"View rotation speed:{view_turn}."
        )
    return NativeControl(
        files={"caption.txt": "\n".join(lines).encode()},
        expressed=expressed,
        details={"segments": len(lines)},
    )


def _directions(
    targets: np.ndarray, lengths: np.ndarray, effects: np.ndarray, axes: tuple[int, int]
) -> list[tuple[int, int]]:
    """Per segment the direction (a, b) in {-1, 0, 1}^2 and magnitude >= 0 whose motion lies
    nearest the target plus the carried residual; writes the per-frame effects on ``axes``."""
    options = [key for key in YUME_KEYS if key != (0, 0)]
    units = np.array(options, dtype=np.float64)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    edges = np.concatenate([[0], np.cumsum(lengths)])
    residual, chosen = np.zeros(2), []
    for segment, target in enumerate(targets):
        residual = residual + target
        projections = units @ residual
        best = int(np.argmax(projections))
        amount = units[best] * projections[best] if projections[best] > 0 else np.zeros(2)
        chosen.append(options[best] if projections[best] > 0 else (0, 0))
        residual = residual - amount
        effects[edges[segment] : edges[segment + 1], list(axes)] = amount / lengths[segment]
    return chosen


def yume_magnitudes(c2w: np.ndarray, fps: float = 30.0) -> tuple[float, float, float]:
    """calculate_metrics_in_range of fastvideo/sample/sample.py on one segment (stride 1): mean
    speed (m/s), mean angle between successive steps and between successive view axes (deg)."""
    positions, axes = c2w[:, :3, 3], c2w[:, :3, 2]
    steps, travel = [], []
    for i in range(len(positions) - 2):
        v1, v2 = positions[i + 1] - positions[i], positions[i + 2] - positions[i + 1]
        if np.linalg.norm(v1) < 1e-6 or np.linalg.norm(v2) < 1e-6:
            continue
        cosine = v1 @ v2 / (np.linalg.norm(v1) * np.linalg.norm(v2))
        steps.append(v1)
        travel.append(math.degrees(math.acos(float(np.clip(cosine, -1.0, 1.0)))))
    view = [
        math.degrees(math.acos(float(np.clip(axes[i] @ axes[i + 1], -1.0, 1.0))))
        for i in range(len(axes) - 1)
    ]
    end = len(c2w) - 1
    steps, travel, view = steps[: end - 2], travel[: end - 2], view[: end - 1]
    if not steps:
        return 0.0, 0.0, 0.0
    speed = float(np.mean([np.linalg.norm(v) for v in steps])) * fps
    return speed, float(np.mean(travel)), float(np.mean(view))
