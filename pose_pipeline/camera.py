"""Stage 2, the camera model: the known pinhole intrinsics, fixed (never refined) in SfM.

Intrinsics are OpenCV pixels (pixel centres at integer coordinates) of the input frames; COLMAP
puts pixel centres at +0.5, so its principal point is ``c + 0.5``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.files import load_npz


@dataclass(frozen=True)
class PinholeCamera:
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, size: tuple[int, int]) -> PinholeCamera:
        matrix = np.asarray(matrix, dtype=np.float64)
        return cls(matrix[0, 0], matrix[1, 1], matrix[0, 2], matrix[1, 2], size[0], size[1])

    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def fitted(self, max_side: int) -> PinholeCamera:
        """The camera of the frames resized so the longer side is at most ``max_side``."""
        factor = min(1.0, max_side / max(self.width, self.height))
        width, height = max(1, round(self.width * factor)), max(1, round(self.height * factor))
        sx, sy = width / self.width, height / self.height
        return PinholeCamera(
            self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5,
            width, height,
        )  # fmt: skip

    @property
    def colmap_model(self) -> str:
        return "SIMPLE_PINHOLE" if np.isclose(self.fx, self.fy, rtol=1e-9) else "PINHOLE"

    @property
    def colmap_params(self) -> str:
        """The parameter string of :attr:`colmap_model`, principal point in COLMAP pixels."""
        centre = [self.cx + 0.5, self.cy + 0.5]
        values = [self.fx, *centre] if self.colmap_model == "SIMPLE_PINHOLE" else [
            self.fx, self.fy, *centre]  # fmt: skip
        return ",".join(repr(float(v)) for v in values)


def parse_intrinsics(spec: str, size: tuple[int, int]) -> PinholeCamera:
    """``fx,fy,cx,cy`` in pixels of the video, or an ``.npz`` with ``intrinsics`` (3,3) or
    (N,3,3) (constant over frames) and optionally ``image_size`` (width, height) they refer to;
    then they are rescaled to the video's ``size``."""
    if spec.endswith(".npz"):
        path = Path(spec)
        if not path.is_file():
            raise InputError(path, "intrinsics", "an existing .npz file", "no file")
        data = load_npz(path, "intrinsics")
        if "intrinsics" not in data:
            raise InputError(path, "intrinsics", "an 'intrinsics' array", f"keys {list(data)}")
        matrices = _numeric(data["intrinsics"], path, "intrinsics", "(3,3) or (N,3,3) numbers")
        if matrices.size == 0 or matrices.size % 9:
            raise InputError(path, "intrinsics", "(3,3) or (N,3,3)", f"shape {matrices.shape}")
        matrices = matrices.reshape(-1, 3, 3)
        source = size
        if "image_size" in data:
            found = _numeric(data["image_size"], path, "image_size", "(width, height)").ravel()
            if found.shape != (2,) or not (found >= 1).all() or (found % 1).any():
                raise InputError(path, "image_size", "(width, height) in pixels", str(found))
            source = (int(found[0]), int(found[1]))
        if not np.allclose(matrices, matrices[0]):
            raise InputError(path, "intrinsics", "the same intrinsics for every frame", "varying")
        camera = PinholeCamera.from_matrix(matrices[0], source)
        _check_focal(camera.fx, camera.fy, camera.cx, camera.cy, str(path), "intrinsics")
        sx, sy = size[0] / source[0], size[1] / source[1]
        return PinholeCamera(
            camera.fx * sx, camera.fy * sy, (camera.cx + 0.5) * sx - 0.5,
            (camera.cy + 0.5) * sy - 0.5, size[0], size[1],
        )  # fmt: skip
    try:
        fx, fy, cx, cy = (float(v) for v in spec.split(","))
    except ValueError as error:
        raise InputError(spec, "--intrinsics", "fx,fy,cx,cy or FILE.npz", spec) from error
    _check_focal(fx, fy, cx, cy, spec, "--intrinsics")
    return PinholeCamera(fx, fy, cx, cy, size[0], size[1])


def _numeric(array: np.ndarray, path: Path, key: str, expected: str) -> np.ndarray:
    """``array`` as finite float64; an InputError naming ``path`` and ``key`` otherwise."""
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(path, key, f"{expected} (real numbers)", f"dtype {array.dtype}")
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise InputError(path, key, f"{expected} (finite numbers)", "NaN or infinite values")
    return values


def _check_focal(fx: float, fy: float, cx: float, cy: float, source: str, field: str) -> None:
    """Finite intrinsics with positive focal lengths."""
    if not all(np.isfinite([fx, fy, cx, cy])):
        raise InputError(source, field, "finite fx,fy,cx,cy", f"{fx:g},{fy:g},{cx:g},{cy:g}")
    if fx <= 0 or fy <= 0:
        raise InputError(source, field, "positive focal lengths", f"fx={fx:g}, fy={fy:g}")
