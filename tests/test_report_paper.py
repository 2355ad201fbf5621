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
        return {"preset": self.preset, "refine": False, "mode": "streaming"}

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


ENTRIES = reported.resolve(["sana_wm"])[0].entries


def _claims(markdown: str) -> dict[str, str]:
    """Claim id -> its row in the claims table."""
    claims_section = markdown.split("## Claims")[1].split("## Protocols")[0]
    rows = [line for line in claims_section.splitlines() if line.startswith("| ")]
    return {row.split(" | ")[0][2:]: row for row in rows}


def test_every_claim_is_listed_and_unmeasured_ones_say_what_they_need(runs, tmp_path, capsys):
    out = tmp_path / "sana_wm.md"
    assert main(["report", "--paper", "sana_wm", str(runs / "static"), "--out", str(out)]) == 0
    text = out.read_text()
    claims = _claims(text)
    assert set(claims) - {"claim"} == {entry.id for entry in ENTRIES}
    assert all("not measured here: needs" in row for key, row in claims.items() if key != "claim")
    assert "(no run of `sana-wm` given)" in claims["sana_wm.videos_per_hour.simple"]
    assert "(no run of `lingbot-world` given)" in claims["lingbot_world.videos_per_hour.simple"]
    assert f"0 of {len(ENTRIES)} claims measured here." in text
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
    throughput = claims["sana_wm.videos_per_hour.simple"]
    assert "videos/h (n=2)" in throughput and "better" in throughput  # the simple split's cases
    memory = claims["sana_wm_refiner.peak_memory.simple"]
    assert "refine=False (needs 'true')" in memory  # the full pipeline needs the refiner
    assert "not computed: units differ" in claims["sana_wm.peak_memory.simple"]  # GiB vs GB
    rotation = claims["sana_wm.rot_err.simple"]
    assert "hold no `rot_err_deg/sanawm` on simple_60s" in rotation
    assert f"2 of {len(ENTRIES)} claims measured here." in text
    conditions = text.split("## Protocols and conditions")[1]
    assert "videos of 1.0 s, not 60 s" in conditions and "protocols differ as stated" in conditions


def test_a_run_with_other_options_does_not_qualify(runs, tmp_path):
    out = tmp_path / "sana_wm.md"
    assert main(["report", "--paper", "sana_wm", str(runs / "tiny"), "--out", str(out)]) == 0
    row = _claims(out.read_text())["sana_wm.videos_per_hour.simple"]
    assert "preset='tiny' (needs 'full')" in row


def _measurement(mean: float, unit: str) -> Measurement:
    return Measurement(mean, 0.0, 3, unit, ("r",), "p", (), ())


@pytest.mark.parametrize(
    ("entry_id", "mean", "unit", "expected"),
    [
        ("sana_wm.videos_per_hour.simple", 48.2, "videos/h", "24.1 videos/h (+100%; better)"),
        ("sana_wm.videos_per_hour.simple", 12.05, "videos/h", "-12.05 videos/h (-50%; worse)"),
        (
            "sana_wm.videos_per_hour.simple",
            2410,
            "videos/h",
            "2386 videos/h (100x reported; better)",
        ),
        ("sana_wm_refiner.rot_err.simple", 2.25, "deg", "-2.25 deg (-50%; better)"),
        ("sana_wm_refiner.rot_err.simple", 4.5, "deg", "0 (equal)"),
        ("sana_wm_refiner.peak_memory.simple", 70.0, "GiB", "not computed: units differ"),
    ],
    ids=["higher-better-up", "higher-better-down", "ratio", "lower-better-down", "equal", "units"],
)
def test_gap_follows_the_declared_direction(entry_id, mean, unit, expected):
    entries = {entry.id: entry for entry in ENTRIES}
    assert gap(entries[entry_id], _measurement(mean, unit)) == expected
