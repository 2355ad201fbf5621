"""PyAV video files and frame spools: H.264 written as produced and verified, frames read in
chunks or by index, every decode checked against the container, other rates resampled."""

from __future__ import annotations

import numpy as np
import pytest

from wmbench.core.errors import InputError, OutputError
from wmbench.core.types import FrameSequence, Video
from wmbench.data.spool import FrameSpool
from wmbench.data.video_io import (
    VideoFile,
    VideoWriter,
    open_video,
    read_video,
    resample_indices,
    write_video,
)


def _frames(count: int, width: int = 64, height: int = 48) -> np.ndarray:
    """Frames whose mean grey level encodes the index (10 + 3 t), robust to H.264."""
    grid = np.add.outer(np.arange(height), np.arange(width)) % 8
    return np.stack([np.full((height, width, 3), 10 + 3 * t, np.uint8) + grid[..., None].astype(
        np.uint8) for t in range(count)])  # fmt: skip


def _levels(frames: np.ndarray) -> np.ndarray:
    """The frame index each frame encodes (inverse of :func:`_frames`)."""
    return np.round((frames.reshape(len(frames), -1).mean(axis=1) - 13.5) / 3).astype(int)


def _write(path, count=40, fps=16.0, width=64, height=48):
    with VideoWriter(path, fps) as writer:
        frames = _frames(count, width, height)
        for start in range(0, count, 7):  # chunks as a model would produce them
            writer.write(frames[start : start + 7])
    return frames


def test_h264_written_in_chunks_reads_back_in_chunks_and_by_index(tmp_path):
    path = tmp_path / "clip.mp4"
    frames = _write(path)
    video = open_video(path)
    assert isinstance(video, VideoFile) and isinstance(video, FrameSequence)
    assert (len(video), video.fps, video.size, video.resampled) == (40, 16.0, (64, 48), False)
    chunks = list(video.chunks(16))
    assert [len(c) for c in chunks] == [16, 16, 8]
    decoded = np.concatenate(chunks)
    assert np.abs(decoded.astype(int) - frames).mean() < 2.0  # CRF 18: near lossless
    assert list(_levels(decoded)) == list(range(40))
    assert list(_levels(video.take([39, 3, 3, 17]))) == [39, 3, 3, 17]
    assert np.array_equal(read_video(path).frames, decoded)


def test_the_written_file_is_browser_playable_h264(tmp_path):
    import av

    _write(tmp_path / "clip.mp4")
    with av.open(str(tmp_path / "clip.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")


def test_odd_sizes_are_written(tmp_path):
    _write(tmp_path / "odd.mp4", count=5, width=33, height=17)
    assert open_video(tmp_path / "odd.mp4").size == (33, 17)


def test_another_rate_is_resampled_in_time_not_relabelled(tmp_path):
    path = tmp_path / "clip30.mp4"
    _write(path, count=61, fps=30.0)  # 2 s at 30 fps
    video = open_video(path, rate=16.0)
    assert (video.native_fps, video.fps, video.resampled, len(video)) == (30.0, 16.0, True, 33)
    expected = np.floor(np.arange(33) * 30 / 16 + 0.5).astype(int)
    assert list(_levels(np.concatenate(list(video.chunks(10))))) == list(expected)
    assert list(_levels(video.take([32, 0]))) == [60, 0]


def test_resample_indices_plain_cases():
    assert list(resample_indices(5, 16.0, 16.0)) == [0, 1, 2, 3, 4]
    assert list(resample_indices(5, 8.0, 16.0)) == [0, 1, 1, 2, 2, 3, 3, 4, 4]  # 0.5 s at 16
    assert list(resample_indices(9, 32.0, 16.0)) == [0, 2, 4, 6, 8]


def test_damaged_start_is_an_input_error_naming_file(tmp_path):
    path = tmp_path / "clip.mp4"
    _write(path)
    data = bytearray(path.read_bytes())
    data[:2000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        list(open_video(path).chunks())
    assert str(path) in str(caught.value)


def test_damaged_middle_is_an_input_error_naming_file_and_frame(tmp_path):
    path = tmp_path / "clip.mp4"
    _write(path, count=40, width=320, height=240)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = bytes(2000)
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        list(open_video(path).chunks())
    assert str(path) in str(caught.value) and "frame " in str(caught.value)


def test_truncated_stream_is_named_with_the_frame_it_ends_at(tmp_path, monkeypatch):
    path = tmp_path / "clip.mp4"
    _write(path, count=12)
    video = open_video(path)
    video.frame_count = 20  # a container that claims more frames than its stream holds
    video._source = np.arange(20)
    with pytest.raises(InputError) as caught:
        list(video.chunks())
    assert "frame 12" in str(caught.value) and "20 frames" in str(caught.value)


def test_writer_failure_leaves_nothing(tmp_path):
    path = tmp_path / "out" / "v.mp4"
    writer = VideoWriter(path, 16.0)
    writer.write(_frames(3))
    with pytest.raises(OutputError):
        writer.write(_frames(1, 32, 32))  # another size mid-stream
    assert not path.exists() and not list(path.parent.iterdir())


def test_writer_verifies_the_count_before_publishing(tmp_path):
    path = tmp_path / "v.mp4"
    writer = VideoWriter(path, 16.0)
    writer.write(_frames(3))
    writer.frames_written = 4  # the file then holds fewer frames than were handed to it
    with pytest.raises(OutputError) as caught:
        writer.close()
    assert "3 of 4 frames" in str(caught.value)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_write_video_streams_a_spool(tmp_path):
    frames = _frames(20)
    spool = FrameSpool(frames.shape[1:], np.uint8, fps=16.0)
    for start in range(0, 20, 6):
        spool.write(frames[start : start + 6])
    assert isinstance(spool, FrameSequence) and len(spool) == 20 and spool.size == (64, 48)
    assert np.array_equal(np.concatenate(list(spool.chunks(7))), frames)  # exact
    assert np.array_equal(spool.take([5, 0, 19]), frames[[5, 0, 19]])
    assert np.array_equal(spool[3:9], frames[3:9]) and np.array_equal(spool[-1], frames[-1])
    write_video(tmp_path / "v.mp4", spool)
    assert list(_levels(read_video(tmp_path / "v.mp4").frames)) == list(range(20))


def test_depth_spool_float32():
    depth = np.random.default_rng(0).random((5, 4, 6)).astype(np.float32)
    spool = FrameSpool((4, 6), np.float32)
    spool.write(depth)
    assert spool.shape == (5, 4, 6) and spool.ndim == 3
    assert np.array_equal(spool[2], depth[2]) and np.array_equal(spool[1:4], depth[1:4])


def test_video_in_memory_has_the_same_interface():
    video = Video(_frames(10), 16.0)
    assert isinstance(video, FrameSequence)
    assert [len(c) for c in video.chunks(4)] == [4, 4, 2]
    assert np.array_equal(video.take([9, 1]), video.frames[[9, 1]])
