"""Set-level metrics of a run: one number per model and split from all its cases together, where a
mean over cases means nothing.

FVD (:mod:`wmbench.evaluators.fvd`): a model's per-case I3D clip features (``series.npz``) are
pooled per split and over all splits (``all``), and the Fréchet distance between its generated
and its ground-truth features is computed, with the number of clips in each set. Only cases
whose current result holds the fvd metrics count (failed cases, and cases where the evaluator
failed, are left out on both sides). With N clips the covariance has rank at most N - 1, so
unless N > D (D the feature size, 400 for I3D) the Gaussian fit is degenerate and the value is
marked unreliable; the literature uses 2048 videos.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from wmbench.harness.store import RunStore

FVD = "fvd"
FVD_LABEL = "FVD (N clips)"
LITERATURE_CLIPS = 2048
CLIPS_METRIC = "fvd/clips"
FEATURES = ("fvd/generated_features", "fvd/reference_features")
SPECS: dict[str, dict[str, Any]] = {
    FVD: {
        "higher_is_better": False,
        "unit": "",
        "evaluator": "fvd",
        "description": "Fréchet Video Distance (StyleGAN-V's I3D, 16-frame clips) between the "
        "pooled generated and ground-truth clips of a model and split; set-level, N = clips; "
        f"unreliable unless N > feature size (the literature uses {LITERATURE_CLIPS})",
    }
}


def set_metrics(results: pd.DataFrame, store: RunStore) -> dict[str, dict[str, dict[str, Any]]]:
    """Per model key, then per split and ``all``: ``{"fvd": record}`` (:func:`fvd_record`) for
    the models whose cases hold FVD features."""
    if CLIPS_METRIC not in results.columns:
        return {}
    evaluated = results[results[CLIPS_METRIC].notna()]
    sets: dict[str, dict[str, dict[str, Any]]] = {}
    for key, rows in evaluated.groupby("model_key"):
        pairs = {case: case_features(store.case_dir(key, case)) for case in rows["case_id"]}
        groups = [*rows.groupby("split"), ("all", rows)]
        sets[key] = {
            split: {FVD: fvd_record([pairs[case] for case in part["case_id"]])}
            for split, part in groups
        }
    return sets


def case_features(case_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The generated and ground-truth clip features (N, D) a case stored."""
    with np.load(case_dir / "series.npz") as series:
        return series[FEATURES[0]], series[FEATURES[1]]


def fvd_record(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """FVD between the pooled generated and ground-truth features of ``pairs`` (one pair per
    case): ``value``, the clips of each set, the cases, the feature size and whether both sets
    have more clips than features (``reliable``); ``value`` None and the ``error`` when the
    distance cannot be computed (non-finite features, a complex square root)."""
    from wmbench.evaluators.fvd import frechet_video_distance  # torch, only for runs with FVD

    generated = np.concatenate([pair[0] for pair in pairs])
    reference = np.concatenate([pair[1] for pair in pairs])
    dim = int(generated.shape[1])
    record: dict[str, Any] = {
        "value": None,
        "generated_clips": len(generated),
        "reference_clips": len(reference),
        "cases": len(pairs),
        "feature_dim": dim,
        "reliable": min(len(generated), len(reference)) > dim,
    }
    try:
        record["value"] = frechet_video_distance(generated, reference)
    except ValueError as error:
        record["error"] = str(error)
    return record


def describe(record: dict[str, Any]) -> str:
    """What to print beside an FVD value: ``N=32 clips, unreliable: N <= D=400`` or
    ``N=2560 clips``, and the error when there is no value."""
    text = f"N={record['generated_clips']} clips"
    if not record["reliable"]:
        text += f", unreliable: N ≤ D={record['feature_dim']}"
    if "error" in record:
        text += f"; {record['error']}"
    return text
