"""A run's summary: per model and split (and ``all``) the mean, std and count of every metric,
the failures, and the set-level metrics the evaluators own (FVD), fed with each case's series."""

from __future__ import annotations

import pandas as pd

from wmbench.evaluators.base import Evaluator
from wmbench.harness.records import (
    FAILED,
    Aggregate,
    DeclaredMetric,
    ModelSummary,
    SetRecord,
    SplitSummary,
    Summary,
)
from wmbench.harness.store import CASE_COLUMNS, RunStore

ALL_SPLITS = "all"


def summarise(store: RunStore, results: pd.DataFrame, evaluators: list[Evaluator]) -> Summary:
    """The :class:`Summary` of the cases stored in ``store`` (``results`` is their table)."""
    run = store.run()
    metric_columns = [c for c in results.columns if c not in CASE_COLUMNS]
    set_specs = {
        spec.name: DeclaredMetric(spec.higher_is_better, spec.unit, spec.description, e.name)
        for e in evaluators
        for spec in e.set_specs()
    }
    models = {}
    for key, record in store.models().items():
        rows = results[results["model_key"] == key] if len(results) else results
        groups = [*rows.groupby("split"), (ALL_SPLITS, rows)] if len(rows) else []
        splits = {
            str(split): SplitSummary(
                cases=int(len(part)),
                failures=int((part["status"] == FAILED).sum()),
                metrics=aggregates(part, metric_columns),
                set_metrics=_set_metrics(store, key, part, evaluators),
            )
            for split, part in groups
        }
        models[key] = ModelSummary(
            record.name, record.status, record.reason, record.skipped_evaluators, splits
        )
    return Summary(run.suite, run.data, store.metric_specs(), set_specs, models)


def aggregates(rows: pd.DataFrame, metric_columns: list[str]) -> dict[str, Aggregate]:
    """Mean, population std and count of each metric column over the rows that hold a value."""
    result = {}
    for column in metric_columns:
        values = pd.to_numeric(rows[column], errors="coerce").dropna()
        if len(values):
            result[column] = Aggregate(
                float(values.mean()), float(values.std(ddof=0)), int(len(values))
            )
    return result


def _set_metrics(
    store: RunStore, key: str, rows: pd.DataFrame, evaluators: list[Evaluator]
) -> dict[str, SetRecord]:
    """Each evaluator's set-level metrics over the cases of ``rows`` that did not fail, fed
    with the series the evaluator stored for each (names without its prefix)."""
    owners = [(e, e.set_metrics()) for e in evaluators]
    owners = [(e, metrics) for e, metrics in owners if metrics]
    if not owners:
        return {}
    for case_id in rows.loc[rows["status"] != FAILED, "case_id"]:
        series = store.case_series(key, case_id)
        for evaluator, metrics in owners:
            prefix = f"{evaluator.name}/"
            own = {n.removeprefix(prefix): v for n, v in series.items() if n.startswith(prefix)}
            for metric in metrics:
                metric.update(own)
    records = {}
    for _, metrics in owners:
        for metric in metrics:
            value = metric.compute()
            if value.count:
                records[metric.spec.name] = SetRecord(
                    value.value, value.count, value.reliable, value.note
                )
    return records
