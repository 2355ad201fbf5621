"""The run directory: per-case result files written atomically, and the tables built from them.

Layout of a run directory::

    run.json                               suite, data, seed, git commit, versions, hardware
    models/<model_key>.json                one per model: options, config, skipped or not and why,
                                           evaluators run/skipped, metric declarations
    cases/<model_key>/<case_id>/result.json   metrics, status, errors, stage timings
    cases/<model_key>/<case_id>/series.npz    per-frame / per-window series
    cases/<model_key>/<case_id>/video.mp4     the generated video
    results.csv                            one row per case and model, one column per metric
    summary.json                           per model and split: mean, std, count, failures;
                                           set-level metrics (FVD) from the pooled cases

A case is finished when its ``result.json`` exists with the current fingerprint, so any number of
processes (torchrun ranks, resumed runs) can fill one directory; the tables are rebuilt from the
files.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wmbench.core.types import Video
from wmbench.set_metrics import SPECS as SET_SPECS
from wmbench.set_metrics import set_metrics
from wmbench.data.video_io import write_video

CASE_COLUMNS = ["model", "model_key", "case_id", "split", "category", "status", "error"]


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(
        path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def fingerprint(data: Any) -> str:
    """A short content hash of JSON-able ``data``."""
    text = json.dumps(data, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def model_key(name: str, config: dict[str, Any]) -> str:
    """A folder-safe key: the model name, plus a hash of its configuration when it has one."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return f"{safe}-{fingerprint(config)[:8]}" if config else safe


class RunStore:
    """Reads and writes one run directory (see the module docstring for the layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def case_dir(self, key: str, case_id: str) -> Path:
        return self.root / "cases" / key / case_id

    def write_run_metadata(self, metadata: dict[str, Any]) -> None:
        """Write ``run.json``; a resumed run keeps its first creation time and lists its resumes."""
        path = self.root / "run.json"
        if path.is_file():
            previous = json.loads(path.read_text())
            metadata = {
                **metadata,
                "created": previous.get("created", metadata.get("created")),
                "resumed": [*previous.get("resumed", []), metadata.get("created")],
            }
        atomic_write_json(path, metadata)

    def run_metadata(self) -> dict[str, Any]:
        path = self.root / "run.json"
        if not path.is_file():
            raise FileNotFoundError(f"{self.root}: not a wmbench run directory (no run.json)")
        return json.loads(path.read_text())

    def write_model(self, key: str, record: dict[str, Any]) -> None:
        atomic_write_json(self.root / "models" / f"{key}.json", record)

    def models(self) -> dict[str, dict[str, Any]]:
        folder = self.root / "models"
        return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}

    def finished(self, key: str, case_id: str, case_fingerprint: str) -> dict[str, Any] | None:
        """The stored result of this case if it was finished with the same fingerprint."""
        path = self.case_dir(key, case_id) / "result.json"
        if not path.is_file():
            return None
        result = json.loads(path.read_text())
        return result if result.get("fingerprint") == case_fingerprint else None

    def write_case(
        self,
        key: str,
        result: dict[str, Any],
        series: dict[str, np.ndarray] | None = None,
        video: Video | None = None,
    ) -> None:
        """Write a case's artefacts, then its ``result.json`` last: that file marks it done."""
        folder = self.case_dir(key, result["case_id"])
        folder.mkdir(parents=True, exist_ok=True)
        if video is not None:
            write_video(folder / "video.mp4", video)
        if series:
            handle, temporary = tempfile.mkstemp(suffix=".npz", dir=folder)
            os.close(handle)
            np.savez_compressed(temporary, **series)
            os.replace(temporary, folder / "series.npz")
        metrics = {
            name: _finite_or_none(value) for name, value in result.get("metrics", {}).items()
        }
        atomic_write_json(folder / "result.json", {**result, "metrics": metrics})

    def results(self) -> pd.DataFrame:
        """One row per finished case and model, one column per metric."""
        rows = []
        for path in sorted((self.root / "cases").glob("**/result.json")):
            result = json.loads(path.read_text())
            row = {column: result.get(column, "") for column in CASE_COLUMNS}
            row.update(result.get("metrics", {}))
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else CASE_COLUMNS)

    def metric_specs(self) -> dict[str, dict[str, Any]]:
        """Metric declarations (direction, unit, evaluator) gathered from the model records."""
        specs: dict[str, dict[str, Any]] = {}
        for record in self.models().values():
            specs.update(record.get("metrics", {}))
        return specs

    def write_tables(self) -> pd.DataFrame:
        """(Re)build ``results.csv`` and ``summary.json`` from the case files."""
        results = self.results()
        atomic_write_text(self.root / "results.csv", results.to_csv(index=False))
        atomic_write_json(self.root / "summary.json", summarise(results, self))
        return results


def summarise(results: pd.DataFrame, store: RunStore) -> dict[str, Any]:
    """Per model and split (and over all splits): mean, std and count of every metric, the
    number of failed cases and, where the cases hold what they need, the set-level metrics
    (``set_metrics``, declared at the top level; :mod:`wmbench.set_metrics`)."""
    specs = store.metric_specs()
    metadata = store.run_metadata()
    summary: dict[str, Any] = {
        "suite": metadata.get("suite"),
        "data": metadata.get("data"),
        "metrics": specs,
        "models": {},
    }
    sets = set_metrics(results, store)
    if sets:
        summary["set_metrics"] = SET_SPECS
    metric_columns = [c for c in results.columns if c not in CASE_COLUMNS]
    for key, record in store.models().items():
        entry: dict[str, Any] = {
            "model": record.get("name"),
            "status": record.get("status"),
            "reason": record.get("reason", ""),
            "skipped_evaluators": record.get("skipped_evaluators", {}),
            "splits": {},
        }
        rows = results[results["model_key"] == key] if len(results) else results
        groups = [(split, part) for split, part in rows.groupby("split")] if len(rows) else []
        for split, part in [*groups, ("all", rows)]:
            entry["splits"][split] = _aggregate(part, metric_columns)
            if split in sets.get(key, {}):
                entry["splits"][split]["set_metrics"] = sets[key][split]
        summary["models"][key] = entry
    return summary


def _aggregate(rows: pd.DataFrame, metric_columns: list[str]) -> dict[str, Any]:
    failed = int((rows["status"] == "failed").sum()) if len(rows) else 0
    metrics = {}
    for column in metric_columns:
        values = pd.to_numeric(rows[column], errors="coerce").dropna() if len(rows) else []
        if len(values):
            metrics[column] = {
                "mean": float(values.mean()),
                "std": float(values.std(ddof=0)),
                "count": int(len(values)),
            }
    return {"cases": int(len(rows)), "failures": failed, "metrics": metrics}


def _finite_or_none(value: float) -> float | None:
    """NaN (a metric that does not apply to the case) is stored as null, an empty CSV cell."""
    return float(value) if value is not None and math.isfinite(value) else None
