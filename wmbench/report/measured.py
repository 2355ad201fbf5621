"""Measured results: run directories read into tidy pandas tables for reports and comparisons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wmbench.core.errors import InputError
from wmbench.evaluators.identity import EvaluatorIdentity
from wmbench.harness.records import OK, DeclaredMetric, ModelRecord, RunRecord, Summary
from wmbench.harness.store import CASE_COLUMNS, RunStore
from wmbench.harness.summary import ALL_SPLITS
from wmbench.report.uncertainty import bootstrap_interval

MIRROR_MARK = "SYNTHETIC MIRROR"
# A per-window series: ``<metric>/window_10s`` (window length in the name) or ``<name>_window/...``.
WINDOW = re.compile(r"/window(?:_(?P<seconds>\d+(?:\.\d+)?)s)?$|_window(?=/|$)")


@dataclass(frozen=True)
class Run:
    """One run directory: its record, model records, per-case results, metric declarations
    and summary (the set-level metrics come from it; reports never recompute a metric)."""

    path: Path
    label: str
    record: RunRecord
    models: dict[str, ModelRecord]
    results: pd.DataFrame
    specs: dict[str, DeclaredMetric]
    summary: Summary

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.results.columns if c not in CASE_COLUMNS]

    def setting(self) -> str:
        return self.record.setting()

    def hardware(self) -> str:
        info = self.record.hardware
        if "gpu" in info:
            return f"GPU: {info['gpu']}"
        return f"CPU: {info.get('cpu', '?')} ({info.get('cpu_cores', '?')} cores)"

    def protocol(self, model_key: str) -> str:
        """The wmbench evaluators (and versions) that produced a model's metrics."""
        model = self.models.get(model_key)
        evaluators = model.evaluators if model else {}
        return "wmbench: " + ", ".join(f"{name} v{v}" for name, v in evaluators.items())

    def video_seconds(self) -> float:
        return self.record.video_seconds()

    def pose_estimator(self, model_key: str) -> str:
        """The pose estimator behind a model's camera metrics, from the camera evaluator's
        identity in its record; "" when there is none."""
        model = self.models.get(model_key)
        if model is None or "camera" not in model.evaluators:
            return ""
        where = self.path / "models" / f"{model_key}.json"
        identity = EvaluatorIdentity.from_text(model.evaluators["camera"], where)
        return "" if identity.poses is None else identity.poses.name

    def ran(self, model_key: str) -> bool:
        model = self.models.get(model_key)
        return model is not None and model.status == OK


def load_runs(paths: list[Path]) -> list[Run]:
    """Read run directories; labels are the folder names, or the paths when names repeat."""
    names = [Path(path).resolve().name for path in paths]
    labels = names if len(set(names)) == len(names) else [str(path) for path in paths]
    runs = []
    for path, label in zip(paths, labels, strict=True):
        store = RunStore(Path(path))
        runs.append(
            Run(
                Path(path), label, store.run(), store.models(), store.results(),
                store.metric_specs(), store.summary(),
            )
        )  # fmt: skip
    return runs


def merged_specs(runs: list[Run]) -> dict[str, DeclaredMetric]:
    """Metric declarations of all runs (set-level ones included); a metric declared with two
    directions is an error."""
    specs: dict[str, DeclaredMetric] = {}
    owners: dict[str, str] = {}
    for run in runs:
        for name, spec in {**run.specs, **run.summary.set_metrics}.items():
            if name in specs and specs[name].higher_is_better != spec.higher_is_better:
                raise InputError(
                    run.path / "models",
                    f"metrics.{name}.higher_is_better",
                    f"the direction {owners[name]} declares",
                    str(spec.higher_is_better),
                )
            specs.setdefault(name, spec)
            owners.setdefault(name, str(run.path))
    return specs


def case_values(runs: list[Run]) -> pd.DataFrame:
    """One row per run, model, case and metric: columns run, model_key, model, case_id, split,
    status, metric, value (failed cases and metrics that did not apply are left out)."""
    frames = []
    for run in runs:
        if run.results.empty or not run.metrics:
            continue
        table = run.results.melt(
            id_vars=["model_key", "model", "case_id", "split", "status"],
            value_vars=run.metrics,
            var_name="metric",
        )
        table["value"] = pd.to_numeric(table["value"], errors="coerce")
        frames.append(table.dropna(subset=["value"]).assign(run=run.label))
    columns = ["run", "model_key", "model", "case_id", "split", "status", "metric", "value"]
    return pd.concat(frames)[columns] if frames else pd.DataFrame(columns=columns)


def aggregate(runs: list[Run]) -> pd.DataFrame:
    """Mean, std (over cases, ddof 0), count and the bootstrap interval of the mean
    (``ci_low``, ``ci_high``: :func:`uncertainty.bootstrap_interval`) per run, model, split (and
    ``all``) and metric."""
    values = case_values(runs)
    keys = ["run", "model_key", "metric", "split"]
    if values.empty:
        return pd.DataFrame(columns=[*keys, "mean", "std", "count", "ci_low", "ci_high"])
    stats = {"mean": "mean", "std": lambda v: v.std(ddof=0), "count": "count"}
    table = pd.concat([values, values.assign(split=ALL_SPLITS)])
    groups = table.groupby(keys)["value"]
    intervals = [bootstrap_interval(group.to_numpy()) for _, group in groups]
    result = groups.agg(**stats).reset_index()
    result["ci_low"] = [interval.low for interval in intervals]
    result["ci_high"] = [interval.high for interval in intervals]
    return result


def failed_cases(run: Run, by: str = "model_key") -> pd.Series:
    """Number of failed cases per model key (or per model name, ``by="model"``)."""
    if run.results.empty:
        return pd.Series(dtype=int)
    return (run.results["status"] == "failed").groupby(run.results[by]).sum()


def window_series(runs: list[Run]) -> pd.DataFrame:
    """Per-window series (see :data:`WINDOW`) from every case's ``series.npz``: columns run,
    model_key, case_id, split, series, window (0-based), value."""
    rows = []
    for run in runs:
        for path in sorted((run.path / "cases").glob("*/*/*/series.npz")):
            case_dir = path.parent
            key, split, scene = case_dir.parts[-3:]
            with np.load(path) as series:
                for name in series.files:
                    if not WINDOW.search(name):
                        continue
                    values = np.asarray(series[name], dtype=float).ravel()
                    rows += [
                        (run.label, key, f"{split}/{scene}", split, name, index, value)
                        for index, value in enumerate(values)
                    ]
    columns = ["run", "model_key", "case_id", "split", "series", "window", "value"]
    return pd.DataFrame(rows, columns=columns)


MODEL_PREFIX = "model/"
BLOCK = re.compile(r"/block(?P<block>\d+)$")


def model_series(runs: list[Run]) -> pd.DataFrame:
    """What models measured of themselves over a generation (``model/<name>[/block<i>]`` in
    ``series.npz``, e.g. the streaming GDN state norm per chunk): columns run, model_key,
    case_id, series (without prefix and block), block (-1 when none), step, value."""
    rows = []
    for run in runs:
        for path in sorted((run.path / "cases").glob("*/*/*/series.npz")):
            key, split, scene = path.parent.parts[-3:]
            with np.load(path) as series:
                for name in series.files:
                    if not name.startswith(MODEL_PREFIX) or series[name].ndim != 1:
                        continue  # not a model series, or not a scalar per step (a path)
                    base = name.removeprefix(MODEL_PREFIX)
                    match = BLOCK.search(base)
                    block = int(match["block"]) if match else -1
                    base = BLOCK.sub("", base)
                    values = np.asarray(series[name], dtype=float).ravel()
                    rows += [
                        (run.label, key, f"{split}/{scene}", base, block, step, value)
                        for step, value in enumerate(values)
                    ]
    columns = ["run", "model_key", "case_id", "series", "block", "step", "value"]
    return pd.DataFrame(rows, columns=columns)


def series_metric(series_name: str) -> str:
    """The scalar metric a stored per-window series belongs to, without the evaluator prefix and
    the window part: ``camera/rot_err_deg/wmbench/window_10s`` -> ``rot_err_deg/wmbench``."""
    _, _, name = series_name.partition("/")
    return WINDOW.sub("", name or series_name, count=1)


def window_seconds(series_name: str) -> float | None:
    """The window length a series name states (``.../window_10s`` -> 10.0), else None."""
    match = WINDOW.search(series_name)
    return float(match["seconds"]) if match and match["seconds"] else None
