"""Terminal leaderboard: models side by side, one row per metric, direction marked."""

from __future__ import annotations

from typing import Any

import pandas as pd

from wmbench.set_metrics import FVD, FVD_LABEL, describe
from wmbench.set_metrics import SPECS as SET_SPECS


def leaderboard(summary: dict[str, Any], split: str = "all") -> pd.DataFrame:
    """Mean of every metric per model (columns) for ``split``, then the set-level metrics
    (FVD with its clip count); the index marks direction (↑ higher is better, ↓ lower is
    better)."""
    specs = summary.get("metrics", {})
    columns: dict[str, dict[str, float]] = {}
    for key, entry in summary.get("models", {}).items():
        if entry.get("status") != "ok":
            continue
        aggregate = entry["splits"].get(split, {})
        columns[key] = {name: value["mean"] for name, value in aggregate.get("metrics", {}).items()}
        if FVD in aggregate.get("set_metrics", {}):
            columns[key][FVD_LABEL] = _set_value(aggregate["set_metrics"][FVD])
        cases, failures = aggregate.get("cases", 0), aggregate.get("failures", 0)
        columns[key]["cases ok / failed"] = f"{cases - failures} / {failures}"
    table = pd.DataFrame(columns)
    if table.empty:
        return table
    set_rows = [FVD_LABEL] if FVD_LABEL in table.index else []
    order = [name for name in specs if name in table.index] + set_rows + ["cases ok / failed"]
    table = table.loc[order]
    labels = {**specs, FVD_LABEL: SET_SPECS[FVD]}
    table.index = [_label(name, labels.get(name)) for name in table.index]
    return table


def _set_value(record: dict[str, Any]) -> str:
    """A set-level record as one cell: the value and what to read beside it."""
    value = "n/a" if record["value"] is None else _format(record["value"])
    return f"{value} ({describe(record)})"


def _label(name: str, spec: dict[str, Any] | None) -> str:
    if spec is None:
        return name
    arrow = "↑" if spec["higher_is_better"] else "↓"
    unit = f" [{spec['unit']}]" if spec.get("unit") else ""
    return f"{arrow} {name}{unit}"


def render(summary: dict[str, Any]) -> str:
    """The leaderboard of a run as text: data label, one table over all cases, one per split,
    and the models or evaluators that were skipped, with their reasons."""
    lines = [f"suite: {summary.get('suite')}    data: {summary.get('data')}"]
    splits = sorted(
        {s for entry in summary.get("models", {}).values() for s in entry.get("splits", {})}
        - {"all"}
    )
    for split in ["all", *splits] if len(splits) > 1 else ["all"]:
        table = leaderboard(summary, split)
        if table.empty:
            continue
        lines += ["", f"== {split} ==", table.to_string(float_format=_format)]
    models = summary.get("models", {})
    for key, entry in models.items():
        if entry.get("status") != "ok":
            lines.append(f"model {key}: skipped: {entry.get('reason')}")
    for (name, reason), keys in _skipped_evaluators(models).items():
        lines.append(f"evaluator {name} skipped ({', '.join(keys)}): {reason}")
    return "\n".join(lines)


def _skipped_evaluators(models: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """The models that skipped each evaluator, by evaluator and reason (usually all of them,
    for one missing weight file)."""
    skipped: dict[tuple[str, str], list[str]] = {}
    for key, entry in models.items():
        for name, reason in entry.get("skipped_evaluators", {}).items():
            skipped.setdefault((name, reason), []).append(key)
    return skipped


def _format(value: float) -> str:
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e5 or magnitude < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4g}"
