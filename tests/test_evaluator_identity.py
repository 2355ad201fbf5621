"""The evaluator identity as a typed record: the text run records store is the one written
before it was typed (hand-written strings below), it reads back field by field, and a text of
another form is an error naming the file."""

import pytest

from wmbench.core.digest import digest
from wmbench.core.errors import InputError
from wmbench.evaluators.camera import CameraEvaluator
from wmbench.evaluators.identity import EstimatorIdentity, EvaluatorIdentity
from wmbench.evaluators.local_control import LocalControl
from wmbench.evaluators.reference import Reference


def test_the_stored_text_is_the_one_run_folders_hold():
    camera = CameraEvaluator()
    settings = digest(camera.estimator.settings(), 8)
    assert camera.identity().text() == f"{camera.version}; poses pycolmap {settings}"
    local = LocalControl(control_step_frames=4)
    assert local.identity().text() == f"{local.version}; poses pycolmap {settings}; control step 4"
    assert Reference().identity().text() == "1"


@pytest.mark.parametrize(
    "identity",
    [
        EvaluatorIdentity("1"),
        EvaluatorIdentity("3", EstimatorIdentity("pycolmap", "1a2b3c4d")),
        EvaluatorIdentity(
            "3", EstimatorIdentity("file", "00aa"), EstimatorIdentity("pi3", "5e6f7a8b"), 4
        ),
    ],
)
def test_identities_read_back_field_by_field(identity):
    assert EvaluatorIdentity.from_text(identity.text(), "models/x.json") == identity


def test_written_texts_read_back():
    identity = EvaluatorIdentity.from_text("3; poses pycolmap 1a2b3c4d; control step 4", "m")
    assert identity.poses == EstimatorIdentity("pycolmap", "1a2b3c4d")
    assert (identity.version, identity.sanawm_poses, identity.control_step_frames) == ("3", None, 4)


@pytest.mark.parametrize("text", ["", "3; poses pycolmap", "3; depth midas 1a2b", "3;poses a b"])
def test_another_form_is_an_error_naming_the_file(text):
    with pytest.raises(InputError, match=r"models/oracle\.json.*evaluator identity.*VERSION"):
        EvaluatorIdentity.from_text(text, "models/oracle.json")
