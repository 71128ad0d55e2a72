"""Cutting clips on the beat: out points on beats, never more than a beat trimmed, never
lengthened, a clip count that fits the song, and the music leaving with the last cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from music_helpers import drum_loop, write_song

from avpe_desktop.media.beats import analyse_song
from avpe_desktop.pipeline.beat_cuts import plan_beat_cuts, segments_for_song

VEO_LENGTHS = (4.0, 6.0, 8.0)


def _beats(bpm: float, seconds: float, first: float = 0.23) -> list[float]:
    return [float(t) for t in np.arange(first, seconds, 60.0 / bpm)]


def _local_period(beats: list[float], cut: float) -> float:
    i = int(np.argmin(np.abs(np.array(beats) - cut)))
    return beats[i + 1] - beats[i] if i + 1 < len(beats) else beats[i] - beats[i - 1]


def _check_on_beat(clips: list[float], beats: list[float], crossfade: float) -> None:
    plan = plan_beat_cuts(clips, beats, song_length=beats[-1] + 1.0, crossfade=crossfade)
    start = 0.0
    for duration, trim, cut in zip(clips, plan.trims, plan.cut_times, strict=True):
        assert min(abs(b - cut) for b in beats) < 1e-3
        assert 0.0 <= trim < _local_period(beats, cut) + 1e-3
        assert cut == pytest.approx(start + duration - trim, abs=1e-3)
        start = cut - crossfade
    assert plan.video_length == plan.cut_times[-1]


@pytest.mark.parametrize("crossfade", [0.0, 0.5])
def test_random_edits_cut_on_beats_trimming_less_than_a_beat(crossfade: float) -> None:
    rng = np.random.default_rng(14)
    for _ in range(200):
        bpm = float(rng.uniform(60, 180))
        clips = [float(d) for d in rng.choice(VEO_LENGTHS, size=int(rng.integers(1, 12)))]
        beats = _beats(bpm, sum(clips) + 10.0, first=float(rng.uniform(0, 0.5)))
        _check_on_beat(clips, beats, crossfade)


def test_clip_ending_on_a_beat_keeps_its_length() -> None:
    plan = plan_beat_cuts([4.0, 4.0], _beats(120, 20.0, first=0.0), song_length=20.0)
    assert plan.trims == (0.0, 0.0)
    assert plan.cut_times == (4.0, 8.0)


def test_tempo_change_trims_by_the_local_beat() -> None:
    beats = _beats(100, 20.0) + [20.0 + t for t in _beats(130, 20.0, first=0.0)]
    _check_on_beat([8.0, 6.0, 8.0, 8.0, 4.0], beats, crossfade=0.0)


def test_cuts_fall_on_the_beats_of_a_real_song(tmp_path: Path) -> None:
    truth, samples = drum_loop(124, 40.0)
    analysis = analyse_song(write_song(samples, tmp_path / "loop.ogg"))
    count = segments_for_song(analysis.length, analysis.beat_period, 8.0)

    plan = plan_beat_cuts([8.0] * count, analysis.beat_times, analysis.length)

    assert count == 5
    for cut in plan.cut_times:
        assert min(abs(b - cut) for b in analysis.beat_times) <= 0.030
        assert float(np.min(np.abs(truth - cut))) <= 0.030
    assert all(t < analysis.beat_period + 0.03 for t in plan.trims)
    assert plan.video_length <= analysis.length
    assert plan.music_short_by == 0.0
    assert plan.music_fade_out == pytest.approx(4 * analysis.beat_period, abs=0.03)


@pytest.mark.parametrize("crossfade", [0.0, 0.5])
@pytest.mark.parametrize("clip_seconds", VEO_LENGTHS)
@pytest.mark.parametrize("song_length", [30.0, 61.0, 180.0])
def test_segment_count_fits_the_song(
    song_length: float, clip_seconds: float, crossfade: float
) -> None:
    beats = _beats(117, song_length)
    count = segments_for_song(song_length, 60.0 / 117, clip_seconds, crossfade)

    plan = plan_beat_cuts([clip_seconds] * count, beats, song_length, crossfade)

    assert song_length - clip_seconds - 60.0 / 117 < plan.video_length <= song_length
    assert plan.music_short_by == 0.0


def test_song_shorter_than_one_clip() -> None:
    beats = _beats(120, 3.0)
    assert segments_for_song(3.0, 0.5, 8.0) == 1

    plan = plan_beat_cuts([8.0], beats, song_length=3.0)

    assert plan.trims == (0.0,)
    assert plan.video_length == 8.0
    assert plan.music_short_by == 5.0


def test_crossfade_longer_than_a_clip_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than the 4 s crossfade"):
        plan_beat_cuts([8.0, 4.0], _beats(120, 20.0), 20.0, crossfade=4.0)
    with pytest.raises(ValueError, match="at least one clip"):
        plan_beat_cuts([], _beats(120, 20.0), 20.0)
