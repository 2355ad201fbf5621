"""`python -m wmbench doctor MODEL`: on a machine without the model it exits 1 and names
each missing piece; with a stand-in checkout and weights every line passes."""

from __future__ import annotations

import sys

from tests import standins
from wmbench.cli import main
from wmbench.models.doctor import doctor


def test_doctor_without_the_model_exits_1_naming_what_is_missing(tmp_path, capsys):
    assert main(["doctor", "lingbot-world", "-o", f"repo={tmp_path / 'nowhere'}"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[MISSING] interpreter: none configured")
    assert out[1].startswith("[MISSING] entry point:") and "generate.py not found" in out[1]
    assert out[2].startswith("[MISSING] weights: missing") and "high_noise_model" in out[2]
    assert out[3].startswith("[MISSING] package import: not checked")
    assert out[4].startswith("[MISSING] dry run: control compiled (5 frames)")


def test_doctor_passes_with_a_complete_install(tmp_path):
    repo = tmp_path / "GEN3C"
    standins.install(repo, "cosmos_predict1/diffusion/inference/gen3c_single_image.py", "")
    (repo / "cosmos_predict1" / "__init__.py").write_text("")
    (repo / "checkpoints" / "Gen3C-Cosmos-7B").mkdir(parents=True)
    checks = doctor("gen3c", {"python": sys.executable, "repo": str(repo)})
    assert [c.name for c in checks] == ["interpreter", "entry point", "weights", "package import",
                                        "dry run"]  # fmt: skip
    assert all(c.ok for c in checks), [c.line() for c in checks]


def test_doctor_on_other_models_reports_availability(tmp_path):
    (check,) = doctor("videos", {"dir": str(tmp_path / "missing")})
    assert not check.ok and "no folder" in check.detail
    assert doctor("static", {})[0].ok


def test_list_shows_control_types(capsys):
    assert main(["list", "models"]) == 0
    rows = dict(line.split() for line in capsys.readouterr().out.splitlines()[1:]
                if len(line.split()) == 2)  # fmt: skip
    assert rows["lingbot-world"] == "camera-poses" and rows["matrix-game-3"] == "actions"
    assert rows["gen3c"] == "camera-presets" and rows["videos"] == "video-files"
