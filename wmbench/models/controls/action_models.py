"""Action compilers for Matrix-Game 3.0 and Infinite-World (see actions.py for the axes)."""

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
from wmbench.models.controls.record import NativeControl, Scale

# Matrix-Game 3.0 (SkyworkAI/Matrix-Game @ 20e033e, Matrix-Game-3/generate.py --interactive,
# pipeline/inference_interactive_pipeline.py get_current_action, utils/utils.py): per iteration
# (57 frames, then 40 each) one mouse key of I K J L U and one keyboard key of W S A D Q read from
# standard input; a mouse key moves 0.1 x 15 = 1.5 degrees per frame, a movement key 12.35
# units x 0.01 (get_extrinsics) = 0.1235 per frame, taken as metres.
#
# Pitch: I sends mouse [+0.1, 0] and K [-0.1, 0]. Four readings in the repositories say [+, 0] is
# up: get_current_action prints "I: up, K: down"; utils/visualize.py parse_config negates
# mouse[0] so the drawn cursor rises on I; Matrix-Game 1 / 2's condition files (the action
# encoding this model family was trained with, same CAM_VALUE 0.1 and [pitch, yaw] layout) name
# [CAM_VALUE, 0] "camera_up". One says down: get_extrinsics, which builds the Plucker rays at
# inference from the same actions, pitches the forward axis towards -z for positive pitch. That
# function's yaw agrees with the labels (L turns right) and the repository's own benchmark action
# sets leave camera_up / camera_down commented out, so its pitch branch is the one path no shipped
# example exercises. wmbench follows the action labels the model was trained on: I is pitch +1.5
# (up). A real pitch-up generation settles it; the run records the choice (details).
MG3_TURN_DEG = 1.5
MG3_STEP_M = 0.1235
MG3_FIRST, MG3_NEXT = 57, 40
MG3_SCALE = Scale(100.0, "get_extrinsics multiplies its pose units by 0.01; those are taken as "
                  "metres", assumed=True)  # fmt: skip
MG3_MOUSE = Alphabet(
    ("u", "l", "j", "k", "i"),
    np.array([[0, 0], [1, 0], [-1, 0], [0, -1], [0, 1]], dtype=np.float64) * MG3_TURN_DEG,
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
                 "step_m_per_frame": MG3_STEP_M, "pitch_reading": "I = up (action labels)"},
        scale=MG3_SCALE,
    )  # fmt: skip


# Infinite-World (MeiGen-AI/Infinite-World @ 272478e, scripts/infworld_inference.py): an action
# JSON per video, [{"move": ..., "view": ...}, ...], one entry per frame, names from
# MOVE_ACTION_MAP / VIEW_ACTION_MAP; NUM_CHUNKS chunks of 80 frames after the first (13 in the
# script: 1041 frames). Its examples (assets/example_case/*.json) hold one action for runs of 81
# frames or more. The repository defines no rate per action (its labels come from thresholded
# pose changes), so wmbench assumes one: a held "go forward" walks 1 m/s and a held turn turns
# 30 deg/s at its 30 fps. The compiler holds each action for runs of ``hold`` frames, so a slower
# request becomes on / off runs and the expressed path shows what that costs.
INFWORLD_CHUNK = 80
INFWORLD_HOLD = 20
INFWORLD_STEP_M = 1.0 / 30
INFWORLD_TURN_DEG = 1.0
INFWORLD_SCALE = Scale(1.0, "a held 'go forward' is assumed to walk 1 m/s (1/30 m per frame); "
                       "the repository gives actions no rate", assumed=True)  # fmt: skip
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
    """1 + 80 k frames (k >= 1 chunks) covering ``minimum``."""
    return 1 + INFWORLD_CHUNK * max(1, math.ceil((minimum - 1) / INFWORLD_CHUNK))


def runs(frames: int, hold: int) -> np.ndarray:
    """Lengths of consecutive runs of ``hold`` frames covering ``frames`` (the last shorter)."""
    lengths = np.full(frames // hold, hold)
    return np.append(lengths, frames % hold) if frames % hold else lengths


def infinite_world(c2w: np.ndarray, hold: int = INFWORLD_HOLD) -> NativeControl:
    """The per-frame action JSON for poses (N,4,4): each action held for ``hold`` frames, at
    the assumed rates (INFWORLD_STEP_M, INFWORLD_TURN_DEG per frame)."""
    if hold < 1:
        raise InputError("infinite-world", "hold", "a run length of at least 1 frame", str(hold))
    state = PathState.of(c2w)
    lengths = runs(len(state.increments), hold)
    targets = period_targets(state.increments, lengths)
    views = ternary(INFWORLD_VIEWS, (YAW, PITCH), (INFWORLD_TURN_DEG, INFWORLD_TURN_DEG))
    moves = ternary(INFWORLD_MOVES, (FORWARD, RIGHT), (INFWORLD_STEP_M, INFWORLD_STEP_M))
    view, move = quantise(targets, lengths, views), quantise(targets, lengths, moves)
    effects = np.zeros_like(state.increments)
    apply(view, lengths, views, effects)
    apply(move, lengths, moves, effects)
    per_frame = zip(np.repeat(move, lengths), np.repeat(view, lengths), strict=True)
    actions = [{"move": moves.names[m], "view": views.names[v]} for m, v in per_frame]
    actions.append({"move": "no-op", "view": "no-op"})  # one entry per frame
    return NativeControl(
        files={"actions.json": json.dumps(actions, indent=1).encode()},
        expressed=integrate(effects, c2w[0]),
        details={"hold_frames": hold, "turn_deg_per_frame": INFWORLD_TURN_DEG,
                 "step_m_per_frame": INFWORLD_STEP_M},
        scale=INFWORLD_SCALE,
    )  # fmt: skip
