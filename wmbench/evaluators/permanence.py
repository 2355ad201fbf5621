"""``permanence``: does a region seen on the first visit have the same shape and appearance on
return? Weight-free, on the revisits of :mod:`wmbench.evaluators.revisit_geometry`.

For each revisit the first-visit frame is warped into the second view by the estimated
geometry: the reconstruction's first-visit 3D points are projected into the second frame
and their depths interpolated into a dense depth map there (linear inside their hull, nearest
outside), which lifts every second-visit pixel and sends it into the first view
(:func:`wmbench.evaluators.revisit.source_coordinates`, :func:`~wmbench.evaluators.revisit.
warp_into_later`). The second view is cut into square regions of ``TILE`` of its short side;
each region the warp covers (``MIN_COVER``) and that has texture in either view is compared in
grey levels: its dissimilarity is 1 - the zero-mean normalised cross-correlation (0 the same
shape and shading, 1 unrelated; a region textured in one view and flat in the other counts 1).
A global gain, offset or a blur of both views barely moves it; a moved, removed, reshaped or
retextured object does.

Per revisit: ``permanence_changed_fraction``, the share of regions whose dissimilarity exceeds
``CHANGED``; ``permanence_dissimilarity``, the mean over regions; and
``permanence_worst_region``, the largest. Per case the mean over revisits.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import griddata

from wmbench.evaluators.base import EvalInput, EvalResult, MetricSpec
from wmbench.evaluators.local_control import CameraPoses
from wmbench.evaluators.revisit import source_coordinates, warp_into_later
from wmbench.evaluators.revisit_geometry import RevisitScene, case_revisits, per_revisit_result

TILE = 1 / 6  # of the short side
MIN_COVER = 0.9  # share of a region the warp must cover
FLAT_DN = 2.0  # grey-level standard deviation under which a region is flat
CHANGED = 0.5  # dissimilarity above which a region counts as changed
MIN_POINTS = 8
METRICS = ("permanence_changed_fraction", "permanence_dissimilarity", "permanence_worst_region")


def second_view_depth(scene: RevisitScene, size: tuple[int, int]) -> np.ndarray | None:
    """Dense z-depth (H, W) of the second view from the first visit's points (None with fewer
    than ``MIN_POINTS`` in front of it)."""
    width, height = size
    pixels, depth = scene.project_into_second(scene.first_points)
    inside = (depth > 0) & np.all(np.isfinite(pixels), axis=1)
    if inside.sum() < MIN_POINTS:
        return None
    pixels, depth = pixels[inside], depth[inside]
    grid = tuple(np.meshgrid(np.arange(width, dtype=float), np.arange(height, dtype=float)))
    dense = griddata(pixels, depth, grid, method="linear")
    holes = ~np.isfinite(dense)
    dense[holes] = griddata(pixels, depth, (grid[0][holes], grid[1][holes]), method="nearest")
    return dense


def warp_first_into_second(
    scene: RevisitScene, first: np.ndarray, second_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The first frame seen from the second camera and the mask of pixels it covers."""
    height, width = second_shape
    depth = second_view_depth(scene, (width, height))
    if depth is None:
        return None
    second_to_first = np.linalg.inv(scene.first_c2w) @ scene.second_c2w
    map_x, map_y, _ = source_coordinates(scene.K, scene.K, second_to_first, depth, (width, height))
    return warp_into_later(first, map_x, map_y)


def _grey(frame: np.ndarray) -> np.ndarray:
    return frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def region_dissimilarity(warped: np.ndarray, second: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1 - ZNCC of grey levels per covered, textured region (R,) (see the module)."""
    a, b = _grey(warped), _grey(second)
    height, width = mask.shape
    side = max(4, round(TILE * min(height, width)))
    values = []
    for top in range(0, height - side + 1, side):
        for left in range(0, width - side + 1, side):
            window = (slice(top, top + side), slice(left, left + side))
            if mask[window].mean() < MIN_COVER:
                continue
            x, y = a[window].ravel(), b[window].ravel()
            spread_x, spread_y = x.std(), y.std()
            if spread_x < FLAT_DN and spread_y < FLAT_DN:
                continue
            if min(spread_x, spread_y) < FLAT_DN:
                values.append(1.0)
                continue
            correlation = ((x - x.mean()) * (y - y.mean())).mean() / (spread_x * spread_y)
            values.append(float(np.clip(1.0 - correlation, 0.0, 1.0)))
    return np.array(values)


def revisit_permanence(scene: RevisitScene, first: np.ndarray, second: np.ndarray) -> tuple:
    """(changed fraction, mean dissimilarity, worst region) of one revisit (NaN when the warp
    or the regions are missing)."""
    warped = warp_first_into_second(scene, first, second.shape[:2])
    if warped is None:
        return (float("nan"),) * 3
    values = region_dissimilarity(warped[0], second, warped[1])
    if not len(values):
        return (float("nan"),) * 3
    return float((values > CHANGED).mean()), float(values.mean()), float(values.max())


class Permanence(CameraPoses):
    """Object permanence on return (see the module); takes the ``camera`` evaluator's options
    and shares its poses and the revisits per case."""

    name = "permanence"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        what = ("regions of the second visit compared with the first visit warped there by the "
                "annotator's geometry")  # fmt: skip
        return [
            MetricSpec("permanence_changed_fraction", False, "", f"share of {what} whose "
                       f"dissimilarity (1 - ZNCC) exceeds {CHANGED:g}"),
            MetricSpec("permanence_dissimilarity", False, "", f"mean 1 - ZNCC of {what}"),
            MetricSpec("permanence_worst_region", False, "", f"largest 1 - ZNCC of {what}"),
        ]  # fmt: skip

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        revisits = case_revisits(self, inputs)
        rows = [
            revisit_permanence(s, revisits.frames[s.first], revisits.frames[s.second])
            for s in revisits.scenes
        ]
        return per_revisit_result(METRICS, rows, revisits.scenes)
