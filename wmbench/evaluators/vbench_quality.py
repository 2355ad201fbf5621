"""``vbench_quality_score``: VBench's quality score of one video from its seven quality dimensions.

Each dimension (:data:`vbench_dimensions.DIMENSIONS`) is read from the evaluator that reports it:
the suite's own run of that evaluator in the same case when it ran first
(:meth:`Evaluator.shared_evaluate`), else computed here by an instance this evaluator owns
(and releases with its own networks). The score is VBench's weighted mean of the min-max
normalised dimensions
(:func:`vbench_dimensions.quality_score`); ``vbench_quality_score_pct`` is the same x 100, the
"VBench Overall" column of the SANA-WM-Bench tables.

It is never made from a subset: when any dimension cannot be computed here (its weights are not
in the store, or no evaluator for it is registered) :meth:`check_available` raises
MissingWeightsError naming every such dimension and its missing files, and the harness leaves
the score blank with that reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wmbench.core.errors import MissingWeightsError
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.vbench_dimensions import DIMENSIONS, Dimension, quality_score

SCORE = "vbench_quality_score"
SCORE_PCT = "vbench_quality_score_pct"


def dimension_evaluator(dimension: Dimension) -> Evaluator | None:
    """A new instance of the evaluator registered for ``dimension``; None when none is."""
    if dimension.evaluator not in EVALUATORS.names():
        return None
    return EVALUATORS.get(dimension.evaluator)()


class VBenchQualityScore(Evaluator):
    """VBench's quality score from the seven quality dimensions, 0-1 and x 100."""

    name = "vbench_quality_score"
    version = "1"

    def __init__(self) -> None:
        super().__init__()
        self._dimensions = {d.metric: dimension_evaluator(d) for d in DIMENSIONS}

    @property
    def weight_entries(self) -> tuple[str, ...]:  # type: ignore[override]
        """The weight entries of every registered dimension evaluator."""
        evaluators = [e for e in self._dimensions.values() if e is not None]
        return tuple(dict.fromkeys(entry for e in evaluators for entry in e.weight_entries))

    def metric_specs(self) -> list[MetricSpec]:
        dimensions = ", ".join(f"{d.metric} (x{d.weight:g})" for d in DIMENSIONS)
        formula = (
            "VBench's quality score: weighted mean of the min-max normalised quality dimensions "
            f"(VBench's scripts/constant.py): {dimensions}"
        )
        return [
            MetricSpec(SCORE, True, "", formula),
            MetricSpec(SCORE_PCT, True, "%", 'VBench\'s quality score x 100 ("VBench Overall")'),
        ]

    def check_available(self) -> None:
        lines: list[str] = []
        files: list[Path] = []
        for dimension in DIMENSIONS:
            evaluator = self._dimensions[dimension.metric]
            if evaluator is None:
                lines.append(f"{dimension.metric}: no evaluator '{dimension.evaluator}' registered")
                continue
            try:
                evaluator.check_available()
            except MissingWeightsError as error:
                named = ", ".join(map(str, error.missing)) or str(error)
                lines.append(f"{dimension.metric} ({dimension.evaluator}): missing {named}")
                files += error.missing
        if lines:
            raise MissingWeightsError(
                "VBench's quality score needs all seven quality dimensions and is left blank; "
                "not available:\n  " + "\n  ".join(lines),
                files,
            )

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        self.check_available()
        values = {}
        for dimension in DIMENSIONS:
            evaluator = self._dimensions[dimension.metric]  # registered: checked above
            values[dimension.metric] = evaluator.shared_evaluate(inputs).metrics[dimension.metric]
        score = quality_score(values)
        normalised = [d.normalised(values[d.metric]) for d in DIMENSIONS]
        return EvalResult(
            metrics={SCORE: score, SCORE_PCT: 100.0 * score},
            series={"normalised_dimension": np.array(normalised)},
        )

    def release(self) -> None:
        for evaluator in self._dimensions.values():
            if evaluator is not None:
                evaluator.release()
