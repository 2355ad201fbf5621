"""Fault corpus, benchmark data: a damaged file of one case is a failed case naming the file and
field while the others are kept (not recomputed); repairing it recomputes only that case. A file
every case needs is one exit-2 error naming it, and the finished results stay."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.faults import (
    CASES,
    EXPORT,
    assert_names,
    copy,
    error_text,
    finished_run,
    image_path,
    make_bench,
    npz_path,
    record,
    run,
    stamps,
    statuses,
)

TARGET = "hard_60s/outdoor_001"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The benchmark and a finished run of it, copied by each test."""
    root = tmp_path_factory.mktemp("data")
    bench = make_bench(root / "bench")
    return bench, finished_run(bench, root / "run")


@pytest.fixture
def setup(pristine, tmp_path):
    bench, out = pristine
    return copy(bench, tmp_path / "bench"), copy(out, tmp_path / "run")


def _rewrite_npz(path, **changes):
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    arrays.update(changes)
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _bad_crc(path):
    data = bytearray(path.read_bytes())
    data[data.index(b"\x93NUMPY") + 200] ^= 0xFF  # inside c2w's data; the zip CRC no longer fits
    path.write_bytes(bytes(data))


def _symlink_loop(path):
    path.unlink()
    os.symlink(path.name, path)  # points at itself


def _manifest(bench, split="hard_60s"):
    return bench / EXPORT[split] / "sanawm_export_v2" / "run_manifest.jsonl"


def _edit_row(bench, change, scene="outdoor_001"):
    manifest = _manifest(bench)
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    for row in rows:
        if row["scene_id"] == scene:
            change(row)
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _prompts_from_file(bench, content: bytes):
    """Hard-split rows without their own prompt, and a damaged prompt file for them."""
    for scene in ("indoor_001", "outdoor_001"):
        _edit_row(bench, lambda row: row.pop("prompt"), scene)
    (bench / EXPORT["hard_60s"] / "scene_trajectories_v2.json").write_bytes(content)


def _deny_image(bench, monkeypatch):
    import wmbench.data.sanawm_bench as reader

    denied, opened = image_path(bench, TARGET), reader.Image.open

    def refuse(path, *args, **kwargs):
        if str(path) == str(denied):
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(reader.Image, "open", refuse)


N = 9
NPZ = "outdoor_001.npz"
PER_CASE = {
    "npz-truncated": (lambda b: _truncate(npz_path(b, TARGET)), [NPZ, "npz", "readable numpy"]),
    "npz-bad-crc": (lambda b: _bad_crc(npz_path(b, TARGET)), [NPZ, "npz", "CRC"]),
    "npz-empty": (lambda b: npz_path(b, TARGET).write_bytes(b""), [NPZ, "npz"]),
    "npz-text": (lambda b: npz_path(b, TARGET).write_text("c2w,intrinsics"), [NPZ, "npz"]),
    "npz-single-array": (
        lambda b: np.save(open(npz_path(b, TARGET), "wb"), np.eye(4)),  # noqa: SIM115
        [NPZ, "npz", "a .npz archive"],
    ),
    "npz-missing": (lambda b: npz_path(b, TARGET).unlink(), [NPZ, "camera_path", "an existing"]),
    "npz-is-folder": (
        lambda b: (npz_path(b, TARGET).unlink(), npz_path(b, TARGET).mkdir()),
        [NPZ, "camera_path"],
    ),
    "npz-symlink-loop": (lambda b: _symlink_loop(npz_path(b, TARGET)), [NPZ, "camera_path"]),
    "npz-no-intrinsics": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), intrinsics=None),
        [NPZ, "intrinsics", "keys"],
    ),
    "c2w-3x4": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), c2w=np.zeros((N, 3, 4))),
        [NPZ, "c2w", "(N, 4, 4)"],
    ),
    "c2w-nan": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), c2w=np.full((N, 4, 4), np.nan)),
        [NPZ, "c2w", "finite values", "pose 0"],
    ),
    "c2w-not-rigid": (
        lambda b: _rewrite_npz(
            npz_path(b, TARGET), c2w=np.tile(np.diag([2.0, 1, 1, 1]), (N, 1, 1))
        ),
        [NPZ, "c2w", "rigid poses"],
    ),
    "c2w-strings": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), c2w=np.array(["a"] * N)),
        [NPZ, "c2w", "numeric array"],
    ),
    "c2w-pickled-objects": (
        lambda b: np.savez(npz_path(b, TARGET), c2w=np.array([None, 1], dtype=object)),
        [NPZ, "npz", "allow_pickle"],
    ),
    "intrinsics-nan": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), intrinsics=np.full((N, 3, 3), np.nan)),
        [NPZ, "intrinsics", "finite values"],
    ),
    "intrinsics-zero-focal": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), intrinsics=np.zeros((N, 3, 3))),
        [NPZ, "intrinsics", "positive focal lengths"],
    ),
    "intrinsics-wrong-shape": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), intrinsics=np.zeros((N, 4))),
        [NPZ, "intrinsics", "shape"],
    ),
    "num-frames-mismatch": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), num_frames=N + 4),
        [NPZ, "c2w", "13 poses (num_frames)"],
    ),
    "num-frames-zero": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), num_frames=0),
        [NPZ, "num_frames", "a positive integer"],
    ),
    "num-frames-fraction": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), num_frames=8.5),
        [NPZ, "num_frames", "a positive integer"],
    ),
    "fps-negative": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), fps=-16),
        [NPZ, "fps", "a positive number"],
    ),
    "fps-array": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), fps=np.array([16, 16])),
        [NPZ, "fps", "one finite number"],
    ),
    "fps-nan": (
        lambda b: _rewrite_npz(npz_path(b, TARGET), fps=np.nan),
        [NPZ, "fps", "one finite number"],
    ),
    "row-no-image-path": (
        lambda b: _edit_row(b, lambda row: row.pop("image_path")),
        ["run_manifest.jsonl:2", "image_path", "a dataset-relative path"],
    ),
    "row-image-path-number": (
        lambda b: _edit_row(b, lambda row: row.update(image_path=3)),
        ["run_manifest.jsonl:2", "image_path", "3"],
    ),
    "prompt-lone-surrogate": (
        lambda b: _edit_row(b, lambda row: row.update(prompt="caf\ud800")),
        ["run_manifest.jsonl:2", "prompt", "encodable as UTF-8"],
    ),
    "prompt-number": (
        lambda b: _edit_row(b, lambda row: row.update(prompt=7)),
        ["run_manifest.jsonl:2", "prompt", "a string", "int"],
    ),
}
IMAGES = {  # one image conditions the scene in both splits
    "image-missing": (
        lambda b: image_path(b, TARGET).unlink(),
        ["run_manifest.jsonl:2", "image_path", "an existing image"],
    ),
    "image-not-an-image": (
        lambda b: image_path(b, TARGET).write_text("not a png"),
        ["outdoor_001.png", "image", "a readable image file"],
    ),
    "image-empty": (
        lambda b: image_path(b, TARGET).write_bytes(b""),
        ["outdoor_001.png", "image", "a readable image file"],
    ),
    "image-truncated": (
        lambda b: _truncate(image_path(b, TARGET), keep=0.3),
        ["outdoor_001.png", "image", "a readable image"],
    ),
    "image-symlink-loop": (
        lambda b: _symlink_loop(image_path(b, TARGET)),
        ["run_manifest.jsonl:2", "image_path"],
    ),
}
PER_SPLIT = {
    "trajectories-not-json": (b"{not json", ["scene_trajectories_v2.json", "as JSON"]),
    "trajectories-not-utf8": (b'{"x": "caf\xe9"}', ["scene_trajectories_v2.json", "UTF-8"]),
    "trajectories-a-number": (b"42", ["scene_trajectories_v2.json", "an object or a list"]),
}


def _check_kept_then_repaired(pristine, bench, out, damaged, parts, capsys, undo=None):
    """After the damage only ``damaged`` cases fail (naming ``parts``), the others are kept;
    after the repair only the damaged ones are recomputed."""
    before = stamps(out)
    capsys.readouterr()
    assert run(bench, out) == 1
    error_text(capsys)
    assert statuses(out) == {c: "failed" if c in damaged else "ok" for c in CASES}
    for case_id in damaged:
        assert_names(record(out, case_id)["error"], *parts)
    kept = {c: before[c] for c in CASES if c not in damaged}
    assert {c: stamps(out)[c] for c in kept} == kept
    if undo:
        undo()
    shutil.rmtree(bench)
    copy(pristine[0], bench)
    assert run(bench, out) == 0
    assert set(statuses(out).values()) == {"ok"}
    assert {c: stamps(out)[c] for c in kept} == kept


@pytest.mark.parametrize("damage, parts", PER_CASE.values(), ids=PER_CASE)
def test_damaged_case_fails_alone_and_is_recomputed_once_repaired(
    pristine, setup, capsys, damage, parts
):
    bench, out = setup
    damage(bench)
    _check_kept_then_repaired(pristine, bench, out, {TARGET}, parts, capsys)


@pytest.mark.parametrize("damage, parts", IMAGES.values(), ids=IMAGES)
def test_damaged_image_fails_its_scene_in_both_splits(pristine, setup, capsys, damage, parts):
    bench, out = setup
    damage(bench)
    damaged = {"simple_60s/outdoor_001", TARGET}
    _check_kept_then_repaired(pristine, bench, out, damaged, parts, capsys)


@pytest.mark.parametrize("content, parts", PER_SPLIT.values(), ids=PER_SPLIT)
def test_damaged_prompt_file_fails_the_cases_that_need_it(pristine, setup, capsys, content, parts):
    bench, out = setup
    _prompts_from_file(bench, content)
    damaged = {"hard_60s/indoor_001", "hard_60s/outdoor_001"}
    _check_kept_then_repaired(pristine, bench, out, damaged, parts, capsys)


def test_unreadable_image_permission_is_a_failed_case(pristine, setup, capsys, monkeypatch):
    bench, out = setup
    _deny_image(bench, monkeypatch)
    parts = ["outdoor_001.png", "image", "Permission denied"]
    damaged = {"simple_60s/outdoor_001", TARGET}
    _check_kept_then_repaired(pristine, bench, out, damaged, parts, capsys, monkeypatch.undo)


def _duplicate_row(bench):
    manifest = _manifest(bench)
    manifest.write_text(manifest.read_text() + manifest.read_text().splitlines()[0] + "\n")


def _worlds(bench, text):
    (bench / "scene_set" / "synthetic_worlds.json").write_text(text)


TOP_LEVEL = {
    "manifest-missing": (lambda b: _manifest(b).unlink(), ["run_manifest.jsonl", "run_manifest"]),
    "manifest-bad-line": (
        lambda b: _manifest(b).write_text(_manifest(b).read_text() + "{oops\n"),
        ["run_manifest.jsonl:3", "row", "one JSON object per line"],
    ),
    "manifest-row-a-list": (
        lambda b: _manifest(b).write_text(_manifest(b).read_text() + "[1, 2]\n"),
        ["run_manifest.jsonl:3", "row", "a JSON object", "list"],
    ),
    "manifest-not-utf8": (
        lambda b: _manifest(b).write_bytes(_manifest(b).read_bytes() + b'{"x": "\xff"}\n'),
        ["run_manifest.jsonl", "run_manifest", "UTF-8"],
    ),
    "manifest-duplicate-scene": (
        _duplicate_row,
        ["run_manifest.jsonl:3", "scene_id", "each scene listed once", "first on line 1"],
    ),
    "manifest-scene-id-escapes": (
        lambda b: _edit_row(b, lambda row: row.update(scene_id="../../etc")),
        ["run_manifest.jsonl:2", "scene_id", "'../../etc'"],
    ),
    "manifest-no-scene-id": (
        lambda b: _edit_row(b, lambda row: (row.pop("scene_id"), row.pop("camera_path"))),
        ["run_manifest.jsonl:2", "scene_id", "None"],
    ),
    "worlds-not-json": (lambda b: _worlds(b, "{nope"), ["synthetic_worlds.json", "as JSON"]),
    "worlds-a-list": (lambda b: _worlds(b, "[]"), ["synthetic_worlds.json", "<top level>"]),
    "worlds-spec-a-list": (
        lambda b: _worlds(b, '{"indoor_001": [1]}'),
        ["synthetic_worlds.json", "indoor_001", "a world spec (a JSON object)", "list"],
    ),
}


@pytest.mark.parametrize("damage, parts", TOP_LEVEL.values(), ids=TOP_LEVEL)
def test_damaged_shared_file_is_one_error_and_keeps_the_results(setup, capsys, damage, parts):
    bench, out = setup
    before = stamps(out)
    damage(bench)
    capsys.readouterr()
    assert run(bench, out) == 2
    assert_names(error_text(capsys), "wmbench: error:", *parts)
    assert stamps(out) == before


def test_a_case_whose_image_decodes_badly_fails_at_prepare(setup, capsys):
    bench, out = setup
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(image_path(bench, TARGET))
    _truncate(image_path(bench, TARGET), keep=0.6)
    assert run(bench, out) == 1
    for case_id in ("simple_60s/outdoor_001", TARGET):
        failed = record(out, case_id)
        assert failed["status"] == "failed" and failed["stage"] == "prepare"
        assert_names(failed["error"], "outdoor_001.png", "image", "a readable image")


def _evaluate(bench, out, seed=0, new_spec=False):
    from wmbench import api

    selection = api.Overrides(data=bench, frames=9, resolution=(32, 32))
    return api.evaluate(
        "one_minute", ["static"], selection=selection, evaluators=["throughput"], out=out,
        seed=seed, new_spec=new_spec,
    )  # fmt: skip


def _new_image(bench):
    pixels = np.random.default_rng(5).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(bench / "images" / "other.png")
    _edit_row(bench, lambda row: row.update(image_path="images/other.png"))


def _turn(bench):
    path = npz_path(bench, TARGET)
    with np.load(path) as data:
        c2w = data["c2w"].copy()
    c2w[-1, :3, 3] += 0.5
    _rewrite_npz(path, c2w=c2w)


DATA_CHANGES = {
    "another-image-same-scene": _new_image,
    "other-prompt": lambda b: _edit_row(b, lambda row: row.update(prompt="a different walk")),
    "other-camera-path": _turn,
}


@pytest.mark.parametrize("change", DATA_CHANGES.values(), ids=DATA_CHANGES)
def test_api_data_change_recomputes_the_affected_case_only(setup, change):
    bench, out = setup
    before = stamps(out)
    change(bench)
    result = _evaluate(bench, out)
    assert result.failed_cases == 0 and result.partial_cases == 0
    after = stamps(out)
    assert {c for c in CASES if after[c] != before[c]} == {TARGET}
    assert result.results.set_index("case_id").loc[TARGET, "status"] == "ok"


def test_api_moved_data_recomputes_nothing_and_a_new_seed_everything(setup, tmp_path):
    bench, out = setup
    before = stamps(out)
    moved = shutil.move(bench, tmp_path / "elsewhere")
    _evaluate(moved, out)
    assert stamps(out) == before
    _evaluate(moved, out, seed=1, new_spec=True)  # another seed is another specification
    assert all(stamps(out)[c] != before[c] for c in CASES)


def test_api_rerun_after_fixing_the_input_recomputes_only_that_case(pristine, setup):
    bench, out = setup
    original = npz_path(bench, TARGET).read_bytes()
    _truncate(npz_path(bench, TARGET))
    first = _evaluate(bench, out)
    assert first.failed_cases == 1
    before = stamps(out)
    npz_path(bench, TARGET).write_bytes(original)
    fixed = _evaluate(bench, out)
    assert fixed.failed_cases == 0
    after = stamps(out)
    assert {c for c in CASES if after[c] != before[c]} == {TARGET}
