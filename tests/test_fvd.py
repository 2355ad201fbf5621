"""The ``fvd`` evaluator and the set-level FVD: the Fréchet distance against closed forms, clip
extraction and the detector call against plain implementations, the weight store's TorchScript
path, and runs through the harness into summary.json and the leaderboard.

The detector placed in the store is a tiny random TorchScript network with the call of
StyleGAN-V's I3D (``detector(x, rescale=..., resize=..., return_features=...)`` on uint8
(B, 3, T, H, W)); the real archive cannot be downloaded here."""

import hashlib
import json
import weakref
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from tests.test_quality_evaluators import out_and_back
from tests.test_quality_metrics import panning
from wmbench.cli import main
from wmbench.core import weights
from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.evaluators import fvd
from wmbench.evaluators.fvd import (
    CLIP_FRAMES,
    MAX_CLIPS,
    FrechetVideoDistance,
    PooledFvd,
    clip_starts,
    feature_statistics,
    frechet_distance,
    frechet_video_distance,
    i3d_detector,
    i3d_features,
)
from wmbench.report.leaderboard import write_leaderboard
from wmbench.report.measured import load_runs
from wmbench.studies import degrade
from wmbench.studies.validate_quality import eval_input

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = Path("i3d/i3d_torchscript.pt")
DIM = 8
RNG = np.random.default_rng(0)


class TinyI3D(nn.Module):
    """StyleGAN-V's detector call on a tiny random network: ``rescale`` maps [0, 255] to
    [-1, 1] (x / 255 * 2 - 1), ``resize`` resizes every frame to 224 x 224 (trilinear over
    (T, 224, 224), align_corners=False), ``return_features`` returns the DIM features before the
    softmax."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv3d(3, 8, kernel_size=(3, 8, 8), stride=(2, 8, 8))
        self.head = nn.Linear(8 * 8, DIM)

    def forward(
        self,
        x: torch.Tensor,
        rescale: bool = False,
        resize: bool = False,
        return_features: bool = False,
    ) -> torch.Tensor:
        x = x.float()
        if rescale:
            x = x / 255.0 * 2.0 - 1.0
        if resize:
            x = F.interpolate(x, size=(x.shape[2], 224, 224), mode="trilinear", align_corners=False)
        pooled = F.adaptive_avg_pool3d(F.relu(self.conv(x)), (2, 2, 2)).flatten(1)
        logits = 10.0 * self.head(pooled)  # of the order of I3D's logits
        return logits if return_features else F.softmax(logits, dim=1)


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory) -> Path:
    """A weight store holding the scripted TinyI3D at the real archive's path."""
    store = tmp_path_factory.mktemp("weights")
    (store / ARCHIVE).parent.mkdir(parents=True)
    torch.jit.script(TinyI3D()).save(str(store / ARCHIVE))
    return store


@pytest.fixture
def present(filled_store, monkeypatch) -> Path:
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(filled_store))
    return filled_store


def moments_exactly(mean: np.ndarray, variances: np.ndarray, count: int) -> np.ndarray:
    """``count`` samples whose mean is ``mean`` and whose covariance (normalised by N) is
    ``diag(variances)`` exactly: centred orthonormal columns scaled by sqrt(N)."""
    values = RNG.normal(size=(count, len(mean)))
    values -= values.mean(axis=0)
    orthonormal, _ = np.linalg.qr(values)
    return mean + orthonormal * np.sqrt(count) * np.sqrt(variances)


def trace_sqrt_by_eigenvalues(cov1: np.ndarray, cov2: np.ndarray) -> float:
    """tr((cov1 cov2)^(1/2)) as the sum of sqrt(eigenvalues of cov1^(1/2) cov2 cov1^(1/2))."""
    values, vectors = np.linalg.eigh(cov1)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov2 @ root), 0, None)).sum())


# --- the Fréchet distance --------------------------------------------------------------------


def test_frechet_distance_of_diagonal_gaussians_is_the_closed_form():
    mean1, mean2 = RNG.normal(size=6), RNG.normal(size=6)
    var1, var2 = RNG.uniform(0.1, 4.0, 6), RNG.uniform(0.1, 4.0, 6)
    expected = ((mean1 - mean2) ** 2).sum() + ((np.sqrt(var1) - np.sqrt(var2)) ** 2).sum()
    value = frechet_distance(mean1, np.diag(var1), mean2, np.diag(var2))
    assert value == pytest.approx(expected, rel=1e-9)
    rotation, _ = np.linalg.qr(RNG.normal(size=(6, 6)))  # the same rotation of both: same FD
    rotated = [rotation @ np.diag(var) @ rotation.T for var in (var1, var2)]
    turned = frechet_distance(rotation @ mean1, rotated[0], rotation @ mean2, rotated[1])
    assert turned == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_general_covariances_matches_the_eigenvalue_form():
    a, b = RNG.normal(size=(5, 5)), RNG.normal(size=(5, 5))
    cov1, cov2 = a @ a.T + 0.1 * np.eye(5), b @ b.T  # not commuting
    mean1, mean2 = RNG.normal(size=5), RNG.normal(size=5)
    expected = (
        ((mean1 - mean2) ** 2).sum()
        + np.trace(cov1 + cov2)
        - 2 * trace_sqrt_by_eigenvalues(cov1, cov2)
    )
    assert frechet_distance(mean1, cov1, mean2, cov2) == pytest.approx(expected, rel=1e-8)


def test_feature_sets_use_the_covariance_normalised_by_n():
    mean1, mean2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 0.5])
    var1, var2 = np.array([1.0, 2.0, 0.5]), np.array([4.0, 1.0, 0.25])
    first, second = moments_exactly(mean1, var1, 5), moments_exactly(mean2, var2, 7)
    stats = feature_statistics(first)
    np.testing.assert_allclose(stats[0], mean1, atol=1e-12)
    np.testing.assert_allclose(stats[1], np.diag(var1), atol=1e-12)
    expected = ((mean1 - mean2) ** 2).sum() + ((np.sqrt(var1) - np.sqrt(var2)) ** 2).sum()
    assert frechet_video_distance(first, second) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("count", [3, 20, 400])  # below, near and above the feature size 16
def test_identical_sets_are_at_zero_and_the_distance_is_symmetric(count):
    features = RNG.normal(size=(count, 16)) * RNG.uniform(0.5, 20, 16)
    assert frechet_video_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    other = RNG.normal(size=(count + 2, 16)) + 0.3
    forward, backward = (
        frechet_video_distance(features, other),
        frechet_video_distance(other, features),
    )
    assert forward > 1.0 and forward == pytest.approx(backward, rel=1e-6)


def test_one_sample_has_zero_covariance_and_no_samples_is_an_error():
    sample, others = RNG.normal(size=(1, 4)), RNG.normal(size=(9, 4))
    mean, cov = feature_statistics(others)
    expected = ((sample[0] - mean) ** 2).sum() + np.trace(cov)
    assert frechet_video_distance(sample, others) == pytest.approx(expected, rel=1e-9)
    assert frechet_video_distance(sample, sample) == 0.0
    with pytest.raises(ValueError, match="N >= 1"):
        frechet_video_distance(np.zeros((0, 4)), others)


def test_a_complex_square_root_is_refused_and_recorded(monkeypatch):
    features = RNG.normal(size=(30, 4))
    assert fvd.trace_sqrt_product(*[feature_statistics(features)[1]] * 2) > 0
    monkeypatch.setattr(fvd.scipy.linalg, "sqrtm", lambda matrix: matrix + 0.5j)
    with pytest.raises(ValueError, match="imaginary part of 0.5"):
        frechet_video_distance(features, features)
    record = pooled([(features, features)])
    assert record.value is None and "imaginary" in record.note


def pooled(pairs: list[tuple[np.ndarray, np.ndarray]]):
    """:class:`PooledFvd` over cases given as (generated, reference) feature pairs."""
    metric = PooledFvd()
    for generated, reference in pairs:
        metric.update({"generated_features": generated, "reference_features": reference})
    return metric.compute()


def test_set_records_count_clips_and_mark_rank_deficient_sets():
    few = pooled([(RNG.normal(size=(3, DIM)), RNG.normal(size=(3, DIM)))] * 2)
    assert few.count == 6 and few.reliable is False
    assert few.note == f"N=6 clips, unreliable: N ≤ D={DIM}"
    many = pooled([(RNG.normal(size=(DIM + 1, DIM)), RNG.normal(size=(DIM + 1, DIM)))])
    assert many.reliable is True and many.note == f"N={DIM + 1} clips"
    assert PooledFvd().compute().count == 0  # no case with features: nothing to report


# --- clips and the detector ------------------------------------------------------------------


def plain_starts(num_frames: int) -> list[int]:
    """At most MAX_CLIPS windows of CLIP_FRAMES frames, evenly spaced, first at 0, last at the
    end: start i of n at round(i * (T - 16) / (n - 1))."""
    count = min(num_frames // CLIP_FRAMES, MAX_CLIPS)
    if count <= 1:
        return [0] * count
    return [round(i * (num_frames - CLIP_FRAMES) / (count - 1)) for i in range(count)]


@pytest.mark.parametrize("num_frames", [0, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 961])
def test_clip_windows_are_evenly_spaced_and_do_not_overlap(num_frames):
    starts = clip_starts(num_frames)
    assert starts.tolist() == plain_starts(num_frames)
    assert (np.diff(starts) >= CLIP_FRAMES).all()
    if len(starts):
        assert starts[0] == 0 and starts[-1] + CLIP_FRAMES <= num_frames
    if num_frames == 961:
        assert len(starts) == MAX_CLIPS and starts[-1] + CLIP_FRAMES == num_frames


def test_pipeline_features_equal_a_plain_per_clip_resize_and_call(present):
    frames = panning(50, (2, 1), size=(96, 56))
    starts = clip_starts(len(frames))
    detector = i3d_detector()
    features = i3d_features(detector, frames, starts)
    assert features.shape == (3, DIM) and features.dtype == np.float32
    for row, start in zip(features, starts, strict=True):
        resized = np.stack(
            [
                cv2.resize(frame.astype(np.float32), (224, 224), interpolation=cv2.INTER_LINEAR)
                for frame in frames[start : start + CLIP_FRAMES]
            ]
        )  # (16, 224, 224, 3) RGB, values in [0, 255]
        clip = torch.from_numpy(resized / 127.5 - 1.0).float().permute(3, 0, 1, 2)[None]
        with torch.no_grad():
            expected = detector(clip, rescale=False, resize=False, return_features=True)[0]
        np.testing.assert_allclose(row, expected.numpy(), atol=1e-4)


def test_the_evaluator_loads_its_detector_once_and_releases_it(present):
    assert isinstance(i3d_detector(), torch.jit.ScriptModule)
    evaluator = FrechetVideoDistance()
    frames = panning(17, (1, 0))
    inputs = eval_input(frames, out_and_back(17), reference=frames)
    first = evaluator.evaluate(inputs)
    detector = evaluator.network("i3d", lambda: pytest.fail("loaded a second time"))
    again = evaluator.evaluate(inputs)  # every case reuses the instance's network
    np.testing.assert_array_equal(first.series["generated_features"],
                                  again.series["generated_features"])  # fmt: skip
    alive = weakref.ref(detector)
    del detector
    evaluator.release()
    assert alive() is None  # nothing else (no module-level cache) holds the network


def test_missing_archive_names_the_exact_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    frames = panning(17, (1, 0))
    inputs = eval_input(frames, out_and_back(17), reference=frames)
    evaluator = FrechetVideoDistance()
    for call in (evaluator.check_available, lambda: evaluator.evaluate(inputs)):
        with pytest.raises(MissingWeightsError) as error:
            call()
        assert str(tmp_path / ARCHIVE) in str(error.value)


def test_a_file_that_is_no_torchscript_archive_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    (tmp_path / ARCHIVE).parent.mkdir(parents=True)
    (tmp_path / ARCHIVE).write_bytes(b"not an archive")
    with pytest.raises(InputError, match="TorchScript archive") as error:
        i3d_detector()
    assert error.value.source == str(tmp_path / ARCHIVE)


# --- the evaluator ---------------------------------------------------------------------------


def test_evaluator_stores_clip_features_and_honest_per_case_metrics(present):
    frames = panning(40, (1, 1), size=(96, 56))
    inputs = eval_input(frames, out_and_back(40), reference=frames, case_id="hard/x")
    result = FrechetVideoDistance().evaluate(inputs)
    assert set(result.metrics) == {s.name for s in FrechetVideoDistance().metric_specs()}
    assert result.metrics == {"fvd/clips": 2.0, "fvd/mean_feature_sq_dist": 0.0}
    assert result.series["clip_start"].tolist() == [0, 24]
    np.testing.assert_array_equal(
        result.series["generated_features"], result.series["reference_features"]
    )
    assert result.series["generated_features"].shape == (2, DIM)


def test_a_case_without_reference_does_not_apply(present):
    frames = panning(20, (1, 0))
    result = FrechetVideoDistance().evaluate(eval_input(frames, out_and_back(20)))
    assert set(result.metrics) == {"fvd/clips", "fvd/mean_feature_sq_dist"}
    assert np.isnan(list(result.metrics.values())).all() and not result.series


def test_a_video_shorter_than_one_clip_is_an_input_error(present):
    frames = panning(20, (1, 0))
    short = eval_input(frames[:15], out_and_back(15), reference=frames[:15], case_id="s/c2")
    with pytest.raises(InputError, match="at least 16 frames") as error:
        FrechetVideoDistance().evaluate(short)
    assert error.value.source == "s/c2" and error.value.found == "15 frames"


def test_fvd_grows_with_the_noise_severity(present):
    videos = [panning(48, step, size=(96, 56)) for step in ((1, 0), (0, 1), (2, 1))]
    evaluator = FrechetVideoDistance()
    values = []
    for sigma in (0.0, 8.0, 24.0, 64.0):
        pairs = []
        for seed, frames in enumerate(videos):
            noisy = degrade.noise(frames, sigma, seed=seed)
            series = evaluator.evaluate(
                eval_input(noisy, out_and_back(48), reference=frames)
            ).series
            pairs.append((series["generated_features"], series["reference_features"]))
        record = pooled(pairs)
        assert record.count == 9
        values.append(record.value)
    assert values[0] == pytest.approx(0.0, abs=1e-9)
    assert (np.diff(values) > 0).all()


# --- through the harness ---------------------------------------------------------------------


@pytest.fixture
def smoke_suite(tmp_path) -> Path:
    """The smoke suite (2 cases, oracle and static) shortened to 2 clips a video, fvd only."""
    suite = yaml.safe_load((REPO / "suites" / "smoke.yaml").read_text())
    suite |= {"frames": 33, "resolution": "96x64", "evaluators": ["fvd"]}
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def test_smoke_run_writes_set_level_fvd_and_the_leaderboard_shows_it(
    present, smoke_suite, tmp_path, capsys
):
    out = tmp_path / "run"
    assert main(["run", "--suite", str(smoke_suite), "--no-videos", "--out", str(out)]) == 0
    assert "model oracle: 2 cases ok, 0 failed" in capsys.readouterr().out  # table: the board
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and set(results["status"]) == {"ok"}
    assert (results["fvd/clips"] == 2).all()
    archive = hashlib.sha256((present / ARCHIVE).read_bytes()).hexdigest()
    recorded = json.loads((out / "run.json").read_text())["evaluator_weights"]
    assert recorded == {"fvd": {Path(ARCHIVE).as_posix(): archive[: weights.DIGEST_CHARS]}}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["set_metrics"]["fvd"]["higher_is_better"] is False
    assert summary["set_metrics"]["fvd"]["evaluator"] == "fvd"
    records = {
        model: {split: part["set_metrics"]["fvd"] for split, part in entry["splits"].items()}
        for model, entry in summary["models"].items()
    }
    assert set(records) == {"oracle", "static"}
    for model in records.values():
        assert set(model) == {"simple_60s", "hard_60s", "all"}
        assert model["all"]["count"] == 4 and model["hard_60s"]["count"] == 2
        assert model["all"]["reliable"] is False
    assert records["oracle"]["all"]["value"] == pytest.approx(0.0, abs=1e-6)
    assert records["static"]["all"]["value"] > 0.05

    board = tmp_path / "board"
    write_leaderboard(load_runs([out]), [], board)
    long = pd.read_csv(board / "leaderboard.csv")
    fvd_rows = long[long["metric"] == "fvd"].set_index(["model", "split"])
    assert fvd_rows.loc[("static", "all"), "count"] == 4
    assert fvd_rows.loc[("oracle", "all"), "mean"] == pytest.approx(0.0, abs=1e-6)
    assert fvd_rows.loc[("static", "hard_60s"), "note"] == f"N=2 clips, unreliable: N ≤ D={DIM}"
    markdown = (board / "leaderboard.md").read_text()
    assert "↓ fvd" in markdown and f"(N=4 clips, unreliable: N ≤ D={DIM})" in markdown


def test_smoke_run_without_the_archive_skips_fvd_naming_the_file(
    smoke_suite, tmp_path, monkeypatch, capsys
):
    store = tmp_path / "empty"
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(store))
    out = tmp_path / "run"
    assert main(["run", "--suite", str(smoke_suite), "--no-videos", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    logged = [line for line in printed.err.splitlines() if "evaluator fvd: SKIPPED" in line]
    assert logged == [f"[wmbench] evaluator fvd: SKIPPED, weights missing: {store / ARCHIVE}"]
    board = [line for line in printed.out.splitlines() if line.startswith("evaluators skipped")]
    assert len(board) == 1 and "fvd" in board[0].split(": ", 1)[1].split(", ")
    skipped = json.loads((out / "models" / "oracle.json").read_text())["skipped_evaluators"]
    assert str(store / ARCHIVE) in skipped["fvd"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["set_metrics"] == {}
    assert not any(part["set_metrics"] for part in summary["models"]["static"]["splits"].values())
