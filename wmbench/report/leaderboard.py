"""The leaderboard report of one or more runs, beside reported numbers: Markdown, one
self-contained HTML file and a CSV, with the PNG figures in ``plots/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wmbench.core.files import atomic_write_text
from wmbench.report import plots
from wmbench.report.document import Bullets, Document, Heading, Table, Text, html_page, markdown
from wmbench.report.measured import Run, merged_specs
from wmbench.report.reported import ReportedFile
from wmbench.report.tables import (
    entries_table,
    long_table,
    reported_table,
    runs_table,
    specs_table,
    split_table,
    wide_table,
)

NAME = "leaderboard"


@dataclass(frozen=True)
class Written:
    markdown: Path
    html: Path
    csv: Path
    figures: tuple[Path, ...]
    notes: tuple[str, ...]  # figures skipped, and why


def write_leaderboard(
    runs: list[Run], files: list[ReportedFile], out: Path, quality: list[str] | None = None
) -> Written:
    """Write ``out/leaderboard.{md,html,csv}`` and ``out/plots/*.png``."""
    specs = merged_specs(runs)
    long = long_table(runs, files, specs)
    folder = out / "plots"
    for stale in folder.glob("*.png"):  # figures of an earlier report of other metrics
        stale.unlink()
    figures = [
        *plots.window_plots(runs, specs, folder),
        *plots.model_plots(runs, folder),
        *plots.quality_vs_throughput(long, specs, folder, quality),
        *plots.split_bars(long, specs, folder),
    ]
    document = Document("wmbench leaderboard")
    document.add(
        Text(
            "One row per metric, grouped by evaluator; one column per model and source. Columns "
            "of runs (`run ...`) are measured by wmbench evaluators on the run's data and "
            "hardware; the others are published numbers under their own protocol, setting and "
            "hardware (the table below the leaderboard says which is which). A reported number "
            "shares a row with a measured metric only where its registry file names that metric "
            "as the same quantity and the units agree; otherwise it has a row of its own (the "
            "reported-numbers table says which, and why). Reported columns: one per model, "
            "table and split of a publication, named with the wmbench adapter that drives the "
            "model where one exists. "
            "↑ higher is better, ↓ lower is better (as each metric declares). Measured cells: "
            "mean ± std over cases. FVD is set-level: one value per model and split from all "
            "its clips pooled (Fréchet distance between the I3D features of the generated and the "
            "ground-truth clips), shown with N, the clips in each set, and marked unreliable "
            "unless N exceeds the feature size (the covariance is rank-deficient below; the "
            "literature uses 2048 videos)."
        ),
        Heading("Runs"),
        Table(runs_table(runs), "No runs given."),
        Bullets(_notes(runs)),
        Heading("Leaderboard (all cases)"),
        Table(wide_table(long)),
        Heading("Columns", level=3),
        Table(entries_table(long)),
        Heading("Per split (measured)"),
        Table(split_table(long), "No per-split values."),
        Heading("Figures"),
        *figures,
        Heading("Reported numbers"),
        Bullets(tuple(_source(file) for file in files)),
        Table(
            reported_table(files, specs, _estimators(runs)),
            "No reported numbers (use --against reported).",
        ),
        Heading("Metric declarations"),
        Table(specs_table(specs), "No metrics declared by the runs."),
        Heading("Files"),
        Bullets(
            (
                f"`{NAME}.csv`: one row per source, model, split and metric (mean, std, count), "
                "measured and reported together, with protocol, setting, hardware and reference; "
                "for FVD, count is the clips and note says whether the value is reliable.",
                f"`{NAME}.html`: this report in one file, figures embedded.",
            )
        ),
    )
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / f"{NAME}.md", out / f"{NAME}.html", out / f"{NAME}.csv")
    atomic_write_text(paths[0], markdown(document, out))
    atomic_write_text(paths[1], html_page(document))
    atomic_write_text(paths[2], long.to_csv(index=False))
    return Written(
        *paths,
        figures=tuple(f.path for f in figures if f.path is not None),
        notes=tuple(f"{f.title}: {f.note}" for f in figures if f.path is None),
    )


def _estimators(runs: list[Run]) -> set[str]:
    """The pose estimators behind the runs' camera metrics."""
    return {run.pose_estimator(key) for run in runs for key in run.models} - {""}


def _notes(runs: list[Run]) -> tuple[str, ...]:
    """What each run's evaluators asked to print beside their scores (e.g. the camera
    annotator's floor)."""
    return tuple(
        f"{run.label}, `{name}`: {text}"
        for run in runs
        for name, text in run.record.evaluator_notes.items()
    )


def _source(file: ReportedFile) -> str:
    """One line per registry file: its revision and the publication it cites."""
    source = file.source
    published = ", ".join(part for part in (source.organisation, source.published) if part)
    return f"`{file.path.name}` revision {file.revision}: {source.cite()}; {published}"
