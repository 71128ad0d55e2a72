"""Songs for the soundtrack tests, made by the app's own ffmpeg from its test sources (a
tone, silence), in each format a creator may bring."""

from __future__ import annotations

from pathlib import Path

from avpe_desktop.media.ffmpeg import run_ffmpeg

FORMAT_ENCODERS = {
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "96k"],
    ".wav": ["-c:a", "pcm_s16le"],
    ".m4a": ["-c:a", "aac", "-b:a", "96k"],
    ".ogg": ["-c:a", "libvorbis"],
    ".opus": ["-c:a", "libopus", "-b:a", "64k"],
    ".flac": ["-c:a", "flac"],
}
"""Each accepted format with the encoder that makes it."""


def make_song(
    path: Path,
    seconds: float = 2.0,
    *,
    rate: int = 44_100,
    channels: int = 2,
    silent: bool = False,
    codec_args: list[str] | None = None,
) -> Path:
    """A tone (or digital silence) of `seconds`, encoded as `path`'s extension says."""
    source = (
        f"anullsrc=r={rate}:cl={'stereo' if channels == 2 else 'mono'}"
        if silent
        else f"sine=frequency=330:sample_rate={rate}"
    )
    args = codec_args if codec_args is not None else FORMAT_ENCODERS[path.suffix]
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", source, "-t", str(seconds), "-ac", str(channels), *args, path],
        what=f"making {path.name}",
    )
    return path


def video_packets(path: Path) -> bytes:
    """The video stream's packets as they are stored: equal bytes mean a bit-for-bit copy."""
    return run_ffmpeg(["-i", path, "-map", "0:v", "-c", "copy", "-f", "h264", "-"]).stdout
