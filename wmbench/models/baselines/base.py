"""Shared machinery of the published-baseline adapters.

Each baseline runs its own published inference entry point in its own environment: a configured
interpreter (``-o python=/env/bin/python``) or launcher (``-o "launcher=/env/bin/torchrun
--nproc_per_node=8"``) on the script in a checkout (``-o repo=DIR``), never wmbench's venv. The
adapter compiles the case's path into the model's native control, writes the input files the
entry point reads, runs the script through ``driver.py`` (which times loading apart from
generation) in its own process group, reads the model's own video back, picks the frames
standing for the case's (``-o timing=frames|seconds``) and keeps them at the model's own size
(evaluators score what the model wrote, as SANA-WM-Bench's scripts do), recording all of it,
the error of the path the control can express and what the model ignores.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from wmbench.core.errors import InputError, ModelUnavailable
from wmbench.core.types import Video, fit_image
from wmbench.data.video_io import read_video
from wmbench.models.base import Generation, GenerationRequest, ModelInfo
from wmbench.models.baselines.checks import static_checks
from wmbench.models.controls import CompiledControl, Ignored, NativeControl
from wmbench.models.controls.timeline import Timeline, case_frames_of, finish, native_path, plan
from wmbench.models.options import parse_options
from wmbench.models.process import default_timeout, positive_seconds, run_program

DRIVER = Path(__file__).with_name("driver.py")


@dataclass(frozen=True)
class EntryPoint:
    """What a baseline's repository publishes: the script, the callable whose first call ends
    its loading (``timed``, as the script reaches it), the module its environment must import,
    the weight paths it reads (relative to the weights folder), its native output and where all
    of it was read (repository @ commit, files)."""

    script: str
    timed: str
    package: str
    weights: tuple[str, ...]
    weights_default: str
    resolution: tuple[int, int]
    fps: float
    frames: str
    source: str


@dataclass(frozen=True)
class Launch:
    """One run of the entry point: the script's argv, the working directory, the file the
    model's video lands in and the driver's own options (``--once``, ``--set``, ...)."""

    args: list[str]
    cwd: Path
    output: Path
    driver: tuple[str, ...] = ()


class BaselineModel(ABC):
    """A published baseline driven through its own entry point (subclasses fill in the hooks)."""

    NAME: ClassVar[str]
    CONTROL: ClassVar[str]
    ENTRY: ClassVar[EntryPoint]
    OPTIONS: ClassVar[dict[str, tuple[Any, Any]]] = {}

    def __init__(self, **options: Any) -> None:
        schema = {
            "python": (str, ""),
            "launcher": (str, ""),
            "repo": (Path, Path()),
            "weights": (Path, Path()),
            "timeout": (positive_seconds, None),  # None: process.default_timeout
            "timing": (str, "frames"),
            **self.OPTIONS,
        }
        self.options = parse_options(self.NAME, options, schema)
        self.repo: Path = self.options["repo"]
        self.weights: Path = self.options["weights"]
        if self.weights == Path():
            self.weights = self.repo / self.ENTRY.weights_default

    def info(self) -> ModelInfo:
        width, height = self.ENTRY.resolution
        return ModelInfo(
            name=self.NAME,
            version=self.ENTRY.source.split(" ", 1)[0],
            device="cuda",
            description=f"{self.ENTRY.script} from {self.ENTRY.source}",
            control=self.CONTROL,
            native_resolution=(width, height),
            native_fps=self.ENTRY.fps,
            native_frames=self.ENTRY.frames,
        )

    def config(self) -> dict[str, Any]:
        return {
            **{k: str(v) for k, v in self.options.items() if k != "timeout"},
            "source": self.ENTRY.source,
        }

    def interpreter(self) -> list[str]:
        """The configured launcher or interpreter, split like a command line."""
        return shlex.split(self.options["launcher"] or self.options["python"])

    def check_available(self) -> None:
        missing = [check for check in static_checks(self) if not check.ok]
        if missing:
            raise ModelUnavailable(
                f"{self.NAME}: " + "; ".join(f"{c.name}: {c.detail}" for c in missing)
            )

    def timeline(self, request: GenerationRequest) -> Timeline:
        return plan(
            request.num_frames, request.fps, self.ENTRY.fps, self.options["timing"], self.frame_rule
        )

    def compile(self, request: GenerationRequest) -> tuple[CompiledControl, Timeline]:
        """The case's path as this model's native control, at the model's frames."""
        timeline = self.timeline(request)
        width, height = self.ENTRY.resolution
        trajectory = request.trajectory.fitted(width, height)
        picks = np.rint(np.clip(timeline.native_positions(), 0, len(trajectory) - 1)).astype(int)
        poses = native_path(trajectory.c2w, timeline)
        native = self.native_control(poses, trajectory.intrinsics[picks], request.case.prompt)
        return finish(self.NAME, self.CONTROL, native, trajectory.c2w, timeline), timeline

    def generate(self, request: GenerationRequest) -> Generation:
        compiled, timeline = self.compile(request)
        width, height = self.ENTRY.resolution
        with tempfile.TemporaryDirectory(prefix=f"wmbench-{self.NAME}-") as tmp:
            folder = Path(tmp)
            image = folder / "image.png"
            fitted = fit_image(request.image, width, height)
            _save_png(image, fitted)
            compiled.write(folder / "control")
            launch = self.launch(folder, image, request, compiled, timeline)
            timings = folder / "timings.json"
            run = run_program(
                [*self.interpreter(), str(DRIVER), "--timings", str(timings),
                 "--time", self.ENTRY.timed, *launch.driver, "--",
                 str(self.script_path(folder)), *launch.args],
                self.NAME,
                self.options["timeout"] or default_timeout(request.num_frames, request.fps),
                cwd=launch.cwd,
                env={**os.environ, "PYTHONPATH": os.pathsep.join([str(self.repo.resolve()),
                                                                os.environ.get("PYTHONPATH", "")])},
                stdin=compiled.native.stdin,
            )  # fmt: skip
            driver = _read_timings(timings)
            video = self.native_video(read_video(launch.output), fitted)
        frames = case_frames_of(video, timeline, str(launch.output))  # at the model's own size
        ignored = [*self.ignored_inputs(request, timeline), *compiled.native.ignored]
        info = {
            **compiled.info(),
            "source": self.ENTRY.source,
            "timing": timeline.timing,
            "native_frames": timeline.native_frames,
            "native_fps": video.fps,
            "native_size": list(video.size),
            "ignored": [asdict(item) for item in ignored],
            "driver_skipped_calls": driver["skipped"],
            **self.settings(),
        }
        return Generation(
            video=Video(frames, request.fps),
            stage_seconds={
                "load": driver["load_s"],
                "generate": driver["generate_s"],
                "entry_point": run.seconds,
            },  # fmt: skip
            info=info,
            series=compiled.series(),
        )

    def ignored_inputs(self, request: GenerationRequest, timeline: Timeline) -> list[Ignored]:
        """What of the case this model does not take as asked: its seed (subclasses say) and
        the frame count, when its frame rule makes it render more than the case needs."""
        seed = self.seed_used(request)
        ignored = [] if seed is None else [seed]
        minimum = plan(request.num_frames, request.fps, self.ENTRY.fps, timeline.timing,
                       lambda n: n).native_frames  # fmt: skip
        if timeline.native_frames != minimum:
            source = f"{self.ENTRY.source.split(' ', 1)[0]}: {self.ENTRY.frames}"
            used = f"{timeline.native_frames} frames (extra frames are not scored)"
            ignored.append(Ignored("frames", f"{minimum} frames", used, source))
        return ignored

    def seed_used(self, request: GenerationRequest) -> Ignored | None:
        """None when the case's seed reaches the model; else what it uses instead."""
        return None

    def settings(self) -> dict[str, Any]:
        """The speed / quality settings this run used (recorded with every case)."""
        return {}

    def native_video(self, video: Video, image: np.ndarray) -> Video:
        """The model's video with native frame 0 standing for the input image (a model whose
        saved video starts later says so here)."""
        return video

    def weight_paths(self) -> list[Path]:
        """Every weight file or folder the entry point reads."""
        return [self.weights / part for part in self.ENTRY.weights]

    def script_path(self, folder: Path) -> Path:
        """The entry-point script to run (in the checkout unless a subclass stages one)."""
        return self.repo / self.ENTRY.script

    # Hooks -------------------------------------------------------------------------------

    @abstractmethod
    def frame_rule(self, minimum: int) -> int:
        """The model's smallest allowed frame count covering ``minimum`` frames."""

    @abstractmethod
    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        """Compile poses (M,4,4) and intrinsics (M,3,3) at the model's frames and size."""

    @abstractmethod
    def launch(
        self,
        folder: Path,
        image: Path,
        request: GenerationRequest,
        compiled: CompiledControl,
        timeline: Timeline,
    ) -> Launch:
        """The entry point's arguments for one case whose inputs are under ``folder``."""


def _read_timings(path: Path) -> dict[str, float]:
    """The driver's record: load_s, generate_s, calls and skipped (calls it answered empty)."""
    try:
        record = json.loads(path.read_text())
        return {key: float(record[key]) for key in ("load_s", "generate_s", "calls", "skipped")}
    except (OSError, ValueError, KeyError) as error:
        raise InputError(str(path), "timings", "the driver's JSON record", str(error)) from error


def _save_png(path: Path, image: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(image).save(path)
