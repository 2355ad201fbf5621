"""Defects do what they say, and each metric moves monotonically with its own defect; the
learned metrics join the study when their weights are in the store (tiny random ones here)."""

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.test_fvd import ARCHIVE, TinyI3D
from tests.test_learned_clip import (
    CLIP_FILE,
    HEAD_FILE,
    place_head,
    tiny_architecture,  # noqa: F401 - a fixture
    tiny_state,
)
from tests.test_learned_clip import place as place_clip
from tests.test_learned_dino_lpips import (
    ALEXNET_FILE,
    DINO_FILE,
    TINY_VIT,
    random_alexnet,
    random_dino,
)
from tests.test_learned_dino_lpips import place as place_state
from tests.test_quality_evaluators import SIZE, out_and_back, out_and_back_frames
from tests.test_quality_metrics import TEXTURE
from tests.test_vbench_raft_amt import AMT_FILE, RAFT_FILE
from tests.vbench_store import FILES as VBENCH_FILES
from tests.vbench_store import TINY_MUSIQ, tiny_musiq_state
from wmbench.core import weights
from wmbench.core.errors import MissingWeightsError
from wmbench.core.types import Trajectory
from wmbench.evaluators import (
    EVALUATORS,
    background_consistency,
    clip_features,
    imaging_quality,
    subject_consistency,
)
from wmbench.studies import degrade
from wmbench.studies.quality_defects import DEFECTS, PASS_RHO, Clip, Defect
from wmbench.studies.validate_quality import (
    correlations,
    eval_input,
    measure,
    score,
    validate_quality,
    weight_free_evaluators,
)
from wmbench.worlds.revisit_pairs import MIN_SEPARATION_S

FRAMES = np.stack([TEXTURE[t : t + 40, 2 * t : 2 * t + 60] for t in range(9)])
WALL_DEPTH_M = 200.0 * 0.05 / 2  # out_and_back: 0.05 m steps shift a wall at 5 m by 2 px


@pytest.mark.parametrize(
    "defect",
    [
        lambda f: degrade.blur(f, 0),
        lambda f: degrade.blur(f, 0, ramp=True),
        lambda f: degrade.noise(f, 0),
        lambda f: degrade.flicker(f, 0),
        lambda f: degrade.color_drift(f, 0),
        lambda f: degrade.freeze(f, 0),
        lambda f: degrade.slowdown(f, 0),
    ],
    ids=["blur", "blur_ramp", "noise", "flicker", "color_drift", "freeze", "slowdown"],
)
def test_severity_zero_changes_nothing(defect):
    assert np.array_equal(defect(FRAMES), FRAMES)


def test_noise_has_its_standard_deviation():
    grey = np.full((1, 200, 200, 3), 128, np.uint8)
    assert np.std(degrade.noise(grey, 6.0).astype(float) - 128) == pytest.approx(6.0, rel=0.02)


def test_flicker_scales_whole_frames():
    grey = np.full((20, 4, 4, 3), 100, np.uint8)
    levels = degrade.flicker(grey, 0.1)[:, 0, 0, 0]
    assert set(levels.tolist()) <= {90, 110} and len(set(levels.tolist())) == 2


def test_color_drift_grows_to_its_gain():
    grey = np.full((5, 2, 2, 3), 100, np.uint8)
    drifted = degrade.color_drift(grey, 0.2)
    assert drifted[0, 0, 0].tolist() == [100, 100, 100]
    assert drifted[-1, 0, 0].tolist() == [120, 100, 80]


def test_freeze_holds_frames_and_nests_by_severity():
    index = np.arange(20)
    low, high = degrade.freeze(index, 0.2, seed=3), degrade.freeze(index, 0.5, seed=3)
    assert (low != index).sum() == 4 and (high != index).sum() == 10
    assert set(np.flatnonzero(low != index)) <= set(np.flatnonzero(high != index))
    assert np.all(np.diff(high) >= 0) and high[0] == 0


def test_slowdown_slows_to_the_end():
    index = degrade.slowdown(np.arange(101), 0.5)
    assert index[0] == 0 and np.all(np.diff(index) >= 0)
    assert index[-1] == round(100 - 0.5 * 100 / 2)  # area under the speed ramp
    assert np.mean(np.diff(index[-20:])) < 0.6 < 0.9 < np.mean(np.diff(index[:20]))


def test_morph_changes_the_region_around_the_first_view_centre():
    frames = np.repeat(TEXTURE[None, :48, :64], 3, axis=0)
    k = np.array([[100.0, 0, 31.5], [0, 100.0, 23.5], [0, 0, 1]])
    trajectory = Trajectory(np.repeat(np.eye(4)[None], 3, axis=0), k, (64, 48), 16.0)
    depth = np.full((3, 48, 64), 2.0, np.float32)  # a wall at 2 m; ball radius 0.5 m = 25 px
    morphed = degrade.morph(frames, depth, trajectory, 1.0)
    assert np.array_equal(morphed[0], frames[0])  # not yet
    assert np.array_equal(morphed[2, 23, 32], frames[2, 23, 32, [2, 0, 1]])  # fully swapped
    assert np.array_equal(morphed[2, 0, 0], frames[2, 0, 0])  # outside the ball
    assert np.array_equal(morphed[1, 23, 32], np.rint(0.5 * frames[1, 23, 32] +
                          0.5 * frames[1, 23, 32, [2, 0, 1]]).astype(np.uint8))  # fmt: skip


# --- monotonicity on a small ladder ---------------------------------------------------------


@pytest.fixture(scope="module")
def wall_clip() -> Clip:
    """Sideways out and back along a textured wall: exact frames and depth, a known loop."""
    frames = out_and_back_frames(25)
    depth = np.full((25, SIZE[1], SIZE[0]), WALL_DEPTH_M, np.float32)
    return Clip("wall", frames, depth, out_and_back(25))


@pytest.fixture(scope="module")
def wall_values(wall_clip):
    ladders = tuple(
        replace(d, severities=(d.severities[0], d.severities[2], d.severities[-1]))
        for d in DEFECTS
        if d.name not in ("blur_ramp", "slowdown")  # long-horizon defects need a long clip
    )
    return measure([wall_clip], weight_free_evaluators(), ladders)


def test_metrics_follow_their_own_defect_on_a_small_ladder(wall_values):
    rho = correlations(wall_values, weight_free_evaluators()).set_index(["metric", "defect"])["rho"]
    for defect in DEFECTS:
        for metric in defect.targets:
            if metric.endswith("/sanawm"):  # the 1.5 s clip has no dataset revisit pair (below)
                continue
            if (metric, defect.name) in rho.index:
                assert rho[metric, defect.name] >= PASS_RHO, (metric, defect.name)


def test_the_dataset_pair_protocol_needs_pairs_seconds_apart(wall_clip, wall_values):
    """SANA-WM-Bench's pairs are at least MIN_SEPARATION_S apart: a 1.5 s clip has none, so
    the ``sanawm`` revisit metrics are blank here (the report's 6 s clips measure them)."""
    assert len(wall_clip.frames) / wall_clip.trajectory.fps < MIN_SEPARATION_S
    sanawm = wall_values[wall_values["metric"].str.endswith("/sanawm")]
    assert len(sanawm) and sanawm["value"].isna().all()


def test_revisit_sees_the_morph_that_frame_to_frame_metrics_miss(wall_values):
    value = wall_values.set_index(["defect", "severity", "metric"])["value"].sort_index()
    clean = value["morph", 0.0]
    morphed = value["morph", 1.0]
    mild_flicker = value["flicker", 0.04]
    for metric in ("revisit_psnr_db/near_identity", "revisit_psnr_db/depth_warp"):
        assert morphed[metric] < clean[metric] - 30  # dB
    # a full morph moves the frame-to-frame metrics less than 4 % brightness flicker does
    for metric in ("temporal_flickering/vbench", "warp_error/dis_mse"):
        assert abs(morphed[metric] - clean[metric]) < abs(mild_flicker[metric] - clean[metric])


def test_evaluating_a_clean_wall_clip_is_consistent(wall_clip):
    inputs = eval_input(wall_clip.frames, wall_clip.trajectory, wall_clip.depth, wall_clip.frames)
    metrics = score(inputs, weight_free_evaluators())
    assert metrics["revisit_psnr_db/depth_warp"] > 40  # exact depth, exact frames
    assert metrics["revisit_psnr_db/near_identity"] > 40
    assert metrics["warp_error/dis_mse"] < 1e-3


# the clean clips' last window is ~27 % sharper than their first, so the first 0.5 px step of
# the blur ramp narrows the unsigned change before it grows (one swap: rho 0.94)
BELOW_PASS = {("sharpness_change_pct", "blur_ramp"): 0.9}


@pytest.mark.slow
def test_degradation_study_on_a_synthetic_room(tmp_path):
    table = validate_quality(tmp_path / "quality.md", seeds=(0,), weight_free_only=True)
    assert "## Verdict on own defects" in (tmp_path / "quality.md").read_text()
    assert (tmp_path / "quality.csv").is_file()
    rho = table.set_index(["metric", "defect"])["rho"]
    for metric, defect in targets(DEFECTS, set(table["metric"])):
        assert rho[metric, defect] >= BELOW_PASS.get((metric, defect), PASS_RHO)


# --- learned metrics: tiny random weights at the real store paths, or none --------------------

LEARNED_FILES = {  # each learned evaluator's store files
    "clip_score": (Path(*CLIP_FILE),),
    "aesthetic": (Path(*CLIP_FILE), Path(*HEAD_FILE)),
    "subject_consistency": (DINO_FILE,),
    "lpips": (ALEXNET_FILE,),
    "fvd": (ARCHIVE,),
    "background_consistency": (VBENCH_FILES["clip_b32"],),
    "imaging_quality": (VBENCH_FILES["musiq"],),
    "subject_consistency_vbench": (DINO_FILE,),
    "aesthetic_vbench": (Path(*CLIP_FILE), Path(*HEAD_FILE)),
}
# RAFT and AMT-S need frames of at least 128 px, the small study's are 64 x 48: their weights
# stay out of its store (not measured; they join a study of their own in
# tests/test_vbench_raft_amt.py), and so does the quality score, which needs all seven.
NOT_MEASURED = {
    "dynamic_degree": (RAFT_FILE,),
    "motion_smoothness": (AMT_FILE,),
    "vbench_quality_score": (  # VBench's dimension order
        DINO_FILE, VBENCH_FILES["clip_b32"], AMT_FILE, Path(*CLIP_FILE), Path(*HEAD_FILE),
        VBENCH_FILES["musiq"], RAFT_FILE,
    ),
}  # fmt: skip
SMALL_DEFECTS = tuple(  # every learned metric's own defect, three rungs each
    replace(d, severities=d.severities[::2])
    for d in DEFECTS
    if d.name in ("blur", "noise", "flicker", "morph")
)


def targets(defects: tuple[Defect, ...], metrics: set[str]) -> set[tuple[str, str]]:
    """(metric, defect) of every own-defect target among ``metrics``."""
    return {(m, d.name) for d in defects for m in d.targets if m in metrics}


def learned_metrics() -> set[str]:
    return {s.name for name in LEARNED_FILES for s in EVALUATORS.get(name)().metric_specs()}


def small_study(
    out: Path, weight_free_only: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The study on one short, small room clip and ``SMALL_DEFECTS``: the per-clip table, the
    raw values and the report."""
    table = validate_quality(out, (0,), 17, (64, 48), defects=SMALL_DEFECTS,
                             weight_free_only=weight_free_only)  # fmt: skip
    return table, pd.read_csv(out.with_suffix(".csv")), out.read_text()


def weight_free_part(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["metric"].isin(learned_metrics())].reset_index(drop=True)


def table_rows(report: str, heading: str) -> list[list[str]]:
    """The cells of the body rows of the first table under ``heading``."""
    lines = report.split(heading + "\n", 1)[1].split("\n## ", 1)[0].splitlines()
    rows = [line.strip("|").split("|") for line in lines if line.startswith("|")][2:]
    return [[cell.strip() for cell in row] for row in rows]


@pytest.fixture(scope="module")
def learned_store(tmp_path_factory, tiny_architecture):  # noqa: F811 - the imported fixture
    """Tiny random weights at every learned evaluator's real store path, the store as
    $WMBENCH_WEIGHTS and CLIP and DINO made tiny, module-wide."""
    store = tmp_path_factory.mktemp("weights")
    place_clip(store, CLIP_FILE, tiny_state())
    place_head(store, torch.linspace(-1, 1, 768), bias=5.0)
    place_state(store, DINO_FILE, random_dino())
    place_state(store, ALEXNET_FILE, random_alexnet())
    (store / ARCHIVE).parent.mkdir()
    torch.jit.script(TinyI3D()).save(str(store / ARCHIVE))
    place_state(store, VBENCH_FILES["clip_b32"], tiny_state())
    place_state(store, VBENCH_FILES["musiq"], tiny_musiq_state())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WMBENCH_WEIGHTS", str(store))
        patch.setattr(clip_features, "ARCHITECTURE", tiny_architecture)
        patch.setattr(background_consistency, "ARCHITECTURE", tiny_architecture)
        patch.setattr(subject_consistency, "ARCHITECTURE", TINY_VIT)
        patch.setattr(imaging_quality, "ARCHITECTURE", TINY_MUSIQ)
        yield store


@pytest.fixture(scope="module")
def learned_study(learned_store, tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    return small_study(tmp_path_factory.mktemp("study") / "quality.md")


def test_learned_metrics_join_the_study_with_their_weights_sha256(learned_study, learned_store):
    table, _, report = learned_study
    assert not report.startswith("# Weight-free")
    not_measured = table_rows(report, "## Learned metrics not measured")
    assert {row[0] for row in not_measured} == set(NOT_MEASURED)
    rho_rows = {row[0] for row in table_rows(report, "## Spearman rho (oriented), mean over clips")}
    assert learned_metrics() <= rho_rows
    weight_rows = table_rows(report, "## Learned metrics")
    for name, files in LEARNED_FILES.items():
        rows = [row for row in weight_rows if row[0] == name]
        assert [row[2] for row in rows] == [file.as_posix() for file in files]
        for row, file in zip(rows, files, strict=True):
            digest = hashlib.sha256((learned_store / file).read_bytes()).hexdigest()
            assert row[3] == f"`{digest[: weights.DIGEST_CHARS]}`"
    verdict = {(row[0], row[1]) for row in table_rows(report, "## Verdict on own defects")}
    assert verdict == targets(SMALL_DEFECTS, set(table["metric"]))
    assert ("subject_consistency/vbench_8fps", "flicker") in verdict


def test_learned_metrics_score_every_degraded_clip(learned_study):
    values = learned_study[1].set_index(["defect", "severity", "metric"])["value"].sort_index()
    learned = values[values.index.get_level_values("metric").isin(learned_metrics())]
    # the study's clips carry no dataset evaluation_pairs: the sanawm revisit LPIPS is blank
    assert learned.xs("revisit_lpips/sanawm", level="metric").isna().all()
    scored = learned.drop(["fvd/clips", "revisit_lpips/sanawm"], level="metric")
    assert np.isfinite(scored).all()
    clean, blurred = values["blur", 0.0], values["blur", SMALL_DEFECTS[0].severities[-1]]
    for metric in ("lpips/reference", "fvd/mean_feature_sq_dist"):  # against the clean clip
        assert clean[metric] == pytest.approx(0.0, abs=1e-9) and blurred[metric] > 0


def test_without_weights_the_report_names_each_missing_file(learned_study, tmp_path, monkeypatch):
    store = tmp_path / "empty"
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(store))
    table, _, report = small_study(tmp_path / "quality.md")
    assert report.startswith("# Weight-free")
    rows = {row[0]: row for row in table_rows(report, "## Learned metrics not measured")}
    assert set(rows) == set(LEARNED_FILES) | set(NOT_MEASURED)
    for name, files in {**LEARNED_FILES, **NOT_MEASURED}.items():
        expected = [str(store / file) for file in files]
        with pytest.raises(MissingWeightsError) as error:
            EVALUATORS.get(name)().check_available()
        assert list(map(str, error.value.missing)) == expected
        assert rows[name][2].split("<br>") == expected
    verdict = {(row[0], row[1]) for row in table_rows(report, "## Verdict on own defects")}
    assert verdict == targets(SMALL_DEFECTS, set(table["metric"]) - learned_metrics())
    pd.testing.assert_frame_equal(table, weight_free_part(learned_study[0]))


def test_weight_free_only_skips_present_learned_weights(learned_study, tmp_path):
    table, _, report = small_study(tmp_path / "quality.md", weight_free_only=True)
    assert "`--weight-free-only`" in report and "sha256" not in report
    pd.testing.assert_frame_equal(table, weight_free_part(learned_study[0]))
