"""The run directory: typed records and per-case artefacts written atomically, and read back.
The store reads and writes; it computes no metric (:mod:`wmbench.harness.summary` does).

Layout of a run directory::

    run.json                               RunRecord: specification, what it resolved to, commit,
                                           versions, hardware
    models/<model_key>.json                ModelRecord: options, config, skipped or not and why,
                                           evaluators run/skipped, metric declarations
    cases/<model_key>/<case_id>/result.json   CaseRecord: metrics, status, errors, timings
    cases/<model_key>/<case_id>/series.npz    per-frame / per-window series (<evaluator>/<name>)
    cases/<model_key>/<case_id>/<name>.npz    artefacts an evaluator saves (e.g. poses.npz)
    cases/<model_key>/<case_id>/video.mp4     the generated video
    results.csv                            one row per case and model, one column per metric
    summary.json                           Summary: per model and split mean, std, count,
                                           failures, and the set-level metrics (FVD)

A case is finished when its ``result.json`` exists with the current fingerprint, so any number of
processes (torchrun ranks, resumed runs) can fill one directory; the tables are rebuilt from the
files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from wmbench.core.digest import digest
from wmbench.core.errors import InputError
from wmbench.core.files import atomic_write_arrays, atomic_write_text, load_npz
from wmbench.core.types import FrameSequence
from wmbench.data.video_io import write_video
from wmbench.harness.identity import RUN_FILE, check_spec, members
from wmbench.harness.records import (
    CaseRecord,
    DeclaredMetric,
    ModelRecord,
    OlderRun,
    RunRecord,
    Summary,
    read_record,
    to_json,
)

CASE_COLUMNS = ["model", "model_key", "case_id", "split", "category", "status", "error"]
SERIES_FILE = "series.npz"


fingerprint = digest  # a short content hash of JSON-able data (the name reports use)


def declared_metrics(models: dict[str, ModelRecord]) -> dict[str, DeclaredMetric]:
    """Metric declarations (direction, unit, evaluator) gathered from model records."""
    return {name: spec for record in models.values() for name, spec in record.metrics.items()}


class RunStore:
    """Reads and writes one run directory (see the module docstring for the layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def case_dir(self, key: str, case_id: str) -> Path:
        return self.root / "cases" / key / case_id

    def claim(self, record: RunRecord, new_spec: bool = False) -> RunRecord:
        """Write ``run.json`` for ``record`` and return what was written. A run of the same
        specification already here is resumed (it keeps its first creation time and lists
        resumes); one of another specification is an InputError naming what differs, or
        replaced when ``new_spec``."""
        path = self.root / RUN_FILE
        previous = self._previous_run(path)
        if previous is not None and check_spec(path, previous, record, new_spec):
            resumed = [*previous.resumed, record.created]
            record = replace(record, created=previous.created, resumed=resumed)
        atomic_write_text(path, to_json(record))
        return record

    @staticmethod
    def _previous_run(path: Path) -> RunRecord | None:
        """The run record a resumed run extends; a damaged one is replaced (its creation time
        and resume list are lost, no result is); one of an older wmbench is an error."""
        if not path.is_file():
            return None
        try:
            return read_record(RunRecord, path)
        except OlderRun:
            raise
        except InputError:
            return None

    def run(self) -> RunRecord:
        path = self.root / "run.json"
        if not path.is_file():
            raise InputError(
                self.root, "run.json", "a wmbench run directory", "not a wmbench run directory"
            )
        return read_record(RunRecord, path)

    def write_model(self, key: str, record: ModelRecord) -> None:
        atomic_write_text(self.root / "models" / f"{key}.json", to_json(record))

    def models(self) -> dict[str, ModelRecord]:
        """The model records of the run's specification (every one for a run without one)."""
        folder = self.root / "models"
        paths = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
        members = self._members()
        if members is not None:
            paths = [p for p in paths if p.stem in members[0]]
        return {p.stem: read_record(ModelRecord, p) for p in paths}

    def _members(self) -> tuple[set[str], set[str]] | None:
        """The model keys and case ids of the run's specification; None where ``run.json`` is
        absent or damaged."""
        previous = self._previous_run(self.root / RUN_FILE)
        return members(previous) if previous is not None else None

    def finished(self, key: str, case_id: str, case_fingerprint: str) -> CaseRecord | None:
        """The stored result of this case if it was finished with the same fingerprint; an
        unreadable result counts as not finished (it is recomputed)."""
        path = self.case_dir(key, case_id) / "result.json"
        if not path.is_file():
            return None
        try:
            result = read_record(CaseRecord, path)
        except InputError:
            return None
        return result if result.fingerprint == case_fingerprint else None

    def write_case(
        self,
        record: CaseRecord,
        series: dict[str, np.ndarray] | None = None,
        artefacts: dict[str, dict[str, np.ndarray]] | None = None,
        video: FrameSequence | None = None,
    ) -> None:
        """Write a case's artefacts, then its ``result.json`` last: that file marks it done."""
        folder = self.case_dir(record.model_key, record.case_id)
        if video is not None:
            write_video(folder / "video.mp4", video)
        if series:
            atomic_write_arrays(folder / SERIES_FILE, series)
        for name, arrays in (artefacts or {}).items():
            atomic_write_arrays(folder / f"{name}.npz", arrays)
        atomic_write_text(folder / "result.json", to_json(record))

    def case_records(self) -> list[CaseRecord]:
        """Every stored case result (a damaged file is an InputError naming it)."""
        paths = sorted((self.root / "cases").glob("**/result.json"))
        return [read_record(CaseRecord, path) for path in paths]

    def case_series(self, key: str, case_id: str) -> dict[str, np.ndarray]:
        """The series a case stored (empty when it stored none)."""
        return self.case_arrays(key, case_id, SERIES_FILE)

    def case_arrays(self, key: str, case_id: str, file_name: str) -> dict[str, np.ndarray]:
        """The arrays of ``file_name`` (an ``.npz``) in a case folder; empty when absent."""
        path = self.case_dir(key, case_id) / file_name
        return load_npz(path, file_name) if path.is_file() else {}

    def results(self) -> pd.DataFrame:
        """One row per finished case and model of the run's specification, one column per
        metric (cases of another specification left in the folder are not rows)."""
        rows = []
        members = self._members()
        for record in self.case_records():
            if members and not (record.model_key in members[0] and record.case_id in members[1]):
                continue
            row = {column: getattr(record, column) for column in CASE_COLUMNS}
            row.update(record.metrics)
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else CASE_COLUMNS)

    def metric_specs(self) -> dict[str, DeclaredMetric]:
        """Metric declarations (direction, unit, evaluator) gathered from the model records."""
        return declared_metrics(self.models())

    def write_tables(
        self, summarise: Callable[[RunStore, pd.DataFrame], Summary]
    ) -> tuple[pd.DataFrame, Summary]:
        """(Re)build ``results.csv`` and ``summary.json`` (computed by ``summarise``); the
        tables as written."""
        results = self.results()
        atomic_write_text(self.root / "results.csv", results.to_csv(index=False))
        summary = summarise(self, results)
        atomic_write_text(self.root / "summary.json", to_json(summary))
        return results, summary

    def summary(self) -> Summary:
        path = self.root / "summary.json"
        if not path.is_file():
            raise InputError(self.root, "summary.json", "a finished wmbench run", "no summary")
        return read_record(Summary, path)
