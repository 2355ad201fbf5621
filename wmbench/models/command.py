"""``command``: runs an external program per case.

Argument contract: wmbench runs ``CMD`` (split like a shell command line) followed by::

    --image IMAGE.png        the first frame, already at WIDTHxHEIGHT
    --prompt-file PROMPT.txt the text prompt (UTF-8)
    --camera CAMERA.npz      c2w (N,4,4) OpenCV camera-to-world in metres, intrinsics (N,3,3) in
                             pixels of WIDTHxHEIGHT, fps, num_frames (the SANA-WM-Bench keys)
    --frames N --width W --height H --fps F --seed S
    --out OUT.mp4            where the program must write the video (a file, or a frame folder)

It must exit 0 and leave at least N frames at OUT. Anything it prints is kept when it fails.
It runs in its own process group; after ``timeout`` seconds (default: fitted to the video
asked for, twice the slowest published generation rate and at least 10 minutes, see
``process.default_timeout``) the whole group is killed and the case is recorded as failed; a
progress line is printed every minute while it runs. When the run is stopped (SIGTERM, SIGINT)
the group is killed and the temporary folder removed.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from wmbench import __version__
from wmbench.core.errors import InputError
from wmbench.data.spool import spool_frames
from wmbench.data.video_io import open_video
from wmbench.models.base import Generation, GenerationRequest, ModelInfo
from wmbench.models.options import REQUIRED, parse_options
from wmbench.models.process import default_timeout, positive_seconds, run_program


class CommandModel:
    """A world model behind a command line."""

    CONTROL = "command"

    def __init__(self, **options: Any) -> None:
        parsed = parse_options(
            "command",
            options,
            {
                "cmd": (str, REQUIRED),
                "name": (str, ""),
                "timeout": (positive_seconds, None),
            },
        )
        try:
            self.argv: list[str] = shlex.split(parsed["cmd"])
        except ValueError as error:  # an unclosed quote
            raise InputError("model 'command'", "cmd", "a command line", str(error)) from error
        if not self.argv:
            raise InputError("model 'command'", "cmd", "a command line", repr(parsed["cmd"]))
        self.label: str = parsed["name"] or Path(self.argv[0]).name
        self.timeout: float | None = parsed["timeout"]  # None: fitted to each request

    def info(self) -> ModelInfo:
        return ModelInfo(name=f"command:{self.label}", version=__version__)

    def config(self) -> dict[str, Any]:
        return {"cmd": shlex.join(self.argv), "name": self.label}

    def check_available(self) -> None:
        return None

    def generate(self, request: GenerationRequest) -> Generation:
        width, height = request.resolution
        with tempfile.TemporaryDirectory(prefix="wmbench-cmd-") as tmp:
            folder = Path(tmp)
            Image.fromarray(request.image).save(folder / "image.png")
            (folder / "prompt.txt").write_text(request.case.prompt, encoding="utf-8")
            np.savez(
                folder / "camera.npz",
                c2w=request.trajectory.c2w,
                intrinsics=request.trajectory.intrinsics,
                fps=request.fps,
                num_frames=request.num_frames,
            )
            out = folder / "out.mp4"
            argv = [
                *self.argv,
                "--image", str(folder / "image.png"),
                "--prompt-file", str(folder / "prompt.txt"),
                "--camera", str(folder / "camera.npz"),
                "--frames", str(request.num_frames),
                "--width", str(width),
                "--height", str(height),
                "--fps", str(request.fps),
                "--seed", str(request.seed),
                "--out", str(out),
            ]  # fmt: skip
            timeout = self.timeout or default_timeout(request.num_frames, request.fps)
            finished = run_program(argv, self.argv[0], timeout)
            video = open_video(out, rate=request.fps)  # another rate is resampled in time
            if len(video) < request.num_frames or video.size != (width, height):
                raise InputError(
                    self.argv[0],
                    "--out",
                    f"{request.num_frames} frames of {width}x{height} at {request.fps:g} fps",
                    f"{len(video)} frames of {video.size[0]}x{video.size[1]}"
                    + (
                        f" after resampling its {video.native_fps:g} fps" if video.resampled else ""
                    ),
                )
            frames, _ = spool_frames(video, request.num_frames)  # before the folder goes
        info = {"source_fps": video.native_fps, "resampled": video.resampled}
        return Generation(video=frames, stage_seconds={"command": finished.seconds}, info=info)
