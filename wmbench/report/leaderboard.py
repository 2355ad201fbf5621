"""The leaderboard report of one or more runs, beside reported numbers: Markdown, one
self-contained HTML file and a CSV, with the PNG figures in ``plots/``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wmbench.core.files import atomic_write_text
from wmbench.report import figures as figures_
from wmbench.report import headline, plots
from wmbench.report.cases import write_case_pages
from wmbench.report.document import (
    Block,
    Bullets,
    Document,
    Heading,
    Links,
    Table,
    Text,
    html_page,
    markdown,
)
from wmbench.report.headline import Difference, Headline
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
from wmbench.report.uncertainty import method_note

NAME = "leaderboard"


@dataclass(frozen=True)
class Written:
    markdown: Path
    html: Path
    csv: Path
    headline_csv: Path | None
    figures: tuple[Path, ...]
    notes: tuple[str, ...]  # figures skipped, and why
    model_pages: tuple[Path, ...]


def headline_blocks(board: Headline | None, found: list[Difference]) -> list[Block]:
    """The headline tables per split, each with its paired differences."""
    if board is None:
        return [Text("No headline: no reported table to take the columns from (use "
                     "--against reported).")]  # fmt: skip
    blocks: list[Block] = []
    for split in board.splits:
        blocks += [
            Heading(f"{split}", level=3),
            Table(headline.frame(board, split), kind="headline"),
        ]
        paired = headline.differences_frame(found, board, split)
        if len(paired):
            blocks += [
                Text(f"Paired differences on {split} (the cases both rows scored):"),
                Table(paired),
            ]
    return blocks


def write_leaderboard(
    runs: list[Run], files: list[ReportedFile], out: Path, quality: list[str] | None = None
) -> Written:
    """Write ``out/leaderboard.{md,html,csv}``, ``out/headline.csv``, ``out/plots/*.png`` and
    the case pages under ``out/cases``."""
    specs = merged_specs(runs)
    long = long_table(runs, files, specs)
    board = headline.build(runs, files, long, specs)
    found = headline.differences(board, runs) if board else []
    folder = out / "plots"
    for stale in folder.glob("*.png"):  # figures of an earlier report of other metrics
        stale.unlink()
    figures = [
        *figures_.quality_vs_throughput(board, folder),
        *figures_.drift(runs, folder),
        *(plots.quality_vs_throughput(long, specs, folder, quality) if quality else []),
        *plots.window_plots(runs, specs, folder),
        *plots.model_plots(runs, folder),
        *plots.split_bars(long, specs, folder),
    ]
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / f"{NAME}.md", out / f"{NAME}.html", out / f"{NAME}.csv")
    order = [column.metric for column in board.columns] if board else []
    model_pages = write_case_pages(runs, specs, out, order, paths[1])
    title = board.title if board else "the measured runs"
    document = Document(f"wmbench leaderboard: {title}")
    document.add(
        Text(
            "The publication's table, one row per model and split: published rows as printed, "
            "rows measured here marked `measured` (mean [95 % bootstrap interval] over the "
            "cases). A measured number sits in a published column only when computed the "
            "publication's way; the same formulas with another instrument get a row "
            "`model [instrument]`; another unit gets its own column. Everything else is in "
            "the full table below."
        ),
        Heading("Headline"),
        *headline_blocks(board, found),
        Bullets((method_note(), *_notes(runs))),
        Heading("Runs"),
        Table(runs_table(runs), "No runs given."),
        Heading("Cases"),
        Links(
            tuple(
                (
                    f"{page.model_key} (run {page.run}): {len(page.cases)} cases, worst first",
                    _relative(page.path, out),
                )
                for page in model_pages
            )
        ),  # fmt: skip
        Heading("Figures"),
        *figures,
        Heading("All metrics (all cases)"),
        Text(
            "One row per metric, grouped by evaluator; one column per model and source. "
            "↑ higher is better, ↓ lower is better (as each metric declares). Measured cells: "
            "mean [95 % bootstrap interval] over cases. FVD is set-level: one value per model "
            "and split from all its clips pooled, shown with N and marked unreliable unless N "
            "exceeds the feature size."
        ),
        Table(wide_table(long)),
        Heading("Columns", level=3),
        Table(entries_table(long)),
        Heading("Per split (measured)"),
        Table(split_table(long), "No per-split values."),
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
                "`headline.csv`: the headline as numbers (split, model, column, mean, ci_low, "
                "ci_high, count).",
                f"`{NAME}.csv`: one row per source, model, split and metric (mean, std, count, "
                "ci_low, ci_high), measured and reported together, with protocol, setting, "
                "hardware and reference.",
                f"`{NAME}.html`: this report in one file, figures embedded; `cases/`: a page per "
                "model and per case.",
            )
        ),
    )
    atomic_write_text(paths[0], markdown(document, out))
    atomic_write_text(paths[1], html_page(document))
    atomic_write_text(paths[2], long.to_csv(index=False))
    headline_csv = out / "headline.csv" if board else None
    if board and headline_csv:
        atomic_write_text(headline_csv, headline.csv_frame(board).to_csv(index=False))
    return Written(
        *paths,
        headline_csv=headline_csv,
        figures=tuple(f.path for f in figures if f.path is not None),
        notes=tuple(f"{f.title}: {f.note}" for f in figures if f.path is None),
        model_pages=tuple(page.path for page in model_pages),
    )


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()


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
