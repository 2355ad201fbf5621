"""Reading and writing videos: video files through PyAV (FFmpeg), or folders of frame images.

Reading is lazy: :func:`open_video` returns a handle (:class:`VideoFile`, :class:`FrameFolder`)
that knows the frame count, rate and size from the container and decodes frames in chunks
(:meth:`VideoFile.chunks`) or a few chosen ones (:meth:`VideoFile.take`), never the whole clip
at once. Every decode is checked: a stream FFmpeg cannot decode, a frame it marks corrupt or a
stream that ends before the container's frame count is an InputError naming the file and the
frame. A file whose rate differs from the rate asked for is resampled in time to that rate
(nearest frame at each output time; ``native_fps`` and ``resampled`` record it), never re-labelled.

Writing (:class:`VideoWriter`) encodes H.264 (libx264, CRF ``CRF``, preset ``PRESET``, yuv420p:
playable in browsers; yuv444p for odd sizes, which 4:2:0 cannot hold) frame by frame as they
are produced, into a temporary file that replaces the target only after re-opening it shows
every frame written (:func:`wmbench.core.files.atomic_path`).

A frame folder holds one image per frame, numbered at the end of the name (``0000.png``,
``frame_7.jpg``, or unpadded ``0.png, 1.png, 10.png``): frames are ordered by that number,
which must run without a gap from the first; names without a number, two files for one
number, two naming patterns or frames of different sizes are an InputError naming the folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np

from wmbench.core.errors import InputError, OutputError
from wmbench.core.files import atomic_path
from wmbench.core.types import CHUNK_FRAMES, FrameSequence, Video

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")
FRAME_NAME = re.compile(r"^(?P<prefix>.*?)(?P<index>\d+)$")
FOLDER_FPS = 16.0  # rate of a frame folder read without one
CRF = 18  # x264 constant rate factor: visually lossless for most content
PRESET = "veryfast"
RATE_TOLERANCE = 1e-3  # relative difference of rates treated as equal


def resample_indices(count: int, native_fps: float, fps: float) -> np.ndarray:
    """For each frame at ``fps`` (time k / fps), the nearest of ``count`` frames at
    ``native_fps`` not past the last; the identity when the rates agree."""
    if abs(native_fps - fps) <= RATE_TOLERANCE * fps:
        return np.arange(count)
    duration = (count - 1) / native_fps
    out = int(np.floor(duration * fps + 1e-9)) + 1
    return np.minimum(np.floor(np.arange(out) * native_fps / fps + 0.5).astype(int), count - 1)


class VideoFile:
    """A lazy handle on a video file (see the module docstring). ``fps`` is the rate frames are
    served at (``rate`` when given, else the file's); ``frame_count`` is the container's."""

    def __init__(self, path: Path, rate: float | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(
                path, "video", "an existing video file or frame folder", "nothing there"
            )
        with self._open() as container:
            stream = container.streams.video[0]
            average = stream.average_rate or stream.guessed_rate
            self.native_fps = float(average) if average else 0.0
            self._size = (stream.codec_context.width, stream.codec_context.height)
            self.frame_count = stream.frames or self._count_packets(container)
        if not self.native_fps > 0:
            raise InputError(self.path, "frame rate", "a positive rate in the container", "none")
        if self.frame_count == 0:
            raise InputError(
                self.path, "video", "a readable video with at least one frame", "no frames"
            )
        self.fps = float(rate) if rate else self.native_fps
        self._source = resample_indices(self.frame_count, self.native_fps, self.fps)
        self.resampled = len(self._source) != self.frame_count or self.fps != self.native_fps

    def __len__(self) -> int:
        return len(self._source)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self._size

    def _open(self) -> av.container.InputContainer:
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as error:
            raise InputError(
                self.path, "video", "a readable video with at least one frame",
                f"no frames ({error})",
            ) from error  # fmt: skip
        if not container.streams.video:
            container.close()
            raise InputError(self.path, "video", "a video stream", "none")
        return container

    def _count_packets(self, container: av.container.InputContainer) -> int:
        """Frames of a container that does not store the count (demuxed, not decoded)."""
        stream = container.streams.video[0]
        count = sum(1 for packet in container.demux(stream) if packet.size)
        container.seek(0)
        return count

    def _decoded(self, stop: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """The file's frames 0 .. ``stop`` - 1 in order, each decode checked."""
        index = 0
        with self._open() as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            try:
                for frame in container.decode(stream):
                    if index >= stop:
                        return
                    if frame.is_corrupt:
                        raise InputError(
                            self.path, f"frame {index}", "a decodable frame", "corrupt"
                        )
                    yield index, frame
                    index += 1
            except av.FFmpegError as error:
                raise InputError(
                    self.path, f"frame {index}", "a decodable video stream", str(error)
                ) from error
        if index < stop:
            raise InputError(
                self.path, f"frame {index}", f"{self.frame_count} frames (the container's count)",
                f"the stream ends after {index}",
            )  # fmt: skip

    def chunks(self, size: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
        """The frames in order (at ``fps``), as arrays (n, H, W, 3) of at most ``size``."""
        repeats = np.bincount(self._source, minlength=self.frame_count)
        pending: list[np.ndarray] = []
        for index, frame in self._decoded(int(self._source[-1]) + 1):
            if repeats[index]:
                image = self._rgb(frame, index)
                pending += [image] * int(repeats[index])
            while len(pending) >= size:
                yield np.stack(pending[:size])
                pending = pending[size:]
        if pending:
            yield np.stack(pending)

    def take(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """The frames at ``indices`` (K, H, W, 3) in the order given: one decoding pass up to
        the last, converting only those."""
        indices = np.asarray(indices, dtype=int)
        if len(indices) == 0:
            return np.empty((0, self._size[1], self._size[0], 3), np.uint8)
        if indices.min() < 0 or indices.max() >= len(self):
            raise IndexError(f"{self.path}: frames {indices.min()}..{indices.max()} of {len(self)}")
        wanted = self._source[indices]
        found: dict[int, np.ndarray] = {}
        needed = set(wanted.tolist())
        for index, frame in self._decoded(int(wanted.max()) + 1):
            if index in needed:
                found[index] = self._rgb(frame, index)
        return np.stack([found[int(i)] for i in wanted])

    def _rgb(self, frame: av.VideoFrame, index: int) -> np.ndarray:
        image = frame.to_ndarray(format="rgb24")
        if (image.shape[1], image.shape[0]) != self._size:
            raise InputError(self.path, f"frame {index}", f"size {self._size}", str(image.shape))
        return image

    def read(self) -> Video:
        """Every frame in memory (small clips only)."""
        return Video(np.concatenate(list(self.chunks())), self.fps)


class FrameFolder:
    """A lazy handle on a folder of frame images (see the module docstring) at ``fps``."""

    def __init__(self, folder: Path, fps: float | None = None) -> None:
        self.path = Path(folder)
        self.files = frame_files(self.path)
        self.fps = float(fps) if fps else FOLDER_FPS
        self.native_fps, self.resampled = self.fps, False  # a folder has no rate of its own
        first = self._image(0)
        self._size = (first.shape[1], first.shape[0])

    def __len__(self) -> int:
        return len(self.files)

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def _image(self, index: int) -> np.ndarray:
        name = self.files[index]
        image = cv2.imread(str(name), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(name, "frame", "a readable image", "unreadable file")
        if hasattr(self, "_size") and (image.shape[1], image.shape[0]) != self._size:
            raise InputError(
                self.path, "frames", "frames of one size",
                f"{name.name} is {image.shape[1]}x{image.shape[0]}, frame 0 {self._size}",
            )  # fmt: skip
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def chunks(self, size: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
        for start in range(0, len(self), size):
            yield np.stack([self._image(i) for i in range(start, min(start + size, len(self)))])

    def take(self, indices: np.ndarray | list[int]) -> np.ndarray:
        images = [self._image(int(i)) for i in indices]
        return np.stack(images) if images else np.empty((0, *self._size[::-1], 3), np.uint8)

    def read(self) -> Video:
        return Video(np.concatenate(list(self.chunks())), self.fps)


def open_video(path: Path, rate: float | None = None) -> VideoFile | FrameFolder:
    """A lazy handle on a video file or frame folder, served at ``rate`` when given (a file of
    another rate is resampled in time; a folder has no rate of its own and takes ``rate``)."""
    path = Path(path)
    if path.is_dir():
        return FrameFolder(path, rate)
    return VideoFile(path, rate)


def read_video(path: Path, fps: float | None = None) -> Video:
    """A video file or frame folder in memory as RGB uint8, at ``fps`` (see :func:`open_video`)."""
    return open_video(path, fps).read()


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


class VideoWriter:
    """An H.264 MP4 written frame by frame (see the module docstring): :meth:`write` chunks as
    they are produced, then :meth:`close` (or leave a ``with`` block) to verify and publish it.
    Any failure is an OutputError naming ``path`` and leaves nothing under it."""

    def __init__(self, path: Path, fps: float, crf: int = CRF) -> None:
        self.path = Path(path)
        if not fps > 0:
            raise OutputError(path, f"a frame rate of {fps}: nothing to encode")
        self.fps = fps
        self.crf = crf
        self.frames_written = 0
        self._stack = ExitStack()
        self._temporary = self._stack.enter_context(atomic_path(self.path))
        self._container: av.container.OutputContainer | None = None
        self._stream: av.VideoStream | None = None

    def _start(self, width: int, height: int) -> None:
        even = width % 2 == 0 and height % 2 == 0
        try:
            self._container = av.open(
                str(self._temporary), "w", format="mp4", options={"movflags": "+faststart"}
            )
            rate = Fraction(self.fps).limit_denominator(1001)
            options = {"crf": str(self.crf), "preset": PRESET}
            self._stream = self._container.add_stream("libx264", rate=rate, options=options)
            self._stream.width, self._stream.height = width, height
            self._stream.pix_fmt = "yuv420p" if even else "yuv444p"
        except (av.FFmpegError, OSError, ValueError) as error:
            self.abort()
            raise OutputError(self.path, f"the H.264 encoder does not open: {error}") from error

    def write(self, frames: np.ndarray) -> None:
        """Encode ``frames`` (N, H, W, 3) or one frame (H, W, 3), uint8 RGB."""
        frames = np.asarray(frames)
        frames = frames[None] if frames.ndim == 3 else frames
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            self.abort()
            raise OutputError(self.path, f"frames must be uint8 (N, H, W, 3), got {frames.shape}")
        if self._stream is None:
            self._start(frames.shape[2], frames.shape[1])
        assert self._stream is not None and self._container is not None
        if (frames.shape[2], frames.shape[1]) != (self._stream.width, self._stream.height):
            self.abort()
            raise OutputError(self.path, f"frame size {frames.shape[2]}x{frames.shape[1]} "
                              f"after {self._stream.width}x{self._stream.height}")  # fmt: skip
        try:
            for frame in frames:
                video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), "rgb24")
                self._container.mux(self._stream.encode(video_frame))
                self.frames_written += 1
        except (av.FFmpegError, OSError) as error:
            self.abort()
            raise OutputError(
                self.path, f"encoding frame {self.frames_written}: {error}"
            ) from error

    def close(self) -> None:
        """Flush the encoder, check the file holds every frame, and move it to ``path``."""
        if self._container is None:
            self.abort()
            raise OutputError(self.path, "no frames: nothing to encode")
        try:
            self._container.mux(self._stream.encode())
            self._container.close()
            self._container = None
            with av.open(str(self._temporary)) as written:
                count = written.streams.video[0].frames
        except (av.FFmpegError, OSError) as error:
            self.abort()
            raise OutputError(self.path, f"finishing the file: {error}") from error
        if count != self.frames_written:
            self.abort()
            raise OutputError(
                self.path, f"re-opened it holds {count} of {self.frames_written} frames"
            )
        self._stack.close()  # renames it (or raises OutputError)

    def abort(self) -> None:
        """Drop the temporary file; nothing appears under ``path``."""
        if self._container is not None:
            with suppress(av.FFmpegError, OSError):
                self._container.close()
            self._container = None
        error = OutputError(self.path, "aborted")
        self._stack.__exit__(OutputError, error, None)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_video(path: Path, video: FrameSequence, crf: int = CRF) -> None:
    """Encode ``video`` (in memory or a lazy handle, read in chunks) as an H.264 MP4 at
    ``path``, atomically (see :class:`VideoWriter`)."""
    if not len(video):
        raise OutputError(path, f"0 frames at {video.fps} fps: nothing to encode")
    with VideoWriter(path, video.fps, crf) as writer:
        for chunk in video.chunks():
            writer.write(chunk)
