"""Laying a soundtrack under a finished video: only the audio is made anew.

The video stream is copied packet for packet from the merged (or reframed) render, so changing
the music of a finished video costs the seconds an audio encode takes, never a re-render. The
song and the clips' own sound are mixed in numpy (offset, gain, fades, the ducking envelope),
the mix is measured and brought to the target loudness by one gain (with a true-peak limiter
only where that gain would pass the ceiling), and what was written is measured again: the AAC
encoder and the limiter both move the result a little, so a miss is corrected and written anew.
"""

from __future__ import annotations

import math
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avpe_desktop.domain.soundtrack import LoudnessTarget
from avpe_desktop.media.ducking import duck_gain
from avpe_desktop.media.encode import DEFAULT_SAMPLE_RATE
from avpe_desktop.media.ffmpeg import MediaError, run_ffmpeg
from avpe_desktop.media.loudness import (
    SILENT_LUFS,
    SOCIAL,
    Loudness,
    leveling_filter,
    measure_loudness,
)
from avpe_desktop.media.pcm import RAW_FORMAT, read_pcm, write_pcm
from avpe_desktop.media.probe import probe
from avpe_desktop.storage.atomic import atomic_output

# At this rate the encoder's "fast" coder is transparent on music and takes half the time of
# its default search, which is most of what a soundtrack export costs.
AUDIO_BITRATE = "192k"
# What the AAC encoder typically adds to the true peak; the limiter aims this far below the
# ceiling, and a written file that still passes it is encoded again with the excess taken off.
_PEAK_MARGIN_DB = 0.5
# A written file within this of the target is done; the promise to the creator is +-1 LU.
_LOUDNESS_TOLERANCE_LU = 0.3
_ATTEMPTS = 4
# Taken off the limit beyond a measured excess, so the next try does not land on the ceiling.
_PEAK_STEP_DB = 0.1


@dataclass(frozen=True)
class MixSettings:
    """How the song sits under the video. Seconds, dB and milliseconds; a positive
    `duck_db` is how far the music dips while the clips' own sound plays."""

    music_start: float = 0.0
    music_gain_db: float = 0.0
    fade_in: float = 0.5
    fade_out: float = 2.0
    keep_clip_audio: bool = True
    duck_db: float = 10.0
    duck_attack_ms: float = 80.0
    duck_release_ms: float = 400.0
    loudness: LoudnessTarget = SOCIAL

    def __post_init__(self) -> None:
        checks = [
            (self.music_start >= 0, "the music cannot start before the beginning of the song"),
            (self.fade_in >= 0 and self.fade_out >= 0, "fades cannot be shorter than zero"),
            (0 <= self.duck_db <= 40, "ducking must dip the music by 0 to 40 dB"),
            (
                self.duck_attack_ms > 0 and self.duck_release_ms > 0,
                "the ducking's attack and release must be longer than zero",
            ),
            (-40 <= self.music_gain_db <= 20, "the music's gain must be between -40 and +20 dB"),
            (self.loudness.true_peak_dbtp <= 0, "the true-peak ceiling must be at or below 0 dBTP"),
        ]
        if any(map(math.isnan, self._numbers())):
            raise ValueError("the mix settings must be numbers")
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def _numbers(self) -> tuple[float, ...]:
        return (
            self.music_start,
            self.music_gain_db,
            self.fade_in,
            self.fade_out,
            self.duck_db,
            self.duck_attack_ms,
            self.duck_release_ms,
        )


@dataclass(frozen=True)
class MixReport:
    """What was written, with the loudness measured on the written file itself."""

    path: Path
    duration: float
    integrated_lufs: float
    true_peak_dbtp: float
    target: LoudnessTarget
    clip_audio: bool


def mix_soundtrack(
    video: str | os.PathLike[str],
    music: str | os.PathLike[str],
    out: str | os.PathLike[str],
    settings: MixSettings | None = None,
) -> MixReport:
    """Writes `out`: the video stream of `video` copied bit for bit, with `music` mixed under
    the clips' own sound and levelled to `settings.loudness`. `out` is replaced only by a
    complete file; `video` and `music` are never touched."""
    settings = settings or MixSettings()
    info = probe(video)
    samples = round(info.duration * DEFAULT_SAMPLE_RATE)
    # Both decodes are ffmpeg processes; side by side they take the time of the longer one.
    with ThreadPoolExecutor(max_workers=2) as pool:
        song_job = pool.submit(read_pcm, music, start=settings.music_start, seconds=info.duration)
        clip_sound = (
            _fit(read_pcm(info.path), samples)
            if info.has_audio and settings.keep_clip_audio
            else None
        )
        song = song_job.result()
    if song.shape[0] == 0:
        raise MediaError(
            f"the song {Path(music).name} ends before {settings.music_start:g} s, "
            "where the music is set to start"
        )
    mix = _music_bed(_fit(song, samples), song.shape[0], settings)
    if clip_sound is not None:
        mix *= duck_gain(
            clip_sound,
            DEFAULT_SAMPLE_RATE,
            settings.duck_db,
            settings.duck_attack_ms,
            settings.duck_release_ms,
        )[:, None]
        mix += clip_sound
    with tempfile.TemporaryDirectory(prefix="avpe-mix-") as work:
        raw = Path(work) / "mix.f32"
        write_pcm(raw, mix)
        with atomic_output(out) as tmp:
            written = _level_and_write(info.path, raw, settings.loudness, tmp)
    return MixReport(
        path=Path(out),
        duration=info.duration,
        integrated_lufs=written.integrated_lufs,
        true_peak_dbtp=written.peak_db,
        target=settings.loudness,
        clip_audio=clip_sound is not None,
    )


def _level_and_write(video: Path, raw: Path, target: LoudnessTarget, out: Path) -> Loudness:
    """Encodes the mix into `out` at the target loudness and returns the measurement of what
    was written. The first try is one gain from the mix's own measurement (and a limiter if
    that gain would pass the ceiling); limiting and the AAC encoder both move the result a
    little, so each further try corrects by what the written file measured. After the last
    try the measurement is returned as it is: the report never claims more than was written."""
    mixed = measure_loudness(raw, RAW_FORMAT, peak="sample")
    if mixed.integrated_lufs <= SILENT_LUFS:
        _encode(video, raw, "anull", out)
        return measure_loudness(out)
    gain = target.integrated_lufs - mixed.integrated_lufs
    limit = target.true_peak_dbtp - _PEAK_MARGIN_DB
    needs_limit = mixed.peak_db + gain > limit
    for _ in range(_ATTEMPTS):
        _encode(video, raw, leveling_filter(gain, limit if needs_limit else None), out)
        written = measure_loudness(out)
        loudness_error = target.integrated_lufs - written.integrated_lufs
        peak_excess = written.peak_db - target.true_peak_dbtp
        if abs(loudness_error) <= _LOUDNESS_TOLERANCE_LU and peak_excess <= 0:
            break
        gain += loudness_error
        if peak_excess > 0:
            needs_limit = True
            limit -= peak_excess + _PEAK_STEP_DB
    return written


def _fit(pcm: np.ndarray, samples: int) -> np.ndarray:
    """`pcm` cut or padded with silence to exactly `samples`, as a writable copy."""
    fitted = np.zeros((samples, pcm.shape[1]), dtype=np.float32)
    length = min(samples, pcm.shape[0])
    fitted[:length] = pcm[:length]
    return fitted


def _music_bed(song: np.ndarray, song_samples: int, settings: MixSettings) -> np.ndarray:
    """The song with its gain and fades: in at the start, out before the video (or the song,
    if it is shorter) ends."""
    end = min(song.shape[0], song_samples)
    envelope = np.full(song.shape[0], 10 ** (settings.music_gain_db / 20), dtype=np.float32)
    fade_in = min(end, round(settings.fade_in * DEFAULT_SAMPLE_RATE))
    envelope[:fade_in] *= np.linspace(0, 1, fade_in, endpoint=False, dtype=np.float32)
    fade_out = min(end, round(settings.fade_out * DEFAULT_SAMPLE_RATE))
    envelope[end - fade_out : end] *= np.linspace(1, 0, fade_out, dtype=np.float32)
    envelope[end:] = 0
    return song * envelope[:, None]


def _encode(video: Path, raw: Path, audio_filter: str, out: Path) -> None:
    run_ffmpeg(
        [
            "-y",
            "-i",
            video,
            *RAW_FORMAT,
            "-i",
            raw,
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "copy",
            "-af",
            audio_filter,
            "-ar",
            str(DEFAULT_SAMPLE_RATE),
            "-c:a",
            "aac",
            "-aac_coder",
            "fast",
            "-b:a",
            AUDIO_BITRATE,
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            out,
        ],
        what=f"writing the soundtrack into {out.name}",
    )
