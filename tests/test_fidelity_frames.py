"""What evaluators score: the frames a model wrote, at its own size, and never frame 0 of a
refined output. SANA-WM-Bench's ``eval_unified.py`` (HaoyiZhu/NVlabs-Sana at 006a401) reads each
model's own mp4 with nothing resized to a common size, and for refined outputs
(``skip_first_frame auto``: ``method_info.json`` with a ``refiner`` key) scores VBench and the
temporal windows on a copy without frame 0 (``_build_stripped_video_dir``); its pose script drops
the first sampled pose (``poses_est[1:]``, ``gt_indices[1:]``)."""

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.benchdata import write_bench
from tests.test_quality_evaluators import out_and_back, out_and_back_frames
from wmbench.cli import main
from wmbench.core.types import Video
from wmbench.data.video_io import write_video
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.models.base import Generation
from wmbench.studies.validate_quality import eval_input

EVALUATOR_DIR = Path(__file__).resolve().parents[1] / "wmbench" / "evaluators"
# weight-free evaluators of the one_minute suite (the learned ones read the same EvalInput.video)
WEIGHT_FREE = ("flicker", "flow_consistency", "sharpness", "drift", "revisit")


class SizeProbe(Evaluator):
    """Records what it is given: the video's size and frame count, the requested path's."""

    name = "size_probe"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        names = ("probe_width", "probe_height", "probe_frames", "probe_path_width", "probe_cx")
        return [MetricSpec(name, True) for name in names]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        width, height = inputs.video.size
        return EvalResult({
            "probe_width": width, "probe_height": height, "probe_frames": len(inputs.video),
            "probe_path_width": inputs.trajectory.image_size[0],
            "probe_cx": float(inputs.trajectory.intrinsics[0, 0, 2]),
        })  # fmt: skip


def test_a_baseline_shaped_output_is_scored_at_its_own_832x480(tmp_path, monkeypatch):
    monkeypatch.setitem(EVALUATORS._loaded, SizeProbe.name, SizeProbe)
    bench = write_bench(tmp_path / "bench")
    videos = tmp_path / "videos"
    rng = np.random.default_rng(0)
    for split in ("simple_60s", "hard_60s"):
        for scene in ("indoor_001", "outdoor_001"):
            pixels = rng.integers(0, 255, (17, 480, 832, 3), dtype=np.uint8)  # 16 fps, 480p
            write_video(videos / split / f"{scene}.mp4", Video(pixels, 16))
    out = tmp_path / "run"
    command = ["run", "--suite", "one_minute", "--frames", "17", "--resolution", "1280x704",
               "--data", str(bench), "--out", str(out), "--evaluators", "size_probe,flicker",
               "--model", "videos", "-o", f"dir={videos}"]  # fmt: skip
    assert main(command) == 0
    table = pd.read_csv(out / "results.csv")
    assert (table["status"] == "ok").all() and len(table) == 4
    assert (table["probe_width"] == 832).all() and (table["probe_height"] == 480).all()
    assert (table["probe_path_width"] == 832).all()  # intrinsics scaled to the native size
    assert table["probe_cx"].between(400, 432).all()  # the principal point near 832 / 2
    assert table["temporal_flickering/vbench"].notna().all()
    record = json.loads(next(out.glob("cases/*/hard_60s/indoor_001/result.json")).read_text())
    assert record["generation_info"]["size"] == [832, 480]
    assert record["generation_info"]["refined"] is False  # the typed property, recorded


def _refined_pair(junk: bool) -> EvalInput:
    """A refined output: frame 0 the (copied) input image or noise, the rest a real video."""
    frames = out_and_back_frames(33)
    written = np.concatenate([frames[:1], frames])
    if junk:
        written[0] = np.random.default_rng(0).integers(0, 255, written[0].shape, np.uint8)
    path = out_and_back(34)
    inputs = eval_input(written, path)
    generation = Generation(Video(written, 16.0), refined=True)
    return EvalInput.scoring(inputs.case, path, generation)


@pytest.mark.parametrize("name", WEIGHT_FREE)
def test_no_evaluator_sees_frame_0_of_a_refined_output(name):
    clean, junk = _refined_pair(False), _refined_pair(True)
    assert clean.first_frame == 1 and len(clean.video) == 33
    a = EVALUATORS.get(name)().evaluate(clean).metrics
    b = EVALUATORS.get(name)().evaluate(junk).metrics
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], nan_ok=True), key


def test_only_the_evaluators_that_score_the_written_video_reach_past_the_scored_frames():
    """Every evaluator reads ``inputs.video`` (frame 0 of refined outputs gone); only those whose
    publisher reads the raw mp4 (pose estimation, revisit pairs) or that index frames by the
    annotator's poses of it (``revisit_geometry``) call ``inputs.written()``, and none reads
    ``generation.video`` itself."""
    written_users = set()
    for path in sorted(EVALUATOR_DIR.rglob("*.py")):
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "video":
                base = node.value
                if isinstance(base, ast.Attribute) and base.attr == "generation":
                    assert path.name == "base.py", f"{path.name} reads generation.video"
            if isinstance(node, ast.Attribute) and node.attr == "written":
                written_users.add(path.name)
    assert written_users == {"camera.py", "revisit.py", "lpips_distance.py", "revisit_geometry.py"}
