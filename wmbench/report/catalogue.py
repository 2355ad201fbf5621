"""Every metric a run can produce, as the evaluators declare them (``wmbench list metrics``).

Each registered evaluator is constructed with its defaults (networks load lazily, on the
first case, so nothing heavy is built) and asked for its declarations: per-case metrics
(:meth:`Evaluator.metric_specs`) and set-level ones (:meth:`Evaluator.set_specs`), with the
identity its scores are filed under (:meth:`Evaluator.identity`: version, and the settings that
change its numbers, e.g. the camera's pose estimator) and the weight-store entries it needs."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from wmbench.evaluators import EVALUATORS


@dataclass(frozen=True)
class MetricEntry:
    name: str
    unit: str
    higher_is_better: bool
    evaluator: str
    protocol: str  # the evaluator's identity: version and number-changing settings
    weights: tuple[str, ...]
    level: str  # "case" or "set"
    description: str


def catalogue() -> tuple[list[MetricEntry], dict[str, str]]:
    """(every declared metric in registry order, evaluators that could not be constructed
    here with the reason)."""
    entries: list[MetricEntry] = []
    broken: dict[str, str] = {}
    for name in EVALUATORS.names():
        try:
            evaluator = EVALUATORS.get(name)()
        except (ImportError, OSError, RuntimeError) as error:
            broken[name] = f"{type(error).__name__}: {error}"
            continue
        weights = tuple(evaluator.weight_entries)
        identity = f"{name} v{evaluator.identity().text()}"
        for level, specs in (("case", evaluator.metric_specs()), ("set", evaluator.set_specs())):
            entries += [
                MetricEntry(spec.name, spec.unit, spec.higher_is_better, name, identity,
                            weights, level, spec.description)
                for spec in specs
            ]  # fmt: skip
    return entries, broken


def catalogue_table(entries: list[MetricEntry]) -> pd.DataFrame:
    """The catalogue as a table: metric, unit, better, evaluator, protocol, level, weights."""
    rows = [
        {
            "metric": entry.name,
            "unit": entry.unit,
            "better": "higher" if entry.higher_is_better else "lower",
            "evaluator": entry.evaluator,
            "protocol": entry.protocol,
            "level": entry.level,
            "weights": ", ".join(entry.weights) or "none",
        }
        for entry in entries
    ]
    return pd.DataFrame(rows)
