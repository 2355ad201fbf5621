"""The leaderboard of one run as text (``wmbench run`` and ``wmbench show``): the same table
model and cell format as the Markdown and HTML report (:func:`tables.wide_table`)."""

from __future__ import annotations

from wmbench.report.measured import ALL_SPLITS, Run, merged_specs
from wmbench.report.tables import long_table, wide_table


def render(run: Run) -> str:
    """Data label, one table over all cases and one per split (when there are several), the
    models and evaluators that were skipped with their reasons, and the evaluators' notes."""
    summary = run.summary
    lines = [f"suite: {summary.suite}    data: {summary.data}"]
    long = long_table([run], [], merged_specs([run]))
    splits = sorted(set(long["split"]) - {ALL_SPLITS})
    for split in [ALL_SPLITS, *splits] if len(splits) > 1 else [ALL_SPLITS]:
        table = wide_table(long, split)
        if table.empty:
            continue
        lines += ["", f"== {split} ==", table.to_string(index=False)]
    lines.append("")
    for key, model in summary.models.items():
        if model.status != "ok":
            lines.append(f"model {key}: skipped: {model.reason}")
            continue
        overall = model.splits.get(ALL_SPLITS)
        cases, failures = (overall.cases, overall.failures) if overall else (0, 0)
        lines.append(f"model {key}: {cases - failures} cases ok, {failures} failed")
    skipped: dict[tuple[str, str], list[str]] = {}
    for key, model in summary.models.items():
        for name, reason in model.skipped_evaluators.items():
            skipped.setdefault((name, reason), []).append(key)
    for (name, reason), keys in skipped.items():
        lines.append(f"evaluator {name} skipped ({', '.join(keys)}): {reason}")
    lines += [f"\n{name}: {text}" for name, text in run.record.evaluator_notes.items()]
    return "\n".join(lines)
