"""Tempo, beats and energy found in synthetic songs whose true beats are known."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from music_helpers import RATE, click_times, click_track, drum_loop, write_song

from avpe_desktop.media.beats import MusicAnalysis, MusicAnalysisError, analyse_song
from avpe_desktop.media.ffmpeg import run_ffmpeg

BEAT_TOLERANCE = 0.030


def _worst_miss(found: tuple[float, ...], truth: np.ndarray) -> float:
    return max(float(np.min(np.abs(truth - t))) for t in found)


@pytest.mark.parametrize(
    ("bpm", "suffix"), [(72, ".wav"), (120, ".ogg"), (128, ".wav"), (150, ".ogg")]
)
def test_click_track_tempo_and_beats(tmp_path: Path, bpm: int, suffix: str) -> None:
    truth = click_times(bpm, 30.0)
    song = write_song(click_track(truth, 30.0), tmp_path / f"clicks{suffix}")

    analysis = analyse_song(song)

    assert analysis.tempo_bpm == pytest.approx(bpm, rel=0.02)
    assert analysis.length == pytest.approx(30.0, abs=0.05)
    assert len(analysis.beat_times) >= len(truth) - 2
    assert _worst_miss(analysis.beat_times, truth) <= BEAT_TOLERANCE


@pytest.mark.parametrize("bpm", [95, 140])
def test_drum_loop_tempo_and_beats(tmp_path: Path, bpm: int) -> None:
    truth, samples = drum_loop(bpm, 24.0)
    analysis = analyse_song(write_song(samples, tmp_path / "loop.ogg"))

    assert analysis.tempo_bpm == pytest.approx(bpm, rel=0.02)
    assert _worst_miss(analysis.beat_times, truth) <= BEAT_TOLERANCE


def test_tempo_change_is_followed(tmp_path: Path) -> None:
    slow = click_times(100, 20.0)
    fast = 20.0 + click_times(130, 20.0, first=0.0)
    truth = np.concatenate([slow, fast])
    analysis = analyse_song(write_song(click_track(truth, 40.0), tmp_path / "change.wav"))

    found = np.array(analysis.beat_times)
    for part, bpm in ((found[found < 18.0], 100), (found[found > 22.0], 130)):
        assert 60.0 / float(np.median(np.diff(part))) == pytest.approx(bpm, rel=0.02)
        assert _worst_miss(tuple(part), truth) <= BEAT_TOLERANCE
    assert analysis.tempo_bpm in (pytest.approx(100, rel=0.02), pytest.approx(130, rel=0.02))


def test_energy_sections_follow_loudness(tmp_path: Path) -> None:
    truth = click_times(120, 36.0)
    quiet_intro, chorus, verse = (
        truth[truth < 12.0],
        truth[(truth >= 12) & (truth < 24)],
        truth[truth >= 24],
    )
    samples = (
        click_track(quiet_intro, 36.0, level=0.03)
        + click_track(chorus, 36.0, level=0.6)
        + click_track(verse, 36.0, level=0.3)
    )
    analysis = analyse_song(write_song(samples, tmp_path / "build.wav"))

    def energy_at(second: float) -> str:
        return next(s.energy for s in analysis.sections if s.start <= second < s.end)

    assert [energy_at(6.0), energy_at(18.0), energy_at(30.0)] == ["low", "high", "medium"]
    assert analysis.sections[0].start == 0.0
    assert analysis.sections[-1].end == analysis.length
    assert all(a.end == b.start for a, b in itertools.pairwise(analysis.sections))


def test_analysis_round_trips_through_json(tmp_path: Path) -> None:
    _, samples = drum_loop(110, 12.0)
    analysis = analyse_song(write_song(samples, tmp_path / "loop.wav"))

    assert MusicAnalysis.from_json(analysis.to_json()) == analysis
    assert analysis.beat_period == pytest.approx(60.0 / analysis.tempo_bpm)


@pytest.mark.parametrize(
    "damaged",
    ["", "{}", '{"length": 3, "tempo_bpm": 120, "beat_times": [], "sections": [{"energy": 1}]}'],
)
def test_a_damaged_saved_analysis_is_refused(damaged: str) -> None:
    with pytest.raises(ValueError, match="not a saved music analysis"):
        MusicAnalysis.from_json(damaged)


def test_silence_is_refused_in_words(tmp_path: Path) -> None:
    song = write_song(np.zeros(44_100 * 5, np.float32), tmp_path / "quiet.wav")
    with pytest.raises(MusicAnalysisError, match=r"quiet\.wav: the song is silent"):
        analyse_song(song)


def test_not_audio_is_refused_in_words(tmp_path: Path) -> None:
    fake = tmp_path / "song.mp3"
    fake.write_bytes(b"this is a text file, not a song")
    with pytest.raises(
        MusicAnalysisError, match=r"song\.mp3 could not be read as audio: it is damaged"
    ):
        analyse_song(fake)


def test_a_video_without_sound_is_refused_in_words(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=red:s=64x64:d=1", video])
    with pytest.raises(
        MusicAnalysisError, match=r"clip\.mp4 could not be read as audio: it has no sound"
    ):
        analyse_song(video)


def test_librosa_loads_only_when_a_song_is_analysed() -> None:
    code = (
        "import sys, avpe_desktop.media.beats, avpe_desktop.pipeline.beat_cuts; "
        "print('librosa' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_song_without_rhythm_is_refused_in_words(tmp_path: Path) -> None:
    seconds = np.arange(10 * RATE) / RATE
    hum = (0.3 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)
    with pytest.raises(MusicAnalysisError, match=r"hum\.wav: no steady beat was found"):
        analyse_song(write_song(hum, tmp_path / "hum.wav"))


def test_an_empty_audio_file_is_refused_in_words(tmp_path: Path) -> None:
    empty = write_song(np.zeros(0, np.float32), tmp_path / "empty.wav")
    with pytest.raises(MusicAnalysisError, match=r"empty\.wav holds no sound"):
        analyse_song(empty)
