"""Oracle adapters for synthetic cases: render the case's world along the requested path.

``oracle`` is the perfect world model (exact frames and exact metric depth); ``perturbed``
renders along the path with a known camera error (:func:`perturb_trajectory`), so camera
metrics can be checked against the error they should measure.
"""

from __future__ import annotations

import time
from typing import Any

from wmbench import __version__
from wmbench.core.types import Trajectory
from wmbench.models.base import Generation, GenerationRequest, ModelInfo
from wmbench.models.options import parse_options
from wmbench.worlds.cases import render_to_disk, world_of
from wmbench.worlds.perturb import MODES, perturb_trajectory


class OracleModel:
    """Renders the case's world exactly along the requested trajectory."""

    CONTROL = "renderer"
    # It renders the requested path itself, so its video is the ground truth (subclasses that
    # render another path set this False).
    RENDERS_REQUESTED_PATH = True

    name = "oracle"

    def __init__(self, **options: Any) -> None:
        parse_options(self.name, options, {})

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name, version=__version__, description="exact render of a synthetic world"
        )

    def config(self) -> dict[str, Any]:
        return {}

    def check_available(self) -> None:
        """Always available (it fails per case when a case has no synthetic world)."""

    def camera_path(self, trajectory: Trajectory) -> Trajectory:
        """The path actually rendered."""
        return trajectory

    def generate(self, request: GenerationRequest) -> Generation:
        world = world_of(request.case)
        trajectory = self.camera_path(request.trajectory.head(request.num_frames))
        width, height = request.resolution
        start = time.perf_counter()
        frames, depth = render_to_disk(world, trajectory, width, height, request.fps)
        seconds = time.perf_counter() - start
        info = {"world_kind": world.kind, "renderer": "wmbench.worlds ray caster", **self.config()}
        return Generation(
            video=frames,
            stage_seconds={"render": seconds},
            info=info,
            depth=depth,
            is_ground_truth=self.RENDERS_REQUESTED_PATH,
        )


def _vector(value: Any) -> tuple[float, float, float]:
    """Three numbers from "x,y,z" (or a sequence), not all zero."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    vector = tuple(float(p) for p in parts)
    if len(vector) != 3 or not any(vector):
        raise ValueError(f"not a non-zero 3-vector: {value!r}")
    return vector


def _mode(value: Any) -> str:
    if value not in MODES:
        raise ValueError(f"not one of {MODES}: {value!r}")
    return str(value)


class PerturbedOracleModel(OracleModel):
    """The oracle rendered along :func:`perturb_trajectory` of the requested path. Options
    (strings from ``--option`` are converted): ``rotation_drift_deg``, ``translation_drift_m``,
    ``mode`` (drift | offset), ``axis`` (camera frame, "x,y,z") and ``direction`` (world
    frame, "x,y,z"); the drift reaches its full value at the last generated frame."""

    name = "perturbed"
    RENDERS_REQUESTED_PATH = False

    def __init__(self, **options: Any) -> None:
        self.options = parse_options(
            self.name,
            options,
            {
                "rotation_drift_deg": (float, 0.0),
                "translation_drift_m": (float, 0.0),
                "mode": (_mode, "drift"),
                "axis": (_vector, (0.0, 1.0, 0.0)),
                "direction": (_vector, (1.0, 0.0, 0.0)),
            },
        )

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=self.name,
            version=__version__,
            description="synthetic world rendered with a known camera error",
        )

    def config(self) -> dict[str, Any]:
        return {
            "perturbation": {
                k: list(v) if isinstance(v, tuple) else v for k, v in self.options.items()
            }
        }

    def camera_path(self, trajectory: Trajectory) -> Trajectory:
        return perturb_trajectory(trajectory, **self.options)
