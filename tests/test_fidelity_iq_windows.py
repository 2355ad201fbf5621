"""SANA-WM-Bench's temporal-degradation windows (``eval_temporal_degradation`` in
``tools/metrics/sana_wm/eval_unified.py``, HaoyiZhu/NVlabs-Sana at 006a401), transcribed, against
the windows wmbench's ``imaging_quality`` scores: 160 frames each (its ``fps`` keeps the default
16), ``n // 160`` windows from frame 0, the last of 961 frames being 800-959 (wmbench took
801-960 before); a refined video's windows start one frame later (its stripped copy)."""

import numpy as np
import pytest

from wmbench.evaluators import imaging_quality
from wmbench.evaluators.imaging_quality import FIRST_IQ, LAST_IQ, ImagingQuality


def sana_windows(n_frames: int, window_sec: float = 10.0, fps: float = 16.0) -> list[range]:
    """The script's loop: ``window_frames = int(window_sec * fps)``, ``n_windows = max(1,
    n_frames // window_frames)``, ``end = min(start + window_frames, n_frames)``, skipping
    windows under 16 frames."""
    window_frames = int(window_sec * fps)
    out = []
    for w in range(max(1, n_frames // window_frames)):
        start = w * window_frames
        end = min(start + window_frames, n_frames)
        if end - start < 16:
            continue
        out.append(range(start, end))
    return out


def test_the_windows_of_a_minute_are_sanas():
    windows = sana_windows(961)
    assert (windows[-1].start, windows[-1].stop - 1) == (800, 959)
    assert len(windows) == 6
    assert imaging_quality.degradation_window(961, 16.0) == 160
    assert imaging_quality.degradation_window(961, 24.0) == 160  # the script ignores the rate


@pytest.mark.parametrize("refined", [False, True], ids=["plain", "refined"])
def test_the_evaluator_scores_sanas_windows_of_the_scored_frames(monkeypatch, refined):
    """Frame k's stand-in score is k; a window's score is then the mean of its frame numbers
    (the re-encode is a pass-through here, so the window bounds are what is checked)."""
    from tests.test_quality_evaluators import out_and_back
    from wmbench.studies.validate_quality import eval_input

    written = np.zeros((961, 8, 8, 3), np.uint8)
    written[:, 0, 0, 0] = np.arange(961) % 256
    written[:, 0, 0, 1] = np.arange(961) // 256
    frames = written[1:] if refined else written  # the refined video's stripped copy

    def frame_numbers(model, clip):
        return clip[:, 0, 0, 0].astype(float) + 256.0 * clip[:, 0, 0, 1].astype(float)

    monkeypatch.setattr(imaging_quality, "musiq_scores", frame_numbers)
    monkeypatch.setattr(imaging_quality, "reencoded", lambda clip: clip)
    evaluator = ImagingQuality()
    monkeypatch.setattr(evaluator, "network", lambda key, load: None)
    result = evaluator.evaluate(eval_input(frames, out_and_back(len(frames))))
    windows = sana_windows(len(frames))
    offset = 1 if refined else 0  # stripped frame k is written frame k + 1
    assert result.metrics[FIRST_IQ] == pytest.approx(np.mean(windows[0]) + offset)
    assert result.metrics[LAST_IQ] == pytest.approx(np.mean(windows[-1]) + offset)
    assert result.series["window_start_frame"].tolist() == [w.start for w in windows]
