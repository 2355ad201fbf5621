"""`wmbench report --paper`: the reproduction report, generated from runs and the registry."""

import numpy as np
import pytest

from tests.benchdata import write_bench
from wmbench.cli import main
from wmbench.core.types import Video
from wmbench.models import MODELS
from wmbench.models.base import Generation, ModelInfo
from wmbench.report import reported
from wmbench.report.paper import Measurement, gap

SMALL = [
    "--suite", "one_minute", "--frames", "17", "--resolution", "64x48", "--no-videos",
    "--evaluators", "throughput",
]  # fmt: skip


class FakeSanaWM:
    """Stands in for the sana-wm adapter: its name, ``preset`` and ``refine`` in its config, and
    the first frame repeated."""

    def __init__(self, preset: str = "full") -> None:
        self.preset = preset

    def info(self) -> ModelInfo:
        return ModelInfo(name="sana-wm", version="test")

    def config(self) -> dict:
        return {"preset": self.preset, "refine": False}

    def check_available(self) -> None:
        return None

    def generate(self, request) -> Generation:
        return Generation(video=Video(np.repeat(request.image[None], request.num_frames, 0), 16))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    bench = write_bench(root / "bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(MODELS._loaded, "sana-wm", FakeSanaWM)
        for name, model in (
            ("static", ["--model", "static"]),
            ("full", ["--model", "sana-wm"]),
            ("tiny", ["--model", "sana-wm", "--preset", "tiny"]),
        ):
            assert (
                main(["run", *SMALL, "--data", str(bench), "--out", str(root / name), *model]) == 0
            )
    return root


def _claims(markdown: str) -> dict[str, str]:
    """Claim id -> its row in the claims table."""
    rows = [line for line in markdown.splitlines() if line.startswith("| sana_wm.")]
    rows += [line for line in markdown.splitlines() if line.startswith(("| lingbot", "| hy_"))]
    claims_section = markdown.split("## Claims")[1].split("## Protocols")[0]
    return {row.split(" | ")[0][2:]: row for row in rows if row in claims_section}


def test_every_claim_is_listed_and_unmeasured_ones_say_what_they_need(runs, tmp_path, capsys):
    out = tmp_path / "sana_wm.md"
    assert main(["report", "--paper", "sana_wm", str(runs / "static"), "--out", str(out)]) == 0
    text = out.read_text()
    claims = _claims(text)
    assert set(claims) == {entry.id for entry in reported.resolve(["sana_wm"])[0].entries}
    assert all("not measured here: needs" in row for row in claims.values())
    assert "(no run of `sana-wm` given)" in claims["sana_wm.videos_per_hour.1gpu_720p"]
    assert "(no wmbench adapter runs LingBot-World)" in claims["lingbot_world.videos_per_hour.8gpu"]
    assert "0 of 10 claims measured here." in text
    assert f"python -m wmbench report --paper sana_wm {runs / 'static'} --out {out}" in text
    assert "| static | one_minute |" in text  # the runs table

    again = tmp_path / "again.md"
    main(["report", "--paper", "sana_wm", str(runs / "static"), "--out", str(again)])
    assert again.read_text().replace(str(again), str(out)) == text  # deterministic


def test_a_qualifying_run_is_measured_with_its_gap_and_caveats(runs, tmp_path):
    out = tmp_path / "sana_wm.md"
    assert main(["report", "--paper", "sana_wm", str(runs / "full"), "--out", str(out)]) == 0
    text = out.read_text()
    claims = _claims(text)
    throughput = claims["sana_wm.videos_per_hour.1gpu_720p"]
    assert "videos/h (n=4)" in throughput and "better" in throughput
    memory = claims["sana_wm.peak_memory.full_pipeline"]
    assert "refine=False (needs 'true')" in memory  # the full pipeline needs the refiner
    rotation = claims["sana_wm.rot_err.setting_a"]
    assert "hold no `rot_err_deg/wmbench`" in rotation
    assert "1 of 10 claims measured here." in text
    conditions = text.split("## Protocols and conditions")[1]
    assert "videos of 1.0 s, not 60 s" in conditions and "protocols differ as stated" in conditions


def test_a_run_with_other_options_does_not_qualify(runs, tmp_path):
    out = tmp_path / "sana_wm.md"
    assert main(["report", "--paper", "sana_wm", str(runs / "tiny"), "--out", str(out)]) == 0
    row = _claims(out.read_text())["sana_wm.videos_per_hour.1gpu_720p"]
    assert "preset='tiny' (needs 'full')" in row


def _measurement(mean: float, unit: str) -> Measurement:
    return Measurement(mean, 0.0, 3, unit, ("r",), "p", (), ())


@pytest.mark.parametrize(
    ("entry_id", "mean", "unit", "expected"),
    [
        ("sana_wm.videos_per_hour.1gpu_720p", 48.2, "videos/h", "24.1 videos/h (+100%; better)"),
        ("sana_wm.videos_per_hour.1gpu_720p", 12.05, "videos/h", "-12.05 videos/h (-50%; worse)"),
        (
            "sana_wm.videos_per_hour.1gpu_720p",
            2410,
            "videos/h",
            "2386 videos/h (100x reported; better)",
        ),
        ("sana_wm.rot_err.setting_a", 2.25, "deg", "-2.25 deg (-50%; better)"),
        ("sana_wm.rot_err.setting_a", 4.5, "deg", "0 (equal)"),
        ("sana_wm.peak_memory.full_pipeline", 70.0, "GiB", "not computed: units differ"),
    ],
    ids=["higher-better-up", "higher-better-down", "ratio", "lower-better-down", "equal", "units"],
)
def test_gap_follows_the_declared_direction(entry_id, mean, unit, expected):
    entries = {entry.id: entry for entry in reported.resolve(["sana_wm"])[0].entries}
    assert gap(entries[entry_id], _measurement(mean, unit)) == expected
