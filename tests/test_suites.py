import json

import numpy as np
import pytest

from tests.benchdata import write_bench
from wmbench.api import load_suite
from wmbench.core.errors import InputError
from wmbench.data.sanawm_bench import read_benchmark
from wmbench.data.suites import Overrides, read_suite_file


@pytest.fixture
def bench(tmp_path):
    return write_bench(tmp_path / "bench")


def test_one_minute_reads_both_splits(bench):
    suite = load_suite("one_minute", Overrides(data=bench))
    assert {case.split for case in suite.cases} == {"simple_60s", "hard_60s"}
    assert len(suite.cases) == 4
    case = suite.cases[0]
    assert case.id == "simple_60s/indoor_001"
    assert case.category == "indoor"
    assert case.prompt == "a walk through indoor_001"
    assert case.trajectory.image_size == (160, 96)
    assert len(case.trajectory) == 49
    assert suite.frames == 961 and suite.resolution == (1280, 704)
    assert "SANA-WM-Bench" in suite.data_label and "MIRROR" not in suite.data_label


def test_subset_options(bench):
    suite = load_suite(
        "one_minute", Overrides(data=bench, split="hard_60s", frames=17, resolution=(64, 48))
    )
    assert [c.id for c in suite.cases] == ["hard_60s/indoor_001", "hard_60s/outdoor_001"]
    assert suite.frames == 17 and suite.resolution == (64, 48)
    limited = load_suite("one_minute", Overrides(data=bench, limit=1))
    assert [c.id for c in limited.cases] == ["simple_60s/indoor_001", "hard_60s/indoor_001"]
    chosen = load_suite("one_minute", Overrides(data=bench, cases=["hard_60s/outdoor_001"]))
    assert [c.id for c in chosen.cases] == ["hard_60s/outdoor_001"]
    with pytest.raises(InputError, match="--cases"):
        load_suite("one_minute", Overrides(data=bench, cases=["nope"]))
    with pytest.raises(InputError, match="--split"):
        load_suite("one_minute", Overrides(data=bench, split="medium"))


def _npz(bench, split_dir="benchmark_v2_hard_60s", scene="outdoor_001"):
    return bench / split_dir / "sanawm_export_v2" / f"{scene}.npz"


def test_bad_npz_keys_become_a_recorded_failure(bench):
    np.savez(_npz(bench), c2w=np.eye(4)[None], fps=16)
    cases, failures = read_benchmark(bench)
    assert len(cases) == 3
    [(case_id, reason)] = failures
    assert case_id == "hard_60s/outdoor_001"
    assert "outdoor_001.npz" in reason and "intrinsics" in reason and "num_frames" in reason


def test_non_rigid_and_nan_poses_are_failures(bench):
    for scene, corrupt in (("indoor_001", np.nan), ("outdoor_001", 3.0)):
        with np.load(_npz(bench, scene=scene)) as data:
            arrays = dict(data)
        arrays["c2w"][5, 0, 0] = corrupt
        np.savez(_npz(bench, scene=scene), **arrays)
    _, failures = read_benchmark(bench)
    reasons = dict(failures)
    assert "NaN" in reasons["hard_60s/indoor_001"] and "'c2w'" in reasons["hard_60s/indoor_001"]
    assert "non-rigid pose at frame 5" in reasons["hard_60s/outdoor_001"]


def test_missing_image_is_a_failure(bench):
    (bench / "images" / "indoor_001.png").unlink()
    _, failures = read_benchmark(bench)
    assert {case_id for case_id, _ in failures} == {"simple_60s/indoor_001", "hard_60s/indoor_001"}
    assert all("image_path" in reason for _, reason in failures)


def test_malformed_manifest_names_the_line(bench):
    manifest = bench / "benchmark_v2_smooth_60s" / "sanawm_export_v2" / "run_manifest.jsonl"
    manifest.write_text(manifest.read_text() + "{not json\n")
    with pytest.raises(InputError, match=r"run_manifest.jsonl:3"):
        read_benchmark(bench)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: x\n", "data"),
        (
            "name: x\ndata: {layout: nope}\nframes: 10\nfps: 16\nresolution: 8x8\n"
            "evaluators: []\nmodels: []\n",
            "data.layout",
        ),
        ("name: x\ncolour: red\n", "colour"),
        ("[1, 2]\n", "<top level>"),
        (
            "name: x\ndata: {layout: sanawm-bench}\nframes: 10\nfps: 16\nresolution: big\n"
            "evaluators: []\nmodels: []\n",
            "resolution",
        ),
        (
            "name: x\ndata: {layout: sanawm-bench}\nframes: -1\nfps: 16\nresolution: 8x8\n"
            "evaluators: []\nmodels: []\n",
            "frames",
        ),
    ],
    ids=["missing", "layout", "unknown", "not-mapping", "resolution", "frames"],
)
def test_malformed_suite_files(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        read_suite_file(str(path))
    assert str(path) in str(error.value)
    assert error.value.field == field


def test_unknown_suite_lists_the_known_ones():
    with pytest.raises(InputError, match="one_minute"):
        read_suite_file("no_such_suite")


def test_manifest_prompts_fall_back_to_trajectory_file(bench):
    manifest = bench / "benchmark_v2_smooth_60s" / "sanawm_export_v2" / "run_manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    for row in rows:
        del row["prompt"]
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    trajectories = [{"scene_id": "indoor_001", "prompt": "from the trajectory file"}]
    (bench / "benchmark_v2_smooth_60s" / "scene_trajectories_v2.json").write_text(
        json.dumps(trajectories)
    )
    cases, failures = read_benchmark(bench)
    prompts = {case.id: case.prompt for case in cases}
    assert prompts["simple_60s/indoor_001"] == "from the trajectory file"
    (failure,) = [reason for case_id, reason in failures if case_id == "simple_60s/outdoor_001"]
    assert "neither has one" in failure  # no prompt anywhere: an error, not an empty prompt


def test_one_minute_falls_back_to_the_labelled_mirror(monkeypatch, capsys):
    monkeypatch.delenv("WMBENCH_SANAWM_BENCH", raising=False)
    suite = load_suite("one_minute")
    assert "SYNTHETIC MIRROR" in suite.data_label
    assert "wmbench data fetch" in capsys.readouterr().err
    assert (suite.frames, suite.fps, suite.resolution) == (961, 16, (640, 360))  # a real minute
    # one case per split, each walking a returning path: revisit pairs for every model
    assert [case.id for case in suite.cases] == ["simple_60s/room_001", "hard_60s/room_001"]
    assert all(case.evaluation_pairs for case in suite.cases)
    assert all(case.world is not None for case in suite.cases)
    assert suite.model_options["sana-wm"] == {"preset": "tiny", "steps": 8}


def test_unknown_mirror_setting_is_named(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\ndata: {layout: synthetic-mirror, mirror: {scenes_per_category: 1}}\n"
        "frames: 9\nfps: 16\nresolution: 32x32\nevaluators: []\nmodels: []\n"
        "mirror_settings: {colour: red}\n"
    )
    with pytest.raises(InputError, match="mirror_settings.colour"):
        load_suite(str(path))
