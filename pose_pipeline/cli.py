"""Command line: annotate a video or frame folder, write poses (npz), report progress per stage.

Exit status: 0 with poses written, 1 when the video could not be annotated (the failure and
its reason are written instead), 2 on bad input or when ``--out`` cannot be written: then the
finished result goes to a fallback file in the temporary folder, whose path is printed."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from pose_pipeline.camera import parse_intrinsics
from pose_pipeline.config import MAPPERS, AnnotatorConfig
from pose_pipeline.frames import FrameSource
from pose_pipeline.pipeline import annotate
from pose_pipeline.result import Annotation, AnnotationFailure
from pose_pipeline.scale import DepthFolder, DepthSource
from wmbench.core.errors import InputError, MissingWeightsError, OutputError
from wmbench.core.files import atomic_path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pose_pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("annotate", help="camera poses of a video")
    run.add_argument("video", help="video file or folder of frame images")
    run.add_argument("--intrinsics", required=True, help="fx,fy,cx,cy (pixels) or FILE.npz")
    run.add_argument("--out", required=True, type=Path, help="output .npz")
    defaults = AnnotatorConfig()
    run.add_argument("--stride", type=int, default=defaults.stride)
    run.add_argument("--max-image-size", type=int, default=defaults.max_image_size)
    run.add_argument("--mapper", choices=MAPPERS, default=defaults.mapper)
    run.add_argument("--no-loop-closure", action="store_true")
    run.add_argument(
        "--threads",
        type=int,
        default=defaults.num_threads,
        help="threads for feature extraction and the depth model (matching and mapping: one)",
    )
    run.add_argument("--seed", type=int, default=defaults.seed)
    depth = run.add_mutually_exclusive_group()
    depth.add_argument("--depth", type=Path, help="folder of per-frame metric depth (.npy/.npz)")
    depth.add_argument("--depth-model", choices=("indoor", "outdoor"),
                       help="metric monocular depth model from the local weight store")  # fmt: skip
    return parser


def _check_counts(args: argparse.Namespace) -> None:
    """The counting options are positive (the seed non-negative)."""
    for name in ("stride", "max_image_size", "threads"):
        if getattr(args, name) < 1:
            option = "--" + name.replace("_", "-")
            raise InputError(option, name, "a positive integer", str(getattr(args, name)))
    if args.seed < 0:
        raise InputError("--seed", "seed", "a non-negative integer", str(args.seed))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check_counts(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    config = AnnotatorConfig(
        stride=args.stride,
        max_image_size=args.max_image_size,
        mapper=args.mapper,
        loop_closure=not args.no_loop_closure,
        num_threads=args.threads,
        seed=args.seed,
    )
    try:
        if args.out.suffix != ".npz":
            raise InputError("--out", "out", "a path ending in .npz", str(args.out))
        source = FrameSource(args.video)
        first = next(iter(source), None)
        if first is None:
            raise InputError(args.video, "video", "at least one frame", "none")
        camera = parse_intrinsics(args.intrinsics, (first.shape[1], first.shape[0]))
        depth: DepthSource | None = None
        if args.depth:
            depth = DepthFolder(args.depth)
        elif args.depth_model:
            from pose_pipeline.depth_model import MonocularDepth

            depth = MonocularDepth(args.depth_model, args.threads)
    except (InputError, MissingWeightsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = annotate(
        args.video, camera, config, depth, progress=lambda line: print(line, file=sys.stderr)
    )
    if not _save(result, args.out):
        return 2
    shown = {k: v for k, v in result.summary.to_dict().items() if k != "config"}
    if isinstance(result, Annotation):
        print(json.dumps(shown, indent=1, default=str))
        return 0
    print(f"annotation failed at {result.stage}: {result.reason}", file=sys.stderr)
    return 1


def _save(result: Annotation | AnnotationFailure, out: Path) -> bool:
    """Write ``result`` to ``out`` atomically; when that fails, to a fallback file in the
    temporary folder (the finished poses are never discarded). True when ``out`` was written."""
    try:
        with atomic_path(out) as temporary:
            result.save(temporary)
        return True
    except OutputError as error:
        fallback = Path(tempfile.gettempdir()) / f"pose_pipeline-{out.stem}-{os.getpid()}.npz"
        try:
            with atomic_path(fallback) as temporary:
                result.save(temporary)
        except OutputError as second:
            print(f"error: {error}; the fallback failed too: {second}", file=sys.stderr)
            return False
        print(f"error: {error}; the result is saved at {fallback} instead", file=sys.stderr)
        return False
