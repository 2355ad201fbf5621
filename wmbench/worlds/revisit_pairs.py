"""SANA-WM-Bench ``evaluation_pairs`` for a path that returns to a viewpoint: the frames
(frame_a earlier, frame_b later, at 16 fps) where the camera comes back, as the benchmark's
``scene_trajectories_v2.json`` lists them per scene.

Format read from NVlabs/Sana's ``tools/metrics/sana_wm/eval_unified.py`` (public fork
HaoyiZhu/NVlabs-Sana, commit 006a401): ``{"scenes": [{"scene_id", "prompt", ...,
"evaluation_pairs": [{"frame_a", "frame_b", "distance_m", "angle_diff_deg",
"quality_score"}, ...]}]}``; the scorer sorts a scene's pairs by ascending ``quality_score``,
keeps the first 5 and compares the two generated frames (PSNR, SSIM, LPIPS). How the real
dataset computes ``quality_score`` is not in those scripts: here it is the revisit evaluator's
closeness (distance / limit + angle / limit, lower is closer)."""

from __future__ import annotations

import numpy as np

from wmbench.core.types import Trajectory

MAX_PAIRS = 5  # per scene, as eval_unified.py's max_pairs_per_scene
PAIR_DISTANCE_M = 0.3
PAIR_ANGLE_DEG = 20.0
MIN_SEPARATION_S = 4.0  # the camera must have been away this long
MAX_CANDIDATES = 961  # frames compared pairwise (N x N arrays): a 60 s path at 16 fps


def pose_distances(c2w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise camera-centre distances (N, N) and relative rotation angles (N, N) in degrees."""
    centres = c2w[:, :3, 3]
    distance = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    rotations = c2w[:, :3, :3].reshape(len(c2w), 9)
    cosine = np.clip((rotations @ rotations.T - 1.0) / 2.0, -1.0, 1.0)  # (tr(Ri^T Rj) - 1) / 2
    return distance, np.degrees(np.arccos(cosine))


def find_revisits(
    c2w: np.ndarray, max_distance_m: float, max_angle_deg: float, block_rows: int = 256
) -> np.ndarray:
    """(earlier, later) frame pairs (K, 2): for each later frame j, the earlier frame i closest
    to it (distance / max_distance_m + angle / max_angle_deg) among those within both limits
    of j and left by the camera (a frame between them lies outside the limits of i).

    Computed ``block_rows`` earlier frames at a time, so memory is (block_rows, N), not
    (N, N): a 10-minute path (9,601 frames) would otherwise need gigabytes. Ties go to the
    earliest frame, as one argmin over the whole column would."""
    count = len(c2w)
    centres = c2w[:, :3, 3]
    rotations = c2w[:, :3, :3].reshape(count, 9)
    columns = np.arange(count)
    best = np.full(count, np.inf)
    best_row = np.zeros(count, dtype=int)
    for first in range(0, count, block_rows):
        rows = np.arange(first, min(first + block_rows, count))
        distance = np.linalg.norm(centres[rows, None] - centres[None], axis=-1)
        cosine = np.clip((rotations[rows] @ rotations.T - 1.0) / 2.0, -1.0, 1.0)
        angle = np.degrees(np.arccos(cosine))
        close = (distance <= max_distance_m) & (angle <= max_angle_deg)
        departed = ~close & (columns[None, :] > rows[:, None])
        left_at = np.where(departed.any(axis=1), departed.argmax(axis=1), count)
        valid = close & (columns[None, :] > left_at[:, None])
        score = np.where(valid, distance / max_distance_m + angle / max_angle_deg, np.inf)
        block_best = score.argmin(axis=0)
        block_score = score[block_best, columns]
        better = block_score < best
        best[better] = block_score[better]
        best_row[better] = rows[block_best[better]]
    targets = np.flatnonzero(np.isfinite(best))
    return np.stack([best_row[targets], targets], axis=1).reshape(-1, 2)


def evaluation_pairs(trajectory: Trajectory, max_pairs: int = MAX_PAIRS) -> list[dict]:
    """Up to ``max_pairs`` revisit pairs of ``trajectory`` (at most one per later frame and at
    least ``MIN_SEPARATION_S`` apart), the closest first, spread over the clip: among the
    candidates each next pair is the closest one at least ``len / (2 * max_pairs)`` frames
    from the later frames already taken. Empty for paths that never come back. A path longer
    than :data:`MAX_CANDIDATES` frames (a 10-minute one) is searched on every ``stride``-th
    frame, the fewest that keep at most that many, so its pairs fall on that grid."""
    stride = -(-len(trajectory.c2w) // MAX_CANDIDATES)
    c2w = trajectory.c2w[::stride]
    distance, angle = pose_distances(c2w)
    pairs = find_revisits(c2w, PAIR_DISTANCE_M, PAIR_ANGLE_DEG)
    apart = (pairs[:, 1] - pairs[:, 0]) * stride >= MIN_SEPARATION_S * trajectory.fps
    pairs = pairs[apart]
    a, b = pairs[:, 0], pairs[:, 1]
    quality = distance[a, b] / PAIR_DISTANCE_M + angle[a, b] / PAIR_ANGLE_DEG
    spacing = len(c2w) / (2 * max_pairs)
    chosen: list[int] = []
    for index in np.argsort(quality, kind="stable"):
        if len(chosen) == max_pairs:
            break
        if all(abs(int(b[index]) - int(b[other])) >= spacing for other in chosen):
            chosen.append(int(index))
    return [
        {
            "frame_a": int(a[i]) * stride,
            "frame_b": int(b[i]) * stride,
            "distance_m": round(float(distance[a[i], b[i]]), 4),
            "angle_diff_deg": round(float(angle[a[i], b[i]]), 3),
            "quality_score": round(float(quality[i]), 4),
        }
        for i in chosen
    ]
