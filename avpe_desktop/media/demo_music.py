"""The offline demo's music: a short loop synthesised here, so it has no licence question and
costs the repository no bytes.

Seven bars of 4/4 at 100 BPM (16.8 s): a kick on every beat, a clap on 2 and 4, a hi-hat on
the eighths, and a C–G–Am–F chord progression with its bass. The tempo is exact and known, so
tests of beat detection and cutting on the beat can check against it.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from avpe_desktop.storage.atomic import atomic_output

DEMO_MUSIC_BPM = 100.0
DEMO_MUSIC_BARS = 7
BEATS_PER_BAR = 4
DEMO_MUSIC_RATE = 44_100
DEMO_MUSIC_SECONDS = DEMO_MUSIC_BARS * BEATS_PER_BAR * 60.0 / DEMO_MUSIC_BPM
DEMO_MUSIC_FILE = "avpe-demo-loop-100bpm.wav"

Signal = npt.NDArray[np.float64]

_BEAT_SECONDS = 60.0 / DEMO_MUSIC_BPM
_CHORDS_HZ = (
    (261.63, 329.63, 392.00),  # C
    (196.00, 246.94, 293.66),  # G
    (220.00, 261.63, 329.63),  # Am
    (174.61, 220.00, 261.63),  # F
)
_PEAK = 0.7
_SEED = 14


def demo_music(folder: Path) -> Path:
    """The loop as a WAV file in `folder` (a cache), written the first time it is asked for."""
    path = folder / DEMO_MUSIC_FILE
    if not path.is_file():
        pcm = np.round(synthesise_demo_loop() * 32767).astype("<i2")
        with atomic_output(path) as tmp, wave.open(str(tmp), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(DEMO_MUSIC_RATE)
            out.writeframes(pcm.tobytes())
    return path


def synthesise_demo_loop() -> npt.NDArray[np.float32]:
    """The loop as float32 stereo samples in [-1, 1], shape (samples, 2); the same every time."""
    total = round(DEMO_MUSIC_SECONDS * DEMO_MUSIC_RATE)
    left = np.zeros(total, np.float64)
    right = np.zeros(total, np.float64)
    noise = np.random.default_rng(_SEED)
    beat = round(_BEAT_SECONDS * DEMO_MUSIC_RATE)
    for index in range(DEMO_MUSIC_BARS * BEATS_PER_BAR):
        start = index * beat
        _add(left, right, start, _kick(), pan=0.0)
        if index % BEATS_PER_BAR in (1, 3):
            _add(left, right, start, _clap(noise), pan=0.1)
        for eighth in (0, beat // 2):
            _add(left, right, start + eighth, _hat(noise), pan=0.4)
    bar = beat * BEATS_PER_BAR
    for index in range(DEMO_MUSIC_BARS):
        chord = _CHORDS_HZ[index % len(_CHORDS_HZ)]
        _add(left, right, index * bar, _pad(chord, bar), pan=-0.2)
        _add(left, right, index * bar, _bass(chord[0] / 2, bar), pan=0.0)
    mix = np.stack([left, right], axis=1)
    peak = float(np.abs(mix).max())
    return (mix * (_PEAK / peak)).astype(np.float32)


def _add(left: Signal, right: Signal, start: int, sound: Signal, pan: float) -> None:
    """Mixes a mono sound in at `start`, panned (-1 left .. 1 right), cut at the loop's end."""
    end = min(len(left), start + len(sound))
    part = sound[: end - start]
    left[start:end] += part * (1 - pan) / 2
    right[start:end] += part * (1 + pan) / 2


def _time(seconds: float) -> Signal:
    return np.arange(round(seconds * DEMO_MUSIC_RATE), dtype=np.float64) / DEMO_MUSIC_RATE


def _kick() -> Signal:
    """A sine that drops from 120 to 45 Hz: the thump that marks each beat."""
    t = _time(0.25)
    pitch = 45 + 75 * np.exp(-t * 30)
    phase = 2 * np.pi * np.cumsum(pitch) / DEMO_MUSIC_RATE
    return 1.6 * np.sin(phase) * np.exp(-t * 14)


def _clap(noise: np.random.Generator) -> Signal:
    t = _time(0.15)
    return 0.5 * noise.standard_normal(len(t)) * np.exp(-t * 30)


def _hat(noise: np.random.Generator) -> Signal:
    t = _time(0.04)
    hiss = noise.standard_normal(len(t))
    return 0.12 * np.diff(hiss, prepend=0.0) * np.exp(-t * 120)


def _pad(chord: tuple[float, ...], samples: int) -> Signal:
    t = np.arange(samples, dtype=np.float64) / DEMO_MUSIC_RATE
    tones: Signal = np.sin(2 * np.pi * np.asarray(chord)[:, None] * t).sum(axis=0)
    return 0.12 * tones * _envelope(t, attack=0.05, release=0.1)


def _bass(hz: float, samples: int) -> Signal:
    t = np.arange(samples, dtype=np.float64) / DEMO_MUSIC_RATE
    return 0.35 * np.sin(2 * np.pi * hz * t) * _envelope(t, attack=0.01, release=0.05)


def _envelope(t: Signal, attack: float, release: float) -> Signal:
    """Ramps in and out so a held note starts and stops without a click."""
    rise: Signal = np.clip(t / attack, 0.0, 1.0)
    fall: Signal = np.clip((t[-1] - t) / release, 0.0, 1.0)
    return rise * fall
