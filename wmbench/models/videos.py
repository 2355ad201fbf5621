"""``videos``: scores videos generated elsewhere, one file or frame folder per case id.

For a case ``simple_60s/indoor_001`` it looks for ``DIR/simple_60s/indoor_001.mp4`` (or .avi,
.mkv, .mov, .webm) or the frame folder ``DIR/simple_60s/indoor_001/`` (PNG/JPEG frames sorted
by name). Videos longer than the suite asks are cut; shorter ones are an error. Frames are
scored at the size they were written (SANA-WM-Bench's scripts read each model's own mp4; nothing
is resized to a common size).

``-o poses=DIR`` gives poses estimated elsewhere, ``DIR/<case_id>.npz`` (the layout of
:mod:`pose_pipeline.estimators`' ``file`` estimator): the camera evaluator scores those instead of
estimating; ``-o poses_estimator=pi3`` declares which estimator produced them, so the camera
metrics carry that estimator's identity (plain ``rot_err_deg/sanawm`` for Pi3's, the
publication's; ``@file`` otherwise). ``-o refined=true`` declares the videos refined outputs whose
frame 0 is the input image (SANA-WM-Bench's ``method_info.json`` ``refiner`` key): every evaluator
drops it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wmbench import __version__
from wmbench.core.errors import InputError
from wmbench.data.spool import spool_frames
from wmbench.data.video_io import VIDEO_SUFFIXES, FrameFolder, VideoFile, open_video
from wmbench.models.base import Generation, GenerationRequest, ModelInfo, PoseSource
from wmbench.models.options import REQUIRED, parse_options, to_bool


class VideosModel:
    """Pre-generated videos from a directory (the way third-party models are compared)."""

    CONTROL = "video-files"

    def __init__(self, **options: Any) -> None:
        schema = {
            "dir": (Path, REQUIRED),
            "name": (str, ""),
            "poses": (Path, None),
            "poses_estimator": (str, ""),
            "refined": (to_bool, False),
        }
        parsed = parse_options("videos", options, schema)
        self.directory: Path = parsed["dir"]
        self.label: str = parsed["name"] or self.directory.name
        self.poses: Path | None = parsed["poses"]
        self.refined: bool = parsed["refined"]
        self.poses_estimator: str = parsed["poses_estimator"]
        if self.poses_estimator and self.poses is None:
            raise InputError("videos", "poses_estimator", "given together with -o poses=DIR",
                             self.poses_estimator)  # fmt: skip

    def info(self) -> ModelInfo:
        return ModelInfo(name=f"videos:{self.label}", version=__version__)

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"dir": str(self.directory.resolve()), "name": self.label}
        if self.poses is not None:
            config["poses"] = str(self.poses.resolve())
            config["poses_estimator"] = self.poses_estimator
        if self.refined:
            config["refined"] = True
        return config

    def check_available(self) -> None:
        if not self.directory.is_dir():
            raise InputError(
                self.directory, "dir", "a folder of videos named by case id", "no folder"
            )
        if self.poses is not None and not self.poses.is_dir():
            raise InputError(self.poses, "poses", "a folder of <case_id>.npz pose files", "none")

    def find(self, case_id: str) -> Path:
        """The video file or frame folder for ``case_id``."""
        stem = self.directory / case_id
        candidates = [stem.with_name(stem.name + suffix) for suffix in VIDEO_SUFFIXES] + [stem]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        raise InputError(
            stem, "video", f"a video file ({', '.join(VIDEO_SUFFIXES)}) or frame folder", "none"
        )

    def generate(self, request: GenerationRequest) -> Generation:
        path = self.find(request.case.id)
        video = open_video(path, rate=request.fps)  # another rate is resampled in time
        if len(video) < request.num_frames:
            raise InputError(
                path, "frames", f"at least {request.num_frames} frames at {request.fps:g} fps",
                f"{len(video)} frames" + _rate_note(video),
            )  # fmt: skip
        frames, _ = spool_frames(video, request.num_frames)  # at the file's own size
        info = {"source": str(path), "source_fps": video.native_fps, "size": list(video.size),
                "resampled": video.resampled}  # fmt: skip
        poses = None
        if self.poses is not None:
            poses = PoseSource(self.poses.resolve(), self.poses_estimator)
        return Generation(video=frames, info=info, refined=self.refined, poses=poses)


def _rate_note(video: VideoFile | FrameFolder) -> str:
    """How a file of another rate was read, for messages."""
    if video.resampled:
        return f" (resampled from the file's {video.native_fps:g} fps)"
    return ""
