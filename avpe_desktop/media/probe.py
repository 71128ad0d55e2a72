"""What a video file holds, and its frames as RGB arrays, using ffmpeg alone.

The bundled ffmpeg has no ffprobe beside it, so `probe` reads ffmpeg's own description of the
input and then stream-copies the video into the null muxer: that counts the real packets
(a header can claim any duration) and, with `-xerror`, fails on truncated or corrupt data in
about a millisecond per second of video, without decoding. Frames are decoded by piping raw
RGB out of ffmpeg, one frame at a time.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import cv2
import numpy as np

from avpe_desktop.media.ffmpeg import FFmpegError, MediaError, open_ffmpeg, run_ffmpeg
from avpe_desktop.storage.atomic import atomic_write_bytes

FrameIndex = int | Literal["first", "last"]


@dataclass(frozen=True)
class VideoInfo:
    """The facts the merger compares and the UI shows; audio fields are None without audio."""

    path: Path
    duration: float
    fps: float
    width: int
    height: int
    frame_count: int
    video_codec: str
    pixel_format: str
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


_DURATION = re.compile(r"^\s*Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", re.MULTILINE)
STREAM_LINE = re.compile(r"^\s*Stream #\d+:\d+\S*: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})\b")
_RATE = re.compile(r"^(\d+(?:\.\d+)?)(k?) (fps|tbr)$")
_HZ = re.compile(r"^(\d+) Hz$")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "quad": 4, "hexagonal": 6, "octagonal": 8}


def require_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"{p} does not exist or is not a file")
    return p


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describes the first video stream and first audio stream of `path`.

    Raises MediaError for a missing file, a file that is not a video, or corrupt video data.
    """
    p = require_file(path)
    try:
        result = run_ffmpeg(
            [
                "-nostats",
                "-xerror",
                "-i",
                p,
                "-map",
                "0:v:0?",
                "-map",
                "0:a?",
                "-c",
                "copy",
                "-f",
                "null",
                "-progress",
                "pipe:1",
                "-",
            ],
            what=f"reading {p.name}",
            loglevel="info",
        )
    except FFmpegError as exc:
        raise MediaError(
            f"{p.name} is not a readable video: {failure_reason(exc.stderr_tail)}"
        ) from exc
    header = result.stderr.decode("utf-8", errors="replace")
    if "partial file" in header:  # the demuxer met the end of the file mid-stream
        raise MediaError(f"{p.name} is not a readable video: the file is truncated")
    progress = result.stdout.decode("utf-8", errors="replace")
    return _parse(p, header, progress)


_NOISE = ("Task finished", "Terminating thread", "[out#")


def failure_reason(stderr: str) -> str:
    """The last log line that names a problem; the rest of ffmpeg's output (the stream listing,
    the thread shutdown chatter) is noise to a person reading the message."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("[") and "] " in line and not any(n in line for n in _NOISE):
            return line.split("] ", 1)[1]
    return lines[-1] if lines else "unknown error"


def _parse(path: Path, header: str, progress: str) -> VideoInfo:
    video: dict[str, str | int | float] | None = None
    audio: dict[str, str | int] | None = None
    for kind, desc in STREAM_LINE.findall(header):
        fields = split_top_level(desc)
        if kind == "Video" and video is None and "attached pic" not in desc:
            video = _video_fields(fields)
        elif kind == "Audio" and audio is None:
            audio = audio_fields(fields)
    if video is None:
        raise MediaError(f"{path.name} has no video stream")
    frames = [int(v) for v in re.findall(r"^frame=(\d+)$", progress, re.MULTILINE)]
    frame_count = frames[-1] if frames else 0
    if frame_count == 0:
        raise MediaError(f"{path.name} has no video frames (empty or truncated file)")
    fps = float(video["fps"])
    match = _DURATION.search(header)
    if match:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    else:
        duration = frame_count / fps
    return VideoInfo(
        path=path,
        duration=duration,
        fps=fps,
        width=int(video["width"]),
        height=int(video["height"]),
        frame_count=frame_count,
        video_codec=str(video["codec"]),
        pixel_format=str(video["pix_fmt"]),
        audio_codec=None if audio is None else str(audio["codec"]),
        sample_rate=None if audio is None else int(audio["rate"]),
        channels=None if audio is None else int(audio["channels"]),
    )


def split_top_level(desc: str) -> list[str]:
    """Splits ffmpeg's stream description on commas outside parentheses: `yuv420p(tv, bt709)`
    is one field."""
    fields, depth, start = [], 0, 0
    for i, char in enumerate(desc):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            fields.append(desc[start:i].strip())
            start = i + 1
    fields.append(desc[start:].strip())
    return fields


def _video_fields(fields: list[str]) -> dict[str, str | int | float]:
    out: dict[str, str | int | float] = {
        "codec": fields[0].split()[0],
        "pix_fmt": fields[1].split("(")[0].strip() if len(fields) > 1 else "unknown",
    }
    rates: dict[str, float] = {}
    for field in fields[2:]:
        if size := _SIZE.match(field):
            out.setdefault("width", int(size.group(1)))
            out.setdefault("height", int(size.group(2)))
        elif rate := _RATE.match(field):
            value = float(rate.group(1)) * (1000 if rate.group(2) else 1)
            rates[rate.group(3)] = value
    if "width" not in out:
        raise MediaError(f"could not read the frame size from: {', '.join(fields)}")
    out["fps"] = rates.get("fps") or rates.get("tbr") or 0.0
    if not out["fps"]:
        raise MediaError(f"could not read the frame rate from: {', '.join(fields)}")
    return out


def audio_fields(fields: list[str]) -> dict[str, str | int]:
    rate = next((int(m.group(1)) for f in fields if (m := _HZ.match(f))), 0)
    layout = fields[2].split("(")[0].strip() if len(fields) > 2 else ""
    return {"codec": fields[0].split()[0], "rate": rate, "channels": _channels(layout)}


def _channels(layout: str) -> int:
    if layout in _LAYOUT_CHANNELS:
        return _LAYOUT_CHANNELS[layout]
    if match := re.fullmatch(r"(\d+) channels", layout):
        return int(match.group(1))
    if match := re.fullmatch(r"(\d+)\.(\d+)", layout):  # 5.1, 7.1 ...
        return int(match.group(1)) + int(match.group(2))
    return 0


def iter_frames(
    path: str | os.PathLike[str],
    *,
    info: VideoInfo | None = None,
    from_end: float | None = None,
) -> Iterator[np.ndarray]:
    """Yields the video's frames as RGB uint8 arrays, decoding as they are consumed; stopping
    early stops ffmpeg. `from_end` starts that many seconds before the end."""
    p = require_file(path)
    info = info or probe(p)
    yield from _decode(p, info, [], ["-sseof", f"-{from_end:.3f}"] if from_end else [])


def _decode(
    path: Path, info: VideoInfo, filters: list[str], seek: list[str]
) -> Generator[np.ndarray, None, None]:
    args: list[str | os.PathLike[str]] = [
        *seek,
        "-i",
        path,
        "-map",
        "0:v:0",
        *filters,
        "-sws_flags",
        "accurate_rnd+full_chroma_int",
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
    ]
    nbytes = info.width * info.height * 3
    with open_ffmpeg(args, what=f"decoding {path.name}", stdout=True) as proc:
        assert proc.stdout is not None
        while (buffer := _read_exact(proc.stdout, nbytes)) is not None:
            yield np.frombuffer(buffer, np.uint8).reshape(info.height, info.width, 3)


def _read_exact(stream: IO[bytes], nbytes: int) -> bytearray | None:
    buffer = bytearray(nbytes)
    view = memoryview(buffer)
    filled = 0
    while filled < nbytes:
        got = stream.readinto(view[filled:])  # type: ignore[attr-defined]  # Popen's stdout is a BufferedReader, typed only as IO[bytes]
        if not got:
            if filled:
                raise MediaError(f"decoder stopped mid-frame ({filled} of {nbytes} bytes)")
            return None
        filled += got
    return buffer


def read_frame(path: str | os.PathLike[str], index: FrameIndex = "first") -> np.ndarray:
    """One frame as RGB: "first", "last", or an index (negative counts from the end)."""
    p = require_file(path)
    info = probe(p)
    if index == "last":
        # Seeking near the end and keeping the final decoded frame is exact and cheap even
        # for a long merged video; the select filter below would decode all of it.
        tail = collections.deque(
            _decode(p, info, [], ["-sseof", f"-{min(info.duration, 2.0):.3f}"]), maxlen=1
        )
        if tail:
            return tail[0]
        index = -1
    if index == "first":
        index = 0
    if index < 0:
        index += info.frame_count
    if not 0 <= index < info.frame_count:
        raise IndexError(f"{p.name} has {info.frame_count} frames; no frame {index}")
    select = ["-vf", f"select=eq(n\\,{index})", "-frames:v", "1"]
    with contextlib.closing(_decode(p, info, select, [])) as frames:
        frame = next(frames, None)
    if frame is None:
        raise MediaError(f"could not decode frame {index} of {p.name}")
    return frame


def extract_last_frame(path: str | os.PathLike[str], out_png: str | os.PathLike[str]) -> Path:
    """Saves the final frame as a PNG: the next segment's first keyframe when chaining."""
    frame = read_frame(path, "last")
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    if not ok:
        raise MediaError(f"could not encode the last frame of {Path(path).name} as PNG")
    return atomic_write_bytes(out_png, encoded.tobytes())
