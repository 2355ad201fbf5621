"""``vbench_quality_score``: VBench's quality score of one video from its seven quality dimensions.

Each dimension (:data:`vbench_dimensions.DIMENSIONS`) is read from the evaluator that reports it:
the suite's own run of that evaluator in the same case when the suite lists it (the harness runs it
first: ``requires``; :meth:`Evaluator.shared_evaluate`), else computed here by an instance this
evaluator owns (and releases with its own networks). The score is VBench's weighted mean of the
min-max normalised dimensions (:func:`vbench_dimensions.quality_score`);
``vbench_quality_score_pct`` is the same x 100, the "VBench Overall" column of the SANA-WM-Bench
tables.

``vbench_quality_score_pct/sanawm`` is the set-level score as SANA-WM-Bench's ``eval_unified.py``
makes its "VBench Overall" (HaoyiZhu/NVlabs-Sana at 006a401): VBench scores each dimension over
all of a split's videos (the mean over cases), then ``normalize_score`` clips each normalised
dimension to [0, 1] and ``compute_vbench_total`` takes the weighted mean; x 100. Clipping makes
it differ from the mean of per-case scores whenever a dimension leaves VBench's range.

It is never made from a subset: when any dimension cannot be computed here (its weights are not
in the store, or no evaluator for it is registered) :meth:`check_available` raises
MissingWeightsError naming every such dimension and its missing files, and the harness leaves
the score blank with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from wmbench.core.errors import MissingWeightsError
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import (
    EvalInput,
    EvalResult,
    Evaluator,
    MetricSpec,
    SetMetric,
    SetValue,
)
from wmbench.evaluators.vbench_dimensions import (
    DIMENSIONS,
    Dimension,
    quality_score,
    sanawm_quality_score,
)

SCORE = "vbench_quality_score"
SCORE_PCT = "vbench_quality_score_pct"
SANAWM_PCT = "vbench_quality_score_pct/sanawm"
RAW = "dimension"  # per-case series: the raw dimensions in DIMENSIONS order


class SanawmVBenchOverall(SetMetric):
    """SANA-WM-Bench's "VBench Overall" of a split: dimensions pooled over cases, clipped."""

    spec = MetricSpec(SANAWM_PCT, True, "%", "VBench Overall as SANA-WM-Bench's eval_unified.py "
                      "makes it: each dimension's mean over the split's videos, normalised, "
                      "clipped to [0, 1], weighted mean x 100")  # fmt: skip

    def __init__(self) -> None:
        self._rows: list[np.ndarray] = []

    def update(self, series: Mapping[str, np.ndarray]) -> None:
        if RAW in series:
            self._rows.append(np.asarray(series[RAW], dtype=np.float64))

    def compute(self) -> SetValue:
        if not self._rows:
            return SetValue(None, 0, False, "no case with all seven dimensions")
        means = np.mean(self._rows, axis=0)
        values = {d.metric: float(v) for d, v in zip(DIMENSIONS, means, strict=True)}
        return SetValue(100.0 * sanawm_quality_score(values), len(self._rows))


def dimension_evaluator(dimension: Dimension) -> Evaluator | None:
    """A new instance of the evaluator registered for ``dimension``; None when none is."""
    if dimension.evaluator not in EVALUATORS.names():
        return None
    return EVALUATORS.get(dimension.evaluator)()


class VBenchQualityScore(Evaluator):
    """VBench's quality score from the seven quality dimensions, 0-1 and x 100."""

    name = "vbench_quality_score"
    version = "1"
    requires = tuple(d.evaluator for d in DIMENSIONS)

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
            series={
                "normalised_dimension": np.array(normalised),
                RAW: np.array([values[d.metric] for d in DIMENSIONS]),
            },
        )

    def set_metrics(self) -> list[SetMetric]:
        return [SanawmVBenchOverall()]

    def release(self) -> None:
        for evaluator in self._dimensions.values():
            if evaluator is not None:
                evaluator.release()
