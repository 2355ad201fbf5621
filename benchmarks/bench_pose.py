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
2. The floor at the default settings: oracle renders (exact frames; ``--floor-frames``, at each
   of ``--floor-sizes``) along every variant of every trajectory family (the ``return`` family's
   paths cross or retrace themselves), scored against their own paths, each beside plain
   pycolmap on the same frames (:mod:`pose_pipeline.plain`), same run.
3. Injected rotation drift (0, 1, 2, 5, 10 degrees) on 161-frame 640x360 renders of a smooth
   and of a returning (``out_and_back``) path: measured against predicted error, slope and R^2
   per protocol.
4. Repeatability: the default stride annotated twice; the largest pose difference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pose_pipeline import AnnotatorConfig, ExactDepth, annotate
from pose_pipeline.plain import plain_pycolmap
from wmbench.core.paths import cache_dir
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
from wmbench.worlds.trajectories import FAMILIES

KIND, SEED, FRAMES = "room", 0, 961
RENDER_SIZE, VIDEO_SIZE = (640, 360), (1280, 720)
DRIFTS_DEG = (0.0, 1.0, 2.0, 5.0, 10.0)
FLOOR_PATHS = [(family, variant) for family, variants in FAMILIES.items() for variant in variants]
DRIFT_PATHS = [("smooth", None), ("return", "out_and_back")]
DRIFT_FRAMES, DRIFT_SIZE = 161, RENDER_SIZE
KEPT = ("strides", "repeatability", "drift")  # parts an earlier command measured
COLMAP_SCHEDULE = {
    "ba_global_growth": 1.1,
    "ba_prune_redundant_points": False,
    "init_min_tri_angle_deg": 16.0,
}  # COLMAP's own
REPORTS = Path(__file__).resolve().parents[1] / "reports"  # the checkout's reports/


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


def _timed_measure(clip, config: AnnotatorConfig) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    row = measure(clip, config)
    return {**row, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def floors(
    config: AnnotatorConfig,
    frames: int,
    sizes: list[tuple[int, int]],
    paths: set[str] | None,
    before: set[str],
) -> dict:
    """Our annotator and plain pycolmap on the same oracle renders, per size and path (only
    ``paths`` when given); rows named in ``before`` are annotated with COLMAP's own global
    bundle-adjustment schedule too, for the speed table."""
    out = {}
    for width, height in sizes:
        for family, variant in FLOOR_PATHS:
            if paths and not {family, variant} & paths:
                continue
            name = f"{variant}@{width}x{height}"
            _log(f"== floor {name}")
            clip = oracle_clip(KIND, family, SEED, frames, width, height, variant=variant)
            row = _timed_measure(clip, config)
            plain = plain_pycolmap(clip.frames, clip.truth.intrinsics[0], config.stride)
            out[name] = {"variant": clip.truth.source, **row,
                         "plain": score_annotation(plain, clip.truth)["metrics"]}  # fmt: skip
            if name in before:
                _log(f"== {name} with COLMAP's mapper schedule")
                out[name]["before"] = _timed_measure(clip, replace(config, **COLMAP_SCHEDULE))
    return out


def _stage_seconds(annotator: dict) -> list[str]:
    """Seconds of the features, matching and mapping stages of one annotation, formatted."""
    timings = annotator.get("timings_s", {})
    return [f"{timings.get(stage, 0):.0f}" for stage in ("features", "matching", "mapping")]


def _speed_lines(report: dict) -> list[str]:
    rows = {name: row for name, row in report["floor"].items() if "before" in row}
    if not rows:
        return []
    lines = ["", "## Speed: COLMAP's initial-pair angle and global bundle-adjustment schedule "
             f"{COLMAP_SCHEDULE} (before) against the defaults (after), same clip, same run", "",
             "| clip | run | wall s | CPU s | features s | matching s | mapping s | RotErr deg "
             "| TransErr % path | scale | reg. rate |", "|---" * 11 + "|"]  # fmt: skip
    for name, row in rows.items():
        for label, run in (("before", row["before"]), ("after", row)):
            m, a = run["metrics"], run["annotator"]
            lines.append(
                f"| {name} | {label} | {run['wall_s']:.0f} | {run['cpu_s']:.0f} "
                f"| {' | '.join(_stage_seconds(a))} | {m['rot_err_deg/wmbench']:.4f} "
                f"| {m['trans_err_pct_of_path/wmbench']:.4f} "
                f"| {m.get('scale_factor/wmbench', 0):.4f} | {a.get('registration_rate', 0):.2f} |"
            )
    return lines


def _markdown(report: dict) -> str:
    lines = [
        "# Pose annotator benchmark", "",
        "Commands (each adds its rows to the earlier ones at the same settings): "
        + "; ".join(f"`{c}`" for c in report["commands"]) + ". Per-suspect "
        "measurements of the figure-eight investigation: `reports/pose_suspects.md`.", "",
        f"Machine: {os.cpu_count()} CPU cores, load average at start "
        f"{report['load_average'][0]:.1f} (other jobs share the cores: wall times are upper "
        "bounds; CPU seconds count all threads of this process).", "",
        f"Defaults: `{report['config']}`", "",
        "## Speed and accuracy against stride (961 frames, 1280x720 MP4, smooth path)", "",
    ]  # fmt: skip
    if not report.get("strides"):
        lines.append("Not measured in this run (`--skip strides`).")
    else:
        lines += ["| stride | keyframes | wall s | CPU s | features s | matching s | mapping s "
                  "| RotErr deg | TransErr % path | scale | reg. rate |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in report.get("strides", []):
        m, a = row["metrics"], row["annotator"]
        lines.append(
            f"| {row['stride']} | {a.get('num_keyframes', '-')} | {row['wall_s']:.0f} "
            f"| {row['cpu_s']:.0f} | {' | '.join(_stage_seconds(a))} "
            f"| {m['rot_err_deg/wmbench']:.3f} "
            f"| {m['trans_err_pct_of_path/wmbench']:.3f} | {m.get('scale_factor/wmbench', 0):.4f} "
            f"| {a.get('registration_rate', 0):.2f} |"
        )
    lines += ["", f"Repeatability: {report.get('repeatability', 'not measured in this run')}", "",
              f"## Floor ({report['floor_frames']}-frame oracle renders, default settings; "
              "plain pycolmap on the same frames, same run)", "",
              "| path @ size | path | RotErr deg | plain RotErr deg | TransErr % path "
              "| plain TransErr % path | scale | metric path ratio | low-confidence frames "
              "| keyframes | CPU s | features / matching / mapping s |",
              "|---" * 12 + "|"]  # fmt: skip
    for name, row in report["floor"].items():
        m, plain, a = row["metrics"], row["plain"], row["annotator"]
        lines.append(
            f"| {name} | {row['variant']} ({row['path_length_m']:.1f} m) "
            f"| {m['rot_err_deg/wmbench']:.3f} | {plain['rot_err_deg/wmbench']:.3f} "
            f"| {m['trans_err_pct_of_path/wmbench']:.3f} "
            f"| {plain['trans_err_pct_of_path/wmbench']:.3f} "
            f"| {m.get('scale_factor/wmbench', 0):.4f} "
            f"| {m.get('metric_path_length_ratio', float('nan')):.4f} "
            f"| {a.get('low_confidence_frames', '-')} | {a.get('num_keyframes', '-')} "
            f"| {row.get('cpu_s', 0):.0f} | {' / '.join(_stage_seconds(a))} |"
        )
    lines += _speed_lines(report)
    for path, drift in report.get("drift", {}).items():
        lines += ["", f"## Injected rotation drift ({path}, {DRIFT_FRAMES} frames, "
                  f"{DRIFT_SIZE[0]}x{DRIFT_SIZE[1]})", "",
                  "| metric | slope | intercept | R^2 |", "|---|---|---|---|"]  # fmt: skip
        for name, fit in drift["fits"].items():
            lines.append(
                f"| {name} | {fit['slope']:.4f} | {fit['intercept']:.4f} | {fit['r2']:.5f} |"
            )
        lines += ["", "| drift deg | " + " | ".join(
            f"{name} predicted / measured" for name in drift["fits"]) + " |",
            "|---|" + "---|" * len(drift["fits"])]  # fmt: skip
        for point in drift["points"]:
            cells = [f"{point[n]['predicted']:.3f} / {point[n]['measured']:.3f}"
                     for n in drift["fits"]]  # fmt: skip
            lines.append(f"| {point['drift_deg']:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _earlier(config: AnnotatorConfig, frames: int, fresh: bool) -> dict:
    """The last report's rows when it was made at the same settings (commands add up)."""
    path = REPORTS / "pose_bench.json"
    if fresh or not path.is_file():
        return {}
    earlier = json.loads(path.read_text())
    same = earlier.get("config") == config.to_dict() and earlier.get("floor_frames") == frames
    return earlier if same and "commands" in earlier else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strides", default="1,2,4,8", help="comma-separated keyframe strides")
    parser.add_argument("--skip", default="", help="parts to skip: strides,floor,drift")
    parser.add_argument("--floor-frames", type=int, default=FRAMES)
    parser.add_argument("--floor-sizes", default="640x360", help="WxH,WxH")
    parser.add_argument("--paths", default="", help="floor paths only (family or variant names)")
    parser.add_argument("--before", default="", help="floor rows (name@WxH) also timed with "
                        "COLMAP's initial-pair angle and bundle-adjustment schedule")  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="drop rows of earlier commands")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite pose_bench.md from pose_bench.json")  # fmt: skip
    args = parser.parse_args(argv)
    if args.render:
        (REPORTS / "pose_bench.md").write_text(_markdown(json.loads(
            (REPORTS / "pose_bench.json").read_text())))  # fmt: skip
        return 0
    config = AnnotatorConfig()
    skip = set(filter(None, args.skip.split(",")))
    command = " ".join(["python benchmarks/bench_pose.py", *(argv or sys.argv[1:])])
    earlier = _earlier(config, args.floor_frames, args.fresh)
    report: dict = {"config": config.to_dict(), "load_average": os.getloadavg(),
                    "commands": [*earlier.get("commands", []), command],
                    "floor_frames": args.floor_frames, "floor": earlier.get("floor", {}),
                    **{k: earlier[k] for k in KEPT if k in earlier}}  # fmt: skip
    if "strides" not in skip:
        strides = [int(s) for s in args.strides.split(",")]
        report["strides"], report["repeatability"] = stride_sweep(strides, config)
    if "floor" not in skip:
        sizes = [tuple(int(v) for v in size.split("x")) for size in args.floor_sizes.split(",")]
        paths = set(filter(None, args.paths.split(",")))
        before = set(filter(None, args.before.split(",")))
        report["floor"].update(floors(config, args.floor_frames, sizes, paths, before))
        write_json(REPORTS / "pose_floor.json", {
            "settings": config.to_dict(), "clips": f"{KIND} seed {SEED}, {args.floor_frames} "
            "frames, oracle renders at the size in each name",
            **{name: row["metrics"] for name, row in report["floor"].items()},
        })  # fmt: skip
    if "drift" not in skip:
        report.setdefault("drift", {})
        for family, variant in DRIFT_PATHS:
            _log(f"== drift {variant or family}")
            report["drift"][variant or family] = drift_recovery(
                KIND, family, SEED, DRIFT_FRAMES, *DRIFT_SIZE, DRIFTS_DEG, config, variant=variant
            )
    write_json(REPORTS / "pose_bench.json", report)
    (REPORTS / "pose_bench.md").write_text(_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
