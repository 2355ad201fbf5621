"""End to end on the smoke suite (33 frames at 128x72): every case saves its poses, the sanawm
columns are in results.csv under the instrument that produced them (``@pycolmap``: not Pi3, so
not SANA-WM-Bench's names), a scene whose estimate fails is left out of ``sanawm`` and counted,
``rescore`` reproduces them exactly from the saved poses, a ``--model videos`` run with
``-o poses=DIR`` scores given poses (``@file``, or the plain names when declared Pi3's), a bad
pose file fails only its own case, and a suite's ``evaluator_options`` choose the estimator."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from wmbench.cli import main
from wmbench.core.paths import suites_dir
from wmbench.harness.records import CaseRecord, read_record, to_json
from wmbench.harness.store import RunStore

SMALL = ["--frames", "33", "--resolution", "128x72"]
PLAIN = ("rot_err_deg/sanawm", "trans_err_rel/sanawm", "cammc_rel/sanawm")
SANAWM = tuple(f"{name}@pycolmap" for name in PLAIN)
GIVEN = tuple(f"{name}@file" for name in PLAIN)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("smoke") / "run"
    command = ["run", "--suite", "smoke", *SMALL, "--evaluators", "camera", "--out", str(out)]
    assert main(command) == 0
    return out


def _cases(run: Path) -> list[Path]:
    return sorted(path.parent for path in (run / "cases").glob("*/*/*/result.json"))


def test_every_case_saves_its_poses_and_the_table_has_the_sanawm_columns(smoke):
    cases = _cases(smoke)
    assert len(cases) == 4  # oracle and static, one case per split
    for case in cases:
        with np.load(case / "poses.npz", allow_pickle=False) as saved:
            assert {"c2w", "valid", "confidence", "frame_index", "estimator", "settings"} <= set(
                saved.files
            )
            assert str(saved["estimator"]) == "pycolmap" and saved["requested_c2w"].shape == (
                33, 4, 4
            )  # fmt: skip
    table = pd.read_csv(smoke / "results.csv")
    assert not set(PLAIN) & set(table.columns)  # pycolmap is not the publication's estimator
    oracle = table[table["model"] == "oracle"]
    static = table[table["model"] == "static"]
    for column in (*SANAWM, "pose_failures/sanawm@pycolmap"):
        assert oracle[column].notna().all(), column
        assert static[column].isna().all(), column  # nothing reconstructed: left out, as SANA
    assert static["rot_err_deg/wmbench"].min() > oracle["rot_err_deg/wmbench"].max()  # penalised
    summary = RunStore(smoke).summary()
    for key, failures in (("oracle", 0.0), ("static", 1.0)):
        for split in ("simple_60s", "hard_60s"):
            record = summary.models[key].splits[split].set_metrics["failed_cases/sanawm@pycolmap"]
            assert (record.value, record.count) == (failures, 1)
    identity = json.loads((smoke / "models" / "oracle.json").read_text())["evaluators"]["camera"]
    assert identity.startswith("3; poses pycolmap ")


def _tamper(run: Path, names: tuple[str, ...]) -> None:
    for case in _cases(run):
        record = read_record(CaseRecord, case / "result.json")
        metrics = {**record.metrics, **dict.fromkeys(set(names) & set(record.metrics), 999.0)}
        (case / "result.json").write_text(to_json(CaseRecord(**{**record.__dict__,
                                                                "metrics": metrics})))  # fmt: skip


def test_rescore_reproduces_the_metrics_exactly_from_the_saved_poses(smoke, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(smoke, copy)
    _tamper(copy, (*SANAWM, "rot_err_deg/wmbench"))
    assert main(["rescore", str(copy), "--protocol", "sanawm"]) == 0
    table = pd.read_csv(copy / "results.csv")
    original = pd.read_csv(smoke / "results.csv")
    pd.testing.assert_frame_equal(table[list(SANAWM)], original[list(SANAWM)])  # exactly
    assert (table["rot_err_deg/wmbench"] == 999.0).all()  # another protocol: left alone
    assert main(["rescore", str(copy)]) == 0
    pd.testing.assert_frame_equal(table.drop(columns="rot_err_deg/wmbench"),
                                  original.drop(columns="rot_err_deg/wmbench"))  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_csv(copy / "results.csv"), original)
    assert RunStore(copy).summary() == RunStore(smoke).summary()
    assert "4 cases rescored" in capsys.readouterr().out
    assert main(["rescore", str(copy), "--protocol", "nope"]) == 2


def _videos_and_poses(smoke: Path, root: Path) -> tuple[Path, Path, dict[str, np.ndarray]]:
    """The oracle's videos as a videos folder, and poses: the requested path at every 4th
    frame, moved by a similarity (the sanawm alignment undoes it exactly)."""
    videos, poses, requested = root / "videos", root / "poses", {}
    for case in _cases(smoke):
        if case.parts[-3] != "oracle":
            continue
        case_id = "/".join(case.parts[-2:])
        (videos / case.parts[-2]).mkdir(parents=True, exist_ok=True)
        shutil.copy(case / "video.mp4", videos / f"{case_id}.mp4")
        with np.load(case / "poses.npz") as saved:
            requested[case_id] = saved["requested_c2w"]
    for case_id, c2w in requested.items():
        kept = c2w[::4].copy()
        kept[:, :3, 3] = 3.0 * kept[:, :3, 3] + np.array([1.0, -2.0, 0.5])
        path = poses / f"{case_id}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, c2w=kept, frame_index=np.arange(0, len(c2w), 4))
    return videos, poses, requested


@pytest.mark.parametrize(
    ("declared", "names"), [("", GIVEN), ("pi3", PLAIN)], ids=["undeclared", "declared-pi3"]
)
def test_a_videos_run_scores_the_poses_it_is_given(smoke, tmp_path, declared, names):
    videos, poses, requested = _videos_and_poses(smoke, tmp_path)
    out = tmp_path / "given"
    command = ["run", "--suite", "smoke", *SMALL, "--evaluators", "camera", "--out", str(out),
               "--model", "videos", "-o", f"dir={videos}", "-o", f"poses={poses}"]  # fmt: skip
    if declared:
        command += ["-o", f"poses_estimator={declared}"]
    assert main(command) == 0
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 2 and (table["status"] == "ok").all()
    assert (table[list(names)] < 1e-6).all().all()
    assert not {*PLAIN, *GIVEN, *SANAWM} - set(names) & set(table.columns)
    label = names[0].split("/")[1]
    assert (table[f"pose_failures/{label}"] == 0).all()
    assert (
        table["rot_err_deg/wmbench"].isna().all()
    )  # every 4th frame only: per-frame protocols blank
    for case in _cases(out):
        with np.load(case / "poses.npz") as saved:
            assert str(saved["estimator"]) == "file"
            assert json.loads(str(saved["settings"])) == {"poses": str(poses.resolve())}


def test_a_bad_pose_file_fails_its_case_and_the_others_still_run(smoke, tmp_path):
    videos, poses, requested = _videos_and_poses(smoke, tmp_path)
    bad = poses / "hard_60s" / "room_001.npz"
    with np.load(bad) as saved:
        c2w, index = saved["c2w"], saved["frame_index"]
    c2w[2, 0, 0] = np.nan
    np.savez(bad, c2w=c2w, frame_index=index)
    out = tmp_path / "bad"
    command = ["run", "--suite", "smoke", *SMALL, "--evaluators", "camera", "--out", str(out),
               "--model", "videos", "-o", f"dir={videos}", "-o", f"poses={poses}"]  # fmt: skip
    main(command)
    records = {r.case_id: r for r in RunStore(out).case_records()}
    error = records["hard_60s/room_001"].errors["camera"]
    assert str(bad) in error and "field 'c2w'" in error and "NaN" in error
    assert records["simple_60s/room_001"].status == "ok"
    assert records["simple_60s/room_001"].metrics["rot_err_deg/sanawm@file"] < 1e-6


def test_a_suite_chooses_the_estimator_and_the_run_records_it(smoke, tmp_path):
    videos, poses, _ = _videos_and_poses(smoke, tmp_path)
    suite = yaml.safe_load((suites_dir() / "smoke.yaml").read_text())
    suite["evaluator_options"] = {"camera": {"estimator": "file", "poses": str(poses)}}
    path = tmp_path / "smoke_file.yaml"
    path.write_text(yaml.safe_dump(suite))
    out = tmp_path / "suite"
    command = ["run", "--suite", str(path), *SMALL, "--evaluators", "camera", "--out", str(out),
               "--model", "videos", "-o", f"dir={videos}"]  # fmt: skip
    assert main(command) == 0
    run = RunStore(out).run()
    assert run.evaluator_options == {"camera": {"estimator": "file", "poses": str(poses)}}
    assert "`file` estimator" in run.evaluator_notes["camera"]
    model = next(iter(RunStore(out).models().values()))
    assert model.evaluators["camera"].startswith("3; poses file ")
    assert (pd.read_csv(out / "results.csv")[list(GIVEN)] < 1e-6).all().all()


def test_without_pi3_no_measured_cell_sits_in_a_table_2_row(smoke):
    """``report --against reported`` on a pycolmap run: the camera numbers fill rows named
    ``<model> [pycolmap]`` of their own, never a model's row beside Table 2's Pi3 numbers."""
    from wmbench.report import headline, reported
    from wmbench.report.measured import load_runs, merged_specs
    from wmbench.report.tables import MEASURED, long_table

    runs = load_runs([smoke])
    files = reported.resolve(["reported"])
    specs = merged_specs(runs)
    board = headline.build(runs, files, long_table(runs, files, specs), specs)
    camera = {c.header for c in board.columns if c.metric.split("/")[-1] == "sanawm"}
    measured = [row for row in board.rows if row.source == MEASURED]
    assert camera and measured
    for row in measured:
        if camera & set(row.cells):
            assert row.instrument == "pycolmap" and row.model.endswith("[pycolmap]"), row
