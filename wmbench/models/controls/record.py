"""The typed result of compiling a camera path into a model's native control."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wmbench.models.controls.geometry import geodesic_deg


@dataclass(frozen=True)
class PathError:
    """Per-frame error of the path a control expresses against the requested one: rotation
    (geodesic, degrees) and camera-centre distance (metres)."""

    rotation_deg: np.ndarray
    translation_m: np.ndarray

    @classmethod
    def between(cls, expressed: np.ndarray, requested: np.ndarray) -> PathError:
        """Error of camera-to-world poses ``expressed`` against ``requested`` (both (N,4,4))."""
        return cls(
            rotation_deg=geodesic_deg(expressed, requested),
            translation_m=np.linalg.norm(expressed[:, :3, 3] - requested[:, :3, 3], axis=1),
        )

    def summary(self) -> dict[str, float]:
        return {
            "rotation_deg_mean": float(self.rotation_deg.mean()),
            "rotation_deg_max": float(self.rotation_deg.max()),
            "translation_m_mean": float(self.translation_m.mean()),
            "translation_m_max": float(self.translation_m.max()),
        }


@dataclass(frozen=True)
class Ignored:
    """An input of the case the model does not take as asked: which (``seed``, ``scale``,
    ``frames``, ...), what was asked, what the model uses instead and where that is read."""

    input: str
    requested: str
    used: str
    source: str


@dataclass(frozen=True)
class Scale:
    """How a metre of the request is written in the model's own pose units, and on what
    grounds (``assumed`` when no code of the model fixes it)."""

    units_per_metre: float
    basis: str
    assumed: bool


@dataclass(frozen=True)
class NativeControl:
    """A model's native control for a path given at the model's own frames: the input files
    (name -> bytes), extra arguments and standard input its entry point takes, and the poses
    (M,4,4) that control actually expresses at those frames."""

    files: dict[str, bytes]
    expressed: np.ndarray
    args: tuple[str, ...] = ()
    stdin: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    scale: Scale | None = None
    ignored: tuple[Ignored, ...] = ()


@dataclass(frozen=True)
class CompiledControl:
    """A native control with the path it expresses at the case's frames and its error against
    the request, so a model is never blamed for what its control cannot say."""

    model: str
    convention: str
    native: NativeControl
    expressed: np.ndarray
    error: PathError

    def write(self, folder: Path) -> None:
        """Write the control's input files under ``folder``."""
        for name, content in self.native.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)

    def info(self) -> dict[str, Any]:
        """Plain values for Generation.info: the overall error, the details and the scale."""
        summary = {f"control_error/{k}": v for k, v in self.error.summary().items()}
        details = {f"control/{k}": v for k, v in self.native.details.items()}
        if self.native.scale is not None:
            details["control/scale"] = asdict(self.native.scale)
        return {"control": self.convention, **summary, **details}

    def series(self) -> dict[str, np.ndarray]:
        """Per-frame error arrays for Generation.series, and the expressed path itself
        (camera-to-world (N,4,4): the case pages draw it beside the requested one)."""
        return {
            "control_error/rotation_deg": self.error.rotation_deg.astype(np.float32),
            "control_error/translation_m": self.error.translation_m.astype(np.float32),
            "control_expressed/c2w": self.expressed.astype(np.float32),
        }
