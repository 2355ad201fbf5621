"""The case's ground-truth video, as the evaluators that compare against it read it."""

from __future__ import annotations

from wmbench.core.errors import InputError
from wmbench.core.types import FrameSequence
from wmbench.evaluators.base import EvalInput

MAX_FRAMES = 16  # frames compared against the ground truth per case (a mean over frames samples)


def reference_frames(inputs: EvalInput) -> FrameSequence:
    """The case's ground-truth video (frames read lazily); an InputError when the case has none
    or its frames are not of the video's size."""
    reference = inputs.reference
    if reference is None:
        raise InputError(inputs.case.id, "reference", "a ground-truth video (synthetic cases)")
    if reference.size != inputs.video.size:
        raise InputError(
            inputs.case.id,
            "reference",
            f"frames of the video's size {inputs.video.size[::-1]}",
            str(reference.size[::-1]),
        )
    return reference
