"""SANA-WM-Bench's revisit consistency (``eval_revisit_consistency`` in
``tools/metrics/sana_wm/eval_unified.py``, HaoyiZhu/NVlabs-Sana at 006a401), transcribed: pairs
sorted by quality, five kept, frames remapped and clamped to the video's end (``min(frame_idx,
n_video_frames - 1)``), degenerate pairs skipped, and the overall PSNR / SSIM one mean over the
pairs of every scene (``all_psnr.extend``). wmbench's pooled set metrics against it, on scenes
with different pair counts (where a mean of scene means differs)."""

import numpy as np
import pytest

from tests.test_revisit_sanawm import _case
from wmbench.core.types import Case, Video
from wmbench.evaluators.base import EvalInput
from wmbench.evaluators.revisit import Revisit
from wmbench.evaluators.sanawm_pairs import psnr_uint8, ssim_uniform
from wmbench.models.base import Generation


def sana_remap(frame_idx: int, ref_fps: float, video_fps: float, n_video_frames: int) -> int:
    if abs(ref_fps - video_fps) < 0.1:
        return min(frame_idx, n_video_frames - 1)
    target = round(frame_idx / ref_fps * video_fps)
    return min(max(target, 0), n_video_frames - 1)


def sana_overall(scenes: list[tuple[np.ndarray, list[dict]]], fps: float = 16.0) -> tuple:
    all_psnr, all_ssim, scene_means = [], [], []
    for frames, eval_pairs in scenes:
        pairs = sorted(eval_pairs, key=lambda p: p.get("quality_score", 999))[:5]
        scene_psnr = []
        for pair in pairs:
            fa = sana_remap(pair["frame_a"], 16.0, fps, len(frames))
            fb = sana_remap(pair["frame_b"], 16.0, fps, len(frames))
            if fa == fb:
                continue
            scene_psnr.append(psnr_uint8(frames[fa], frames[fb]))
            all_ssim.append(ssim_uniform(frames[fa], frames[fb]))
        all_psnr.extend(scene_psnr)
        scene_means.append(np.mean(scene_psnr))
    return float(np.mean(all_psnr)), float(np.mean(all_ssim)), float(np.mean(scene_means))


def _scenes() -> list[tuple[np.ndarray, list[dict]]]:
    rng = np.random.default_rng(3)
    out = []
    for count in (1, 5, 3):
        frames = rng.integers(0, 255, (40, 24, 32, 3), dtype=np.uint8)
        frames[10:] = np.clip(frames[10:] + rng.normal(0, 30 * count, (30, 24, 32, 3)), 0, 255)
        pairs = [{"frame_a": k, "frame_b": 30 + 3 * k, "quality_score": float(k)}
                 for k in range(count)]  # fmt: skip
        pairs.append({"frame_a": 2, "frame_b": 55, "quality_score": -1.0})  # past the end
        out.append((frames, pairs))
    return out


def test_pooled_revisit_metrics_are_sanas_overall_means():
    scenes = _scenes()
    evaluator = Revisit()
    metrics = evaluator.set_metrics()
    for frames, pairs in scenes:
        case: Case = _case(pairs)
        video = Video(frames, 16)
        result = evaluator.evaluate(EvalInput(case, case.trajectory, video, Generation(video)))
        own = {k.removeprefix("sanawm/"): v for k, v in result.series.items()}
        for metric in metrics:
            metric.update({f"sanawm/{k}": v for k, v in own.items()})
    values = {metric.spec.name: metric.compute() for metric in metrics}
    psnr, ssim, mean_of_scenes = sana_overall(scenes)
    assert values["revisit_psnr_db_pooled/sanawm"].value == pytest.approx(psnr, rel=1e-12)
    assert values["revisit_ssim_pooled/sanawm"].value == pytest.approx(ssim, rel=1e-12)
    assert values["revisit_psnr_db_pooled/sanawm"].count == 2 + 5 + 4  # five kept per scene
    assert abs(psnr - mean_of_scenes) > 0.1  # pooling matters with unequal pair counts


def test_refined_revisits_index_the_written_video():
    rng = np.random.default_rng(4)
    written = rng.integers(0, 255, (40, 24, 32, 3), dtype=np.uint8)
    case = _case([[3, 31]])
    generation = Generation(Video(written, 16), refined=True)
    inputs = EvalInput.scoring(case, case.trajectory.fitted(32, 24), generation)
    assert inputs.first_frame == 1 and len(inputs.video) == 39
    result = Revisit().evaluate(inputs)
    expected = psnr_uint8(written[3], written[31])  # the raw mp4's frames, as the script reads
    assert result.metrics["revisit_psnr_db/sanawm"] == pytest.approx(expected)
