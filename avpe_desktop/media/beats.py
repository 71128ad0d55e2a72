"""Tempo, beats and energy of a song, for cutting a music video on the beat and for telling a
script writer how the song moves.

librosa does the listening; ffmpeg does the decoding (to a mono float array) because it reads
every format a creator drops (MP3, M4A, Opus...) without depending on which of librosa's own
backends happen to be installed. librosa (with numba and scipy behind it) is imported inside the
functions: the first screen of the app never needs it.

The result is a frozen `MusicAnalysis` that round-trips through JSON, so it can be cached beside
the song and handed to a writer as it is.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt

from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.pcm import read_pcm

SAMPLE_RATE = 22050
# 11.6 ms frames at 22050 Hz: librosa's default of 512 samples (23 ms) leaves too little room
# under the 30 ms a cut may miss its beat by.
_HOP = 256
BEATS_PER_BAR = 4
# Quieter than this (peak, dBFS) there is no song to cut to, only noise or a muted file.
_SILENCE_DB = -60.0
# A bar this far below the song's loudest bar is "low", within the first margin "high".
_HIGH_WITHIN_DB = 4.0
_LOW_BELOW_DB = 10.0
# Intervals further than this from the median belong to another tempo (or a missed beat) and
# would bias the song's main tempo.
_STEADY_INTERVAL_TOLERANCE = 0.05

Energy = Literal["low", "medium", "high"]
FloatArray = npt.NDArray[np.float32]


class MusicAnalysisError(MediaError):
    """A song that cannot be analysed (silent, no beat, unreadable); the message says why."""


@dataclass(frozen=True)
class EnergySection:
    """A stretch of whole bars at one energy level, so a writer can pace scenes to the song."""

    start: float
    end: float
    energy: Energy


@dataclass(frozen=True)
class MusicAnalysis:
    """What a song offers a music video. Times are seconds from the start of the song."""

    length: float
    tempo_bpm: float
    beat_times: tuple[float, ...]
    sections: tuple[EnergySection, ...]

    @property
    def beat_period(self) -> float:
        """Seconds per beat at the song's main tempo."""
        return 60.0 / self.tempo_bpm

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> MusicAnalysis:
        """Raises ValueError for anything but a saved analysis (a damaged cache is analysed
        again rather than trusted)."""
        try:
            data: dict[str, Any] = json.loads(text)
            sections = tuple(
                EnergySection(float(s["start"]), float(s["end"]), _energy(s["energy"]))
                for s in data["sections"]
            )
            return cls(
                length=float(data["length"]),
                tempo_bpm=float(data["tempo_bpm"]),
                beat_times=tuple(float(t) for t in data["beat_times"]),
                sections=sections,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a saved music analysis ({exc!r})") from exc


def _energy(value: object) -> Energy:
    if value not in get_args(Energy):
        raise ValueError(f"unknown energy {value!r}")
    return cast(Energy, value)


def decode_mono(path: str | os.PathLike[str], sample_rate: int = SAMPLE_RATE) -> FloatArray:
    """The first audio stream of `path` as mono float samples in [-1, 1]."""
    try:
        samples = read_pcm(path, rate=sample_rate, channels=1)[:, 0]
    except MediaError as exc:
        raise MusicAnalysisError(str(exc)) from exc
    if samples.size == 0:
        raise MusicAnalysisError(f"{Path(path).name} holds no sound: its audio is empty.")
    return samples


def analyse_song(path: str | os.PathLike[str]) -> MusicAnalysis:
    """Decodes and analyses a song file; refusals name the file."""
    samples = decode_mono(path)
    try:
        return analyse_samples(samples, SAMPLE_RATE)
    except MusicAnalysisError as exc:
        raise MusicAnalysisError(f"{Path(path).name}: {exc}") from exc


def analyse_samples(samples: FloatArray, sample_rate: int) -> MusicAnalysis:
    """Tempo, beats and energy sections of mono samples.

    The beat tracker follows a tempo that varies over time (librosa's per-frame estimate), so a
    song that speeds up keeps its beats; `tempo_bpm` is the song's main tempo, taken from the
    beats themselves, which is finer than librosa's tempo bins (2 % apart near 120 BPM).
    """
    import librosa

    length = samples.size / sample_rate
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak <= 10 ** (_SILENCE_DB / 20):
        raise MusicAnalysisError(
            "the song is silent (or too quiet to hear), so there is no beat to cut to."
        )
    onset = librosa.onset.onset_strength(y=samples, sr=sample_rate, hop_length=_HOP)
    local_tempo = librosa.feature.tempo(
        onset_envelope=onset, sr=sample_rate, hop_length=_HOP, aggregate=None
    )
    _, beat_frames = librosa.beat.beat_track(
        onset_envelope=onset, sr=sample_rate, hop_length=_HOP, bpm=local_tempo
    )
    beats = librosa.frames_to_time(beat_frames, sr=sample_rate, hop_length=_HOP)
    if beats.size < BEATS_PER_BAR:
        raise MusicAnalysisError(
            "no steady beat was found in the song (it may be too short, or have no rhythm)."
        )
    beat_times = tuple(round(float(t), 4) for t in beats)
    return MusicAnalysis(
        length=round(length, 4),
        tempo_bpm=round(_main_tempo(beats), 2),
        beat_times=beat_times,
        sections=_energy_sections(samples, sample_rate, beat_times, length),
    )


def _main_tempo(beats: npt.NDArray[np.floating[Any]]) -> float:
    intervals = np.diff(beats)
    median = float(np.median(intervals))
    steady = intervals[np.abs(intervals - median) <= median * _STEADY_INTERVAL_TOLERANCE]
    return 60.0 / float(np.mean(steady))


def _energy_sections(
    samples: FloatArray, sample_rate: int, beat_times: tuple[float, ...], length: float
) -> tuple[EnergySection, ...]:
    """Bars (every fourth beat, with the intro before the first beat and the tail after the
    last one as bars of their own) rated against the song's loudest bar, then merged while the
    rating stays the same."""
    bar_starts = [0.0, *beat_times[::BEATS_PER_BAR]]
    edges = sorted({round(t, 4) for t in [*bar_starts, length] if 0.0 <= t <= length})
    bars = [(a, b) for a, b in itertools.pairwise(edges) if b - a > 1e-3]
    levels = [_rms_db(samples[int(a * sample_rate) : int(b * sample_rate)]) for a, b in bars]
    loudest = max(levels)
    sections: list[EnergySection] = []
    for (start, end), level in zip(bars, levels, strict=True):
        energy: Energy = (
            "high"
            if level >= loudest - _HIGH_WITHIN_DB
            else "low"
            if level < loudest - _LOW_BELOW_DB
            else "medium"
        )
        if sections and sections[-1].energy == energy:
            sections[-1] = EnergySection(sections[-1].start, end, energy)
        else:
            sections.append(EnergySection(start, end, energy))
    return tuple(sections)


def _rms_db(samples: FloatArray) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20.0 * float(np.log10(max(rms, 1e-10)))
