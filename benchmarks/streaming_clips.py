"""Clips for ``bench_streaming.py``: a 60 s oracle render of a synthetic room at 320x180 along
a returning path (``return/out_and_back``: revisits), written once as H.264 under
``$WMBENCH_CACHE/streaming_bench`` with its camera path, then upscaled (bilinear) to the sizes
measured, 640x360 and 1280x720 (a native 720p render costs about 30 CPU minutes; the evaluators
read, decode and process a real file of that size either way, and the annotator works at 640 px);
the 10-minute clip plays the minute forward, backward, forward, ... (9,601 frames; its path does
the same, so it stays a valid camera path with returns)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from wmbench.core.paths import cache_dir
from wmbench.core.types import Trajectory
from wmbench.data.video_io import VideoWriter, open_video, write_video
from wmbench.worlds.cases import render_to_disk

KIND, SEED, FAMILY, VARIANT = "room", 0, "return", "out_and_back"
FRAMES, FPS, SIZE = 961, 16.0, (320, 180)


def folder() -> Path:
    return cache_dir() / "streaming_bench"


def base_clip() -> tuple[Path, Trajectory]:
    """The 961-frame 320x180 render and its path (rendered on first use, about 2 CPU minutes)."""
    from wmbench.worlds.layout import make_world
    from wmbench.worlds.trajectories import make_trajectory

    world = make_world(SEED, KIND)
    path = make_trajectory(world, FAMILY, FRAMES, FPS, SEED, *SIZE, variant=VARIANT)
    video = folder() / f"{KIND}_{VARIANT}_{FRAMES}_{SIZE[0]}x{SIZE[1]}.mp4"
    if not video.is_file():
        print(f"rendering {video} ...", file=sys.stderr, flush=True)
        frames, depth = render_to_disk(world, path, *SIZE, FPS)
        depth.close()
        write_video(video, frames)
    return video, path


def upscaled_clip(factor: int = 2) -> tuple[Path, Trajectory]:
    """The base clip upscaled ``factor`` times (bilinear), and its path for that size."""
    source, path = base_clip()
    width, height = SIZE[0] * factor, SIZE[1] * factor
    video = source.with_name(f"{source.stem}_up{width}x{height}.mp4")
    if not video.is_file():
        with VideoWriter(video, FPS) as writer:
            for chunk in open_video(source).chunks():
                writer.write(np.stack([cv2.resize(f, (width, height)) for f in chunk]))
    return video, path.resized(width, height)


def looped_clip(minutes: int = 10, factor: int = 2) -> tuple[Path, Trajectory]:
    """The upscaled clip played forward and backward alternately to ``minutes`` (+1 frame)."""
    source, path = upscaled_clip(factor)
    order = _ping_pong(FRAMES, minutes * 60 * int(FPS) + 1)
    video = source.with_name(f"{source.stem}_loop{len(order)}.mp4")
    if not video.is_file():
        frames = open_video(source).read().frames  # the base minute in memory (writing only)
        with VideoWriter(video, FPS) as writer:
            for start in range(0, len(order), 64):
                writer.write(frames[order[start : start + 64]])
    looped = Trajectory(path.c2w[order], path.intrinsics[order], path.image_size, FPS)
    return video, looped


def _ping_pong(count: int, length: int) -> np.ndarray:
    cycle = np.concatenate([np.arange(count), np.arange(count - 2, 0, -1)])
    return np.resize(cycle, length)


if __name__ == "__main__":
    for clip in (base_clip(), upscaled_clip(2), upscaled_clip(4), looped_clip(10)):
        print(clip[0])
