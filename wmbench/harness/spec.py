"""The run specification: what one run is asked to do (suite and its file's digest, the
selection, models with options, evaluators with options, seed), validated once where it enters
(the CLI or :func:`wmbench.api.evaluate`), stored as ``run.json``'s ``spec`` and compared on
resume (:mod:`wmbench.harness.identity`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator

from wmbench.core.schema import Schema, as_tuple
from wmbench.data.suite_fields import EvaluatorNames, Options, Scalar, Seed, Text
from wmbench.data.suites import Overrides


class ModelChoice(Schema):
    """A model to run, by registry name, with its options (merged over the suite's own)."""

    SOURCE: ClassVar[str] = "model choice"
    name: Text
    options: dict[str, Scalar] = {}

    def __init__(self, name: str, options: dict[str, Any] | None = None) -> None:
        """``ModelChoice("sana-wm", {"preset": "tiny"})``, as the API has always taken it."""
        super().__init__(name=name, options=options or {})

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # see Schema


class RunSpec(Schema):
    """One run's specification."""

    SOURCE: ClassVar[str] = "run specification"
    suite: Text
    suite_digest: Text
    selection: Overrides = Overrides()
    models: Annotated[tuple[ModelChoice, ...], BeforeValidator(as_tuple)]
    evaluators: EvaluatorNames
    evaluator_options: dict[str, Options] = {}
    seed: Seed = 0

    def compared(self) -> dict[str, Any]:
        """What a resume compares, as plain data: the selection and the models are compared by
        what they resolve to (the cases, settings, model keys and merged options), so asking
        for what the suite already gives is the same run."""
        return self.model_dump(mode="json", exclude={"selection", "models"})
