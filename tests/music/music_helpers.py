"""Synthetic songs at known tempos for the beat tests: click tracks and a drum loop, written to
audio files by ffmpeg so the analysis reads them the way it reads a creator's song."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avpe_desktop.media.ffmpeg import open_ffmpeg

RATE = 44_100


def _hit(freq: float, seconds: float, decay: float, noise: bool = False) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    body = (
        np.random.default_rng(7).uniform(-1, 1, t.size) if noise else np.sin(2 * np.pi * freq * t)
    )
    return (body * np.exp(-decay * t)).astype(np.float32)


def _kick() -> np.ndarray:
    """A drum machine's kick: a pitch falling from 150 to 50 Hz, led by the beater's click."""
    t = np.arange(round(0.25 * RATE)) / RATE
    phase = 2 * np.pi * (50.0 * t + 100.0 * (1 - np.exp(-t * 30.0)) / 30.0)
    body = np.sin(phase) * np.exp(-12.0 * t)
    click = _hit(0.0, 0.005, 600.0, noise=True)
    return (body + np.pad(click, (0, t.size - click.size)) * 0.5).astype(np.float32)


def click_times(bpm: float, seconds: float, first: float = 0.5) -> np.ndarray:
    """Where the clicks of a steady track fall (the last one well before the end)."""
    return np.arange(first, seconds - 0.1, 60.0 / bpm)


def place(hits: list[tuple[float, np.ndarray]], seconds: float) -> np.ndarray:
    """Mixes each sound in at its time, into `seconds` of silence."""
    song = np.zeros(round(seconds * RATE), np.float32)
    for at, sound in hits:
        i = round(at * RATE)
        part = sound[: song.size - i]
        song[i : i + part.size] += part
    return song


def click_track(times: np.ndarray, seconds: float, level: float = 0.5) -> np.ndarray:
    click = _hit(1000.0, 0.03, 250.0) * level
    return place([(t, click) for t in times], seconds)


def drum_loop(bpm: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Kick on every beat, snare on 2 and 4, hats on the off-beats: the true beats and the song."""
    beats = click_times(bpm, seconds)
    kick = _kick() * 0.8
    snare = _hit(0.0, 0.15, 30.0, noise=True) * 0.4
    hat = _hit(0.0, 0.04, 120.0, noise=True) * 0.08
    period = 60.0 / bpm
    hits: list[tuple[float, np.ndarray]] = []
    for n, t in enumerate(beats):
        hits.append((t, kick + np.pad(snare, (0, kick.size - snare.size)) * (n % 2)))
        hits.append((t + period / 2, hat))
    return beats, place(hits, seconds)


def write_song(samples: np.ndarray, path: Path) -> Path:
    """Encodes mono float samples with the codec the file name implies (WAV, OGG, MP3...)."""
    args = ["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "-", "-y", str(path)]
    with open_ffmpeg(args, what="writing a test song", stdin=True) as proc:
        assert proc.stdin is not None
        proc.stdin.write(samples.astype("<f4").tobytes())
    return path
