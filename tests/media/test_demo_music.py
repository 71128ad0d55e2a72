"""The demo's synthesised loop: its file holds seven bars at exactly 100 BPM, the tempo the
beat tests rely on, and it is the same file every time it is made."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from avpe_desktop.media.demo_music import (
    DEMO_MUSIC_BPM,
    DEMO_MUSIC_RATE,
    DEMO_MUSIC_SECONDS,
    demo_music,
)

HOP = 0.01
"""Seconds per step of the onset envelope: a beat is placed within 10 ms."""


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as song:
        assert (song.getnchannels(), song.getsampwidth()) == (2, 2)
        frames = song.readframes(song.getnframes())
        rate = song.getframerate()
    return np.frombuffer(frames, "<i2").reshape(-1, 2).astype(np.float64) / 32768, rate


def _onset_envelope(mono: np.ndarray, rate: int) -> np.ndarray:
    """How much the energy rises from one short window to the next."""
    hop = round(HOP * rate)
    energy = np.add.reduceat(mono**2, np.arange(0, len(mono), hop))
    return np.maximum(np.diff(energy, prepend=0.0), 0.0)


def test_the_loop_lasts_seven_bars_at_100_bpm(tmp_path: Path) -> None:
    samples, rate = _read_wav(demo_music(tmp_path))
    assert rate == DEMO_MUSIC_RATE
    assert len(samples) / rate == pytest.approx(7 * 4 * 60 / 100, abs=1e-3)
    assert 0.5 < np.abs(samples).max() < 1.0


def test_the_beat_heard_in_the_file_is_100_bpm(tmp_path: Path) -> None:
    samples, rate = _read_wav(demo_music(tmp_path))
    onsets = _onset_envelope(samples.mean(axis=1), rate)
    centred = onsets - onsets.mean()
    autocorrelation = np.correlate(centred, centred, mode="full")[len(centred) - 1 :]
    lags = np.arange(len(autocorrelation)) * HOP
    plausible = (lags >= 60 / 180) & (lags <= 60 / 60)  # tempi from 60 to 180 BPM
    period = lags[plausible][np.argmax(autocorrelation[plausible])]
    assert 60 / period == pytest.approx(DEMO_MUSIC_BPM, abs=1.0)


def test_the_strongest_onsets_fall_on_the_beats(tmp_path: Path) -> None:
    samples, rate = _read_wav(demo_music(tmp_path))
    onsets = _onset_envelope(samples.mean(axis=1), rate)
    reach = round(0.1 / HOP)
    padded = np.pad(onsets, reach)
    neighbourhood = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).max(axis=1)
    peaks = np.flatnonzero((onsets == neighbourhood) & (onsets > 0.2 * onsets.max())) * HOP
    expected = np.arange(int(DEMO_MUSIC_SECONDS * DEMO_MUSIC_BPM / 60)) * 60 / DEMO_MUSIC_BPM
    assert len(peaks) == len(expected)
    assert np.abs(peaks - expected).max() <= 0.02


def test_the_loop_is_made_once_and_the_same_every_time(tmp_path: Path) -> None:
    first = demo_music(tmp_path / "a")
    made_at = first.stat().st_mtime_ns
    assert demo_music(tmp_path / "a").stat().st_mtime_ns == made_at
    assert demo_music(tmp_path / "b").read_bytes() == first.read_bytes()
