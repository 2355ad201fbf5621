"""``wmbench.api.evaluate`` runs a suite from Python and gives the numbers the CLI gives."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from wmbench import api
from wmbench.cli import main
from wmbench.core.errors import InputError

EVALUATORS = ["flicker", "sharpness", "drift", "reference", "revisit"]  # deterministic ones
SELECTION = api.Overrides(frames=17, resolution=(96, 64))


def test_evaluate_returns_the_cli_run_s_numbers(tmp_path, capsys):
    result = api.evaluate(
        "smoke", ["oracle", "static"], selection=SELECTION, evaluators=EVALUATORS,
        out=tmp_path / "api", save_videos=False,
    )  # fmt: skip
    command = ["run", "--suite", "smoke", "--model", "oracle", "--model", "static",
               "--frames", "17", "--resolution", "96x64", "--evaluators", ",".join(EVALUATORS),
               "--no-videos", "--out", str(tmp_path / "cli")]  # fmt: skip
    assert main(command) == 0
    assert "model oracle: 2 cases ok, 0 failed" in capsys.readouterr().out
    cli = pd.read_csv(tmp_path / "cli" / "results.csv").sort_values(["model", "case_id"])
    ours = result.results.sort_values(["model", "case_id"])
    metrics = [c for c in cli.columns if "/" in c or c in ("psnr_db", "ssim")]
    assert metrics and len(ours) == len(cli) == 4
    for column in metrics:
        for mine, theirs in zip(ours[column], cli[column], strict=True):
            assert (pd.isna(mine) and pd.isna(theirs)) or math.isclose(mine, theirs, rel_tol=1e-9)
    oracle = result.summary.models["oracle"].splits["all"]
    assert oracle.cases == 2 and oracle.failures == 0
    assert oracle.metrics["psnr_db"].mean == pytest.approx(
        ours[ours.model == "oracle"].psnr_db.mean()
    )
    assert result.run.suite == "smoke" and result.failed_cases == 0


def test_options_for_a_model_that_does_not_run_are_refused(tmp_path):
    with pytest.raises(InputError, match="static"):
        api.evaluate("smoke", ["oracle"], options={"static": {"x": "1"}}, out=tmp_path)


def test_the_result_returned_is_what_the_run_folder_holds(tmp_path):
    """The runner returns what it wrote (no re-read); reading the folder back gives the same."""
    result = api.evaluate(
        "smoke", ["static"], selection=SELECTION, evaluators=["flicker", "throughput"],
        out=tmp_path / "run", save_videos=False,
    )  # fmt: skip
    stored = api.RunResult.read(result.out)
    assert result.run == stored.run and result.models == stored.models
    assert result.summary == stored.summary
    pd.testing.assert_frame_equal(result.results, stored.results, check_dtype=False)
