"""Regression check of a NEW run against one or more BASE runs: the CI hook.

Per model and metric (means over all cases), the delta NEW - BASE, judged by the metric's declared
direction. A metric *regresses* when it got worse by more than its allowance::

    allowance = max(abs, rel * |BASE|, sigma * noise)

``abs``/``rel`` come from a thresholds file, ``noise`` from the runs themselves:

* several BASE runs: the standard deviation (ddof 1) of their per-run means (run-to-run noise);
* one BASE run: the standard error of the mean per-case difference NEW - BASE over the cases
  both ran (paired, ddof 1); no band with fewer than two shared cases. The table also gives
  that difference's 95 % paired-bootstrap interval (``ci_low``, ``ci_high``, seeded:
  :func:`uncertainty.paired_difference`), so ``sigma: 1.96`` states a threshold as "outside
  the interval the cases give".

``cases_failed`` (the number of failed cases per model, lower is better) is checked too.

Thresholds file (YAML; every key optional)::

    default: {abs: 0.0, rel: 0.0}     # the tolerance of metrics not listed (this is the built-in)
    sigma: 2.0                         # noise-band multiplier
    fail_on_missing: true              # a metric (or model) of BASE absent from NEW fails
    metrics:                           # exact names or fnmatch patterns, first match wins;
      videos_per_hour_60s: {rel: 0.2}  # a listed metric's entry replaces the default entirely
      "peak_memory_*": {abs: 0.25}
      frames_per_s: {ignore: true}
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from wmbench.core.errors import InputError
from wmbench.core.files import read_yaml
from wmbench.core.schema import Schema, rule, validate
from wmbench.harness.records import DeclaredMetric
from wmbench.report.measured import Run, case_values, failed_cases, merged_specs
from wmbench.report.tables import format_value
from wmbench.report.uncertainty import paired_difference

FAILED = "cases_failed"
REGRESSED, IMPROVED, OK, MISSING, NEW, UNDECLARED, IGNORED = (
    "REGRESSED",
    "improved",
    "ok",
    "MISSING",
    "new",
    "no direction declared",
    "ignored",
)
COLUMNS = [
    "model",
    "metric",
    "better",
    "base",
    "new",
    "delta",
    "relative",
    "noise",
    "ci_low",
    "ci_high",
    "allowance",
    "status",
]


NonNegative = rule(float, "a number >= 0", lambda v: _is_number(v) and v >= 0)
Boolean = rule(bool, "true or false", lambda v: isinstance(v, bool))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Tolerance(Schema):
    abs: NonNegative = 0.0
    rel: NonNegative = 0.0
    ignore: Boolean = False


class ThresholdsFile(Schema):
    """What a thresholds file holds (format in the module docstring)."""

    default: Tolerance = Tolerance()
    sigma: NonNegative = 2.0
    fail_on_missing: Boolean = True
    metrics: dict[str, Tolerance] = {}

    def tolerance(self, metric: str) -> Tolerance:
        if metric in self.metrics:
            return self.metrics[metric]
        for pattern, tolerance in self.metrics.items():
            if fnmatch.fnmatchcase(metric, pattern):
                return tolerance
        return self.default


class Thresholds(ThresholdsFile):
    """The thresholds of a comparison and where they were read."""

    source: str = "built-in defaults"


def load_thresholds(path: Path) -> Thresholds:
    """Parse and validate a thresholds file (format in the module docstring)."""
    raw = read_yaml(path, "thresholds")
    raw = {} if raw is None else raw
    if isinstance(raw, dict) and raw.get("metrics") is None:
        raw = {key: value for key, value in raw.items() if key != "metrics"}
    return Thresholds(**dict(validate(ThresholdsFile, raw, path)), source=str(path))


def noise_method(base: list[Run]) -> str:
    if len(base) > 1:
        return f"std of the per-run means of the {len(base)} BASE runs (run-to-run noise)"
    return "standard error of the mean per-case difference NEW - BASE (paired by case)"


def _values(run: Run, match: str) -> pd.DataFrame:
    """The run's case values, with models identified by ``match`` (see :func:`compare`)."""
    values = case_values([run])
    if match == "model":
        keys = values.groupby("model")["model_key"].nunique()
        if (keys > 1).any():
            raise InputError(
                run.path, "models", "one configuration per model name to match by name",
                f"{', '.join(keys[keys > 1].index)} with several configurations",
            )  # fmt: skip
    return values.assign(model_key=values[match])


def _means(run: Run, match: str) -> pd.DataFrame:
    """Per model and metric: the mean over cases, plus ``cases_failed``."""
    means = _values(run, match).groupby(["model_key", "metric"])["value"].mean()
    failures = failed_cases(run, match)
    failures.index = pd.MultiIndex.from_product(
        [failures.index, [FAILED]], names=["model_key", "metric"]
    )
    return pd.concat([means, failures.astype(float)]).rename(run.label).to_frame()


def _paired_noise(base: Run, new: Run, match: str) -> pd.DataFrame:
    """Per model and metric: ``noise`` (standard error of the mean paired difference) and the
    difference's bootstrap interval (``ci_low``, ``ci_high``)."""
    keys = ["model_key", "metric", "case_id"]
    pairs = _values(base, match).merge(_values(new, match), on=keys, suffixes=("_base", "_new"))
    differences = (pairs["value_new"] - pairs["value_base"]).groupby(
        [pairs["model_key"], pairs["metric"]]
    )
    noise = (differences.std(ddof=1) / differences.count() ** 0.5).rename("noise")
    intervals = {
        key: paired_difference(dict(zip(part["case_id"], part["value_base"], strict=True)),
                               dict(zip(part["case_id"], part["value_new"], strict=True)))
        for key, part in pairs.groupby(["model_key", "metric"])
    }  # fmt: skip
    bounds = pd.DataFrame(
        [(interval.low, interval.high) for interval in intervals.values()],
        index=pd.MultiIndex.from_tuples(list(intervals), names=["model_key", "metric"]),
        columns=["ci_low", "ci_high"],
    )
    return pd.concat([noise, bounds], axis=1)


def compare(
    base: list[Run], new: Run, thresholds: Thresholds, match: str = "model_key"
) -> pd.DataFrame:
    """One row per model and metric of BASE or NEW with the delta, noise, allowance and status.

    Models are paired by ``match``: ``model_key`` (name and configuration: the same model
    across runs) or ``model`` (the name only: e.g. one model with different options, such as
    ``--quant none`` against ``--quant nvfp4``; each run must hold one configuration per name).
    """
    specs = merged_specs([*base, new])
    base_means = pd.concat([_means(run, match) for run in base], axis=1)
    table = pd.DataFrame({"base": base_means.mean(axis=1)}).join(
        _means(new, match).iloc[:, 0].rename("new"), how="outer"
    )
    if len(base) > 1:
        table["noise"] = base_means.std(axis=1, ddof=1)
    else:
        table = table.join(_paired_noise(base[0], new, match), how="left")
    table.loc[table.index.get_level_values(1) == FAILED, "noise"] = math.nan
    rows = [
        _judge(model, metric, row, specs.get(metric), thresholds)
        for (model, metric), row in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _judge(
    model: str, metric: str, row: pd.Series, spec: DeclaredMetric | None, thresholds: Thresholds
) -> dict[str, Any]:
    higher = False if metric == FAILED else (None if spec is None else spec.higher_is_better)
    base, new, noise = row["base"], row["new"], row["noise"]
    delta = new - base
    tolerance = thresholds.tolerance(metric)
    allowance = max(
        tolerance.abs,
        tolerance.rel * abs(base) if pd.notna(base) else 0.0,
        thresholds.sigma * noise if pd.notna(noise) else 0.0,
    )
    if tolerance.ignore:
        status = IGNORED
    elif pd.isna(new):
        status = MISSING
    elif pd.isna(base):
        status = NEW
    elif higher is None:
        status = UNDECLARED
    else:
        worse_by = -delta if higher else delta
        status = REGRESSED if worse_by > allowance else IMPROVED if -worse_by > allowance else OK
    return {
        "model": model,
        "metric": metric,
        "better": {True: "higher", False: "lower", None: "?"}[higher],
        "base": base,
        "new": new,
        "delta": delta,
        "relative": delta / abs(base) if base else math.nan,
        "noise": noise,
        "ci_low": row.get("ci_low", math.nan),
        "ci_high": row.get("ci_high", math.nan),
        "allowance": allowance,
        "status": status,
    }


def failed(table: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """The rows that make the check fail: regressions, and missing metrics unless allowed."""
    bad = {REGRESSED, MISSING} if thresholds.fail_on_missing else {REGRESSED}
    return table[table["status"].isin(bad)]


@dataclass(frozen=True)
class Comparison:
    """A comparison of NEW with BASE runs: the table, the failing rows, and how to read it."""

    base: list[Run]
    new: Run
    thresholds: Thresholds
    table: pd.DataFrame
    failures: pd.DataFrame

    @property
    def failing(self) -> int:
        return len(self.failures)

    def render(self) -> str:
        """The comparison as text: runs, noise, thresholds, the table and each failure."""
        lines = [
            f"BASE: {', '.join(run.label for run in self.base)}    NEW: {self.new.label}",
            f"noise: {noise_method(self.base)}; band = {self.thresholds.sigma:g} x noise",
            f"thresholds: {self.thresholds.source}",
        ]
        relative = self.table["relative"].map(lambda r: f"{r:+.1%}" if pd.notna(r) else "-")
        with pd.option_context("display.max_rows", None, "display.width", 200):
            lines.append(
                self.table.assign(relative=relative).to_string(
                    index=False, float_format=format_value, na_rep="-"
                )
            )
        for row in self.failures.itertuples():
            values = f"base {format_value(row.base)}, new {format_value(row.new)}"
            lines.append(
                f"FAIL {row.model} {row.metric}: {row.status} ({values}, "
                f"allowance {format_value(row.allowance)})"
            )
        lines.append(f"{self.failing} failing of {len(self.table)} compared")
        return "\n".join(lines)


def comparison(base: list[Run], new: Run, thresholds: Thresholds, match: str) -> Comparison:
    """:func:`compare` of ``new`` with ``base``, with its failures."""
    table = compare(base, new, thresholds, match)
    return Comparison(base, new, thresholds, table, failed(table, thresholds))
