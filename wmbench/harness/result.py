"""A finished (or resumed) run as the runner returns it: its folder, record, model records,
summary and per-case table, built from what the run just wrote (no folder is read back)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wmbench.harness.records import FAILED, PARTIAL, DeclaredMetric, ModelRecord, RunRecord, Summary
from wmbench.harness.store import RunStore, declared_metrics


@dataclass(frozen=True)
class RunResult:
    """A run's folder, record, model records (by folder key), summary and per-case table."""

    out: Path
    run: RunRecord
    models: dict[str, ModelRecord]
    summary: Summary
    results: pd.DataFrame

    @classmethod
    def read(cls, out: Path) -> RunResult:
        """The result of the run stored at ``out`` (for a rank that did not write the tables)."""
        store = RunStore(out)
        return cls(Path(out), store.run(), store.models(), store.summary(), store.results())

    @property
    def metrics(self) -> dict[str, DeclaredMetric]:
        """The metrics the run's evaluators declare."""
        return declared_metrics(self.models)

    @property
    def failed_cases(self) -> int:
        """Cases with no result (unreadable input, generation failed, could not be stored)."""
        return self._count(FAILED)

    @property
    def partial_cases(self) -> int:
        """Cases where an evaluator failed (its error is in the case's ``errors``)."""
        return self._count(PARTIAL)

    def _count(self, status: str) -> int:
        if not len(self.results):
            return 0
        return int((self.results["status"] == status).sum())
