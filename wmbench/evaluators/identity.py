"""What a model record files an evaluator's scores under: its version and the settings that
change its numbers, as a typed record. Run records store :meth:`EvaluatorIdentity.text`
(``2; poses pycolmap 1a2b3c4d; sanawm poses pi3 5e6f7a8b; control step 4``), the form run
folders have always held (their resume keys and comparisons depend on it);
:meth:`EvaluatorIdentity.from_text` reads it back, so the report reads fields, not text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wmbench.core.errors import InputError

FORM = "VERSION[; poses NAME DIGEST][; sanawm poses NAME DIGEST][; control step N]"
PATTERN = re.compile(
    r"(?P<version>[^; ]+)"
    r"(?:; poses (?P<poses>\S+) (?P<poses_digest>\S+))?"
    r"(?:; sanawm poses (?P<sanawm>\S+) (?P<sanawm_digest>\S+))?"
    r"(?:; control step (?P<control_step>\d+))?"
)


@dataclass(frozen=True)
class EstimatorIdentity:
    """A pose estimator: its name and a digest of its number-changing settings."""

    name: str
    settings_digest: str


@dataclass(frozen=True)
class EvaluatorIdentity:
    """``version``; ``poses``: the camera evaluators' pose estimator; ``sanawm_poses``: the
    one behind their ``sanawm`` protocol when it differs (Pi3); ``control_step_frames``: the
    local control evaluator's step."""

    version: str
    poses: EstimatorIdentity | None = None
    sanawm_poses: EstimatorIdentity | None = None
    control_step_frames: int | None = None

    def text(self) -> str:
        """The form run records store (:data:`FORM`)."""
        parts = [self.version]
        if self.poses is not None:
            parts.append(f"poses {self.poses.name} {self.poses.settings_digest}")
        if self.sanawm_poses is not None:
            sanawm = self.sanawm_poses
            parts.append(f"sanawm poses {sanawm.name} {sanawm.settings_digest}")
        if self.control_step_frames is not None:
            parts.append(f"control step {self.control_step_frames}")
        return "; ".join(parts)

    @classmethod
    def from_text(cls, text: str, where: object) -> EvaluatorIdentity:
        """The identity :meth:`text` wrote; an InputError naming ``where`` for another form."""
        match = PATTERN.fullmatch(text)
        if match is None:
            raise InputError(where, "evaluator identity", f"'{FORM}'", repr(text))
        found = match.groupdict()
        return cls(
            found["version"],
            EstimatorIdentity(found["poses"], found["poses_digest"]) if found["poses"] else None,
            EstimatorIdentity(found["sanawm"], found["sanawm_digest"]) if found["sanawm"] else None,
            None if found["control_step"] is None else int(found["control_step"]),
        )
