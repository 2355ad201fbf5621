"""Fault corpus, video files and frame folders: unreadable videos and ill-numbered frame folders
are InputErrors naming the path; a writer that produces nothing fails the case (never an empty
``video.mp4`` beside an ok status)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from pose_pipeline.frames import FrameSource
from tests.faults import CASES, assert_names, leftovers, make_bench, record, run, statuses
from wmbench.core.errors import InputError, OutputError
from wmbench.core.types import Video
from wmbench.data import video_io
from wmbench.data.video_io import read_video, write_video


def _frames(folder, names, sizes=None):
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        width, height = (sizes or {}).get(name, (16, 16))
        Image.fromarray(np.full((height, width, 3), index * 10, np.uint8)).save(folder / name)
    return folder


BAD_FOLDERS = {
    "empty": ([], ["frames", "image files", "none"]),
    "gap": (["0.png", "1.png", "3.png"], ["frames", "consecutive frame numbers from 0", "frame 2"]),
    "gap-padded": (["0001.png", "0002.png", "0004.png"], ["consecutive", "from 1", "frame 3"]),
    "same-number-twice": (["1.png", "01.png", "2.png"], ["one file per frame number", "frame 1"]),
    "same-number-two-types": (["0.png", "0.jpg", "1.png"], ["one file per frame number"]),
    "no-number": (["0.png", "cover.png"], ["frame name", "a frame number", "'cover.png'"]),
    "two-patterns": (["a_0.png", "b_1.png"], ["one naming pattern", "'a_'", "'b_'"]),
}


@pytest.mark.parametrize("names, parts", BAD_FOLDERS.values(), ids=BAD_FOLDERS)
def test_ill_numbered_frame_folder_is_named(tmp_path, names, parts):
    folder = _frames(tmp_path / "clip", names)
    with pytest.raises(InputError) as caught:
        read_video(folder, fps=16)
    assert_names(str(caught.value), "clip", *parts)
    with pytest.raises(InputError):  # the annotator reads frame folders the same way
        FrameSource(folder)


def test_unpadded_frames_are_read_in_number_order(tmp_path):
    names = [f"{i}.png" for i in range(12)]  # by name: 0, 1, 10, 11, 2, ...
    folder = _frames(tmp_path / "clip", names)
    video = read_video(folder, fps=16)
    assert [int(frame[0, 0, 0]) for frame in video.frames] == [i * 10 for i in range(12)]
    assert [int(f[0, 0, 0]) for f in FrameSource(folder)] == [i * 10 for i in range(12)]


def test_frames_may_start_at_one_with_a_prefix(tmp_path):
    folder = _frames(tmp_path / "clip", [f"frame_{i}.jpg" for i in range(1, 4)])
    assert len(read_video(folder, fps=16)) == 3


BAD_FRAMES = {
    "mixed-sizes": ({"1.png": (20, 16)}, None, ["frames", "frames of one size"]),
    "garbage-frame": ({}, b"not a png", ["1.png", "frame", "a readable image"]),
    "empty-frame": ({}, b"", ["1.png", "frame", "a readable image"]),
}


@pytest.mark.parametrize("sizes, content, parts", BAD_FRAMES.values(), ids=BAD_FRAMES)
def test_bad_frame_in_a_folder_is_named(tmp_path, sizes, content, parts):
    folder = _frames(tmp_path / "clip", ["0.png", "1.png", "2.png"], sizes)
    if content is not None:
        (folder / "1.png").write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_video(folder, fps=16)
    assert_names(str(caught.value), *parts)


def _loop(path):
    os.symlink(path.name, path)


BAD_FILES = {
    "zero-bytes": (lambda p: p.write_bytes(b""), ["video", "at least one frame", "no frames"]),
    "garbage": (lambda p: p.write_bytes(b"\x00garbage" * 64), ["video", "no frames"]),
    "missing": (lambda p: None, ["video", "an existing video file or frame folder"]),
    "symlink-loop": (_loop, ["video", "nothing there"]),
}


@pytest.mark.parametrize("make, parts", BAD_FILES.values(), ids=BAD_FILES)
def test_unreadable_video_file_is_named(tmp_path, make, parts):
    path = tmp_path / "clip.mp4"
    make(path)
    with pytest.raises(InputError) as caught:
        read_video(path)
    assert_names(str(caught.value), str(path), *parts)


def _video(width=32, height=32, fps=16.0, frames=5):
    return Video(np.zeros((frames, height, width, 3), np.uint8), fps)


BAD_WRITES = {
    "fps-zero": (_video(fps=0), "nothing to encode"),
    "fps-negative": (_video(fps=-3), "nothing to encode"),
    "no-frames": (_video(frames=0), "nothing to encode"),
}


def test_a_one_pixel_video_is_written_and_reads_back(tmp_path):
    write_video(tmp_path / "video.mp4", _video(1, 1))  # H.264 4:4:4 holds odd sizes
    assert read_video(tmp_path / "video.mp4").frames.shape == (5, 1, 1, 3)


@pytest.mark.parametrize("video, reason", BAD_WRITES.values(), ids=BAD_WRITES)
def test_a_video_the_encoder_cannot_write_leaves_no_file(tmp_path, video, reason):
    path = tmp_path / "out" / "video.mp4"
    with pytest.raises(OutputError) as caught:
        write_video(path, video)
    assert_names(str(caught.value), str(path), reason)
    assert not path.exists() and not leftovers(tmp_path)


def _silent_write(self, frames):
    """A VideoWriter.write that accepts frames but encodes none (a broken codec)."""
    self.frames_written += len(frames)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return make_bench(tmp_path_factory.mktemp("video") / "bench")


def test_a_writer_that_produces_nothing_fails_the_case_not_ok(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(video_io.VideoWriter, "write", _silent_write)
    out = tmp_path / "run"
    assert run(bench, out) == 1
    assert set(statuses(out).values()) == {"failed"}
    failed = record(out, CASES[0])
    assert failed["stage"] == "store"
    assert_names(failed["error"], "video.mp4", "nothing to encode")
    assert not list(out.rglob("video.mp4")) and not leftovers(out)
    monkeypatch.undo()
    assert run(bench, out, "--retry-failed") == 0  # fixed: every case recomputed and stored
    assert len(list(out.rglob("video.mp4"))) == 4


def test_videos_model_with_a_gap_fails_that_case_only(bench, tmp_path):
    videos = tmp_path / "videos"
    for case_id in CASES:
        names = [f"{i}.png" for i in range(9)]
        if case_id == CASES[1]:
            names.remove("4.png")
        _frames(videos / case_id, names)
    out = tmp_path / "run"
    assert run(bench, out, "--model", "videos", "-o", f"dir={videos}") == 1
    by_case = statuses(out)
    assert by_case.pop(CASES[1]) == "failed" and set(by_case.values()) == {"ok"}
    error = record(out, CASES[1])["error"]
    assert_names(error, CASES[1], "consecutive frame numbers from 0", "frame 4 missing")


def _mp4(path, count: int, fps: float, size=(32, 32)) -> np.ndarray:
    """An H.264 file whose frame t is grey level 10 + 12 t (the index survives the codec)."""
    frames = np.stack([np.full((size[1], size[0], 3), 10 + 12 * t, np.uint8) for t in range(count)])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(path, Video(frames, fps))
    return frames


def test_a_damaged_video_fails_its_case_naming_the_file(bench, tmp_path):
    videos = tmp_path / "videos"
    for case_id in CASES:
        _mp4(videos / f"{case_id}.mp4", 9, 16.0)
    damaged = videos / f"{CASES[1]}.mp4"
    data = bytearray(damaged.read_bytes())
    data[:2000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    damaged.write_bytes(bytes(data[: len(data)]))
    out = tmp_path / "run"
    assert run(bench, out, "--model", "videos", "-o", f"dir={videos}") == 1
    by_case = statuses(out)
    assert by_case.pop(CASES[1]) == "failed" and set(by_case.values()) == {"ok"}
    assert_names(record(out, CASES[1])["error"], str(damaged), "video")


def test_a_30_fps_video_is_resampled_to_the_case_rate_and_recorded(bench, tmp_path):
    videos = tmp_path / "videos"
    for case_id in CASES:
        _mp4(videos / f"{case_id}.mp4", 17, 30.0)  # 17 frames at 30 fps: 9 at 16 fps
    out = tmp_path / "run"
    assert run(bench, out, "--model", "videos", "-o", f"dir={videos}") == 0
    info = record(out, CASES[0])["generation_info"]
    assert (info["source_fps"], info["resampled"]) == (30.0, True)
    played = video_io.read_video(next(out.rglob("video.mp4")))
    levels = np.round((played.frames.reshape(len(played), -1).mean(axis=1) - 10) / 12)
    assert list(levels) == list(np.floor(np.arange(9) * 30 / 16 + 0.5))  # times, not indices
    assert played.fps == 16.0


def test_a_short_30_fps_video_is_refused_saying_it_was_resampled(bench, tmp_path):
    videos = tmp_path / "videos"
    for case_id in CASES:
        _mp4(videos / f"{case_id}.mp4", 9, 30.0)  # 9 frames at 30 fps: 5 at 16 fps
    out = tmp_path / "run"
    assert run(bench, out, "--model", "videos", "-o", f"dir={videos}") == 1
    assert_names(record(out, CASES[0])["error"], "frames at 16 fps", "resampled from", "30 fps")
