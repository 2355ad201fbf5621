"""The one schema adapter (``wmbench.core.schema``): a pydantic error becomes the project's
InputError naming the file, the dotted field, the expected form and the value found."""

from __future__ import annotations

import pytest

from wmbench.core.errors import InputError
from wmbench.core.schema import Schema, rule, validate
from wmbench.data.suites import Overrides
from wmbench.harness.spec import ModelChoice

Positive = rule(int, "a positive integer", lambda v: isinstance(v, int) and v > 0)


class Inner(Schema):
    size: Positive
    name: str = ""


class Outer(Schema):
    items: list[Inner]
    label: str


def _error(data) -> InputError:
    with pytest.raises(InputError) as error:
        validate(Outer, data, "file.yaml")
    return error.value


@pytest.mark.parametrize(
    ("data", "field", "expected", "found"),
    [
        (
            {"items": [{"size": 1}, {"size": 0}], "label": "x"},
            "items[1].size",
            "a positive integer",
            "0",
        ),
        ({"items": [{"size": 1, "name": 3}], "label": "x"}, "items[0].name", "a str", "3"),
        ({"items": []}, "label", "a value (required field)", "nothing"),
        ({"items": "no", "label": "x"}, "items", "a list", "'no'"),
        ([1], "<top level>", "a mapping", "list"),
    ],
    ids=["rule", "type", "missing", "list", "top"],
)
def test_error_names_file_field_expected_and_found(data, field, expected, found):
    error = _error(data)
    assert (error.source, error.field, error.expected, error.found) == (
        "file.yaml", field, expected, found,
    )  # fmt: skip


def test_an_unknown_key_is_named_first_with_the_known_ones():
    error = _error({"items": [{"size": 1, "colour": "red"}]})  # label missing too
    assert error.field == "items[0].colour"
    assert error.expected == "only the fields ['name', 'size']"


def test_a_direct_construction_is_an_input_error_naming_the_option():
    with pytest.raises(InputError) as error:
        Overrides(frames=0)
    assert str(error.value) == "--frames: field 'frames': expected a positive integer, found 0"
    with pytest.raises(InputError, match="'options.steps': expected a scalar value"):
        ModelChoice("sana-wm", {"steps": [1]})


def test_a_nested_schema_is_validated_once_not_wrapped():
    error = _error({"items": [{"size": -1}], "label": "x"})
    assert "Value error" not in str(error) and error.field == "items[0].size"
