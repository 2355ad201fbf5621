"""Scoring a case's estimated poses under every camera protocol, with each protocol's identity
(the estimator behind it) and failure policy; shared by the camera evaluator and ``rescore``.

Identity. A protocol whose publication names its estimator (:data:`PUBLISHED_ESTIMATOR`:
SANA-WM-Bench's Table 2 / Table 8 ran Pi3, ``eval_benchmark_poses.py`` of HaoyiZhu/NVlabs-Sana at
28bfab0) keeps its plain metric names (``rot_err_deg/sanawm``) only when computed from that
estimator's poses; from any other instrument the protocol is ``sanawm@<instrument>``
(``rot_err_deg/sanawm@pycolmap``), so a number never shares a published column's name unless it
was produced as the publisher produced it.

Failure policy. ``sanawm`` does what SANA's script does with a scene whose estimate fails
(``if pi3_res is None: print(...); continue``): it leaves the scene out of its means, and the
set metric ``failed_cases/<protocol>`` counts such scenes per model and split. Our own protocols
(``wmbench``, and ``cami2v`` / ``worldscore`` as wmbench computes them) keep penalising: a failed
estimate scores the static camera (:mod:`wmbench.evaluators.camera_metrics`).

Refined outputs (``first_frame`` 1): the per-frame protocols score frames 1.. of both paths;
``sanawm`` takes every 4th frame of the written video and drops the first sample (frame 0), as
the script does with Pi3's poses of the raw mp4.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from pose_pipeline.estimators import EstimatedPoses
from wmbench.core.errors import InputError
from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import MetricSpec, SetMetric, SetValue

SANAWM = "sanawm"
# protocol -> the estimator its publication ran (the instrument that makes a number comparable)
PUBLISHED_ESTIMATOR = {SANAWM: "pi3"}
SANAWM_METRICS = ("rot_err_deg", "trans_err_rel", "cammc_rel", "pose_failures")
SCENE_FAILED = "scene_failed"  # per-case series: 1 when the protocol left the scene out
SANAWM_PREFIX = "sanawm_estimate_"  # artefact keys of a separate sanawm estimate
INSTRUMENT_KEY = "instrument_sanawm"


def protocol_label(protocol: str, instrument: str) -> str:
    """``protocol`` when ``instrument`` is its publication's estimator (or it names none), else
    ``protocol@instrument``."""
    published = PUBLISHED_ESTIMATOR.get(protocol)
    return protocol if published in (None, instrument) else f"{protocol}@{instrument}"


def split_label(label: str) -> tuple[str, str]:
    """``sanawm@pycolmap`` -> (``sanawm``, ``pycolmap``); a plain label has instrument ""."""
    protocol, _, instrument = label.partition("@")
    return protocol, instrument


def placed(poses: EstimatedPoses, count: int, first: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Poses (count - first, 4, 4) of frames ``first..count-1`` (identity where absent), which
    exist (``valid``) and whether every frame was covered by the estimator."""
    size = count - first
    est = np.repeat(np.eye(4)[None], size, axis=0)
    valid, covered = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    inside = (poses.frame_index >= first) & (poses.frame_index < count)
    index, ok = poses.frame_index[inside] - first, poses.valid[inside]
    covered[index] = True
    est[index[ok]] = poses.c2w[inside][ok]
    valid[index[ok]] = True
    return est, valid, bool(covered.all())


def failed(poses: EstimatedPoses) -> bool:
    """Whether the estimate failed as a whole (SANA's ``pi3_res is None``)."""
    return bool(poses.failure) or not poses.valid.any()


def score_per_frame(
    poses: EstimatedPoses,
    requested: np.ndarray,
    fps: float,
    first: int,
    window_s: float = camera_metrics.DEFAULT_WINDOW_S,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """``cami2v``, ``worldscore`` and ``wmbench`` of frames ``first..`` (failures penalised);
    blank when the estimator does not give every frame."""
    est, valid, covered = placed(poses, len(requested), first)
    if covered:
        metrics, series = camera_metrics.score(est, requested[first:], valid, fps, window_s)
    else:
        metrics = dict.fromkeys(camera_metrics.PER_FRAME_METRICS, float("nan"))
        metrics["posed_fraction"] = float(valid.mean()) if len(valid) else 0.0
        series = {}
    if not poses.metric:
        metrics.pop("scale_factor/wmbench")
    return metrics, series


def score_sanawm(
    poses: EstimatedPoses, requested: np.ndarray, first: int, instrument: str
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """``sanawm`` metrics under ``sanawm`` or ``sanawm@<instrument>``: none (and the scene
    marked failed) when the estimate failed as a whole, as SANA's script skips the scene."""
    label = protocol_label(SANAWM, instrument)
    if failed(poses):
        return {}, {f"{SCENE_FAILED}/{label}": np.array(1.0)}
    est, valid, _ = placed(poses, len(requested), 0)
    metrics, series = camera_metrics.sanawm_score(est, requested, valid, refined=first > 0)
    rename = {f"{name}/{SANAWM}": f"{name}/{label}" for name in (*SANAWM_METRICS, "frame_index")}
    return (
        {rename.get(name, name): value for name, value in metrics.items()},
        {**{rename.get(name, name): value for name, value in series.items()},
         f"{SCENE_FAILED}/{label}": np.array(0.0)},
    )  # fmt: skip


def score_poses(
    poses: EstimatedPoses,
    requested: np.ndarray,
    fps: float,
    first: int,
    window_s: float = camera_metrics.DEFAULT_WINDOW_S,
    sanawm: EstimatedPoses | None = None,
    sanawm_instrument: str = "",
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Every protocol's metrics and series of a case: the per-frame protocols from ``poses``,
    ``sanawm`` from ``sanawm`` (default ``poses``) under ``sanawm_instrument`` (default the
    estimator of the poses it scores). ``requested`` is the path of every written frame."""
    metrics, series = score_per_frame(poses, requested, fps, first, window_s)
    source = sanawm if sanawm is not None else poses
    extra, extra_series = score_sanawm(
        source, requested, first, sanawm_instrument or source.estimator
    )
    return {**metrics, **extra}, {**series, **extra_series}


def saved_arrays(
    poses: EstimatedPoses,
    requested: np.ndarray,
    fps: float,
    first: int,
    window_s: float,
    sanawm: EstimatedPoses | None,
    sanawm_instrument: str,
) -> dict[str, np.ndarray]:
    """The ``poses`` artefact: the estimate(s) and everything :func:`score_saved` needs."""
    arrays = {
        **poses.to_arrays(),
        "requested_c2w": requested,
        "fps": np.array(fps),
        "first_frame": np.array(first),
        "window_s": np.array(window_s),
        INSTRUMENT_KEY: np.array(sanawm_instrument),
    }
    if sanawm is not None:
        arrays |= {SANAWM_PREFIX + key: value for key, value in sanawm.to_arrays().items()}
    return arrays


def score_saved(
    arrays: dict[str, np.ndarray], source: str | Path
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """:func:`score_poses` from a saved ``poses`` artefact (InputError naming ``source``).
    Artefacts written before ``first_frame`` existed hold ``refined`` instead."""
    for key in ("requested_c2w", "fps", "window_s"):
        if key not in arrays:
            raise InputError(source, key, "a poses artefact written by the camera evaluator")
    if "first_frame" in arrays:
        first = int(arrays["first_frame"])
    elif "refined" in arrays:
        first = int(bool(arrays["refined"]))
    else:
        raise InputError(source, "first_frame", "a poses artefact written by the camera evaluator")
    poses = EstimatedPoses.from_arrays(arrays, source)
    own = {k.removeprefix(SANAWM_PREFIX): v for k, v in arrays.items()
           if k.startswith(SANAWM_PREFIX)}  # fmt: skip
    sanawm = EstimatedPoses.from_arrays(own, source) if own else None
    instrument = str(arrays[INSTRUMENT_KEY]) if INSTRUMENT_KEY in arrays else ""
    return score_poses(
        poses, np.asarray(arrays["requested_c2w"], dtype=np.float64), float(arrays["fps"]), first,
        float(arrays["window_s"]), sanawm, instrument,
    )  # fmt: skip


class FailedCases(SetMetric):
    """``failed_cases/<label>``: how many scenes the protocol left out (its estimate failed)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.spec = MetricSpec(
            f"failed_cases/{label}", False, "cases", f"scenes whose pose estimate failed, left "
            f"out of the {label} means (SANA-WM-Bench's scripts skip them)",
        )  # fmt: skip
        self._flags: list[float] = []

    def update(self, series: Mapping[str, np.ndarray]) -> None:
        flag = series.get(f"{SCENE_FAILED}/{self.label}")
        if flag is not None:
            self._flags.append(float(np.asarray(flag)))

    def compute(self) -> SetValue:
        count = len(self._flags)
        return SetValue(float(sum(self._flags)) if count else None, count,
                        note=f"{int(sum(self._flags))} of {count} scenes")  # fmt: skip
