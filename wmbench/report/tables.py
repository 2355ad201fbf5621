"""Leaderboard tables: measured runs and reported numbers in one long table, and wide views of it.

Every row says where its number comes from (``source``: measured or reported) and under which
protocol. Measured rows are means over cases, except the set-level metrics (FVD): one value per
run, model and split from the pooled cases, its count the clips and its ``note`` their number and
whether the value is reliable. A reported number shares a column with a measured metric only
when its file names that metric as the same quantity (``beside``: the same formulas, e.g.
``rot_err_deg/sanawm`` beside SANA-WM-Bench's RotErr) and the units are the same; otherwise it
gets a row of its own, named as the publication names it, and :func:`beside_note` says why.
Reported numbers of one model, table and split form one column, labelled with the publication's
model name, the wmbench adapter that drives it where one exists, and the table and split.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wmbench.harness.records import OK, DeclaredMetric
from wmbench.report.measured import ALL_SPLITS, Run, aggregate, failed_cases
from wmbench.report.reported import ReportedFile, ReportedResult

MEASURED, REPORTED = "measured", "reported"
ROW_KEYS = ["source", "model", "protocol", "setting", "hardware", "reference"]
STAT_COLUMNS = ["mean", "std", "count", "ci_low", "ci_high", "note"]
LONG_COLUMNS = [
    *ROW_KEYS,
    "run",
    "split",
    "metric",
    "evaluator",
    "unit",
    "higher_is_better",
    *STAT_COLUMNS,
]


def format_value(value: float) -> str:
    """Four significant digits; three in scientific notation for very large or small values."""
    if pd.isna(value):
        return ""
    magnitude = abs(value)
    if magnitude != 0 and (magnitude >= 1e4 or magnitude < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


def metric_label(name: str, unit: str, higher_is_better: bool | None) -> str:
    """``↑ videos_per_hour_60s [videos/h]``; no arrow when the direction is not declared."""
    arrow = {True: "↑ ", False: "↓ "}.get(higher_is_better, "")
    return f"{arrow}{name}" + (f" [{unit}]" if unit else "")


def set_level(runs: list[Run]) -> pd.DataFrame:
    """The set-level metrics (FVD) per run, model and split, as the run's summary holds them:
    ``mean`` the value, no std, ``count`` what was pooled (clips), ``note`` what to read
    beside it (N, and whether the value is reliable)."""
    rows = [
        {
            "run": run.label,
            "model_key": key,
            "metric": name,
            "split": split,
            "mean": float("nan") if record.value is None else record.value,
            "std": float("nan"),
            "count": record.count,
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "note": record.note,
        }
        for run in runs
        for key, model in run.summary.models.items()
        for split, part in model.splits.items()
        for name, record in part.set_metrics.items()
    ]
    return pd.DataFrame(rows, columns=["run", "model_key", "metric", "split", *STAT_COLUMNS])


def measured_long(runs: list[Run], specs: dict[str, DeclaredMetric]) -> pd.DataFrame:
    """Per run, model, split and metric: mean, std over cases, count, with protocol and setting;
    then the set-level metrics (:func:`set_level`)."""
    parts = [aggregate(runs).assign(note=""), set_level(runs)]
    table = pd.concat([part for part in parts if not part.empty] or parts[:1], ignore_index=True)
    by_label = {run.label: run for run in runs}
    table["source"] = MEASURED
    table["model"] = table["model_key"]
    table["reference"] = table["run"].map(lambda label: f"run {label}")
    table["setting"] = table["run"].map(lambda label: by_label[label].setting())
    table["hardware"] = table["run"].map(lambda label: by_label[label].hardware())
    table["protocol"] = [
        by_label[label].protocol(key)
        for label, key in zip(table["run"], table["model_key"], strict=True)
    ]
    table["evaluator"] = table["metric"].map(lambda name: _spec(specs, name, "evaluator", ""))
    table["unit"] = table["metric"].map(lambda name: _spec(specs, name, "unit", ""))
    table["higher_is_better"] = table["metric"].map(
        lambda name: _spec(specs, name, "higher_is_better", None)
    )
    return table[LONG_COLUMNS]


def _spec(specs: dict[str, DeclaredMetric], name: str, attribute: str, default: Any) -> Any:
    spec = specs.get(name)
    return default if spec is None else getattr(spec, attribute)


def reported_column(entry: ReportedResult, specs: dict[str, DeclaredMetric]) -> str:
    """The column a reported number goes in: its ``beside`` metric when a run declares it with
    the same unit, else the publication's own name for it."""
    spec = specs.get(entry.beside)
    if spec is not None and spec.unit == entry.unit:
        return entry.beside
    return entry.metric


def beside_note(
    entry: ReportedResult, specs: dict[str, DeclaredMetric], estimators: set[str] | None = None
) -> str:
    """Why a reported number sits beside a measured metric or in a row of its own."""
    if not entry.beside:
        return "own row: no wmbench metric computes this quantity"
    spec = specs.get(entry.beside)
    if spec is None:
        return f"own row: no run given measures `{entry.beside}`"
    if spec.unit != entry.unit:
        return (f"own row: `{entry.beside}` is in {spec.unit or 'no unit'}, this in "
                f"{entry.unit or 'no unit'}")  # fmt: skip
    note = f"beside `{entry.beside}` (the same formulas)"
    other = sorted((estimators or set()) - {entry.estimator}) if entry.estimator else []
    if other:
        note += f"; poses from {', '.join(other)} here, {entry.estimator} in the publication"
    return note


def reported_model(entry: ReportedResult) -> str:
    """The publication's model name with the wmbench adapter that drives it, where one does."""
    adapter = entry.measured_by.name if entry.measured_by else ""
    return f"{entry.model} ({adapter})" if adapter else entry.model


def reported_long(files: list[ReportedFile], specs: dict[str, DeclaredMetric]) -> pd.DataFrame:
    """One row per reported number, in its column (:func:`reported_column`), ``split`` its
    benchmark split (``all`` when it names none); ``evaluator`` is that of the measured metric it
    shares a row with, else empty."""
    rows = [
        {
            "source": REPORTED,
            "model": reported_model(entry),
            "protocol": entry.protocol,
            "setting": entry.setting,
            "hardware": entry.hardware,
            "reference": f"{_where(entry)} ({file.name} rev {file.revision})",
            "run": "",
            "split": entry.split or ALL_SPLITS,
            "metric": reported_column(entry, specs),
            "evaluator": _spec(specs, reported_column(entry, specs), "evaluator", ""),
            "unit": entry.unit,
            "higher_is_better": entry.higher_is_better,
            "mean": entry.value,
            "std": float("nan"),
            "count": float("nan"),
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "note": "",
        }
        for file in files
        for entry in file.entries
    ]
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def long_table(
    runs: list[Run], files: list[ReportedFile], specs: dict[str, DeclaredMetric]
) -> pd.DataFrame:
    """Measured and reported rows together: the CSV the report writes."""
    parts = [measured_long(runs, specs), reported_long(files, specs)]
    parts = [part for part in parts if not part.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LONG_COLUMNS)


def _entries(long: pd.DataFrame) -> pd.DataFrame:
    """The distinct rows of ``long`` by ``ROW_KEYS`` (one leaderboard column each) with their
    ``label``: measured first, ordered by run and model (``oracle (run one_minute)``), then
    reported numbers in file order, numbered (``SANA-WM [R2]``: one paper gives one model's
    numbers under several protocols and settings)."""
    entries = long.drop_duplicates(ROW_KEYS)[ROW_KEYS]
    measured = entries["source"] == MEASURED
    runs = entries[measured].sort_values(["reference", "model"])
    runs = runs.assign(label=runs["model"] + " (" + runs["reference"] + ")")
    reported = entries[~measured]
    labels = [
        f"{model} [{reference.rsplit(' (', 1)[0]}]"
        for model, reference in zip(reported["model"], reported["reference"], strict=True)
    ]
    repeated = pd.Series(labels).duplicated(keep=False)
    numbered = enumerate(zip(labels, repeated, strict=True), 1)
    labels = [f"{label} R{n}" if again else label for n, (label, again) in numbered]
    return pd.concat([runs, reported.assign(label=labels)]).reset_index(drop=True)


def _where(entry: ReportedResult) -> str:
    """``arXiv 2605.15178, Table 2, hard_60s``."""
    return entry.short_citation + (f", {entry.split}" if entry.split else "")


def entries_table(long: pd.DataFrame) -> pd.DataFrame:
    """What each leaderboard column is: source, reference, protocol, setting and hardware."""
    entries = _entries(long)
    return entries.rename(columns={"label": "column"})[
        ["column", "source", "reference", "protocol", "setting", "hardware"]
    ]


def wide_table(long: pd.DataFrame, split: str = ALL_SPLITS) -> pd.DataFrame:
    """The leaderboard of ``split``: one row per metric (with direction and unit), grouped by
    evaluator; one column per model and source (:func:`entries_table`); cells
    ``mean [low, high]`` (the bootstrap interval over cases) for measured values, followed by
    the note in parentheses (set-level metrics: the clips, and whether the value is
    reliable)."""
    part = long[(long["split"] == split) | (long["source"] == REPORTED)]
    if part.empty:
        return pd.DataFrame()
    labels = _entries(part).set_index(ROW_KEYS)["label"]
    columns = [labels[tuple(row)] for row in part[ROW_KEYS].itertuples(index=False)]
    return _metric_rows(part, pd.Series(columns, index=part.index), list(labels))


def split_table(long: pd.DataFrame) -> pd.DataFrame:
    """Measured values per split (splits other than ``all``): one row per metric, one column
    per model and split."""
    part = long[(long["source"] == MEASURED) & (long["split"] != ALL_SPLITS)]
    if part.empty:
        return pd.DataFrame()
    labels = _entries(part).set_index(ROW_KEYS)["label"]
    entries = [labels[tuple(row)] for row in part[ROW_KEYS].itertuples(index=False)]
    columns = pd.Series(
        [f"{entry} · {split}" for entry, split in zip(entries, part["split"], strict=True)],
        index=part.index,
    )
    order = [f"{entry} · {split}" for entry in labels for split in sorted(part["split"].unique())]
    return _metric_rows(part, columns, [c for c in order if c in set(columns)])


def _metric_rows(part: pd.DataFrame, columns: pd.Series, order: list[str]) -> pd.DataFrame:
    """``part`` as a table: columns ``evaluator`` and ``metric`` (label), then ``order``; rows
    grouped by evaluator in order of first appearance (metrics no evaluator declares last),
    metrics within in order of appearance."""
    cells = part.assign(
        metric_label=[
            metric_label(metric, unit, direction)
            for metric, unit, direction in zip(
                part["metric"], part["unit"], part["higher_is_better"], strict=True
            )
        ],
        column=columns,
        cell=[
            _cell(mean, low, high, note)
            for mean, low, high, note in zip(
                part["mean"], part["ci_low"], part["ci_high"], part["note"], strict=True
            )
        ],
    )
    table = cells.pivot_table(
        index=["evaluator", "metric_label"], columns="column", values="cell", aggfunc="first",
        sort=False,
    ).reset_index()  # fmt: skip
    evaluators = [e for e in cells["evaluator"].unique() if e] + [""]
    table = table.sort_values(
        "evaluator", key=lambda column: column.map(evaluators.index), kind="stable"
    )
    table["evaluator"] = table["evaluator"].replace("", "(reported only)")
    table = table.rename(columns={"metric_label": "metric"})
    return (
        table[["evaluator", "metric", *order]]
        .fillna("")
        .rename_axis(columns=None)
        .reset_index(drop=True)
    )


def _cell(mean: float, low: float, high: float, note: str) -> str:
    value = interval_cell(mean, low, high)
    return f"{value} ({note})".strip() if note else value


def interval_cell(mean: float, low: float, high: float) -> str:
    """``7.59 [7.12, 8.03]``: the mean and its bootstrap interval, the mean alone without one
    (published numbers, a single case)."""
    value = format_value(mean)
    if pd.isna(low) or pd.isna(high):
        return value
    return f"{value} [{format_value(low)}, {format_value(high)}]"


def specs_table(specs: dict[str, DeclaredMetric]) -> pd.DataFrame:
    """The metric declarations of the runs: direction, unit, evaluator, description."""
    rows = [
        {
            "metric": name,
            "better": "higher" if spec.higher_is_better else "lower",
            "unit": spec.unit,
            "evaluator": spec.evaluator,
            "description": spec.description,
        }
        for name, spec in specs.items()
    ]
    return pd.DataFrame(rows)


def reported_table(
    files: list[ReportedFile],
    specs: dict[str, DeclaredMetric] | None = None,
    estimators: set[str] | None = None,
) -> pd.DataFrame:
    """Every reported number with its protocol, setting, hardware, citation, and the row it is
    in (:func:`beside_note`)."""
    rows = [
        {
            "model": reported_model(entry),
            "metric": entry.metric,
            "value": format_value(entry.value),
            "unit": entry.unit,
            "better": "higher" if entry.higher_is_better else "lower",
            "protocol": entry.protocol,
            "setting": entry.setting,
            "hardware": entry.hardware,
            "citation": f"{_where(entry)} ({file.name} rev {file.revision})",
            "row": beside_note(entry, specs or {}, estimators),
        }
        for file in files
        for entry in file.entries
    ]
    return pd.DataFrame(rows)


def runs_table(runs: list[Run]) -> pd.DataFrame:
    """What each given run is: suite, data, size, models, hardware, commit."""
    rows = []
    for run in runs:
        meta = run.record
        failures = failed_cases(run)
        cases = run.results["model_key"].value_counts() if len(run.results) else pd.Series()
        models = ", ".join(
            f"{key}: {cases.get(key, 0) - failures.get(key, 0)} cases ok, "
            f"{failures.get(key, 0)} failed"
            if record.status == OK
            else f"{key}: skipped ({record.reason})"
            for key, record in sorted(run.models.items())
        )
        rows.append(
            {
                "run": run.label,
                "suite": meta.suite,
                "setting": run.setting(),
                "models": models,
                "hardware": run.hardware(),
                "git commit": _short_commit(meta.git_commit),
                "created": meta.created,
            }
        )
    return pd.DataFrame(rows)


def _short_commit(commit: str) -> str:
    """``3a505d8c1cb6...+dirty`` -> ``3a505d8c1cb6+dirty``."""
    sha, plus, state = commit.partition("+")
    return sha[:12] + plus + state
