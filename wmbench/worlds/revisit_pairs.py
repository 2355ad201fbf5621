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
from wmbench.evaluators.revisit import find_revisits, pose_distances

MAX_PAIRS = 5  # per scene, as eval_unified.py's max_pairs_per_scene
PAIR_DISTANCE_M = 0.3
PAIR_ANGLE_DEG = 20.0
MIN_SEPARATION_S = 4.0  # the camera must have been away this long
MAX_CANDIDATES = 961  # frames compared pairwise (N x N arrays): a 60 s path at 16 fps


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
