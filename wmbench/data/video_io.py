"""Reading and writing videos: video files through OpenCV, or folders of frame images.

A frame folder holds one image per frame, numbered at the end of the name (``0000.png``,
``frame_7.jpg``, or unpadded ``0.png, 1.png, 10.png``): frames are ordered by that number,
which must run without a gap from the first; names without a number, two files for one
number, two naming patterns or frames of different sizes are an InputError naming the folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from wmbench.core.errors import InputError, OutputError
from wmbench.core.files import atomic_path
from wmbench.core.types import Video

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")
FRAME_NAME = re.compile(r"^(?P<prefix>.*?)(?P<index>\d+)$")


def read_video(path: Path, fps: float | None = None) -> Video:
    """Read a video file or a folder of frame images (ordered by frame number) as RGB uint8.

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
    return Video(np.stack(frames), fps or (file_fps if file_fps > 0 else 16.0))


def frame_files(folder: Path) -> list[Path]:
    """The frame images of ``folder`` in frame-number order (see the module docstring)."""
    try:
        files = [p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES]
    except OSError as error:
        raise InputError(folder, "frames", "a readable folder", error.strerror) from error
    if not files:
        raise InputError(folder, "frames", f"image files ({', '.join(FRAME_SUFFIXES)})", "none")
    numbered: dict[int, Path] = {}
    prefixes = set()
    for file in sorted(files):
        match = FRAME_NAME.match(file.stem)
        if match is None:
            raise InputError(
                file, "frame name", "a frame number ending the name (0000.png, frame_7.png)",
                repr(file.name),
            )  # fmt: skip
        index = int(match["index"])
        if index in numbered:
            raise InputError(
                folder, "frames", "one file per frame number",
                f"{numbered[index].name} and {file.name} both frame {index}",
            )  # fmt: skip
        numbered[index] = file
        prefixes.add(match["prefix"])
    if len(prefixes) > 1:
        raise InputError(folder, "frames", "one naming pattern", f"prefixes {sorted(prefixes)}")
    first = min(numbered)
    missing = sorted(set(range(first, first + len(numbered))) - set(numbered))
    if missing:
        raise InputError(
            folder, "frames", f"consecutive frame numbers from {first}",
            f"frame {missing[0]} missing (last is {max(numbered)})",
        )  # fmt: skip
    return [numbered[index] for index in sorted(numbered)]


def _read_frame_folder(folder: Path, fps: float | None) -> Video:
    frames = []
    for name in frame_files(folder):
        image = cv2.imread(str(name), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(name, "frame", "a readable image", "unreadable file")
        frames.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    shapes = {frame.shape for frame in frames}
    if len(shapes) > 1:
        raise InputError(folder, "frames", "frames of one size", f"sizes {sorted(shapes)}")
    return Video(np.stack(frames), fps or 16.0)


def write_video(path: Path, video: Video) -> None:
    """Write an MP4 (mp4v) atomically: a partial or empty file never appears under ``path``;
    an encoder that cannot open or writes nothing (too small a frame, a rate that is not
    positive) is an OutputError naming ``path``."""
    width, height = video.size
    if not video.fps > 0 or not len(video):
        raise OutputError(path, f"{len(video)} frames at {video.fps} fps: nothing to encode")
    with atomic_path(Path(path)) as temporary:
        fourcc = cv2.VideoWriter_fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(temporary), fourcc, video.fps, (width, height))
        if not writer.isOpened():
            raise OutputError(path, f"the mp4v encoder does not open for {width}x{height}")
        try:
            for frame in video.frames:
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
