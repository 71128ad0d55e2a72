"""Loudness by ITU-R BS.1770 / EBU R128: measuring what a file delivers, and the filter that
brings a mix to a target without passing a true-peak ceiling.

Platforms turn every upload to their own loudness, so a mix that is too loud is turned down
(and squashed if it peaks) and one that is too quiet sounds weak beside the next video. The
measurement is ffmpeg's `ebur128` with true peak; a peak guess or an RMS would be off by
several dB on music. The levelling is one gain, plus a limiter only where that gain would
push peaks past the ceiling. (ffmpeg's `loudnorm` was tried first: on test mixes of 10 s it
fell back to its dynamic mode even given measured values, and landed 0.7 to 1.1 LU off.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from avpe_desktop.domain.soundtrack import LoudnessPreset
from avpe_desktop.media.ffmpeg import FFmpegError, MediaError, run_ffmpeg

# Integrated loudness under this is silence to BS.1770 (its absolute gate is -70 LUFS).
SILENT_LUFS = -70.0
# BS.1770 measures true peak on the signal oversampled 4x; the limiter works at that rate so
# it catches the peaks between samples that the measurement (and a player's DAC) will see.
_OVERSAMPLED_RATE = 192_000


SOCIAL = LoudnessPreset.SOCIAL.target
PRESETS = {preset.value: preset.target for preset in LoudnessPreset}


PeakKind = Literal["true", "sample"]


@dataclass(frozen=True)
class Loudness:
    """A measurement: integrated loudness (LUFS) and peak (dBTP for a true peak, dBFS for a
    sample peak); -inf for silence."""

    integrated_lufs: float
    peak_db: float
    peak_kind: PeakKind


_SUMMARY = re.compile(r"Summary:(.*)", re.DOTALL)
_INTEGRATED = re.compile(r"I:\s+(-?inf|-?\d+(?:\.\d+)?) LUFS")
_PEAK = re.compile(r"Peak:\s+(-?inf|-?\d+(?:\.\d+)?) dBFS")


def measure_loudness(
    path: str | os.PathLike[str], input_options: Sequence[str] = (), peak: PeakKind = "true"
) -> Loudness:
    """The integrated loudness and peak of the first audio stream of `path`; `input_options`
    describe a raw input (format, rate, channels). A sample peak is a third of the work of a
    true peak (no 4x oversampling), enough where the peak only guides a first try."""
    source = Path(path)
    try:
        result = run_ffmpeg(
            [
                "-nostats",
                *input_options,
                "-i",
                source,
                "-map",
                "0:a:0",
                "-af",
                f"ebur128=peak={peak}:framelog=verbose",
                "-f",
                "null",
                "-",
            ],
            what=f"measuring the loudness of {source.name}",
            loglevel="info",
        )
    except FFmpegError as exc:
        raise MediaError(f"the loudness of {source.name} could not be measured") from exc
    log = result.stderr.decode("utf-8", errors="replace")
    summary = _SUMMARY.search(log)
    integrated = _INTEGRATED.search(summary.group(1)) if summary else None
    peak_level = _PEAK.search(summary.group(1)) if summary else None
    if integrated is None or peak_level is None:
        raise MediaError(f"the loudness of {source.name} could not be measured")
    return Loudness(float(integrated.group(1)), float(peak_level.group(1)), peak)


def leveling_filter(gain_db: float, limit_dbtp: float | None) -> str:
    """The ffmpeg filter that applies `gain_db` and, when `limit_dbtp` is set, holds the
    oversampled peaks under it. The limiter's own make-up gain is off: the loudness is the
    caller's to correct, from a measurement of what came out."""
    gain = f"volume={gain_db:.3f}dB"
    if limit_dbtp is None:
        return gain
    limit = 10 ** (limit_dbtp / 20)
    return (
        f"{gain},aresample={_OVERSAMPLED_RATE},"
        f"alimiter=limit={limit:.5f}:attack=1:release=60:level=false"
    )
