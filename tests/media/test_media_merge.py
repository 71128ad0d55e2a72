from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_helpers import MakeClip

from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.probe import iter_frames, probe


def _jumps(path: Path) -> list[float]:
    """Mean absolute change between each pair of consecutive frames."""
    frames = iter_frames(path)
    previous = next(frames).astype(np.int16)
    jumps = []
    for frame in frames:
        current = frame.astype(np.int16)
        jumps.append(float(np.abs(current - previous).mean()))
        previous = current
    return jumps


def test_matching_clips_are_stream_copied(make_clip: MakeClip, tmp_path: Path) -> None:
    clips = [make_clip(f"{i}.mp4", seconds=s) for i, s in enumerate((1.0, 1.5, 1.0))]
    report = merge_videos(clips, tmp_path / "out" / "merged.mp4")
    assert report.method == "copy" and report.clips == 3
    info = probe(report.path)
    assert report.duration == pytest.approx(3.5, abs=0.1)
    assert info.frame_count == 24 + 36 + 24
    assert (info.audio_codec, info.sample_rate) == ("aac", 48_000)


def test_copy_join_has_no_jump(make_clip: MakeClip, tmp_path: Path) -> None:
    """The second clip starts where the first ends (as chained segments do): the frames on
    either side of the join differ no more than neighbouring frames inside a clip."""
    first = make_clip("a.mp4", seconds=1.0)
    second = make_clip("b.mp4", seconds=1.0, shift=23 * 3)  # starts on a's last frame
    jumps = _jumps(merge_videos([first, second], tmp_path / "m.mp4").path)
    inside = max(jumps[:22])
    assert jumps[23] < 3  # the repeated frame: only compression noise
    assert max(jumps[22:25]) <= inside * 1.5


def test_different_sizes_are_reencoded(make_clip: MakeClip, tmp_path: Path) -> None:
    clips = [make_clip("wide.mp4", size=(192, 108)), make_clip("tall.mp4", size=(108, 192))]
    report = merge_videos(clips, tmp_path / "m.mp4")
    assert report.method == "reencode"
    info = probe(report.path)
    assert (info.width, info.height) == (192, 108)
    assert report.duration == pytest.approx(2.0, abs=0.1)
    assert info.audio_codec == "aac"


def test_crossfade_reencodes_and_overlaps(make_clip: MakeClip, tmp_path: Path) -> None:
    clips = [make_clip("a.mp4", seconds=1.5), make_clip("b.mp4", seconds=1.5, shift=33 * 3)]
    report = merge_videos(clips, tmp_path / "m.mp4", crossfade_seconds=0.5)
    assert report.method == "reencode"
    assert report.duration == pytest.approx(2.5, abs=0.1)
    assert max(_jumps(report.path)) < 20


def test_corrupt_input_fails_clearly_and_leaves_nothing(
    make_clip: MakeClip, tmp_path: Path
) -> None:
    good = make_clip("good.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(good.read_bytes()[:2000])
    out_dir = tmp_path / "out"
    with pytest.raises(MediaError, match=r"bad\.mp4"):
        merge_videos([good, bad], out_dir / "merged.mp4")
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_missing_input_names_the_file(make_clip: MakeClip, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"gone\.mp4"):
        merge_videos([make_clip("a.mp4"), tmp_path / "gone.mp4"], tmp_path / "m.mp4")
    with pytest.raises(MediaError, match="no clips"):
        merge_videos([], tmp_path / "m.mp4")
