"""Compiling a camera path into YUME's captions (stdstu12/YUME @ 111c3fa).

scripts/inference/sample_image.sh runs fastvideo/sample/sample.py with --jpg_dir and
--caption_path: one caption line per 32 generated frames, each the scene text, a key sentence and
a mouse sentence from sample.py's vocab_k / vocab_c, then the magnitudes as
fastvideo/dataset/t2v_datasets.py writes them from calculate_metrics_in_range over 33
consecutive frames of its 30 fps data: ``Actual distance moved:{speed * 100} at 100 meters per
second.`` (speed in the data's pose units per second), the mean turn of the travel direction and
of the view axis per frame (degrees). One model frame stands for one data frame, so the
magnitudes are computed per model frame at fps=30. The README keeps the values within 0.1-10 and
the shipped caption.txt writes 4.37 for its walking lines: wmbench reads that as a 1 m/s walk,
writes distances in those units and clips them to the range (a clipped segment moves less).

sample.py's input is the image repeated 16 times, then the image again (frame 16) and 32 empty
frames; it saves ``video_cat[:, -32:]`` per segment, so its video starts one frame after the
image: native frame 0 here is the image, the saved video holds native frames 1..32k.
"""

from __future__ import annotations

import math

import numpy as np

from wmbench.models.controls.actions import (
    FORWARD,
    PITCH,
    RIGHT,
    YAW,
    PathState,
    integrate,
    period_targets,
)
from wmbench.models.controls.record import NativeControl, Scale

YUME_SEGMENT = 32
YUME_DATA_FPS = 30.0
YUME_VALUE_PER_MPS = 4.3697374288015297  # caption.txt's walking lines, read as 1 m/s
YUME_RANGE = (0.1, 10.0)  # README: keep the magnitudes within 0.1 to 10
YUME_SCALE = Scale(YUME_VALUE_PER_MPS / 100, "caption.txt's walking lines (Actual distance "
                   "moved 4.37) read as a 1 m/s walk", assumed=True)  # fmt: skip
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
    """1 + 32 k native frames (frame 0 the image, k >= 1 segments) covering ``minimum``."""
    return 1 + YUME_SEGMENT * max(1, math.ceil((minimum - 1) / YUME_SEGMENT))


def yume(c2w: np.ndarray, scene: str) -> NativeControl:
    """caption.txt for poses (N,4,4), N = 32 k + 1: per segment the key and mouse direction
    nearest the requested motion (with what earlier segments left undone), held over it."""
    state = PathState.of(c2w)
    lengths = np.full((len(c2w) - 1) // YUME_SEGMENT, YUME_SEGMENT)
    targets = period_targets(state.increments, lengths)
    effects = np.zeros_like(state.increments)
    keys = _directions(targets[:, [FORWARD, RIGHT]], lengths, effects, (FORWARD, RIGHT))
    mouse = _directions(targets[:, [YAW, PITCH]], lengths, effects, (YAW, PITCH))
    values, clipped = [], 0
    for segment, key in enumerate(keys):
        rows = slice(segment * YUME_SEGMENT, (segment + 1) * YUME_SEGMENT)
        step = float(np.linalg.norm(effects[rows.start, [FORWARD, RIGHT]]))
        value = step * YUME_DATA_FPS * YUME_VALUE_PER_MPS
        written = float(np.clip(value, *YUME_RANGE))
        if key != (0, 0) and written != value:
            effects[rows, FORWARD] *= written / value
            effects[rows, RIGHT] *= written / value
            clipped += 1
        values.append(written)
    expressed = integrate(effects, c2w[0])
    lines = []
    for segment, (key, view) in enumerate(zip(keys, mouse, strict=True)):
        frames = expressed[segment * YUME_SEGMENT : (segment + 1) * YUME_SEGMENT + 1]
        _, travel_turn, view_turn = yume_magnitudes(frames)
        lines.append(
            f"{scene}{YUME_KEYS[key]}{YUME_MOUSE[view]}Actual distance moved:{values[segment]}"
            f" at 100 meters per second.Angular change rate (turn speed):{travel_turn}."
            f"View rotation speed:{view_turn}."
        )
    return NativeControl(
        files={"caption.txt": "\n".join(lines).encode()},
        expressed=expressed,
        details={"segments": len(lines), "clipped_segments": clipped},
        scale=YUME_SCALE,
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


def yume_magnitudes(c2w: np.ndarray, fps: float = YUME_DATA_FPS) -> tuple[float, float, float]:
    """calculate_metrics_in_range of fastvideo/sample/sample.py on one segment (stride 1): mean
    speed (per second at ``fps``), mean angle between successive steps and between successive
    view axes (degrees per frame)."""
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
    if not steps:  # as there: no position change in range, all three are 0
        return 0.0, 0.0, 0.0
    speed = float(np.mean([np.linalg.norm(v) for v in steps])) * fps
    return speed, float(np.mean(travel)), float(np.mean(view))
