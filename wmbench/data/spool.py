"""Frames spooled to disk as a model produces them, read back lazily and exactly.

A :class:`FrameSpool` holds fixed-shape arrays (RGB frames, depth maps) in an anonymous
temporary file (already unlinked: nothing is left behind, even after ``kill -9``). Writing
appends; reading returns copies of chosen frames or chunks, so memory is bounded by the chunk,
not the clip. The bytes are the frames themselves (no lossy codec), so scores computed from a
spool equal those of the same frames in memory. A spool of RGB frames with a rate is a
:class:`wmbench.core.types.FrameSequence`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from wmbench.core.errors import OutputError
from wmbench.core.types import CHUNK_FRAMES, FrameSequence, fit_image


class FrameSpool:
    """Arrays of ``frame_shape`` and ``dtype`` on disk, in order; ``fps`` for a video."""

    def __init__(
        self,
        frame_shape: tuple[int, ...],
        dtype: np.dtype | type = np.uint8,
        fps: float = 0.0,
        directory: Path | None = None,
    ) -> None:
        self.frame_shape = tuple(int(n) for n in frame_shape)
        self.dtype = np.dtype(dtype)
        self.fps = float(fps)
        self._frame_bytes = int(np.prod(self.frame_shape)) * self.dtype.itemsize
        self._count = 0
        try:
            self._file = tempfile.TemporaryFile(prefix="wmbench-spool-", dir=directory)  # noqa: SIM115 - lives as long as the spool
        except OSError as error:
            raise OutputError(directory or tempfile.gettempdir(), str(error)) from error

    def write(self, frames: np.ndarray) -> None:
        """Append ``frames`` (N, *frame_shape) or one frame (*frame_shape)."""
        frames = np.ascontiguousarray(frames, dtype=self.dtype)
        if frames.shape == self.frame_shape:
            frames = frames[None]
        if frames.shape[1:] != self.frame_shape:
            raise ValueError(f"frames of shape {self.frame_shape}, got {frames.shape[1:]}")
        try:
            os.pwrite(self._file.fileno(), memoryview(frames).cast("B"), self._offset(self._count))
        except OSError as error:
            raise OutputError(self._file.name, error.strerror or str(error)) from error
        self._count += len(frames)

    def _offset(self, index: int) -> int:
        return index * self._frame_bytes

    def _read(self, start: int, count: int) -> np.ndarray:
        out = np.empty((count, *self.frame_shape), self.dtype)
        view = memoryview(out).cast("B")
        done = 0
        while done < len(view):
            got = os.preadv(self._file.fileno(), [view[done:]], self._offset(start) + done)
            if got == 0:
                raise OSError(f"spool ends at byte {self._offset(start) + done}")
            done += got
        return out

    def __len__(self) -> int:
        return self._count

    @property
    def shape(self) -> tuple[int, ...]:
        return (self._count, *self.frame_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self.frame_shape)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return (self.frame_shape[1], self.frame_shape[0])

    def __getitem__(self, index: int | slice) -> np.ndarray:
        """One frame (by index) or consecutive frames (by a slice with step 1)."""
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if step != 1:
                return self.take(np.arange(start, stop, step))
            return self._read(start, max(0, stop - start))
        position = int(index) + (self._count if int(index) < 0 else 0)
        if not 0 <= position < self._count:
            raise IndexError(f"frame {index} of {self._count}")
        return self._read(position, 1)[0]

    def chunks(self, size: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
        """The frames in order, at most ``size`` at a time."""
        for start in range(0, self._count, size):
            yield self._read(start, min(size, self._count - start))

    def take(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """The frames at ``indices`` (K, *frame_shape), in the order given."""
        indices = np.asarray(indices, dtype=int)
        out = np.empty((len(indices), *self.frame_shape), self.dtype)
        for k, index in enumerate(indices):
            out[k] = self[int(index)]
        return out

    def close(self) -> None:
        """Free the disk space."""
        self._file.close()


def spool_frames(
    source: FrameSequence, count: int, size: tuple[int, int] | None = None
) -> tuple[FrameSpool, bool]:
    """The first ``count`` frames of ``source`` copied to a spool in one pass (decoded once, read
    back exactly and fast), scaled and centre-cropped to ``size`` (width, height) when given
    and different; and whether they had to be."""
    width, height = size or source.size
    resize = (width, height) != source.size
    spool = FrameSpool((height, width, 3), np.uint8, source.fps)
    for chunk in source.chunks():
        chunk = chunk[: count - len(spool)]
        spool.write(np.stack([fit_image(f, width, height) for f in chunk]) if resize else chunk)
        if len(spool) >= count:
            break
    return spool, resize
