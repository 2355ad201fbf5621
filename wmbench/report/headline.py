"""The headline leaderboard: the publication's own table, models as rows, per split.

The reference is the published table the runs reproduce: of the registry's tables (entries
grouped by file and ``table``), the one with the most entries on the runs' splits (SANA-WM's
Table 2 for the one-minute suite). Its columns are the publication's metrics in its order and
units, each keyed by the wmbench metric of the same formulas (``beside``). Rows per split: every
published model of that table, then other publications' rows on the same columns and split
(SANA-WM's Table 9, Matrix-Game 3.5), then the measured models, marked ``measured``.

Only comparable cells sit side by side (the metric-name contract with the fidelity work):

* a measured metric named exactly as the column's (``rot_err_deg/sanawm``) fills the model's
  own row, beside the published rows;
* a measured ``<metric>@<instrument>`` (the same formulas, another estimator, e.g.
  ``rot_err_deg/sanawm@pycolmap``) fills a row of its own, ``<model> [<instrument>]``;
* a measured metric in another unit than the publication's (GiB against GB) gets a column of
  its own beside the publication's;
* ``failed_cases/<protocol>[@<instrument>]`` (the set-level count of scenes a protocol left
  out) is a count column at the end, in the row of its instrument.

Measured cells carry the bootstrap interval over cases (:mod:`wmbench.report.uncertainty`);
:func:`differences` gives the paired difference of every two measured rows on their shared
cases. One table model, rendered by :func:`frame` (terminal, Markdown, HTML) and
:func:`csv_frame` (numbers).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import pandas as pd

from wmbench.harness.records import DeclaredMetric
from wmbench.report.measured import Run, case_values
from wmbench.report.reported import ReportedFile, ReportedResult
from wmbench.report.tables import MEASURED, REPORTED, interval_cell, metric_label
from wmbench.report.uncertainty import Interval, paired_difference

INSTRUMENT = "@"
FAILED_PREFIX = "failed_cases/"
PARAMS = re.compile(r"(\d[\d.]*B(?:\s*\+\s*\d[\d.]*B)*) parameters")
RESOLUTION = re.compile(r"\b(\d{3,4}p)\b")


@dataclass(frozen=True)
class Column:
    """One headline column: the publication's name and unit, the wmbench metric it holds."""

    label: str
    metric: str
    unit: str
    higher_is_better: bool
    measured_only: bool = False  # a measured metric in another unit than the publication's
    comparable: bool = True  # measured values of ``metric`` share the publication's unit

    @property
    def header(self) -> str:
        return metric_label(self.label, self.unit, self.higher_is_better)


@dataclass(frozen=True)
class Cell:
    """A mean with its bootstrap interval (NaN bounds for published numbers) and cases."""

    mean: float
    low: float = math.nan
    high: float = math.nan
    count: int = 0

    def text(self) -> str:
        return interval_cell(self.mean, self.low, self.high)


@dataclass(frozen=True)
class Row:
    split: str
    model: str
    source: str  # MEASURED or REPORTED
    reference: str
    params: str = ""
    resolution: str = ""
    gpus: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)  # by Column.header
    run: str = ""
    model_key: str = ""
    instrument: str = ""


@dataclass(frozen=True)
class Difference:
    """``new - base`` of two measured rows on their shared cases, per column."""

    split: str
    base: str
    new: str
    cells: dict[str, Interval]


@dataclass(frozen=True)
class Headline:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    splits: tuple[str, ...]


def reference_table(files: list[ReportedFile], splits: set[str]) -> list[ReportedResult]:
    """The entries of the publication table with most entries on ``splits`` (ties: most
    entries, then registry order); [] when no file has a table with ``beside`` metrics."""
    groups: dict[tuple[str, str], list[ReportedResult]] = {}
    for file in files:
        for entry in file.entries:
            if entry.table and entry.beside:
                groups.setdefault((file.name, entry.table), []).append(entry)
    if not groups:
        return []
    order = list(groups)

    def score(key: tuple[str, str]) -> tuple[int, int, int]:
        entries = groups[key]
        return sum(e.split in splits for e in entries), len(entries), -order.index(key)

    return groups[max(order, key=score)]


def build(
    runs: list[Run], files: list[ReportedFile], long: pd.DataFrame,
    specs: dict[str, DeclaredMetric],
) -> Headline | None:  # fmt: skip
    """The headline of ``runs`` beside ``files`` (``long``: :func:`tables.long_table`)."""
    measured = long[long["source"] == MEASURED]
    run_splits = set(measured["split"]) - {"all"}
    entries = reference_table(files, run_splits)
    if not entries:
        return None
    first = entries[0]
    files = sorted(files, key=lambda file: file.path != first.file)  # the reference's first
    columns = _columns(entries, specs, set(measured["metric"]))
    splits = tuple(dict.fromkeys(e.split for e in entries if e.split))
    rows: list[Row] = []
    for split in splits:
        rows += _published_rows(files, columns, split, (first.file, first.table))
        rows += _measured_rows(runs, measured[measured["split"] == split], columns, split)
    title = f"{first.source.title.split(':')[0]} ({first.source.where}), {first.table}"
    return Headline(title, tuple(columns), tuple(rows), splits)


def _columns(
    entries: list[ReportedResult], specs: dict[str, DeclaredMetric], measured: set[str]
) -> list[Column]:
    columns: list[Column] = []
    for entry in entries:
        if any(column.label == entry.metric for column in columns):
            continue
        spec = specs.get(entry.beside)
        comparable = spec is None or spec.unit == entry.unit
        columns.append(Column(entry.metric, entry.beside, entry.unit, entry.higher_is_better,
                              comparable=comparable))  # fmt: skip
        if not comparable:
            columns.append(Column(entry.beside, entry.beside, spec.unit, spec.higher_is_better,
                                  measured_only=True))  # fmt: skip
    failed = {name.partition(INSTRUMENT)[0] for name in measured if name.startswith(FAILED_PREFIX)}
    columns += [Column(name, name, "cases", False, measured_only=True) for name in sorted(failed)]
    return columns


def _published_rows(
    files: list[ReportedFile], columns: list[Column], split: str, reference: tuple[Path, str]
) -> list[Row]:
    """Published rows of ``split`` on the headline columns (same unit); rows from another table
    or file than ``reference`` name it after the model (``SANA-WM bidirectional (Table 9)``)."""
    by_metric = {column.metric: column for column in columns if not column.measured_only}
    rows: dict[tuple[str, str, str], Row] = {}
    for file in files:
        for entry in file.entries:
            column = by_metric.get(entry.beside)
            if entry.split != split or column is None or entry.unit != column.unit:
                continue
            key = (file.name, entry.table, entry.model)
            if key not in rows:
                params, resolution = PARAMS.search(entry.setting), RESOLUTION.search(entry.setting)
                where = "" if (file.path, entry.table) == reference else (
                    f" ({entry.table})" if file.path == reference[0] else f" ({file.name})"
                )  # fmt: skip
                rows[key] = Row(
                    split, entry.model + where, REPORTED, entry.short_citation,
                    params.group(1).replace(" ", "") if params else "",
                    resolution.group(1) if resolution else "", entry.hardware,
                )  # fmt: skip
            rows[key].cells[column.header] = Cell(entry.value)
    return list(rows.values())


def _measured_rows(
    runs: list[Run], part: pd.DataFrame, columns: list[Column], split: str
) -> list[Row]:
    several = len(runs) > 1
    by_label = {run.label: run for run in runs}
    rows: dict[tuple[str, str, str], Row] = {}
    for item in part.itertuples(index=False):
        base, _, instrument = str(item.metric).partition(INSTRUMENT)
        for column in columns:
            if column.metric != base or not column.comparable:
                continue
            key = (item.run, item.model, instrument)
            if key not in rows:
                run = by_label[item.run]
                name = f"{item.model} ({item.run})" if several else str(item.model)
                rows[key] = Row(
                    split, f"{name} [{instrument}]" if instrument else name, MEASURED,
                    f"run {item.run}", "", "x".join(map(str, run.record.resolution)),
                    _device(run), run=item.run, model_key=str(item.model),
                    instrument=instrument,
                )  # fmt: skip
            if column.metric.startswith(FAILED_PREFIX):  # set level: the count, of N scenes
                cell = Cell(float(item.mean), count=int(item.count))
            else:
                cell = Cell(float(item.mean), float(item.ci_low), float(item.ci_high),
                            int(item.count))  # fmt: skip
            rows[key].cells[column.header] = cell
    return sorted(rows.values(), key=lambda row: (row.run, row.model_key, row.instrument))


def _device(run: Run) -> str:
    """``1 GPU (NVIDIA H100 80GB HBM3)`` or ``CPU (2 cores)``."""
    info = run.record.hardware
    if "gpu" in info:
        return f"1 GPU ({info['gpu']})"
    return f"CPU ({info.get('cpu_cores', '?')} cores)"


def differences(headline: Headline, runs: list[Run]) -> list[Difference]:
    """For every two measured rows of a split, ``new - base`` per column on the cases both
    scored (paired bootstrap), rows in headline order (base the earlier)."""
    values = case_values(runs)
    found = []
    for split in headline.splits:
        measured = [r for r in headline.rows if r.split == split and r.source == MEASURED]
        for base, new in combinations(measured, 2):
            cells = {}
            for column in headline.columns:
                if column.metric.startswith(FAILED_PREFIX) or not column.comparable:
                    continue
                pair = [_per_case(values, row, column, split) for row in (base, new)]
                if pair[0] and pair[1]:
                    cells[column.header] = paired_difference(*pair)
            if cells:
                found.append(Difference(split, base.model, new.model, cells))
    return found


def _per_case(values: pd.DataFrame, row: Row, column: Column, split: str) -> dict[str, float]:
    metric = f"{column.metric}{INSTRUMENT}{row.instrument}" if row.instrument else column.metric
    chosen = values[
        (values["run"] == row.run) & (values["model_key"] == row.model_key)
        & (values["split"] == split) & (values["metric"] == metric)
    ]  # fmt: skip
    return dict(zip(chosen["case_id"], chosen["value"].astype(float), strict=True))


def frame(headline: Headline, split: str) -> pd.DataFrame:
    """The headline of ``split`` as text cells: model, source, params, resolution, GPUs, then
    one column per headline column (measured: ``mean [low, high]``), then the cases."""
    rows = []
    for row in headline.rows:
        if row.split != split:
            continue
        cases = max((cell.count for cell in row.cells.values()), default=0)
        rows.append({
            "model": row.model, "source": row.source, "params": row.params,
            "resolution": row.resolution, "GPUs": row.gpus,
            **{c.header: row.cells[c.header].text() if c.header in row.cells else ""
               for c in headline.columns},
            "cases": str(cases) if row.source == MEASURED else "",
        })  # fmt: skip
    return pd.DataFrame(rows)


def differences_frame(found: list[Difference], headline: Headline, split: str) -> pd.DataFrame:
    """Paired differences of ``split`` as text cells ``diff [low, high] (n)``."""
    rows = []
    for item in found:
        if item.split != split:
            continue
        cells = {
            column.header: _difference_text(item.cells[column.header])
            for column in headline.columns
            if column.header in item.cells
        }
        rows.append({"new - base": f"{item.new} - {item.base}", **cells})
    return pd.DataFrame(rows).fillna("")


def _difference_text(interval: Interval) -> str:
    text = interval_cell(interval.mean, interval.low, interval.high)
    return f"{text} (n={interval.count})"


def csv_frame(headline: Headline) -> pd.DataFrame:
    """The headline as numbers: one line per row and column with mean, interval and cases."""
    lines = [
        {
            "split": row.split,
            "model": row.model,
            "source": row.source,
            "reference": row.reference,
            "params": row.params,
            "resolution": row.resolution,
            "gpus": row.gpus,
            "column": column.label,
            "metric": column.metric,
            "unit": column.unit,
            "higher_is_better": column.higher_is_better,
            "mean": cell.mean,
            "ci_low": cell.low,
            "ci_high": cell.high,
            "count": cell.count if row.source == MEASURED else math.nan,
        }  # fmt: skip
        for row in headline.rows
        for column in headline.columns
        if (cell := row.cells.get(column.header)) is not None
    ]
    return pd.DataFrame(lines)
