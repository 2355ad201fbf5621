"""Per-case pages and per-model pages (HTML, figures embedded, the video linked).

``cases/<model_key>/index.html`` lists a model's cases worst first (failed cases, then by the
headline's first metric the run has, in its declared direction) and links each
``cases/<model_key>/<split>/<scene>/index.html``: the paths drawn top-down and over time with
the per-frame and per-window errors, the revisit pairs as image pairs, the video (the run's
``video.mp4``, linked relative to the page), the case's metrics, failures and notes."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wmbench.core.files import atomic_write_text, load_npz
from wmbench.harness.records import CaseRecord, DeclaredMetric, read_record
from wmbench.harness.store import SERIES_FILE
from wmbench.report import case_plots
from wmbench.report.document import Document, Heading, Links, Movie, Table, Text, html_page
from wmbench.report.measured import WINDOW, Run
from wmbench.report.plots import Plot
from wmbench.report.tables import format_value

FOLDER = "cases"
PAGE = "index.html"


@dataclass(frozen=True)
class ModelPage:
    run: str
    model_key: str
    path: Path
    cases: tuple[Path, ...]  # worst first


def write_case_pages(
    runs: list[Run], specs: dict[str, DeclaredMetric], out: Path, order_by: list[str],
    home: Path,
) -> list[ModelPage]:  # fmt: skip
    """Write every case page and model page under ``out/cases``; ``order_by``: metrics to rank
    cases by (the first a model has values of, its ``@<instrument>`` variants after each),
    ``home``: the report page they link back to."""
    pages = []
    several = len(runs) > 1
    for run in runs:
        if run.results.empty:
            continue
        metric = ranking_metric(run.results, order_by)  # one ranking for all of a run's models
        for key, results in run.results.groupby("model_key", sort=True):
            folder = out / FOLDER / (f"{run.label}/{key}" if several else str(key))
            ranked = _worst_first(results, specs, metric)
            case_pages = [
                _case_page(run, row, specs, folder / str(row.case_id), home)
                for row in ranked.itertuples(index=False)
            ]
            page = folder / PAGE
            document = Document(f"{key}: cases, worst first (run {run.label})")
            how = f"by `{metric}`, worst first" if metric else "in case order"
            document.add(
                Links(((f"back to the report ({home.name})", _link(home, folder)),)),
                Text(f"{len(case_pages)} cases; failed cases first, then {how}."),
                Links(_case_links(ranked, metric, case_pages, folder)),
            )
            atomic_write_text(page, html_page(document))
            pages.append(ModelPage(run.label, str(key), page, tuple(case_pages)))
    return pages


def ranking_metric(results: pd.DataFrame, order_by: list[str]) -> str:
    """The first of ``order_by`` (each followed by its ``@<instrument>`` variants) the run's
    cases hold values of; "" when none."""
    candidates = [
        name for base in order_by
        for name in [base, *sorted(c for c in results.columns if c.startswith(f"{base}@"))]
    ]  # fmt: skip
    return next((m for m in candidates if m in results and results[m].notna().any()), "")


def _worst_first(
    results: pd.DataFrame, specs: dict[str, DeclaredMetric], metric: str
) -> pd.DataFrame:
    """Failed cases first, then by ``metric`` worst first (cases it left out count as worst)."""
    failed = (results["status"] == "failed").astype(int)
    if metric not in results:
        return results.assign(_failed=failed).sort_values("_failed", ascending=False)
    spec = specs.get(metric)
    worse_is_higher = spec is None or not spec.higher_is_better
    key = results[metric].astype(float) * (1 if worse_is_higher else -1)
    ordered = results.assign(_failed=failed, _key=key.fillna(math.inf))
    return ordered.sort_values(["_failed", "_key"], ascending=False, kind="stable")


def _case_links(
    ranked: pd.DataFrame, metric: str, pages: list[Path], folder: Path
) -> tuple[tuple[str, str], ...]:
    """``hard_60s/room_001: ok, rot_err_deg/sanawm 12.9`` linking each case page."""
    links = []
    for row, page in zip(ranked.to_dict("records"), pages, strict=True):
        text = f"{row['case_id']}: {row['status']}"
        if metric and pd.notna(row.get(metric)):
            text += f", {metric} {format_value(float(row[metric]))}"
        if isinstance(row.get("error"), str) and row["error"]:
            text += f" ({row['error']})"
        links.append((text, _link(page, folder)))
    return tuple(links)


def _case_page(
    run: Run, row: object, specs: dict[str, DeclaredMetric], folder: Path, home: Path
) -> Path:
    """One case's page (``folder/index.html``) and its figures."""
    key, case_id = str(row.model_key), str(row.case_id)  # type: ignore[attr-defined]
    case_dir = run.path / "cases" / key / case_id
    record = read_record(CaseRecord, case_dir / "result.json")
    series = (
        load_npz(case_dir / SERIES_FILE, SERIES_FILE) if (case_dir / SERIES_FILE).is_file() else {}
    )
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{key} · {case_id} (run {run.label})"
    figures: list[Plot] = []
    paths = case_plots.load_paths(case_dir, series)
    if paths is not None:
        figure = case_plots.paths_figure(paths, folder / "paths.png", title)
        note = "Black: requested; blue: estimated from the video (wmbench alignment); " + (
            "orange dashed: what the model's control can express."
            if paths.expressed is not None
            else "no expressible path (the model compiles no native control)."
        )
        figures.append(Plot("Camera paths and errors", figure, note))
    pairs = case_plots.revisit_pairs(series)
    video = case_dir / "video.mp4"
    pair_figure = case_plots.pairs_figure(video, pairs, folder / "revisit.png", title)
    if pair_figure is not None:
        figures.append(
            Plot(
                "Revisit pairs",
                pair_figure,
                "Left the earlier frame, right the later one at the same viewpoint.",
            )
        )
    document = Document(title)
    document.add(
        Links(
            (
                (f"back to the report ({home.name})", _link(home, folder)),
                (f"all cases of {key}", _link(folder.parent.parent / PAGE, folder)),
            )
        ),
        Text(_headline_status(record)),
        Heading("Figures"),
        *(figures or [Text("No poses or revisit pairs stored for this case.")]),
        Heading("Video"),
        Movie("The generated video", _link(video, folder), "")
        if video.is_file()
        else Text("No video saved (the run used --no-videos)."),
        Heading("Per-window errors"),
        Table(_windows(series), "No per-window series."),
        Heading("Failures, notes and timings"),
        Table(_status(record)),
        Heading("Metrics"),
        Table(_metrics(record, specs)),
    )
    page = folder / PAGE
    atomic_write_text(page, html_page(document))
    return page


def _headline_status(record: CaseRecord) -> str:
    """``Status: failed at generate: ...`` (and the evaluators that failed)."""
    text = f"Status: {record.status}"
    if record.stage and record.status != "ok":
        text += f" at {record.stage}"
    if record.error:
        text += f": {record.error}"
    if record.errors:
        text += f"; evaluators failed: {', '.join(sorted(record.errors))}"
    return text + "."


def _status(record: CaseRecord) -> pd.DataFrame:
    rows = [("status", record.status), ("stage", record.stage), ("error", record.error)]
    rows += [(f"error in {name}", text) for name, text in record.errors.items()]
    rows += [(f"note: {name}", str(value)) for name, value in record.generation_info.items()]
    rows += [(f"seconds: {name}", format_value(value)) for name, value in record.timings.items()]
    return pd.DataFrame([r for r in rows if r[1]], columns=["what", "value"])


def _windows(series: dict) -> pd.DataFrame:
    names = [name for name in series if WINDOW.search(name)]
    if not names:
        return pd.DataFrame()
    width = max(len(series[name]) for name in names)
    rows = [
        {"series": name, **{f"w{i + 1}": format_value(float(v)) for i, v in
                            enumerate(series[name])}}
        for name in names
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["series", *(f"w{i + 1}" for i in range(width))]).fillna("")


def _metrics(record: CaseRecord, specs: dict[str, DeclaredMetric]) -> pd.DataFrame:
    rows = []
    for name, value in sorted(record.metrics.items()):
        spec = specs.get(name)
        rows.append({
            "metric": name, "value": "" if value is None else format_value(value),
            "unit": spec.unit if spec else "",
            "better": "" if spec is None else ("higher" if spec.higher_is_better else "lower"),
            "evaluator": spec.evaluator if spec else "",
        })  # fmt: skip
    return pd.DataFrame(rows)


def _link(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()
