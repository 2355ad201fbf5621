"""The ``control`` evaluator reports the error of the path a model's control can express, from
the series the adapter returns, and nothing for models without one."""

import math
from dataclasses import replace

import numpy as np
import pytest

from tests.test_quality_evaluators import out_and_back
from tests.test_quality_metrics import panning
from wmbench.evaluators.control import ControlFidelity
from wmbench.studies.validate_quality import eval_input


def test_known_error_series_give_their_mean_and_max():
    inputs = eval_input(panning(5, (1, 0)), out_and_back(5))
    series = {
        "control_error/rotation_deg": np.array([0.0, 1.0, 2.0, 3.0, 4.0]),
        "control_error/translation_m": np.array([0.0, 0.0, 0.5, 0.0, 0.0]),
    }
    inputs.generation = replace(inputs.generation, series=series)
    metrics = ControlFidelity().evaluate(inputs).metrics
    assert metrics["control_rot_err_deg/mean"] == pytest.approx(2.0)
    assert metrics["control_rot_err_deg/max"] == pytest.approx(4.0)
    assert metrics["control_trans_err_m/mean"] == pytest.approx(0.1)
    assert metrics["control_trans_err_m/max"] == pytest.approx(0.5)
    assert set(metrics) == {spec.name for spec in ControlFidelity().metric_specs()}


def test_a_model_without_a_compiled_control_leaves_the_cells_blank():
    metrics = ControlFidelity().evaluate(eval_input(panning(5, (1, 0)), out_and_back(5))).metrics
    assert all(math.isnan(value) for value in metrics.values())
