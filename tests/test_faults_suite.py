"""Fault corpus, suite files: every bad field is exit 2 naming the suite file and the field,
before any model runs (a suite with a bad model or evaluator name writes no case)."""

from __future__ import annotations

import pytest

from tests.faults import assert_names, error_text, make_bench
from wmbench.cli import main

GOOD = {
    "name": "tiny",
    "data": "{layout: sanawm-bench}",
    "frames": "9",
    "fps": "16",
    "resolution": "32x32",
    "evaluators": "[throughput]",
    "models": "[static]",
}


def suite_text(**fields: str | None) -> str:
    merged = {**GOOD, **fields}
    return "".join(f"{key}: {value}\n" for key, value in merged.items() if value is not None)


BAD_FIELDS = {
    "frames-true": ({"frames": "true"}, ["frames", "a positive integer", "True"]),
    "frames-zero": ({"frames": "0"}, ["frames", "a positive integer"]),
    "frames-negative": ({"frames": "-3"}, ["frames", "-3"]),
    "frames-float": ({"frames": "1.5"}, ["frames", "1.5"]),
    "frames-text": ({"frames": "many"}, ["frames", "'many'"]),
    "frames-missing": ({"frames": None}, ["frames", "required field"]),
    "fps-zero": ({"fps": "0"}, ["fps", "a positive number", "0"]),
    "fps-negative": ({"fps": "-16"}, ["fps", "a positive number", "-16"]),
    "fps-true": ({"fps": "true"}, ["fps", "True"]),
    "fps-nan": ({"fps": ".nan"}, ["fps", "nan"]),
    "fps-inf": ({"fps": ".inf"}, ["fps", "inf"]),
    "fps-text": ({"fps": '"16"'}, ["fps", "'16'"]),
    "resolution-1x1": ({"resolution": "1x1"}, ["resolution", "16 to 8192", "'1x1'"]),
    "resolution-absurd": ({"resolution": "99999x99999"}, ["resolution", "16 to 8192"]),
    "resolution-number": ({"resolution": "64"}, ["resolution", "WIDTHxHEIGHT", "64"]),
    "resolution-list": ({"resolution": "[64, 48]"}, ["resolution", "WIDTHxHEIGHT"]),
    "limit-zero": ({"limit": "0"}, ["limit", "a positive integer"]),
    "limit-true": ({"limit": "true"}, ["limit", "True"]),
    "models-unknown": (
        {"models": "[static, nope]"},
        ["models[1]", "a registered model name", "'nope'"],
    ),
    "models-twice": ({"models": "[static, static]"}, ["models[1]", "distinct model names"]),
    "models-not-list": ({"models": "static"}, ["models", "a list", "'static'"]),
    "models-number": ({"models": "[3]"}, ["models[0]", "a registered model name", "3"]),
    "evaluators-unknown": (
        {"evaluators": "[nope]"},
        ["evaluators[0]", "a registered evaluator name"],
    ),
    "evaluators-twice": (
        {"evaluators": "[throughput, throughput]"},
        ["evaluators[1]", "distinct evaluator names"],
    ),
    "evaluators-mapping": ({"evaluators": "{a: 1}"}, ["evaluators", "a list"]),
    "options-unknown-model": ({"model_options": "{nope: {}}"}, ["model_options.nope"]),
    "options-not-mapping": ({"model_options": "{static: 3}"}, ["model_options.static", "mapping"]),
    "options-nested-list": (
        {"model_options": "{command: {cmd: [1]}}"},
        ["model_options.command.cmd", "a scalar value"],
    ),
    "name-number": ({"name": "3"}, ["name", "a str", "3"]),
    "description-list": ({"description": "[1]"}, ["description", "a str"]),
    "layout-unknown": ({"data": "{layout: nope}"}, ["data.layout", "sanawm-bench", "'nope'"]),
    "data-not-mapping": ({"data": "sanawm-bench"}, ["data", "a mapping"]),
    "data-extra-field": ({"data": "{layout: sanawm-bench, where: x}"}, ["data.where"]),
    "data-env-number": ({"data": "{layout: sanawm-bench, env: 3}"}, ["data.env", "a str"]),
    "mirror-unknown-field": (
        {"data": "{layout: synthetic-mirror, mirror: {scenes: 2}}"},
        ["data.mirror.scenes", "scenes_per_category"],
    ),
    "mirror-scenes-zero": (
        {"data": "{layout: synthetic-mirror, mirror: {scenes_per_category: 0}}"},
        ["data.mirror.scenes_per_category", "a positive integer"],
    ),
    "mirror-seed-negative": (
        {"data": "{layout: synthetic-mirror, mirror: {seed: -1}}"},
        ["data.mirror.seed", "0 to 4294967295"],
    ),
    "mirror-settings-frames-true": (
        {"mirror_settings": "{frames: true}"},
        ["mirror_settings.frames", "a positive integer"],
    ),
    "mirror-settings-resolution": (
        {"mirror_settings": "{resolution: 2x2}"},
        ["mirror_settings.resolution", "16 to 8192"],
    ),
    "mirror-settings-unknown": ({"mirror_settings": "{colour: red}"}, ["mirror_settings.colour"]),
    "mirror-settings-options": (
        {"mirror_settings": "{model_options: {nope: {}}}"},
        ["mirror_settings.model_options.nope"],
    ),
    "unknown-field": ({"colour": "red"}, ["colour", "only the fields"]),
}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return make_bench(tmp_path_factory.mktemp("suite") / "bench")


def _run(suite, bench, out, *extra):
    return main(["run", "--suite", str(suite), "--data", str(bench), "--out", str(out), *extra])


@pytest.mark.parametrize("fields, parts", BAD_FIELDS.values(), ids=BAD_FIELDS)
def test_bad_suite_field_is_exit_2_naming_file_and_field(bench, tmp_path, capsys, fields, parts):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(suite_text(**fields))
    out = tmp_path / "run"
    assert _run(suite, bench, out) == 2
    assert_names(error_text(capsys), str(suite), *parts)
    assert not out.exists()


def test_unknown_model_in_the_suite_fails_even_when_another_model_is_named(bench, tmp_path, capsys):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(suite_text(models="[static, nope]"))
    assert _run(suite, bench, tmp_path / "run", "--model", "static") == 2
    assert_names(error_text(capsys), str(suite), "models[1]", "'nope'")
    assert not (tmp_path / "run").exists()


BAD_FILES = {
    "not-yaml": (b"name: [unclosed\n", ["yaml", "valid YAML"]),
    "a-list": (b"- name\n- frames\n", ["<top level>", "a mapping of suite fields", "list"]),
    "empty": (b"", ["<top level>", "a mapping of suite fields", "NoneType"]),
    "not-utf8": (b"name: caf\xe9\n", ["suite", "UTF-8 text"]),
}


@pytest.mark.parametrize("content, parts", BAD_FILES.values(), ids=BAD_FILES)
def test_unreadable_suite_file_is_exit_2_naming_it(bench, tmp_path, capsys, content, parts):
    suite = tmp_path / "tiny.yaml"
    suite.write_bytes(content)
    assert _run(suite, bench, tmp_path / "run") == 2
    assert_names(error_text(capsys), str(suite), *parts)


def test_a_good_suite_file_runs(bench, tmp_path):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(suite_text())
    assert _run(suite, bench, tmp_path / "run") == 0
