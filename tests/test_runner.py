import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.benchdata import write_bench
from wmbench.cli import main
from wmbench.core.errors import ModelUnavailable
from wmbench.core.registry import Registry
from wmbench.core.types import Video
from wmbench.data.video_io import read_video, write_video
from wmbench.models import MODELS

REPO = Path(__file__).resolve().parents[1]
SMALL = [
    "--suite",
    "one_minute",
    "--frames",
    "17",
    "--resolution",
    "64x48",
    "--evaluators",
    "throughput",
]


@pytest.fixture
def bench(tmp_path):
    return write_bench(tmp_path / "bench")


def _run(bench, out, *extra):
    return main(["run", *SMALL, "--data", str(bench), "--out", str(out), *extra])


def test_run_writes_tables_and_resumes_without_recomputing(bench, tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(bench, out, "--model", "static") == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and set(results["status"]) == {"ok"}
    assert {"gen_seconds", "videos_per_hour_60s", "peak_memory_gb"} <= set(results.columns)
    summary = json.loads((out / "summary.json").read_text())
    static = summary["models"]["static"]
    assert set(static["splits"]) == {"simple_60s", "hard_60s", "all"}
    assert static["splits"]["all"]["metrics"]["gen_seconds"]["count"] == 4
    assert summary["metrics"]["videos_per_hour_60s"]["higher_is_better"] is True
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["hardware"]["cpu_cores"] and run_json["git_commit"]
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("cases/**/result.json")}
    video = read_video(out / "cases/static/simple_60s/indoor_001/video.mp4")
    assert len(video) == 17 and video.size == (64, 48)

    capsys.readouterr()
    assert _run(bench, out, "--model", "static") == 0
    assert "done earlier" in capsys.readouterr().err
    assert stamps == {p: p.stat().st_mtime_ns for p in out.glob("cases/**/result.json")}
    assert "resumed" in json.loads((out / "run.json").read_text())


def test_changed_settings_recompute(bench, tmp_path, capsys):
    out = tmp_path / "run"
    _run(bench, out, "--model", "static")
    capsys.readouterr()
    main(["run", "--suite", "one_minute", "--frames", "9", "--resolution", "64x48",
          "--data", str(bench), "--out", str(out), "--model", "static"])  # fmt: skip
    assert "done earlier" not in capsys.readouterr().err


def test_bad_case_is_recorded_and_the_run_goes_on(bench, tmp_path):
    np.savez(bench / "benchmark_v2_hard_60s/sanawm_export_v2/outdoor_001.npz", c2w=np.eye(4)[None])
    out = tmp_path / "run"
    assert _run(bench, out, "--model", "static") == 1
    results = pd.read_csv(out / "results.csv").set_index("case_id")
    assert results.loc["hard_60s/outdoor_001", "status"] == "failed"
    assert "intrinsics" in results.loc["hard_60s/outdoor_001", "error"]
    assert (results.drop("hard_60s/outdoor_001")["status"] == "ok").all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["static"]["splits"]["hard_60s"]["failures"] == 1


class _NeedsGpu:
    def __init__(self, **options):
        pass

    def check_available(self):
        raise ModelUnavailable("needs a CUDA GPU")


def test_suite_model_that_cannot_run_is_listed_as_skipped(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(MODELS._loaded, "needs-gpu", _NeedsGpu)
    suite = tmp_path / "two.yaml"
    suite.write_text(
        "name: two\ndata: {layout: sanawm-bench}\nframes: 9\nfps: 16\nresolution: 32x32\n"
        "evaluators: [throughput]\nmodels: [static, needs-gpu]\n"
    )
    out = tmp_path / "run"
    assert main(["run", "--suite", str(suite), "--data", str(bench), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["needs-gpu"] == {
        **summary["models"]["needs-gpu"],
        "status": "skipped",
        "reason": "needs a CUDA GPU",
    }
    assert "needs-gpu: skipped: needs a CUDA GPU" in capsys.readouterr().out
    explicit = ["run", "--suite", str(suite), "--data", str(bench), "--out", str(out),
                "--model", "needs-gpu"]  # fmt: skip
    assert main(explicit) == 2  # named explicitly: an error, not a skip
    assert "error: needs a CUDA GPU" in capsys.readouterr().err


def _write_case_videos(folder: Path, frames: int, size=(64, 48)):
    rng = np.random.default_rng(1)
    for split in ("simple_60s", "hard_60s"):
        for scene in ("indoor_001", "outdoor_001"):
            pixels = rng.integers(0, 255, (frames, size[1], size[0], 3), dtype=np.uint8)
            write_video(folder / split / f"{scene}.mp4", Video(pixels, 16))


def test_videos_mode_scores_a_directory(bench, tmp_path):
    videos = tmp_path / "videos"
    _write_case_videos(videos, frames=20)
    frames_dir = videos / "hard_60s" / "indoor_001.mp4"
    frames_dir.unlink()  # one case as a frame folder instead of a file
    (videos / "hard_60s" / "indoor_001").mkdir()
    for index in range(17):
        Image.fromarray(np.full((60, 80, 3), index * 10, np.uint8)).save(
            videos / "hard_60s" / "indoor_001" / f"{index:04d}.png"
        )
    out = tmp_path / "run"
    assert _run(bench, out, "--model", "videos", "--option", f"dir={videos}") == 0
    results = pd.read_csv(out / "results.csv")
    assert set(results["status"]) == {"ok"} and len(results) == 4
    case = json.loads(next(out.glob("cases/*/hard_60s/indoor_001/result.json")).read_text())
    assert case["generation_info"]["size"] == [80, 60]  # scored at the size it was written


def test_videos_mode_reports_short_and_unreadable_videos(bench, tmp_path):
    videos = tmp_path / "videos"
    _write_case_videos(videos, frames=10)
    (videos / "simple_60s" / "indoor_001.mp4").write_bytes(b"not a video")
    out = tmp_path / "run"
    assert _run(bench, out, "--model", "videos", "--option", f"dir={videos}") == 1
    errors = pd.read_csv(out / "results.csv").set_index("case_id")["error"]
    assert "indoor_001.mp4" in errors["simple_60s/indoor_001"]
    assert "no frames" in errors["simple_60s/indoor_001"]
    assert "at least 17 frames" in errors["hard_60s/outdoor_001"]
    assert "found 10 frames" in errors["hard_60s/outdoor_001"]


def test_command_mode_follows_the_argument_contract(bench, tmp_path):
    program = tmp_path / "model.py"
    program.write_text(
        "import argparse, numpy as np\n"
        "from wmbench.core.types import Video\n"
        "from wmbench.data.video_io import write_video\n"
        "p = argparse.ArgumentParser()\n"
        "for a in ['image','prompt-file','camera','out']: p.add_argument('--'+a)\n"
        "for a in ['frames','width','height','seed']: p.add_argument('--'+a, type=int)\n"
        "p.add_argument('--fps', type=float)\n"
        "a = p.parse_args()\n"
        "cam = np.load(a.camera)\n"
        "assert cam['c2w'].shape == (a.frames, 4, 4) and int(cam['num_frames']) == a.frames\n"
        "assert 'walk' in open(a.prompt_file).read()\n"
        "write_video(a.out, Video(np.zeros((a.frames, a.height, a.width, 3), np.uint8), a.fps))\n"
    )
    out = tmp_path / "run"
    command = f"cmd={sys.executable} {program}"
    assert _run(bench, out, "--model", "command", "--option", command) == 0
    assert set(pd.read_csv(out / "results.csv")["status"]) == {"ok"}

    failing = tmp_path / "fail.py"
    failing.write_text("import sys; print('out of memory'); sys.exit(3)\n")
    out2 = tmp_path / "run2"
    assert (
        _run(bench, out2, "--model", "command", "--option", f"cmd={sys.executable} {failing}") == 1
    )
    error = pd.read_csv(out2 / "results.csv")["error"].iloc[0]
    assert "exit status" in error and "out of memory" in error


def test_unknown_option_and_model_are_clear_errors(bench, tmp_path, capsys):
    assert _run(bench, tmp_path / "r", "--model", "static", "--option", "colour=red") == 2
    assert "colour" in capsys.readouterr().err
    assert _run(bench, tmp_path / "r", "--model", "nope") == 2
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_third_party_adapters_load_through_entry_points(monkeypatch):
    from importlib.metadata import EntryPoint

    registry = Registry("model", "wmbench.models", {})
    plugin = EntryPoint("mine", "wmbench.models.static:StaticModel", "wmbench.models")
    monkeypatch.setattr("wmbench.core.registry.entry_points", lambda group: [plugin])
    assert registry.names() == ["mine"]
    assert registry.get("mine").__name__ == "StaticModel"


def test_torchrun_ranks_fill_one_run_directory(bench, tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "wmbench", "run", *SMALL, "--data", str(bench), "--out", str(out),
        "--model", "static",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = pd.read_csv(out / "results.csv")
    assert sorted(results["case_id"]) == sorted(
        f"{s}/{c}" for s in ("simple_60s", "hard_60s") for c in ("indoor_001", "outdoor_001")
    )
    assert json.loads((out / "run.json").read_text())["world_size"] == 2


def test_a_named_model_does_not_make_the_suites_learned_evaluators_required(tmp_path):
    """``--model`` makes only models strict: the suite's evaluators without weights are skipped
    with the file named, and the run succeeds (``--evaluators`` would make them required)."""
    out = tmp_path / "run"
    args = ["run", "--suite", "smoke", "--model", "static", "--frames", "5", "--resolution",
            "64x48", "--split", "simple_60s", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    skipped = json.loads((out / "models" / "static.json").read_text())["skipped_evaluators"]
    assert {"clip_score", "lpips"} <= set(skipped)
    assert "open_clip_pytorch_model.bin" in skipped["clip_score"]
    assert main([*args, "--evaluators", "lpips"]) == 2
