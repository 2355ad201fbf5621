"""``static``: the first frame repeated. A floor every metric must separate from a real model."""

from __future__ import annotations

from typing import Any

import numpy as np

from wmbench import __version__
from wmbench.core.types import Video
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
        frames = np.repeat(request.image[None], request.num_frames, axis=0)
        return Generation(video=Video(frames, request.fps))
