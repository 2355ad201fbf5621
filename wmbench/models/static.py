"""``static``: the first frame repeated. A floor every metric must separate from a real model."""

from __future__ import annotations

from typing import Any

import numpy as np

from wmbench import __version__
from wmbench.data.spool import FrameSpool
from wmbench.models.base import Generation, GenerationRequest, ModelInfo
from wmbench.models.options import parse_options


class StaticModel:
    """Returns the conditioning image for every frame: no camera motion, no world."""

    CONTROL = "none"

    def __init__(self, **options: Any) -> None:
        parse_options("static", options, {})

    def info(self) -> ModelInfo:
        return ModelInfo(name="static", version=__version__, description="first frame repeated")

    def config(self) -> dict[str, Any]:
        return {}

    def check_available(self) -> None:
        return None

    def generate(self, request: GenerationRequest) -> Generation:
        height, width = request.image.shape[:2]
        frames = FrameSpool((height, width, 3), np.uint8, request.fps)  # on disk, as produced
        for _ in range(request.num_frames):
            frames.write(request.image)
        return Generation(video=frames)
