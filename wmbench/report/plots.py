"""The report's figures as PNG files: per-window series over the video, quality against
throughput, and per-split bars, one figure per evaluator (split into pages of at most
``MAX_PANELS`` panels) so each reads at 100 % zoom (at most ``MAX_SIDE_PX`` on its long side).
Each function returns the figures it wrote, or one :class:`Plot` without a path saying why it
was skipped (the data it needs is not in the given runs)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from textwrap import shorten
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from wmbench.core.files import atomic_write
from wmbench.harness.records import DeclaredMetric
from wmbench.report.measured import (
    ALL_SPLITS,
    Run,
    model_series,
    series_metric,
    window_seconds,
    window_series,
)
from wmbench.report.tables import MEASURED, REPORTED, format_value, metric_label

THROUGHPUT_METRIC = "videos_per_hour_60s"
THROUGHPUT_EVALUATOR = "throughput"
DPI = 110
MAX_SIDE_PX = 2400
MAX_PANELS = 12  # per figure: 3 columns x 4 rows
COLUMNS = 3
TREND_WINDOWS = 3  # fewer windows than this show no trend


@dataclass(frozen=True)
class Plot:
    """A written figure (``path``) and its caption, or no path and the reason it was skipped."""

    title: str
    path: Path | None
    note: str


def _entry(long: pd.DataFrame) -> pd.Series:
    """Legend name of a measured row: the model, and the run when there are several."""
    several = long["run"].nunique() > 1
    return long["model"] + (" · " + long["run"] if several else "")


def _reference(row: Any) -> str:
    """Legend text of a reported reference line."""
    unit = f" {row.unit}" if row.unit else ""
    where = shorten(row.hardware or row.setting, 50, placeholder="…")
    return f"{row.model}: {format_value(row.mean)}{unit}, reported ({where})"


def _label(name: str, specs: dict[str, DeclaredMetric]) -> str:
    spec = specs.get(name)
    return name if spec is None else metric_label(name, spec.unit, spec.higher_is_better)


def _direction(name: str, specs: dict[str, DeclaredMetric]) -> str:
    spec = specs.get(name)
    if spec is None:
        return "direction not declared"
    return "higher is better" if spec.higher_is_better else "lower is better"


def _save(figure: Figure, path: Path) -> Path:
    atomic_write(path, lambda temporary: figure.savefig(temporary, dpi=DPI))
    return path


def _grid(count: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels of ``width`` x ``height`` inches, ``COLUMNS`` per row, no
    side over ``MAX_SIDE_PX`` pixels."""
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    limit = MAX_SIDE_PX / DPI
    size = (min(width * columns, limit), min(height * rows, limit))
    figure = Figure(figsize=size, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for spare in axes[count:]:
        spare.set_visible(False)
    return figure, list(axes[:count])


def _pages(names: list[str], family: Callable[[str], str]) -> list[tuple[str, list[str]]]:
    """``names`` grouped by ``family`` in order of first appearance, each group cut into pages
    of at most ``MAX_PANELS``: (``family`` or ``family_2`` ..., names)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(family(name) or "other", []).append(name)
    pages = []
    for group, members in groups.items():
        chunks = [members[i : i + MAX_PANELS] for i in range(0, len(members), MAX_PANELS)]
        pages += [
            (group if n == 0 else f"{group}_{n + 1}", chunk) for n, chunk in enumerate(chunks)
        ]
    return pages


def _evaluator_of(specs: dict[str, DeclaredMetric]) -> Callable[[str], str]:
    return lambda name: specs[name].evaluator if name in specs else ""


def window_plots(runs: list[Run], specs: dict[str, DeclaredMetric], folder: Path) -> list[Plot]:
    """Every per-window series (``<metric>/window_10s``, ``<name>_window/...``), one panel
    each and one figure per evaluator (``over_time_<evaluator>.png``): the mean over cases per
    window and model, with a ±1 std band. Time on the x axis when the series name states its
    window length, else the window number. A run with fewer than ``TREND_WINDOWS`` windows is
    drawn and said to be too short for a trend."""
    series = window_series(runs)
    if series.empty:
        note = (
            "Skipped: no per-window series (series.npz keys such as `camera/rot_err_deg/wmbench/"
            "window_10s`) in the given runs; the camera evaluator writes them."
        )
        return [Plot("Metrics over the video, per window", None, note)]
    several = series["run"].nunique() > 1
    plots = []
    names = sorted(series["series"].unique())
    for family, members in _pages(names, lambda name: name.partition("/")[0]):
        figure, axes = _grid(len(members), 5.6, 3.6)
        for axis, name in zip(axes, members, strict=True):
            _window_panel(axis, series[series["series"] == name], name, specs, several)
        windows = int(series[series["series"].isin(members)]["window"].max()) + 1
        note = (
            f"Mean over cases of each per-window series, per model (n: cases); {windows} windows."
        )
        if windows < TREND_WINDOWS:
            note += (
                f" Too short for a trend: {windows} window(s); a 60 s clip has 6 windows of "
                "10 s (run with more frames)."
            )
        path = _save(figure, folder / f"over_time_{family}.png")
        plots.append(Plot(f"{family}: metrics over the video, per window", path, note))
    return plots


def _window_panel(
    axis: Axes, rows: pd.DataFrame, name: str, specs: dict[str, DeclaredMetric], several: bool
) -> None:
    stats = (
        rows.groupby(["run", "model_key", "window"])["value"]
        .agg(mean="mean", std=lambda v: v.std(ddof=0), count="count")
        .reset_index()
    )
    seconds = window_seconds(name)
    if seconds:
        stats["x"] = (stats["window"] + 0.5) * seconds
        axis.set_xlabel(f"time in the video [s] ({seconds:g} s windows)")
    else:
        stats["x"] = stats["window"] + 1
        axis.set_xlabel("window (1 = start of the video)")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    lines = {
        f"{key} · {run}" if several else key: line
        for (run, key), line in stats.groupby(["run", "model_key"])
    }
    for label, line in sorted(lines.items()):  # the order (and colours) of the other figures
        mean, std = line["mean"], line["std"]
        count = line["count"].max()
        axis.plot(line["x"], mean, marker="o", markersize=3, label=f"{label}, n={count}")
        axis.fill_between(line["x"], mean - std, mean + std, alpha=0.2)
    metric = series_metric(name)
    axis.set_title(f"{name}\n({_direction(metric, specs)}; band ±1 std)", fontsize=9)
    axis.set_ylabel(_label(metric, specs) if metric in specs else name, fontsize=8)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)


def model_plots(runs: list[Run], folder: Path) -> list[Plot]:
    """What the models measured of themselves over the video (``model/...`` series, e.g. the
    streaming SANA-WM's GDN state norm and decay gate per chunk), one panel per quantity and
    model, one line per block (mean over cases), in ``over_time_model.png`` beside the
    per-window camera errors; skipped when no model wrote any."""
    series = model_series(runs)
    if series.empty:
        return []
    panels = list(series.groupby(["model_key", "series"], sort=True))[:MAX_PANELS]
    figure, axes = _grid(len(panels), 5.6, 3.6)
    for axis, ((key, name), rows) in zip(axes, panels, strict=True):
        lines = rows.groupby(["block", "step"])["value"].mean().reset_index()
        for block, line in lines.groupby("block"):
            label = f"block {block}" if block >= 0 else name
            axis.plot(line["step"] + 1, line["value"], marker="o", markersize=2, label=label)
        axis.set_title(f"{key}: {name}", fontsize=9)
        axis.set_xlabel("step of the generation (e.g. streamed chunk)", fontsize=8)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=6, ncols=2)
    note = (
        "Model-internal series (mean over cases): read a drift in camera error per window "
        "against the state's growth or saturation."
    )
    return [Plot("Model state over the generation", _save(figure, folder / "over_time_model.png"),
                 note)]  # fmt: skip


def quality_vs_throughput(
    long: pd.DataFrame,
    specs: dict[str, DeclaredMetric],
    folder: Path,
    quality: list[str] | None = None,
) -> list[Plot]:
    """One panel per quality metric (every metric not from the throughput evaluator, or the
    ones named), one figure per evaluator (``quality_vs_throughput_<evaluator>.png``):
    measured models as points at (videos/hour, metric); reported numbers of the same columns
    as reference lines, never paired into points they were not measured as."""
    title = "Quality against throughput"
    overall = long[long["split"] == ALL_SPLITS]
    measured = overall[overall["source"] == MEASURED]
    if THROUGHPUT_METRIC not in set(measured["metric"]):
        return [Plot(title, None, f"Skipped: no run measured `{THROUGHPUT_METRIC}`.")]
    names = quality or [
        name
        for name, spec in specs.items()
        if spec.evaluator != THROUGHPUT_EVALUATOR and name in set(measured["metric"])
    ]
    if not names:
        note = "Skipped: the given runs measured throughput only, no quality metric to plot."
        return [Plot(title, None, note)]
    points = measured.assign(entry=_entry(measured)).pivot_table(
        index="entry", columns="metric", values=["mean", "std"], aggfunc="first"
    )
    reported = overall[overall["source"] == REPORTED]
    note = (
        "Points: measured (error bars ±1 std over cases). Dashed vertical lines: reported "
        "throughput; dotted horizontal lines: reported values of the same metric; each under "
        "its own protocol (see the reported numbers), never paired into a point."
    )
    plots = []
    for family, members in _pages(names, _evaluator_of(specs)):
        figure, axes = _grid(len(members), 5.2, 4.0)
        for axis, name in zip(axes, members, strict=True):
            _throughput_panel(axis, points, reported, name, specs)
        handles = {}
        for axis in axes:
            for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
                handles.setdefault(label, handle)
        figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncols=2,
                      fontsize=8)  # fmt: skip
        path = _save(figure, folder / f"quality_vs_throughput_{family}.png")
        plots.append(Plot(f"{title}: {family}", path, note))
    return plots


def _throughput_panel(
    axis: Axes,
    points: pd.DataFrame,
    reported: pd.DataFrame,
    name: str,
    specs: dict[str, DeclaredMetric],
) -> None:
    drawn = 0
    for entry in points.index:
        x, y = points.loc[entry, ("mean", THROUGHPUT_METRIC)], points.loc[entry, ("mean", name)]
        if pd.isna(x) or pd.isna(y):
            continue
        yerr = points.loc[entry, ("std", name)]
        axis.errorbar(x, y, yerr=yerr, fmt="o", capsize=3, color=f"C{drawn % 10}",
                      label=f"{entry}, measured")  # fmt: skip
        drawn += 1
    lines = [
        (row, axis.axvline, "--")
        for row in reported.itertuples()
        if row.metric == THROUGHPUT_METRIC
    ]
    lines += [(row, axis.axhline, ":") for row in reported.itertuples() if row.metric == name]
    for index, (row, draw, style) in enumerate(lines, start=drawn):
        draw(row.mean, linestyle=style, linewidth=1.5, color=f"C{index % 10}",
             label=_reference(row))  # fmt: skip
    axis.set_xscale("log")
    axis.set_xlabel(f"{_label(THROUGHPUT_METRIC, specs)}, log", fontsize=8)
    axis.set_ylabel(_label(name, specs), fontsize=8)
    axis.set_title(f"{name}\n({_direction(name, specs)})", fontsize=9)
    axis.grid(alpha=0.3, which="both")


def split_bars(
    long: pd.DataFrame,
    specs: dict[str, DeclaredMetric],
    folder: Path,
    metrics: list[str] | None = None,
) -> list[Plot]:
    """One panel per metric, one figure per evaluator (``split_bars_<evaluator>.png``): the
    mean per split for every measured model, ±1 std over cases."""
    title = "Per-split results"
    measured = long[(long["source"] == MEASURED) & (long["split"] != ALL_SPLITS)]
    if measured.empty:
        return [Plot(title, None, "Skipped: no measured per-split values in the given runs.")]
    measured = measured.assign(entry=_entry(measured))
    names = metrics or [name for name in specs if name in set(measured["metric"])]
    note = "Mean over each split's cases; error bars ±1 std over cases."
    plots = []
    for family, members in _pages(names, _evaluator_of(specs)):
        figure, axes = _grid(len(members), 4.4, 3.6)
        for axis, name in zip(axes, members, strict=True):
            _split_panel(axis, measured[measured["metric"] == name], name, specs)
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
        plots.append(
            Plot(f"{title}: {family}", _save(figure, folder / f"split_bars_{family}.png"), note)
        )
    return plots


def _split_panel(
    axis: Axes, part: pd.DataFrame, name: str, specs: dict[str, DeclaredMetric]
) -> None:
    means = part.pivot_table(index="split", columns="entry", values="mean", aggfunc="first")
    stds = part.pivot_table(index="split", columns="entry", values="std", aggfunc="first")
    means.plot.bar(ax=axis, yerr=stds, capsize=3, rot=0, legend=False)
    spread = stds.reindex_like(means).fillna(0)
    top, bottom = (means + spread).max().max(), (means - spread).min().min()
    low, high = min(0.0, bottom * 1.08), max(0.0, top * 1.08)
    if high > low:
        axis.set_ylim(low, high)  # pandas leaves error bars out of the autoscaling
    axis.set_title(f"{name}\n({_direction(name, specs)})", fontsize=9)
    axis.set_xlabel("split")
    unit = specs[name].unit if name in specs else ""
    axis.set_ylabel(f"{name} [{unit}]" if unit else name, fontsize=8)
    axis.grid(alpha=0.3, axis="y")
