"""The in-process MP4 join: its output must decode to exactly the clips' frames and sound,
whatever the layout of the inputs, and anything it cannot join must be refused, not spliced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_helpers import sweep_frames

from avpe_desktop.media import mp4index, mp4join
from avpe_desktop.media.encode import write_video
from avpe_desktop.media.ffmpeg import MediaError, run_ffmpeg
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.mp4index import NotJoinableError, read_movie
from avpe_desktop.media.mp4join import plan_join
from avpe_desktop.media.probe import iter_frames, probe

RATE = 48_000
# 64 frames at 24 fps: 2.667 s, which is 125 AAC frames of 1024 samples exactly, so no clip
# ends in a padded audio frame and a decoder's output can be compared sample for sample.
FRAMES = 64
SIZE = (192, 108)


def _clip(path: Path, number: int, frames: int = FRAMES, preset: str = "veryfast") -> Path:
    t = np.arange(round(frames / 24 * RATE)) / RATE
    pitch = 300 + 150 * number  # each clip its own tone, so a misplaced one is found
    audio = (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)[:, None]
    write_video(path, sweep_frames(*SIZE, frames, shift=40 * number), audio=audio, preset=preset)
    return path


def _pcm(path: Path) -> np.ndarray:
    """The decoded sound as ffmpeg plays it (edit lists applied), mono 16-bit."""
    args = ["-i", path, "-map", "0:a", "-ac", "1", "-f", "s16le", "-"]
    return np.frombuffer(run_ffmpeg(args, what="decoding sound").stdout, np.int16)


def _frames(path: Path) -> list[np.ndarray]:
    return list(iter_frames(path))


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    return [_clip(tmp_path / f"clip{i}.mp4", i) for i in range(3)]


def test_joined_file_plays_exactly_the_clips_one_after_another(
    clips: list[Path], tmp_path: Path
) -> None:
    # One encoder notes a different bitrate in each clip's sample description: the join
    # must see through that, or nothing would ever be joined.
    assert read_movie(clips[0]).tracks[0].stsd != read_movie(clips[1]).tracks[0].stsd
    report = merge_videos(clips, tmp_path / "joined.mp4")
    assert report.method == "copy"
    joined = _frames(report.path)
    originals = [frame for clip in clips for frame in _frames(clip)]
    assert len(joined) == len(originals) == 3 * FRAMES
    assert all(np.array_equal(a, b) for a, b in zip(joined, originals, strict=True))
    sound = _pcm(report.path)
    expected = np.concatenate([_pcm(clip) for clip in clips])
    assert len(sound) == len(expected) == 3 * FRAMES * RATE // 24
    assert np.abs(sound.astype(np.int32) - expected).mean() < 1
    info = probe(report.path)
    assert report.duration == pytest.approx(3 * FRAMES / 24, abs=1e-3)
    assert info.duration == pytest.approx(report.duration, abs=0.03)


def test_index_comes_first_and_each_clip_keeps_its_edit(tmp_path: Path) -> None:
    """Clips of 1 s end in a padded AAC frame and start with priming: one edit per clip
    hides both, while the video, whose edits follow on from each other, keeps one."""
    clips = [_clip(tmp_path / f"c{i}.mp4", i, frames=24) for i in range(3)]
    plan_join(clips).write(tmp_path / "joined.mp4")
    data = (tmp_path / "joined.mp4").read_bytes()
    kinds = [box.kind for box in mp4index.iter_boxes(data, 0, len(data))]
    assert kinds == [b"ftyp", b"moov", b"mdat"]
    sources = [read_movie(clip) for clip in clips]
    joined = read_movie(tmp_path / "joined.mp4")
    for index, track in enumerate(joined.tracks):
        own = [source.tracks[index] for source in sources]
        assert track.samples == sum(t.samples for t in own)
        assert sum(e.duration for e in track.edits) == sum(e.duration for t in own for e in t.edits)
        if track.handler == b"soun":
            starts = np.cumsum([0] + [t.media_duration for t in own[:-1]])
            priming = own[0].edits[0].media_time
            assert priming > 0
            assert [e.media_time for e in track.edits] == [int(s) + priming for s in starts]
        else:
            assert len(track.edits) == 1


def test_clips_with_the_index_at_the_end_join_too(clips: list[Path], tmp_path: Path) -> None:
    late = tmp_path / "late.mp4"
    run_ffmpeg(["-i", clips[1], "-c", "copy", "-y", late], what="remuxing")
    data = late.read_bytes()
    assert [box.kind for box in mp4index.iter_boxes(data, 0, len(data))][-1] == b"moov"
    report = merge_videos([clips[0], late, clips[2]], tmp_path / "joined.mp4")
    assert report.method == "copy"
    joined = _frames(report.path)
    assert np.array_equal(joined[FRAMES], _frames(clips[1])[0])
    assert len(joined) == 3 * FRAMES


def test_offsets_past_4_gib_use_64_bit_tables(
    clips: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge larger than 4 GiB needs 64-bit chunk offsets and a large mdat header; the
    limit is lowered so that a small file takes that path."""
    monkeypatch.setattr(mp4join, "_OFFSET_LIMIT", 10_000)
    plan_join(clips).write(tmp_path / "wide.mp4")
    data = (tmp_path / "wide.mp4").read_bytes()
    assert b"co64" in data and b"stco" not in data
    assert data[data.index(b"mdat") - 4 : data.index(b"mdat")] == b"\0\0\0\1"
    assert all(
        np.array_equal(a, b)
        for a, b in zip(
            _frames(tmp_path / "wide.mp4"),
            [f for clip in clips for f in _frames(clip)],
            strict=True,
        )
    )


def test_clips_encoded_differently_are_not_spliced(tmp_path: Path) -> None:
    first = _clip(tmp_path / "a.mp4", 0, frames=24, preset="veryfast")
    other = _clip(tmp_path / "b.mp4", 1, frames=24, preset="medium")
    with pytest.raises(NotJoinableError, match=r"b\.mp4"):
        plan_join([first, other])


def test_fragmented_and_cut_clips_are_refused(clips: list[Path], tmp_path: Path) -> None:
    fragmented = tmp_path / "fragmented.mp4"
    run_ffmpeg(
        ["-i", clips[0], "-c", "copy", "-movflags", "frag_keyframe+empty_moov", "-y", fragmented],
        what="fragmenting",
    )
    with pytest.raises(NotJoinableError, match="unsupported"):
        plan_join([clips[1], fragmented])
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clips[2].read_bytes()[: clips[2].stat().st_size * 9 // 10])
    with pytest.raises(NotJoinableError, match=r"cut\.mp4"):
        plan_join([clips[0], cut])
    out = tmp_path / "out" / "merged.mp4"
    with pytest.raises(MediaError, match=r"cut\.mp4"):
        merge_videos([clips[0], cut], out)
    assert not out.exists()


def test_dependency_flags_are_kept_only_when_every_clip_has_them(clips: list[Path]) -> None:
    join = plan_join(clips)
    video = [movie.tracks[0] for movie in join.movies]
    for number, track in enumerate(video):
        track.dependencies = bytes([0x10 + number]) * track.samples
    moov = mp4join._joined_moov(join.movies, [0] * len(clips), wide=False)
    flags = moov[moov.index(b"sdtp") + 8 :][: sum(t.samples for t in video)]
    assert flags == b"".join(bytes([0x10 + n]) * t.samples for n, t in enumerate(video))
    video[1].dependencies = None
    assert b"sdtp" not in mp4join._joined_moov(join.movies, [0] * len(clips), wide=False)
