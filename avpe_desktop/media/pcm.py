"""Sound as float arrays: decoding any audio ffmpeg reads into PCM, and handing PCM back to it.

The soundtrack is mixed in numpy (the ducking envelope is computed, not guessed by a filter),
so both the song and the clips' own sound are decoded to one layout first: 32-bit float,
stereo, 48 kHz, the rate every clip is encoded at.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from avpe_desktop.media.encode import DEFAULT_SAMPLE_RATE
from avpe_desktop.media.ffmpeg import FFmpegError, MediaError, run_ffmpeg
from avpe_desktop.media.probe import failure_reason, require_file

CHANNELS = 2
RAW_FORMAT = ["-f", "f32le", "-ar", str(DEFAULT_SAMPLE_RATE), "-ac", str(CHANNELS)]
"""How the mix is handed to ffmpeg: 32-bit float, stereo, 48 kHz."""


def read_pcm(
    path: str | os.PathLike[str],
    *,
    start: float = 0.0,
    seconds: float | None = None,
    rate: int = DEFAULT_SAMPLE_RATE,
    channels: int = CHANNELS,
) -> np.ndarray:
    """The first audio stream of `path` from `start` for `seconds` (to its end when None), as
    (samples, channels) float32 at `rate` (the mix's layout by default); empty when `start` is
    past the end. A file that cannot be read raises MediaError saying why in words."""
    source = require_file(path)
    window = ["-t", f"{seconds:.6f}"] if seconds is not None else []
    try:
        result = run_ffmpeg(
            [
                "-ss",
                f"{start:.6f}",
                *window,
                "-i",
                source,
                "-map",
                "0:a:0",
                *_raw_format(rate, channels),
                "-",
            ],
            what=f"reading the sound of {source.name}",
        )
    except FFmpegError as exc:
        if "matches no streams" in exc.stderr_tail:
            problem = "it has no sound in it."
        elif "Invalid data found" in exc.stderr_tail:
            problem = "it is damaged, or not an audio file at all."
        else:
            problem = failure_reason(exc.stderr_tail)
        raise MediaError(f"{source.name} could not be read as audio: {problem}") from exc
    return np.frombuffer(result.stdout, dtype="<f4").reshape(-1, channels)


def _raw_format(rate: int, channels: int) -> list[str]:
    return ["-f", "f32le", "-ar", str(rate), "-ac", str(channels)]


def write_pcm(path: Path, pcm: np.ndarray) -> None:
    """Writes PCM as the raw stream `RAW_FORMAT` describes, for ffmpeg to read back."""
    path.write_bytes(np.ascontiguousarray(pcm, dtype="<f4").tobytes())
