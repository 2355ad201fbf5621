"""Fault corpus, weight store: a requested learned evaluator whose weight file is damaged never
exits 0 with a blank column. Each case records the evaluator's error naming the file (status
partial, the other evaluators' metrics kept) and the run exits 1; once the file is replaced the
cases are recomputed (the weight digests are part of the case fingerprint)."""

from __future__ import annotations

import pytest
import torch

from tests.faults import (
    CASES,
    FRAMES,
    assert_names,
    error_text,
    make_bench,
    record,
    stamps,
    statuses,
)
from wmbench.cli import main

ALEXNET = "alexnet/alexnet-owt-7be5be79.pth"


def _features() -> dict[str, torch.Tensor]:
    """The trunk of a random torchvision AlexNet (all LPIPS loads), saved small."""
    import torchvision

    with torch.random.fork_rng():
        torch.manual_seed(0)
        state = torchvision.models.alexnet(weights=None).features.state_dict()
    return {f"features.{key}": value for key, value in state.items()}


DAMAGES = {
    "garbage": (lambda p: p.write_bytes(b"\x00not a checkpoint" * 32), ["an unreadable file"]),
    "empty": (lambda p: p.write_bytes(b""), ["an unreadable file"]),
    "truncated": (
        lambda p: (torch.save(_features(), p), p.write_bytes(p.read_bytes()[:5000])),
        ["an unreadable file"],
    ),
    "not-a-state-dict": (lambda p: torch.save([1, 2, 3], p), ["list"]),
    "other-keys": (lambda p: torch.save({"x": torch.zeros(2)}, p), ["missing keys"]),
    "wrong-shapes": (
        lambda p: torch.save({k: v[..., :1] for k, v in _features().items()}, p),
        ["wrong shapes"],
    ),
}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return make_bench(tmp_path_factory.mktemp("weights") / "bench")


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path / "weights"))
    (tmp_path / "weights" / "alexnet").mkdir(parents=True)
    return tmp_path / "weights"


def _run(bench, out, *extra):
    return main(["run", "--suite", "one_minute", "--frames", str(FRAMES), "--resolution", "32x32",
                 "--data", str(bench), "--out", str(out), "--model", "static",
                 "--evaluators", "throughput,lpips", *extra])  # fmt: skip


@pytest.mark.parametrize("damage, parts", DAMAGES.values(), ids=DAMAGES)
def test_damaged_weights_are_each_case_s_error_and_exit_1(
    bench, store, tmp_path, capsys, damage, parts
):
    weight = store / ALEXNET
    damage(weight)
    out = tmp_path / "run"
    assert _run(bench, out) == 1
    assert "partial" in error_text(capsys)
    assert set(statuses(out).values()) == {"partial"}
    for case_id in CASES:
        stored = record(out, case_id)
        assert_names(stored["errors"]["lpips"], str(weight), "state_dict", *parts)
        assert stored["metrics"]["gen_seconds"] > 0  # the other evaluator's metrics are kept


def test_replacing_the_damaged_file_recomputes_every_case(bench, store, tmp_path):
    weight = store / ALEXNET
    weight.write_bytes(b"garbage")
    out = tmp_path / "run"
    assert _run(bench, out) == 1
    torch.save(_features(), weight)
    assert _run(bench, out) == 0  # no --retry-failed needed: the file's digest changed
    assert set(statuses(out).values()) == {"ok"}


def test_missing_weights_of_a_requested_evaluator_fail_before_anything_runs(
    bench, store, tmp_path, capsys
):
    out = tmp_path / "run"
    assert _run(bench, out) == 2
    assert_names(error_text(capsys), str(store / ALEXNET), "weight store")
    assert not (out / "cases").exists()


def test_partial_cases_are_kept_until_retry_failed(bench, store, tmp_path, capsys):
    (store / ALEXNET).write_bytes(b"garbage")
    out = tmp_path / "run"
    assert _run(bench, out) == 1
    before = stamps(out)
    assert _run(bench, out) == 1  # still partial: reported again, not recomputed
    assert "done earlier (partial)" in capsys.readouterr().err
    assert stamps(out) == before
    assert _run(bench, out, "--retry-failed") == 1
    assert all(stamps(out)[case_id] != before[case_id] for case_id in CASES)
