"""Fault corpus, command line: every bad argument is exit 2 with a message naming the option,
the field and the expected form, before any model runs (no case is written)."""

from __future__ import annotations

import pytest

from tests.faults import assert_names, error_text, make_bench, run
from wmbench.cli import main


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return make_bench(tmp_path_factory.mktemp("cli") / "bench")


BAD_ARGUMENTS = {
    "frames-zero": (["--frames", "0"], ["--frames", "frames", "a positive integer", "0"]),
    "frames-negative": (["--frames", "-5"], ["--frames", "a positive integer", "-5"]),
    "frames-huge": (["--frames", "1000000000"], ["--frames", "at most 9", "1000000000"]),
    "limit-zero": (["--limit", "0"], ["--limit", "limit", "a positive integer"]),
    "limit-negative": (["--limit", "-1"], ["--limit", "a positive integer", "-1"]),
    "resolution-zero": (["--resolution", "0x0"], ["--resolution", "WIDTHxHEIGHT", "16 to 8192"]),
    "resolution-1x1": (["--resolution", "1x1"], ["--resolution", "16 to 8192", "'1x1'"]),
    "resolution-narrow": (["--resolution", "15x64"], ["--resolution", "'15x64'"]),
    "resolution-absurd": (["--resolution", "100000x100000"], ["--resolution", "16 to 8192"]),
    "resolution-word": (["--resolution", "big"], ["--resolution", "WIDTHxHEIGHT", "'big'"]),
    "resolution-half": (["--resolution", "64x"], ["--resolution", "'64x'"]),
    "resolution-3d": (["--resolution", "64x48x3"], ["--resolution", "'64x48x3'"]),
    "resolution-negative": (["--resolution=-64x48"], ["--resolution", "'-64x48'"]),
    "seed-negative": (["--seed", "-1"], ["--seed", "seed", "0 to 4294967295", "-1"]),
    "seed-too-big": (["--seed", str(2**32)], ["--seed", "0 to 4294967295", str(2**32)]),
    "cases-empty": (["--cases", ","], ["--cases", "comma-separated case ids"]),
    "cases-unknown": (["--cases", "simple_60s/nope"], ["--cases", "simple_60s/nope"]),
    "split-unknown": (["--split", "medium"], ["--split", "simple_60s", "medium"]),
    "evaluators-empty": (["--evaluators", ","], ["--evaluators", "comma-separated"]),
    "evaluators-unknown": (["--evaluators", "nope"], ["--evaluators", "evaluators[0]", "'nope'"]),
    "evaluators-twice": (
        ["--evaluators", "throughput,throughput"],
        ["--evaluators", "evaluators[1]", "distinct evaluator names"],
    ),
    "suite-unknown": (["--suite", "nope"], ["nope.yaml", "suite", "known suites"]),
    "option-no-value": (["--option", "novalue"], ["--option", "KEY=VALUE"]),
    "option-unknown": (["--option", "colour=red"], ["model 'static'", "colour", "options among"]),
    "option-other-model": (["--option", "oracle:x=1"], ["options", "oracle", "a model that runs"]),
    "model-unknown": (["--model", "static", "--model", "nope"], ["unknown model 'nope'", "static"]),
    "model-second-bad-options": (
        ["--model", "static", "--model", "command"],
        ["model 'command'", "cmd", "a value"],
    ),
    "command-timeout-zero": (
        ["--model", "command", "-o", "cmd=true", "-o", "timeout=0"],
        ["model 'command'", "timeout", "positive_seconds"],
    ),
    "command-timeout-nan": (
        ["--model", "command", "-o", "cmd=true", "-o", "timeout=nan"],
        ["timeout", "'nan'"],
    ),
    "command-unclosed-quote": (
        ["--model", "command", "-o", 'cmd="unclosed'],
        ["model 'command'", "cmd", "a command line"],
    ),
    "command-empty": (["--model", "command", "-o", "cmd= "], ["cmd", "a command line"]),
    "videos-no-folder": (
        ["--model", "videos", "-o", "dir=/nonexistent/videos"],
        ["/nonexistent/videos", "dir", "a folder of videos"],
    ),
}


@pytest.mark.parametrize("arguments, parts", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_argument_is_exit_2_naming_it_before_anything_runs(
    bench, tmp_path, capsys, arguments, parts
):
    out = tmp_path / "run"
    assert run(bench, out, *arguments) == 2
    assert_names(error_text(capsys), "wmbench: error:", *parts)
    assert not (out / "cases").exists()


@pytest.mark.parametrize("where", ["missing", "file"])
def test_bad_data_folder_is_named(bench, tmp_path, capsys, where):
    data = tmp_path / "data"
    if where == "file":
        data.write_text("not a folder")
    out = tmp_path / "run"
    assert run(data, out) == 2
    assert_names(error_text(capsys), str(data), "--data", "SANA-WM-Bench layout")
    assert not out.exists()


def test_out_that_is_a_file_is_exit_2_naming_it(bench, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("a file, not a folder")
    assert run(bench, out) == 2
    assert_names(error_text(capsys), str(out / "run.json"), "cannot write")
    assert out.read_text() == "a file, not a folder"


def test_empty_data_folder_names_the_missing_manifest(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert run(tmp_path / "empty", tmp_path / "run") == 2
    assert_names(error_text(capsys), "run_manifest.jsonl", "a JSON-lines manifest")


def test_unknown_weight_entry_is_named(capsys):
    assert main(["weights", "fetch", "nope"]) == 2
    assert_names(error_text(capsys), "weights fetch", "name", "alexnet", "'nope'")


def test_offline_weight_fetch_is_exit_2_and_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    from wmbench.core import weights

    def offline(source, target):
        target.write_bytes(b"half a download")
        raise OSError("Name or service not known")

    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path / "store"))
    monkeypatch.setattr(weights, "_download", offline)
    assert main(["weights", "fetch", "alexnet"]) == 2
    assert_names(error_text(capsys), "could not download", "alexnet", "internet access")
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
