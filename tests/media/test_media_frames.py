from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from media_helpers import MakeClip, sweep_frames

from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.probe import extract_last_frame, iter_frames, probe, read_frame


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_first_last_and_indexed_frames(make_clip: MakeClip) -> None:
    path = make_clip("clip.mp4", seconds=2.0)
    expected = list(sweep_frames(192, 108, 48))
    assert _mad(read_frame(path, "first"), expected[0]) < 3
    assert _mad(read_frame(path, 0), expected[0]) < 3
    assert _mad(read_frame(path, 17), expected[17]) < 3
    assert _mad(read_frame(path, "last"), expected[-1]) < 3
    assert _mad(read_frame(path, -1), expected[-1]) < 3
    # Neighbouring frames differ, so these checks would catch an off-by-one.
    assert _mad(read_frame(path, "last"), expected[-2]) > 3
    with pytest.raises(IndexError):
        read_frame(path, 48)


def test_iter_frames_streams_every_frame(make_clip: MakeClip) -> None:
    path = make_clip("clip.mp4", seconds=1.5)
    frames = iter_frames(path)
    first = next(frames)
    assert first.shape == (108, 192, 3) and first.dtype == np.uint8
    assert 1 + sum(1 for _ in frames) == 36
    tail = list(iter_frames(path, from_end=0.5))
    assert 10 <= len(tail) <= 14


def test_extract_last_frame_writes_a_png(make_clip: MakeClip, tmp_path: Path) -> None:
    path = make_clip("clip.mp4")
    out = extract_last_frame(path, tmp_path / "frames" / "last.png")
    png = cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)
    assert _mad(png, read_frame(path, "last")) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "not a readable video"), (b"\x00not a video" * 500, "not a readable video")],
)
def test_bad_files_give_clear_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=expected) as caught:
        probe(path)
    assert "bad.mp4" in str(caught.value)


def test_truncated_file_is_corrupt(make_clip: MakeClip, tmp_path: Path) -> None:
    data = make_clip("whole.mp4", seconds=2.0).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(MediaError, match=r"cut\.mp4"):
        probe(cut)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        read_frame(tmp_path / "nope.mp4")
