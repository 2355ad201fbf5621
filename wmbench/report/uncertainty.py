"""Uncertainty of measured means: seeded percentile-bootstrap intervals over cases, and the
paired difference of two models on the cases both ran.

A leaderboard mean over 80 scenes is a sample: the interval says how far another draw of
scenes could move it. The bootstrap resamples the cases with replacement ``resamples`` times
(all resamples drawn at once, one ``(resamples, n)`` index array) and takes the 2.5 and 97.5
percentiles of the resampled means. The paired difference resamples the shared cases' per-case
differences, so the scene-to-scene spread both models share cancels.
:func:`naive_bootstrap_interval` is the plain loop the vectorised one is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
SEED = 0
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean over ``count`` cases with its bootstrap interval ``[low, high]`` at ``level``;
    ``low``/``high`` are NaN when there are fewer than two cases. ``error`` is the bootstrap
    standard error (std of the resampled means), the noise unit of regression thresholds."""

    mean: float
    low: float
    high: float
    count: int
    error: float
    level: float = LEVEL
    resamples: int = RESAMPLES
    seed: int = SEED

    @property
    def defined(self) -> bool:
        return not math.isnan(self.low)

    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of 0 (a difference the cases resolve)."""
        return self.defined and (self.low > 0 or self.high < 0)


def _finite(values: np.ndarray | list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def _interval(data: np.ndarray, means: np.ndarray | None, level: float, resamples: int,
              seed: int) -> Interval:  # fmt: skip
    mean = float(data.mean()) if len(data) else math.nan
    if means is None:
        return Interval(mean, math.nan, math.nan, len(data), math.nan, level, resamples, seed)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    error = float(means.std(ddof=1))
    return Interval(mean, float(low), float(high), len(data), error, level, resamples, seed)


def bootstrap_interval(
    values: np.ndarray | list[float],
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Interval:
    """The mean of the finite ``values`` and its percentile-bootstrap interval (all resamples
    drawn in one ``(resamples, n)`` index array from ``numpy.random.default_rng(seed)``)."""
    data = _finite(values)
    if len(data) < 2:
        return _interval(data, None, level, resamples, seed)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(data), size=(resamples, len(data)))
    return _interval(data, data[indices].mean(axis=1), level, resamples, seed)


def naive_bootstrap_interval(
    values: np.ndarray | list[float],
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Interval:
    """:func:`bootstrap_interval` as a plain loop, one resample at a time, drawing the same
    indices (the reference the vectorised one is tested against)."""
    data = _finite(values)
    if len(data) < 2:
        return _interval(data, None, level, resamples, seed)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(data), size=(resamples, len(data)))
    means = np.empty(resamples)
    for row in range(resamples):
        total = 0.0
        for index in indices[row]:
            total += data[index]
        means[row] = total / len(data)
    return _interval(data, means, level, resamples, seed)


def paired_difference(
    base: dict[str, float],
    new: dict[str, float],
    level: float = LEVEL,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Interval:
    """``new - base`` over the cases both hold a finite value for (keys: case ids), as the
    bootstrap interval of the mean per-case difference."""
    shared = sorted(
        case for case in base.keys() & new.keys()
        if math.isfinite(base[case]) and math.isfinite(new[case])
    )  # fmt: skip
    differences = np.array([new[case] - base[case] for case in shared], dtype=np.float64)
    return bootstrap_interval(differences, level, resamples, seed)


def method_note(resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL) -> str:
    """How the intervals were computed, for the report's text."""
    return (
        f"[low, high]: {level:.0%} percentile-bootstrap interval of the mean over cases "
        f"({resamples} resamples of the cases with replacement, numpy default_rng seed {seed}); "
        "none with fewer than two cases"
    )
