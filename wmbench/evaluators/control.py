"""``control``: how far the path a model's native control can express is from the requested one
(:mod:`wmbench.models.controls`), so a camera error is never blamed on the model when its
control cannot say the path. Models driven by poses they take exactly report no such error:
their cells are blank."""

from __future__ import annotations

import numpy as np

from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec

SERIES = {"rotation": "control_error/rotation_deg", "translation": "control_error/translation_m"}


class ControlFidelity(Evaluator):
    """Mean and max per-frame error of the expressed control path against the request."""

    name = "control"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        what = "of the path the model's native control expresses against the requested path"
        return [
            MetricSpec("control_rot_err_deg/mean", False, "deg", f"mean rotation error {what}"),
            MetricSpec("control_rot_err_deg/max", False, "deg", f"max rotation error {what}"),
            MetricSpec("control_trans_err_m/mean", False, "m", f"mean position error {what}"),
            MetricSpec("control_trans_err_m/max", False, "m", f"max position error {what}"),
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        series = inputs.generation.series
        metrics = {spec.name: float("nan") for spec in self.metric_specs()}
        for key, prefix in (("rotation", "control_rot_err_deg"),
                            ("translation", "control_trans_err_m")):  # fmt: skip
            if SERIES[key] in series:
                values = np.asarray(series[SERIES[key]], dtype=float)
                metrics[f"{prefix}/mean"] = float(values.mean())
                metrics[f"{prefix}/max"] = float(values.max())
        return EvalResult(metrics)
