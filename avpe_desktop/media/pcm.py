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

CHANNELS = 2
RAW_FORMAT = ["-f", "f32le", "-ar", str(DEFAULT_SAMPLE_RATE), "-ac", str(CHANNELS)]


def read_pcm(
    path: str | os.PathLike[str], *, start: float = 0.0, seconds: float | None = None
) -> np.ndarray:
    """The first audio stream of `path` from `start` for `seconds` (to its end when None), as
    (samples, 2) float32 at 48 kHz; empty when `start` is past the end."""
    source = Path(path)
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
                *RAW_FORMAT,
                "-",
            ],
            what=f"reading the sound of {source.name}",
        )
    except FFmpegError as exc:
        raise MediaError(f"the sound of {source.name} could not be read") from exc
    return np.frombuffer(result.stdout, dtype="<f4").reshape(-1, CHANNELS)


def write_pcm(path: Path, pcm: np.ndarray) -> None:
    """Writes PCM as the raw stream `RAW_FORMAT` describes, for ffmpeg to read back."""
    path.write_bytes(np.ascontiguousarray(pcm, dtype="<f4").tobytes())
