"""The publication's figures from the headline table: quality against throughput with the
published models beside the measured ones, and the camera's drift over the minute per model.

Published points pair numbers of one model from one table (measured together); measured points
carry their bootstrap intervals as error bars. Each figure reads at 100 % zoom (the sizes of
:mod:`wmbench.report.plots`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from wmbench.report.headline import Column, Headline, Row
from wmbench.report.measured import Run, series_metric, window_seconds, window_series
from wmbench.report.plots import Plot, _grid, _save
from wmbench.report.tables import MEASURED
from wmbench.report.uncertainty import bootstrap_interval

THROUGHPUT = "videos_per_hour_60s"
DRIFT_METRIC = "rot_err_deg"  # the per-window series drawn over the minute


def quality_vs_throughput(headline: Headline | None, folder: Path) -> list[Plot]:
    """``paper_quality_vs_throughput.png``: one panel per split and quality column, x the
    throughput column (log), published points labelled by model, measured points with error
    bars (bootstrap interval), the better direction stated on each axis."""
    title = "Quality against throughput (the publication's headline figure)"
    if headline is None:
        return [Plot(title, None, "Skipped: no published table given (use --against reported).")]
    throughput = [c for c in headline.columns if c.metric == THROUGHPUT and c.comparable]
    quality = [c for c in headline.columns if c.metric != THROUGHPUT and c.comparable
               and not c.measured_only and c.unit != "GB"]  # fmt: skip
    panels = [
        (split, column)
        for split in headline.splits
        for column in quality
        if _points(headline, split, column, throughput[0] if throughput else None)
    ]
    published = [
        (split, column) for split, column in panels
        if any(row.source != MEASURED
               for row, *_ in _points(headline, split, column, throughput[0]))
    ]  # fmt: skip
    panels = published or panels  # splits where the publication quotes no throughput: left out
    if not throughput or not panels:
        note = f"Skipped: no row of the headline has both `{THROUGHPUT}` and a quality column."
        return [Plot(title, None, note)]
    figure, axes = _grid(len(panels), 5.6, 4.4)
    for axis, (split, column) in zip(axes, panels, strict=True):
        _quality_panel(axis, _points(headline, split, column, throughput[0]), column, split)
    note = (
        "Grey: published (one model, one table: measured together); blue: measured here, error "
        "bars the 95 % bootstrap interval over cases. Published and measured points differ in "
        "data, hardware and pose estimator as the headline table states."
    )
    return [Plot(title, _save(figure, folder / "paper_quality_vs_throughput.png"), note)]


def _points(
    headline: Headline, split: str, column: Column, throughput: Column | None
) -> list[tuple[Row, float, tuple[float, float, float]]]:
    if throughput is None:
        return []
    found = []
    for row in headline.rows:
        x, y = row.cells.get(throughput.header), row.cells.get(column.header)
        if row.split == split and x is not None and y is not None and x.mean > 0:
            found.append((row, x.mean, (y.mean, y.low, y.high)))
    return found


def _quality_panel(axis: Axes, points: list, column: Column, split: str) -> None:
    for row, x, (y, low, high) in points:
        measured = row.source == MEASURED
        color = "C0" if measured else "0.45"
        if measured and not math.isnan(low):
            axis.errorbar(x, y, yerr=[[y - low], [high - y]], fmt="o", color=color, capsize=3)
        else:
            axis.plot(x, y, "o" if measured else "s", color=color)
        axis.annotate(row.model, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7,
                      color=color)  # fmt: skip
    axis.set_xscale("log")
    axis.set_xlabel("videos per hour (60 s clips), log; higher is better", fontsize=8)
    better = "higher" if column.higher_is_better else "lower"
    axis.set_ylabel(f"{column.header}; {better} is better", fontsize=8)
    axis.set_title(f"{column.label}, {split}", fontsize=9)
    axis.grid(alpha=0.3, which="both")


def drift(runs: list[Run], folder: Path) -> list[Plot]:
    """``paper_drift.png``: the camera's rotation error per window over the video, one line per
    model with its 95 % bootstrap band over cases, one panel per series and split."""
    title = "Drift over the minute"
    series = window_series(runs)
    if not series.empty:
        metrics = series["series"].map(series_metric)
        series = series[metrics.str.startswith(DRIFT_METRIC)]
    if series.empty:
        note = f"Skipped: no per-window `{DRIFT_METRIC}` series in the given runs."
        return [Plot(title, None, note)]
    panels = list(series.groupby(["series", "split"], sort=True))
    figure, axes = _grid(len(panels), 5.6, 3.8)
    several = series["run"].nunique() > 1
    for axis, ((name, split), rows) in zip(axes, panels, strict=True):
        seconds = window_seconds(name) or 1.0
        for (run, key), line in rows.groupby(["run", "model_key"], sort=True):
            stats = [
                (window, bootstrap_interval(part["value"].to_numpy()))
                for window, part in line.groupby("window")
            ]
            x = np.array([(window + 1) * seconds for window, _ in stats])
            mean = np.array([interval.mean for _, interval in stats])
            low = np.array([interval.low for _, interval in stats])
            high = np.array([interval.high for _, interval in stats])
            cases = line["case_id"].nunique()
            label = f"{key} · {run}" if several else key
            axis.plot(x, mean, marker="o", markersize=3, label=f"{label} (n={cases})")
            axis.fill_between(x, low, high, alpha=0.2)
        axis.set_xlabel("end of window [s]" if window_seconds(name) else "window", fontsize=8)
        axis.set_ylabel(f"{series_metric(name)}; lower is better", fontsize=8)
        axis.set_title(f"{name}, {split}", fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    note = (
        "Mean over cases per window and model; band: 95 % bootstrap interval over cases (none "
        "with one case). A model that drifts climbs to the right."
    )
    return [Plot(title, _save(figure, folder / "paper_drift.png"), note)]
