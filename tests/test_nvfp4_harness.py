"""One command runs a suite with the unquantized and the NVFP4 reference model and prints the
delta of every metric; ``wmbench compare --match model`` pairs one model run with two options."""

import json

import pandas as pd

from reference_model.__main__ import main
from wmbench.cli import main as wmbench

ARGS = ["--frames", "5", "--resolution", "64x48", "--limit", "1", "--split", "simple_60s",
        "--evaluators", "throughput,flicker,reference", "--steps", "1"]  # fmt: skip


def test_compare_quant_runs_both_and_prints_the_deltas(tmp_path, capsys):
    out = tmp_path / "quant"
    assert main(["compare-quant", "--out", str(out), *ARGS]) == 0
    printed = capsys.readouterr().out
    assert "== deltas: quant=nvfp4 against quant=none" in printed
    runs = {q: json.loads((out / q / "run.json").read_text()) for q in ("none", "nvfp4")}
    assert [m["options"]["quant"] for m in runs["none"]["spec"]["models"]] == ["none"]
    assert [m["options"]["quant"] for m in runs["nvfp4"]["spec"]["models"]] == ["nvfp4"]
    deltas = pd.read_csv(out / "deltas.csv")
    assert set(deltas["model"]) == {"sana-wm"}  # paired by name across the two configurations
    psnr = deltas.set_index("metric").loc["psnr_db"]
    assert pd.notna(psnr["base"]) and pd.notna(psnr["new"])
    assert psnr["delta"] == psnr["new"] - psnr["base"]
    quantized = json.loads(next((out / "nvfp4").glob("cases/*/*/*/result.json")).read_text())
    assert quantized["generation_info"]["quantization"]["activations"] == "nvfp4"


def test_a_second_configuration_of_a_model_is_refused_in_the_same_run_folder(tmp_path, capsys):
    """A run folder holds one specification: another quantization of the same model name is
    refused (exit 2, naming the models), so `compare --match model` never meets two."""
    out = tmp_path / "two"
    assert wmbench(["run", "--suite", "smoke", "--model", "sana-wm", "--preset", "tiny",
                    "--quant", "none", "--out", str(out), *ARGS]) == 0  # fmt: skip
    capsys.readouterr()
    assert wmbench(["run", "--suite", "smoke", "--model", "sana-wm", "--preset", "tiny",
                    "--quant", "nvfp4-weight", "--out", str(out), *ARGS]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert "run specification" in error and "differs in models" in error and "--new-spec" in error
