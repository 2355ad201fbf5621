"""The paper-reproduction report: each published claim, our measurement of it from the given runs
(or what measuring it here needs), the gap, and the conditions of both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wmbench.core.files import atomic_write_text
from wmbench.report.document import Bullets, Document, Heading, Table, Text, markdown
from wmbench.report.measured import MIRROR_MARK, Run, case_values, merged_specs
from wmbench.report.reported import ReportedFile, ReportedResult
from wmbench.report.tables import format_value, runs_table

SIXTY_SECONDS = 60.0


@dataclass(frozen=True)
class Measurement:
    """Our value of a claim's quantity, pooled over the qualifying runs' cases."""

    mean: float
    std: float
    count: int
    unit: str
    runs: tuple[str, ...]
    protocol: str
    conditions: tuple[str, ...]
    caveats: tuple[str, ...]


def measure(entry: ReportedResult, runs: list[Run]) -> Measurement | str:
    """The measurement of ``entry`` from ``runs``, or why there is none ("not measured here")."""
    prefix = f"not measured here: needs {entry.needs}"
    if entry.measured_by is None:
        return f"{prefix} (no wmbench adapter runs {entry.model})"
    if not entry.beside:
        return f"{prefix} (no wmbench metric is named for this quantity)"
    match, qualifying, refused = entry.measured_by, [], []
    for run in runs:
        for key, record in run.models.items():
            reason = match.mismatch(record) if run.ran(key) else "skipped"
            if not reason:
                qualifying.append((run, key))
            elif record.name == match.name:
                refused.append(f"{run.label}/{key}: {reason}")
    if not qualifying:
        detail = "; ".join(refused) if refused else f"no run of `{match.name}` given"
        return f"{prefix} ({detail})"
    values = case_values([run for run, _ in qualifying])
    keys = {(run.label, key) for run, key in qualifying}
    ours = pd.MultiIndex.from_frame(values[["run", "model_key"]]).isin(keys)
    chosen = values[ours & (values["metric"] == entry.beside)]
    if entry.split:
        chosen = chosen[chosen["split"] == entry.split]
    if chosen.empty:
        split = f" on {entry.split}" if entry.split else ""
        return f"{prefix} (the runs of `{match.name}` hold no `{entry.beside}`{split})"
    used = [(run, key) for run, key in qualifying if run.label in set(chosen["run"])]
    declared = merged_specs([run for run, _ in used]).get(entry.beside)
    unit = declared.unit if declared else ""
    return Measurement(
        mean=float(chosen["value"].mean()),
        std=float(chosen["value"].std(ddof=0)),
        count=len(chosen),
        unit=unit,
        runs=tuple(sorted({run.label for run, _ in used})),
        protocol="; ".join(sorted({f"`{entry.beside}`, {run.protocol(key)}" for run, key in used})),
        conditions=tuple(sorted({f"{run.setting()}; {run.hardware()}" for run, _ in used})),
        caveats=tuple(_caveats(entry, unit, used)),
    )


def _caveats(entry: ReportedResult, unit: str, used: list[tuple[Run, str]]) -> list[str]:
    runs = [run for run, _ in used]
    caveats = []
    estimators = sorted({run.pose_estimator(key) for run, key in used} - {"", entry.estimator})
    if entry.estimator and estimators:
        caveats.append(f"poses from {', '.join(estimators)} here, {entry.estimator} reported")
    if any(MIRROR_MARK in run.record.data for run in runs):
        caveats.append("measured on the synthetic mirror, not SANA-WM-Bench")
    short = sorted({run.video_seconds() for run in runs if run.video_seconds() < SIXTY_SECONDS - 1})
    if short:
        caveats.append(f"videos of {', '.join(f'{s:.1f}' for s in short)} s, not 60 s")
    if unit != entry.unit:
        caveats.append(f"units differ ({unit or 'none'} here, {entry.unit or 'none'} reported)")
    return caveats


def gap(entry: ReportedResult, measurement: Measurement) -> str:
    """``measured - reported`` with its relative size and whether it is better or worse."""
    if measurement.unit != entry.unit:
        return "not computed: units differ"
    delta = measurement.mean - entry.value
    if delta == 0:
        return "0 (equal)"
    better = (delta > 0) == entry.higher_is_better
    relative = ""
    if entry.value:
        ratio = measurement.mean / entry.value
        relative = f"{ratio:.3g}x reported; " if abs(ratio) >= 10 else f"{ratio - 1:+.0%}; "
    unit = f" {entry.unit}" if entry.unit else ""
    return f"{format_value(delta)}{unit} ({relative}{'better' if better else 'worse'})"


def claims_tables(file: ReportedFile, runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(claims: reported, measured, gap) and (conditions: protocols, settings, caveats)."""
    claims, conditions = [], []
    for entry in file.entries:
        result = measure(entry, runs)
        unit = f" {entry.unit}" if entry.unit else ""
        row = {
            "claim": entry.id,
            "model": entry.model,
            "statement": entry.claim,
            "reported": f"{format_value(entry.value)}{unit}",
        }
        detail = {
            "claim": entry.id,
            "reported under": _join(
                entry.protocol, entry.setting, entry.hardware, entry.short_citation
            ),
        }
        if isinstance(result, str):
            claims.append({**row, "measured here": result, "gap": ""})
            conditions.append({**detail, "measured under": "", "caveats": ""})
            continue
        spread = f" ± {format_value(result.std)}" if result.count > 1 else ""
        measured_unit = f" {result.unit}" if result.unit else ""
        value = f"{format_value(result.mean)}{spread}{measured_unit} (n={result.count})"
        claims.append({**row, "measured here": value, "gap": gap(entry, result)})
        runs_used = "runs " + ", ".join(result.runs)
        conditions.append(
            {
                **detail,
                "measured under": _join(result.protocol, *result.conditions, runs_used),
                "caveats": "; ".join(["protocols differ as stated", *result.caveats]),
            }
        )
    return pd.DataFrame(claims), pd.DataFrame(conditions)


def published_tables(file: ReportedFile, runs: list[Run]) -> list[tuple[str, pd.DataFrame]]:
    """The publication's tables as it prints them, one per table and split (in file order): a
    row per model, a column per metric, each cell the reported number and, where the runs
    measure it, ours beside it (``7.59 · ours 6.1 (n=4)``)."""
    groups: dict[tuple[str, str], list[ReportedResult]] = {}
    for entry in file.entries:
        if entry.table:
            groups.setdefault((entry.table, entry.split), []).append(entry)
    views = []
    for (table, split), entries in groups.items():
        cells: dict[str, dict[str, str]] = {}
        for entry in entries:
            unit = f" {entry.unit}" if entry.unit else ""
            column = f"{entry.metric}{f' [{entry.unit}]' if entry.unit else ''}"
            cell = format_value(entry.value)
            result = measure(entry, runs)
            if isinstance(result, Measurement):
                cell += f" · ours {format_value(result.mean)}{unit} (n={result.count})"
            cells.setdefault(entry.model, {})[column] = cell
        frame = pd.DataFrame.from_dict(cells, orient="index").fillna("")
        views.append((f"{table}, {split}" if split else table, frame.rename_axis("model")))
    return views


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def write_paper_report(file: ReportedFile, runs: list[Run], out: Path, command: str) -> Path:
    """Write the reproduction report of ``file``'s publication as Markdown to ``out``."""
    source = file.source
    claims, conditions = claims_tables(file, runs)
    measured = int((claims["gap"] != "").sum())
    document = Document(f"Paper reproduction: {source.title} ({source.where})")
    document.add(
        Text(
            f"Generated by `{command}` from the reported numbers in `reports/reported/"
            f"{file.path.name}` (revision {file.revision}; {source.cite()}, {source.organisation}, "
            f"{source.published}) and the runs below. Do not edit by hand: rerun the command."
        ),
        Text(f"{measured} of {len(claims)} claims measured here."),
        Heading("Runs"),
        Table(runs_table(runs), "No runs were given: every claim is listed as not measured."),
        Heading("Published tables"),
        Text(
            "Each table and split as the publication prints it; `ours` follows a number where "
            "the given runs measure it (details, gaps and caveats under Claims)."
        ),
        *[
            part
            for title, frame in published_tables(file, runs)
            for part in (Heading(title, level=3), Table(frame.reset_index()))
        ],
        Heading("Claims"),
        Table(claims),
        Heading("Protocols and conditions"),
        Table(conditions),
        Heading("How to read this"),
        Bullets(
            (
                "`reported`: the publication's number as recorded in the registry file, with its "
                "citation under `reported under`.",
                "`measured here`: mean ± std over the cases (of the entry's split) of the runs "
                "whose model qualifies "
                "(the file's `measured_by`: adapter name and required options), for the wmbench "
                "metric the file names as the same quantity (`beside`); n is the number of cases.",
                "`gap`: measured minus reported, relative to reported, better or worse by the "
                "metric's declared direction; computed only where the units agree. The protocols "
                "differ as stated in the conditions table, so a gap compares across protocols; "
                "it is not by itself a failed reproduction.",
                "`not measured here`: what measuring the claim needs; in brackets, what the given "
                "runs lack.",
            )
        ),
    )
    atomic_write_text(out, markdown(document, out.parent))
    return out
