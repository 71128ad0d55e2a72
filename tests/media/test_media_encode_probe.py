from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from media_helpers import MakeClip, sweep_frames, tone

from avpe_desktop.media.encode import VideoWriter, rgb_to_yuv420, write_video
from avpe_desktop.media.ffmpeg import FFMPEG_ENV, FFmpegError, MediaError, ffmpeg_exe, run_ffmpeg
from avpe_desktop.media.probe import probe, read_frame


def test_round_trip_reports_what_was_written(make_clip: MakeClip) -> None:
    info = probe(make_clip("a.mp4", size=(192, 108), seconds=2.0))
    assert (info.width, info.height, info.fps, info.frame_count) == (192, 108, 24.0, 48)
    assert info.video_codec == "h264" and info.pixel_format == "yuv420p"
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48_000, 2)
    assert info.duration == pytest.approx(2.0, abs=0.05)


def test_video_without_audio_has_no_audio_fields(make_clip: MakeClip) -> None:
    info = probe(make_clip("silent.mp4", audio=False))
    assert not info.has_audio
    assert info.audio_codec is info.sample_rate is info.channels is None


def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    """200 frames of 320x240 would be 46 MB if anything kept them; the writer must not."""
    tracemalloc.start()
    try:
        count = write_video(tmp_path / "long.mp4", sweep_frames(320, 240, 200), preset="ultrafast")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200
    assert peak < 8 * 1024 * 1024
    assert probe(tmp_path / "long.mp4").frame_count == 200


def test_yuv420_input_matches_rgb_input(tmp_path: Path) -> None:
    frame = next(sweep_frames(160, 90, 1))
    y, u, v = rgb_to_yuv420(frame)
    i420 = np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(135, 160)
    write_video(tmp_path / "rgb.mp4", [frame] * 3)
    write_video(tmp_path / "yuv.mp4", [i420] * 3, pixel_format="yuv420p")
    a = read_frame(tmp_path / "rgb.mp4").astype(int)
    b = read_frame(tmp_path / "yuv.mp4").astype(int)
    assert np.abs(a - frame).mean() < 2.5
    assert np.abs(a - b).mean() < 1.5


def test_no_frames_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "empty.mp4"
    with pytest.raises(MediaError, match="no frames"):
        write_video(target, [])
    assert list(tmp_path.iterdir()) == []


def test_failed_encode_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"previous")
    with (
        pytest.raises(ValueError, match="expected frames like"),
        VideoWriter(target, audio=tone(1.0)) as writer,
    ):
        writer.write(np.zeros((64, 64, 3), np.uint8))
        writer.write(np.zeros((32, 32, 3), np.uint8))
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


def test_odd_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "odd.mp4", [np.zeros((65, 64, 3), np.uint8)])


def test_ffmpeg_errors_carry_stderr(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(["-i", tmp_path / "missing.mp4", "-f", "null", "-"], what="testing")
    assert "testing" in str(caught.value)
    assert "missing.mp4" in caught.value.stderr_tail


def test_ffmpeg_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(FFMPEG_ENV, str(tmp_path / "nope"))
    with pytest.raises(MediaError, match=FFMPEG_ENV):
        ffmpeg_exe()
    monkeypatch.delenv(FFMPEG_ENV)
    assert Path(ffmpeg_exe()).is_file()
