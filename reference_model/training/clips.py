"""Posed clips on disk: the one form training reads.

A clip folder holds, per clip ``<name>``::

    <name>.npz     c2w (N,4,4) camera-to-world, OpenCV axes, metres; intrinsics (3,3) or (N,3,3) in
                   pixels of the frames (or of ``image_size`` (width, height) when given); optional
                   fps (default 16), caption, metric (False: not metric, rejected)
    <name>.mp4     the N frames (any of wmbench.data.video_io's video suffixes), or a folder
                   <name>/ of frame images sorted by name
    <name>.txt     the caption, when the npz has none

``pose_pipeline``'s output (``python -m pose_pipeline annotate VIDEO --out <name>.npz``) is such an
npz as it stands: put it beside the video. Its failure files (``failed``, ``reason``) and poses
with unregistered frames (NaN) are rejected with that reason, as are unreadable, short or
non-rigid clips: :func:`read_clip` raises :class:`~wmbench.core.errors.InputError` saying why.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.files import atomic_path, atomic_write
from wmbench.core.types import Trajectory, fit_image
from wmbench.data.video_io import VIDEO_SUFFIXES, read_video

DEFAULT_FPS = 16.0


@dataclass(frozen=True)
class Clip:
    """Frames (N,H,W,3) uint8 RGB with their cameras (intrinsics in pixels of the frames)."""

    name: str
    frames: np.ndarray
    trajectory: Trajectory
    caption: str


def clip_names(folder: Path) -> list[str]:
    """The clips in ``folder`` (every ``<name>.npz``), sorted."""
    return sorted(path.stem for path in Path(folder).glob("*.npz"))


def _frames_path(folder: Path, name: str) -> Path:
    for suffix in VIDEO_SUFFIXES:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    if (folder / name).is_dir():
        return folder / name
    raise InputError(
        folder / name, "frames", f"a video ({', '.join(VIDEO_SUFFIXES)}) or frame folder", "none"
    )


def read_clip(folder: Path, name: str) -> Clip:
    """The clip ``name`` of ``folder``, validated (poses rigid and finite, one per frame)."""
    folder = Path(folder)
    source = folder / f"{name}.npz"
    try:
        with np.load(source) as data:
            fields = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(source, "npz", "a readable npz", str(error)) from error
    if "failed" in fields:
        raise InputError(source, "poses", "an annotation", f"a failure: {fields.get('reason', '')}")
    if "metric" in fields and not bool(fields["metric"]):
        raise InputError(source, "metric", "poses in metres", "poses in an arbitrary unit")
    for key in ("c2w", "intrinsics"):
        if key not in fields:
            raise InputError(source, key, "an array", "none")
    video = read_video(_frames_path(folder, name))
    height, width = video.frames.shape[1:3]
    fps = float(fields.get("fps", DEFAULT_FPS))
    size = tuple(int(v) for v in fields.get("image_size", (width, height)))
    trajectory = Trajectory(fields["c2w"], fields["intrinsics"], size, fps, source=str(source))
    if len(trajectory) != len(video):
        raise InputError(source, "c2w", f"one pose per frame ({len(video)})", str(len(trajectory)))
    return Clip(
        name, video.frames, trajectory.resized(width, height), _caption(fields, folder, name)
    )


def _caption(fields: dict[str, np.ndarray], folder: Path, name: str) -> str:
    if "caption" in fields:
        return str(fields["caption"])
    text = folder / f"{name}.txt"
    if text.is_file():
        return text.read_text().strip()
    raise InputError(folder / f"{name}.npz", "caption", f"a caption key or {text.name}", "none")


def window(
    clip: Clip, frames: int, fps: float, size: tuple[int, int]
) -> tuple[np.ndarray, Trajectory]:
    """The clip's first ``frames`` frames at ``fps`` (nearest source frames) fitted to ``size``
    (width, height) by scale-to-cover and centre crop, with the cameras that fit implies."""
    source_fps = clip.trajectory.fps
    indices = np.round(np.arange(frames) * source_fps / fps).astype(int)
    if indices[-1] >= len(clip.frames):
        raise InputError(
            clip.trajectory.source,
            "frames",
            f"{frames} frames at {fps:g} fps ({indices[-1] + 1} at {source_fps:g} fps)",
            str(len(clip.frames)),
        )
    trajectory = Trajectory(
        clip.trajectory.c2w[indices],
        clip.trajectory.intrinsics[indices],
        clip.trajectory.image_size,
        fps,
        clip.trajectory.source,
    )
    fitted = np.stack([fit_image(frame, *size) for frame in clip.frames[indices]])
    return fitted, trajectory.fitted(*size)


def write_clip(folder: Path, clip: Clip) -> None:
    """Write ``clip`` in the form above, frames as lossless PNGs. The npz, which makes the clip
    visible to :func:`clip_names`, is moved into place last."""
    folder = Path(folder)
    frames_dir = folder / clip.name
    frames_dir.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(clip.frames):
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        atomic_write(
            frames_dir / f"{index:05d}.png",
            lambda temporary, image=bgr: cv2.imwrite(str(temporary), image),
        )
    trajectory = clip.trajectory
    with atomic_path(folder / f"{clip.name}.npz") as temporary:
        np.savez(
            temporary,
            c2w=trajectory.c2w,
            intrinsics=trajectory.intrinsics,
            fps=trajectory.fps,
            image_size=np.array(trajectory.image_size),
            caption=clip.caption,
        )
