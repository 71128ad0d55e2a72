"""Checking a song a creator offers as a soundtrack, by decoding all of it with ffmpeg.

The extension proves nothing (a renamed video, a half-downloaded file, a WAV of digital
silence all look like songs), so the file is decoded for real in one ffmpeg pass that also
measures its peak level: corruption fails the decode (`-xerror`), and a file whose loudest
sample is barely above zero is silence. The header's duration is read first, so an hours-long
recording is refused before minutes are spent decoding it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from avpe_desktop.input_files import InputFileError, describe_os_error
from avpe_desktop.media.ffmpeg import FFmpegError, run_ffmpeg
from avpe_desktop.media.probe import STREAM_LINE, audio_fields, split_top_level

MAX_SOUNDTRACK_SECONDS = 30 * 60
SILENCE_DBFS = -60.0
"""A peak below this is hiss or dither, not music anyone would hear under a video."""
ACCEPTED_FORMATS = "MP3, WAV, M4A (AAC), OGG (Vorbis or Opus) or FLAC"
AUDIO_SUFFIX_BY_CODEC = {
    "mp3": ".mp3",
    "aac": ".m4a",
    "alac": ".m4a",
    "vorbis": ".ogg",
    "opus": ".opus",
    "flac": ".flac",
}
"""The codecs of the accepted formats, with the extension a copy of such a song gets; WAV's
PCM codecs (`pcm_s16le`, `pcm_f32le`...) are matched by their prefix."""

_HEADER_DURATION = re.compile(r"^\s*Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", re.MULTILINE)
_OUT_TIME_US = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)
_MAX_VOLUME = re.compile(r"max_volume: (-?inf|-?\d+(?:\.\d+)?) dB")


class AudioFileError(InputFileError):
    """The file cannot be a soundtrack; the message says why in a creator's words."""


@dataclass(frozen=True)
class AudioInfo:
    """What the decode found: the song's real length, not its header's claim."""

    path: Path
    duration: float
    channels: int
    sample_rate: int
    codec: str
    peak_dbfs: float

    @property
    def suffix(self) -> str:
        """The extension that names this kind of file."""
        return AUDIO_SUFFIX_BY_CODEC.get(self.codec, ".wav")


def check_audio_file(path: str | Path) -> AudioInfo:
    """The song's facts, or AudioFileError naming what is wrong with it; nothing is written."""
    path = Path(path)
    name = path.name or str(path)
    _check_is_file(path, name)
    header = _read_header(path, name)
    stream = _audio_stream(header, name)
    claimed = _header_duration(header)
    if claimed is not None and claimed > MAX_SOUNDTRACK_SECONDS:
        raise AudioFileError(_too_long(name, claimed))
    return _decode(path, name, stream)


def _check_is_file(path: Path, name: str) -> None:
    try:
        if path.is_dir():
            raise AudioFileError(
                f"'{name}' is a folder, not a song. Choose an audio file inside it."
            )
        if path.stat().st_size == 0:
            raise AudioFileError(f"'{name}' is empty (0 bytes), so it holds no music.")
        with path.open("rb"):
            pass
    except OSError as exc:
        raise AudioFileError(describe_os_error(exc, name)) from exc


def _read_header(path: Path, name: str) -> str:
    """ffmpeg's description of the file, without decoding it (no output is asked for, so
    ffmpeg prints the input and stops with a complaint that is not an error here)."""
    try:
        run_ffmpeg(["-i", path], what=f"reading {name}", loglevel="info")
    except FFmpegError as exc:
        header = exc.stderr_tail
        if "Input #0" not in header:
            raise AudioFileError(_unreadable(name)) from exc
        return header
    raise AudioFileError(_unreadable(name))


def _audio_stream(header: str, name: str) -> dict[str, str | int]:
    for kind, desc in STREAM_LINE.findall(header):
        if kind == "Audio":
            fields = audio_fields(split_top_level(desc))
            codec = str(fields["codec"])
            if codec not in AUDIO_SUFFIX_BY_CODEC and not codec.startswith("pcm_"):
                raise AudioFileError(
                    f"'{name}' holds its sound as {codec}, a kind of audio the app does not "
                    f"take. Save the song as {ACCEPTED_FORMATS} and try again."
                )
            return fields
    raise AudioFileError(
        f"'{name}' has no sound in it, so it cannot be a soundtrack. "
        f"Choose a song saved as {ACCEPTED_FORMATS}."
    )


def _header_duration(header: str) -> float | None:
    match = _HEADER_DURATION.search(header)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _decode(path: Path, name: str, stream: dict[str, str | int]) -> AudioInfo:
    """Decodes the whole song once (stopping just past the length limit, whatever the header
    claimed) and measures its peak."""
    try:
        result = run_ffmpeg(
            [
                "-nostats",
                "-xerror",
                "-i",
                path,
                "-map",
                "0:a:0",
                "-t",
                str(MAX_SOUNDTRACK_SECONDS + 1),
                "-af",
                "volumedetect",
                "-f",
                "null",
                "-progress",
                "pipe:1",
                "-",
            ],
            what=f"decoding {name}",
            loglevel="info",
        )
    except FFmpegError as exc:
        raise AudioFileError(_unreadable(name)) from exc
    log = result.stderr.decode("utf-8", errors="replace")
    if "partial file" in log:
        raise AudioFileError(_unreadable(name))
    times = _OUT_TIME_US.findall(result.stdout.decode("utf-8", errors="replace"))
    duration = int(times[-1]) / 1e6 if times else 0.0
    if duration > MAX_SOUNDTRACK_SECONDS:
        raise AudioFileError(_too_long(name, duration))
    peaks = _MAX_VOLUME.findall(log)
    if duration <= 0 or not peaks:
        raise AudioFileError(f"'{name}' holds no sound at all (0 seconds of audio).")
    peak = float(peaks[-1])
    if peak < SILENCE_DBFS:
        loudest = "no sound at all" if math.isinf(peak) else f"its loudest moment is {peak:.0f} dB"
        raise AudioFileError(
            f"'{name}' is silent from start to end ({loudest}), so there is no music to lay "
            "under the video. Choose another song."
        )
    return AudioInfo(
        path=path,
        duration=duration,
        channels=int(stream["channels"]),
        sample_rate=int(stream["rate"]),
        codec=str(stream["codec"]),
        peak_dbfs=peak,
    )


def _unreadable(name: str) -> str:
    """ffmpeg's own words ("Invalid data found when processing input") stay on the chained
    FFmpegError for the log; a creator only needs to know the file will not play."""
    return (
        f"'{name}' cannot be played as a song: it is damaged or not an audio file. "
        f"Choose a song saved as {ACCEPTED_FORMATS}."
    )


def _too_long(name: str, seconds: float) -> str:
    return (
        f"'{name}' lasts {_minutes(seconds)}; a soundtrack can last up to "
        f"{MAX_SOUNDTRACK_SECONDS // 60} minutes. Cut the song shorter and try again."
    )


def _minutes(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"
