"""The pose annotator's speed, accuracy floor, error recovery and repeatability, in one run.

Run: ``python benchmarks/bench_pose.py`` (about an hour on 2 busy cores; renders are cached
under ``$WMBENCH_CACHE/pose_validation``). Writes ``reports/pose_bench.json``,
``reports/pose_bench.md`` and ``reports/pose_floor.json`` (the floor the ``camera`` evaluator
prints beside scores).

1. Speed and accuracy against keyframe stride on a 961-frame 1280x720 MP4 of a synthetic room
   (smooth path): every stride in ``--strides`` (1 = every frame is a keyframe) with the
   default settings otherwise. The clip is rendered at 640x360 and upscaled x2 (a native 720p
   render costs about 30 CPU minutes); the annotator scales frames to 640 px for SIFT either
   way, so it reads, decodes and resizes a real 720p file. Wall and CPU seconds per stage.
2. The floor at the default settings: 961-frame oracle renders (640x360, exact frames) of the
   smooth, hard and loop families, scored against their own paths.
3. Injected rotation drift (0, 1, 2, 5, 10 degrees) on 161-frame 320x180 renders: measured
   against predicted error, slope and R^2 per protocol.
4. Repeatability: the default stride annotated twice; the largest pose difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pose_pipeline import AnnotatorConfig, ExactDepth, annotate
from wmbench.core.paths import REPO_ROOT, cache_dir
from wmbench.core.types import Video
from wmbench.data.video_io import write_video
from wmbench.studies.pose_floor import (
    drift_recovery,
    measure,
    oracle_clip,
    rerun_gap,
    score_annotation,
    write_json,
)

KIND, SEED, FRAMES = "room", 0, 961
RENDER_SIZE, VIDEO_SIZE = (640, 360), (1280, 720)
DRIFTS_DEG = (0.0, 1.0, 2.0, 5.0, 10.0)
REPORTS = REPO_ROOT / "reports"


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _video_720p(clip) -> Path:
    path = cache_dir() / "pose_validation" / f"{KIND}_smooth_{SEED}_{FRAMES}_720p.mp4"
    if not path.is_file():
        frames = np.stack([cv2.resize(f, VIDEO_SIZE, interpolation=cv2.INTER_LINEAR)
                           for f in clip.frames])  # fmt: skip
        write_video(path, Video(frames, clip.truth.fps))
    return path


def _timed_annotation(video: Path, clip, config: AnnotatorConfig) -> tuple[object, dict]:
    truth = clip.truth.resized(*VIDEO_SIZE)
    wall, cpu = time.perf_counter(), time.process_time()
    result = annotate(video, truth.intrinsics[0], config, ExactDepth(clip.depth), progress=_log)
    timing = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    return result, timing


def stride_sweep(strides: list[int], config: AnnotatorConfig) -> tuple[list[dict], dict]:
    clip = oracle_clip(KIND, "smooth", SEED, FRAMES, *RENDER_SIZE)
    video = _video_720p(clip)
    rows, repeat = [], {}
    for stride in strides:
        _log(f"== stride {stride}")
        run_config = replace(config, stride=stride)
        result, timing = _timed_annotation(video, clip, run_config)
        scored = score_annotation(result, clip.truth)
        rows.append({"stride": stride, **timing, **scored})
        if stride == config.stride:
            again, _ = _timed_annotation(video, clip, run_config)
            repeat = {"stride": stride, "rerun_gap": rerun_gap(result, again)}
    return rows, repeat


def floors(config: AnnotatorConfig) -> dict:
    out = {}
    for family in ("smooth", "hard", "loop"):
        _log(f"== floor {family}")
        clip = oracle_clip(KIND, family, SEED, FRAMES, *RENDER_SIZE)
        out[family] = {"variant": clip.truth.source, **measure(clip, config)}
    return out


def _markdown(report: dict) -> str:
    lines = [
        "# Pose annotator benchmark", "",
        f"Machine: {os.cpu_count()} CPU cores, load average at start "
        f"{report['load_average'][0]:.1f} (other jobs share the cores: wall times are upper "
        "bounds; CPU seconds count all threads of this process).", "",
        f"Defaults: `{report['config']}`", "",
        "## Speed and accuracy against stride (961 frames, 1280x720 MP4, smooth path)", "",
        "| stride | keyframes | wall s | CPU s | features s | matching s | mapping s "
        "| RotErr deg | TransErr % path | scale | reg. rate |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for row in report["strides"]:
        m, a = row["metrics"], row["annotator"]
        t = a.get("timings_s", {})
        lines.append(
            f"| {row['stride']} | {a.get('num_keyframes', '-')} | {row['wall_s']:.0f} "
            f"| {row['cpu_s']:.0f} | {t.get('features', 0):.0f} | {t.get('matching', 0):.0f} "
            f"| {t.get('mapping', 0):.0f} | {m['rot_err_deg/wmbench']:.3f} "
            f"| {m['trans_err_pct_of_path/wmbench']:.3f} | {m.get('scale_factor/wmbench', 0):.4f} "
            f"| {a.get('registration_rate', 0):.2f} |"
        )
    lines += ["", f"Repeatability: {report['repeatability']}", "",
              "## Floor (961-frame oracle renders, 640x360, default settings)", "",
              "| family | path | RotErr deg | TransErr m | TransErr % path | scale "
              "| metric path ratio | CamI2V RotErr rad (sum) | WorldScore RotErr deg |",
              "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for family, row in report["floor"].items():
        m = row["metrics"]
        lines.append(
            f"| {family} | {row['variant']} ({row['path_length_m']:.1f} m) "
            f"| {m['rot_err_deg/wmbench']:.3f} | {m['trans_err_m/wmbench']:.4f} "
            f"| {m['trans_err_pct_of_path/wmbench']:.3f} | {m.get('scale_factor/wmbench', 0):.4f} "
            f"| {m.get('metric_path_length_ratio', float('nan')):.4f} "
            f"| {m['rot_err_rad_sum/cami2v']:.2f} | {m['rot_err_deg/worldscore']:.3f} |"
        )
    lines += ["", "## Injected rotation drift (161 frames, 320x180)", "",
              "| metric | slope | intercept | R^2 |", "|---|---|---|---|"]  # fmt: skip
    for name, fit in report["drift"]["fits"].items():
        lines.append(f"| {name} | {fit['slope']:.4f} | {fit['intercept']:.4f} | {fit['r2']:.5f} |")
    lines += ["", "| drift deg | " + " | ".join(
        f"{name} predicted / measured" for name in report["drift"]["fits"]) + " |",
        "|---|" + "---|" * len(report["drift"]["fits"])]  # fmt: skip
    for point in report["drift"]["points"]:
        cells = [f"{point[n]['predicted']:.3f} / {point[n]['measured']:.3f}"
                 for n in report["drift"]["fits"]]  # fmt: skip
        lines.append(f"| {point['drift_deg']:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strides", default="1,2,4,8", help="comma-separated keyframe strides")
    parser.add_argument("--skip", default="", help="parts to skip: strides,floor,drift")
    args = parser.parse_args(argv)
    config = AnnotatorConfig()
    skip = set(filter(None, args.skip.split(",")))
    report: dict = {"config": config.to_dict(), "load_average": os.getloadavg()}
    if "strides" not in skip:
        strides = [int(s) for s in args.strides.split(",")]
        report["strides"], report["repeatability"] = stride_sweep(strides, config)
    if "floor" not in skip:
        report["floor"] = floors(config)
        write_json(REPORTS / "pose_floor.json", {
            "settings": config.to_dict(), "clips": f"{KIND} seed {SEED}, {FRAMES} frames, "
            f"{RENDER_SIZE[0]}x{RENDER_SIZE[1]} oracle renders",
            **{family: row["metrics"] for family, row in report["floor"].items()},
        })  # fmt: skip
    if "drift" not in skip:
        _log("== drift")
        report["drift"] = drift_recovery(KIND, "smooth", SEED, 161, 320, 180, DRIFTS_DEG, config)
    write_json(REPORTS / "pose_bench.json", report)
    if not skip:
        (REPORTS / "pose_bench.md").write_text(_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
