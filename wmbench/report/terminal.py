"""The short summary of one run (``wmbench run`` and ``wmbench show``): the headline table per
split beside the published rows of the registry (the same table model and cells as the report:
:mod:`wmbench.report.headline`), the case counts, and where the files are. Everything else
(every metric, the settings, the evaluators' notes) is in the files and the report."""

from __future__ import annotations

import pandas as pd

from wmbench.report import headline, reported
from wmbench.report.measured import Run, merged_specs
from wmbench.report.tables import long_table

WIDTH = 250


def render(run: Run, files: list[reported.ReportedFile] | None = None) -> str:
    """Headline per split, counts of cases and skipped evaluators, the files to read next.
    ``files``: the reported numbers beside (default: the whole registry)."""
    summary = run.summary
    files = reported.resolve([reported.ALL]) if files is None else files
    specs = merged_specs([run])
    board = headline.build([run], files, long_table([run], files, specs), specs)
    lines = [f"suite: {summary.suite}    data: {summary.data}"]
    if board is None:
        lines.append("(no published table to compare with: see the report for every metric)")
    else:
        for split in board.splits:
            table = headline.frame(board, split)
            if not (table["source"] == "measured").any():
                continue
            with pd.option_context("display.width", WIDTH, "display.max_columns", None):
                lines += ["", f"== {split}: {board.title} ==", table.to_string(index=False)]
        lines.append("measured cells: mean [95 % bootstrap interval over cases]")
    lines.append("")
    for key, model in summary.models.items():
        if model.status != "ok":
            lines.append(f"model {key}: skipped: {model.reason}")
            continue
        overall = model.splits.get("all")
        cases, failures = (overall.cases, overall.failures) if overall else (0, 0)
        lines.append(f"model {key}: {cases - failures} cases ok, {failures} failed")
    skipped = sorted({name for m in summary.models.values() for name in m.skipped_evaluators})
    if skipped:
        lines.append(f"evaluators skipped ({len(skipped)}; reasons in summary.json): "
                     f"{', '.join(skipped)}")  # fmt: skip
    lines += [
        f"files: {run.path / 'results.csv'} ({len(run.metrics)} metrics per case), "
        f"{run.path / 'summary.json'} (means per model and split), {run.path / 'cases'}/",
        f"full report: python -m wmbench report {run.path} --against reported --out DIR",
    ]
    return "\n".join(lines)
