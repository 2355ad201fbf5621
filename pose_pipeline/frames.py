"""Stage 1, frame selection: read frames (memory, video file or image folder) and pick keyframes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.types import FrameSequence, Video
from wmbench.data.video_io import open_video

THUMBNAIL_WIDTH = 160
MIN_RESPONSE = 0.02  # phase-correlation peak below which the motion counts as unknown


class FrameSource:
    """RGB uint8 frames (H,W,3) in order, from an array (T,H,W,3), a
    :class:`~wmbench.core.types.FrameSequence` (a :class:`Video` or a lazy handle), a video file
    or a folder of images ordered by frame number. Handles and files are streamed in chunks,
    never held whole in memory; each pass decodes again."""

    def __init__(self, source: np.ndarray | FrameSequence | str | Path) -> None:
        self._frames: FrameSequence
        if isinstance(source, np.ndarray):
            self._frames = Video(source, 1.0)
        elif isinstance(source, FrameSequence):
            self._frames = source
        elif Path(source).exists():
            self._frames = open_video(Path(source))  # checked decode (InputError naming it)
        else:
            raise InputError(
                source, "video", "a video file, a frame folder or an array", "nothing there"
            )
        self.description = "<memory>" if isinstance(self._frames, Video) else str(source)

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[np.ndarray]:
        for chunk in self._frames.chunks():
            yield from chunk

    def frames_at(self, indices: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, frame)`` for the given sorted frame indices."""
        indices = np.asarray(indices, dtype=int)
        if len(indices) == 0:
            return
        start = 0
        for chunk in self._frames.chunks():  # one decoding pass, up to the last index
            inside = indices[(indices >= start) & (indices < start + len(chunk))]
            for index in inside.tolist():
                yield index, chunk[index - start]
            start += len(chunk)
            if start > indices[-1]:
                return


def _thumbnail(frame: np.ndarray) -> np.ndarray:
    height = max(1, round(frame.shape[0] * THUMBNAIL_WIDTH / frame.shape[1]))
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (THUMBNAIL_WIDTH, height), interpolation=cv2.INTER_AREA).astype(
        np.float32
    )


def scan(source: FrameSource) -> tuple[int, tuple[int, int], np.ndarray]:
    """One pass over the frames: their count, size (width, height) and the image motion
    between consecutive frames (N-1, 2) in fractions of the width (phase correlation of
    thumbnails; (0, 0) where it is undefined, e.g. blank frames)."""
    motion: list[tuple[float, float]] = []
    previous: np.ndarray | None = None
    size = (0, 0)
    count = 0
    window: np.ndarray | None = None
    for frame in source:
        thumbnail = _thumbnail(frame)
        if previous is None:
            size = (frame.shape[1], frame.shape[0])
            window = cv2.createHanningWindow(thumbnail.shape[::-1], cv2.CV_32F)
        else:
            (dx, dy), response = cv2.phaseCorrelate(previous, thumbnail, window)
            step = (dx / THUMBNAIL_WIDTH, dy / THUMBNAIL_WIDTH)
            defined = np.isfinite(step).all() and response >= MIN_RESPONSE
            motion.append(step if defined else (0.0, 0.0))
        previous = thumbnail
        count += 1
    return count, size, np.asarray(motion).reshape(-1, 2)


def select_keyframes(
    motion: np.ndarray, stride: int, max_shift: float, max_speed_change: float
) -> np.ndarray:
    """Keyframe indices for image motion (N-1, 2) between consecutive frames (fractions of the
    width). From frame 0, a segment ends at a new keyframe once ``stride`` frames have
    passed, or the image has moved ``max_shift`` since the keyframe, or the motion per frame
    differs from the segment's first step by ``max_speed_change`` (a turn or a start or stop;
    the keyframe goes on the frame before the change, so interpolating a segment assumes
    steady motion only where it was steady). The last frame always closes the list."""
    keyframes = [0]
    travelled = 0.0
    for index in range(1, len(motion) + 1):
        step = motion[index - 1]
        start = keyframes[-1]
        changed = np.linalg.norm(step - motion[start]) >= max_speed_change
        if changed and index - 1 > start:
            keyframes.append(index - 1)
            travelled = float(np.linalg.norm(step))
            continue
        travelled += float(np.linalg.norm(step))
        if index - start >= stride or travelled >= max_shift:
            keyframes.append(index)
            travelled = 0.0
    if keyframes[-1] != len(motion):
        keyframes.append(len(motion))
    return np.asarray(keyframes)
