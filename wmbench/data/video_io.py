"""Reading and writing videos: video files through OpenCV, or folders of frame images."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.types import Video

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_video(path: Path, fps: float | None = None) -> Video:
    """Read a video file or a folder of frame images (sorted by name) as RGB uint8.

    ``fps`` is required for frame folders and overrides the file's own rate when given.
    """
    path = Path(path)
    if path.is_dir():
        return _read_frame_folder(path, fps)
    if not path.is_file():
        raise InputError(path, "video", "an existing video file or frame folder", "nothing there")
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        file_fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if not frames:
        raise InputError(path, "video", "a readable video with at least one frame", "no frames")
    return Video(np.stack(frames), fps or file_fps or 16.0)


def _read_frame_folder(folder: Path, fps: float | None) -> Video:
    names = sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    if not names:
        raise InputError(folder, "frames", f"image files ({', '.join(FRAME_SUFFIXES)})", "none")
    frames = []
    for name in names:
        image = cv2.imread(str(name), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(name, "frame", "a readable image", "unreadable file")
        frames.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    shapes = {frame.shape for frame in frames}
    if len(shapes) > 1:
        raise InputError(folder, "frames", "frames of one size", f"sizes {sorted(shapes)}")
    return Video(np.stack(frames), fps or 16.0)


def write_video(path: Path, video: Video) -> None:
    """Write an MP4 (mp4v) atomically: a partial file never appears under ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=path.suffix, dir=path.parent)
    os.close(handle)
    width, height = video.size
    writer = cv2.VideoWriter(temporary, cv2.VideoWriter_fourcc(*"mp4v"), video.fps, (width, height))
    try:
        for frame in video.frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    os.replace(temporary, path)
