"""Streaming MP4 writer: RGB frames in, H.264 + AAC out, with memory flat in the clip's length.

Frames go to ffmpeg's stdin one at a time as they are made, so an 8 s 1080p clip never exists
as an array in memory. The audio (small: seconds of PCM) is known up front and handed to the
same ffmpeg call from a temporary raw file, which keeps the muxing to one process and one pass.
Every file gets the same stream layout (H.264 yuv420p BT.709 + AAC at a fixed rate), which is
what lets clips be merged later by stream copy instead of a re-encode.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import cv2
import numpy as np

from avpe_desktop.media.ffmpeg import MediaError, open_ffmpeg
from avpe_desktop.storage.atomic import atomic_output

DEFAULT_FPS = 24.0
DEFAULT_SAMPLE_RATE = 48_000
DEFAULT_CRF = 20
# veryfast: several times faster than the default "medium"; at CRF 20 the difference in
# quality is hard to see, the files are only somewhat larger. Callers that are encoder-bound
# on purpose (the offline renderer) pass their own.
DEFAULT_PRESET = "veryfast"

PixelFormat = Literal["rgb24", "yuv420p"]

# RGB -> Y'CbCr, BT.709, limited ("tv") range: the matrix every file is tagged with.
_BT709 = np.array(
    [
        [0.2126, 0.7152, 0.0722],
        [-0.2126 / 1.8556, -0.7152 / 1.8556, 0.5],
        [0.5, -0.7152 / 1.5748, -0.0722 / 1.5748],
    ]
) * np.array([[219 / 255], [224 / 255], [224 / 255]])
_RGB_TO_YUV = np.hstack([_BT709, [[16.0], [128.0], [128.0]]]).astype(np.float32)
_SETPARAMS = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"


def rgb_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y (full size), U and V (half size) planes of an RGB image, in the encoder's colour
    space. A renderer that works on these planes feeds `VideoWriter(pixel_format="yuv420p")`
    half the bytes and spares ffmpeg the per-frame colour conversion."""
    height, width = rgb.shape[:2]
    ycc = cv2.transform(rgb, _RGB_TO_YUV)
    half = (width // 2, height // 2)
    u = cv2.resize(ycc[..., 1], half, interpolation=cv2.INTER_AREA)
    v = cv2.resize(ycc[..., 2], half, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(ycc[..., 0]), u, v


class VideoWriter:
    """Context manager that encodes the frames passed to `write` into `path`.

    Frames are RGB uint8 (height, width, 3), or with `pixel_format="yuv420p"` planar I420
    arrays of shape (height * 3 // 2, width) in BT.709 limited range (see `rgb_to_yuv420`).
    The frame size is taken from the first frame. `path` is replaced only when the block
    completes and ffmpeg succeeded; on any failure it is left as it was. `audio` is float32 PCM
    in [-1, 1], shaped (samples,) or (samples, channels); it should last as long as the video.
    `aac_coder` picks ffmpeg's AAC quantiser search: "fast" costs a third of the CPU of the
    default "twoloop", for callers whose sound is simple and whose CPU is short. `threads`
    caps the encoder's threads (ffmpeg picks by default): a caller that keeps the other cores
    busy itself saves x264 the cost of frame threads it cannot use.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float = DEFAULT_FPS,
        *,
        audio: np.ndarray | None = None,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
        crf: int = DEFAULT_CRF,
        preset: str = DEFAULT_PRESET,
        audio_bitrate: str = "160k",
        pixel_format: PixelFormat = "rgb24",
        aac_coder: str | None = None,
        threads: int | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.path = Path(path)
        self.fps = fps
        self.sample_rate = sample_rate
        self.crf = crf
        self.preset = preset
        self.audio_bitrate = audio_bitrate
        self.pixel_format = pixel_format
        self.aac_coder = aac_coder
        self.threads = threads
        self._audio = None if audio is None else _as_pcm(audio)
        self._stack = contextlib.ExitStack()
        self._proc: subprocess.Popen[bytes] | None = None
        self._shape: tuple[int, ...] | None = None
        self.frames_written = 0

    def __enter__(self) -> Self:
        self._stack.__enter__()
        self._tmp_video = self._stack.enter_context(atomic_output(self.path))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        if exc_type is None and self._proc is None:
            # An empty MP4 is not a video: fail, and let atomic_output drop its temporary file.
            error = MediaError(f"{self.path.name}: no frames were written")
            self._stack.__exit__(MediaError, error, None)
            raise error
        return self._stack.__exit__(exc_type, exc, tb)

    def write(self, frame: np.ndarray) -> None:
        """Encodes one frame (see the class docstring for the layouts)."""
        if self._proc is None:
            self._start(frame)
        elif frame.shape != self._shape or frame.dtype != np.uint8:
            raise ValueError(f"expected frames like the first {self._shape}, got {frame.shape}")
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(np.ascontiguousarray(frame).data.cast("B"))
        self.frames_written += 1

    def _start(self, frame: np.ndarray) -> None:
        if self.pixel_format == "rgb24" and frame.ndim == 3 and frame.shape[2] == 3:
            height, width = frame.shape[:2]
            # Convert and tag as BT.709 explicitly, so every player and our own decoder agree
            # on the colours instead of guessing from the frame size.
            video_filter = f"scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,{_SETPARAMS}"
        elif self.pixel_format == "yuv420p" and frame.ndim == 2 and frame.shape[0] % 3 == 0:
            height, width = frame.shape[0] * 2 // 3, frame.shape[1]
            video_filter = _SETPARAMS
        else:
            raise ValueError(f"not a {self.pixel_format} frame: {frame.dtype} {frame.shape}")
        if frame.dtype != np.uint8:
            raise ValueError(f"frames must be uint8, got {frame.dtype}")
        if width % 2 or height % 2:
            raise ValueError(f"H.264 (yuv420p) needs even sizes, got {width}x{height}")
        self._shape = frame.shape
        args: list[str | os.PathLike[str]] = [
            "-f",
            "rawvideo",
            "-pix_fmt",
            self.pixel_format,
            "-s",
            f"{width}x{height}",
            "-framerate",
            f"{self.fps:g}",
            "-i",
            "pipe:0",
        ]
        maps: list[str] = ["-map", "0:v:0"]
        audio_args: list[str] = []
        if self._audio is not None:
            args += [
                "-f",
                "f32le",
                "-ar",
                str(self.sample_rate),
                "-ac",
                str(self._audio.shape[1]),
                "-i",
                self._write_audio_file(),
            ]
            maps += ["-map", "1:a:0"]
            audio_args = ["-c:a", "aac", "-b:a", self.audio_bitrate, "-ar", str(self.sample_rate)]
            if self.aac_coder is not None:
                audio_args += ["-aac_coder", self.aac_coder]
        args += [
            *maps,
            "-vf",
            video_filter,
            "-c:v",
            "libx264",
            "-preset",
            self.preset,
            "-crf",
            str(self.crf),
            *([] if self.threads is None else ["-threads", str(self.threads)]),
            *audio_args,
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            "-y",
            self._tmp_video,
        ]
        self._proc = self._stack.enter_context(
            open_ffmpeg(args, what=f"encoding {self.path.name}", stdin=True)
        )

    def _write_audio_file(self) -> str:
        assert self._audio is not None
        fd, name = tempfile.mkstemp(prefix="avpe-audio-", suffix=".f32")
        self._stack.callback(Path(name).unlink, missing_ok=True)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self._audio.astype("<f4", copy=False).tobytes())
        return name


def _as_pcm(audio: np.ndarray) -> np.ndarray:
    pcm = np.asarray(audio, dtype=np.float32)
    if pcm.ndim == 1:
        pcm = pcm[:, None]
    if pcm.ndim != 2 or pcm.shape[1] not in (1, 2) or pcm.shape[0] == 0:
        raise ValueError(f"audio must be (samples,) or (samples, 1|2) and non-empty: {pcm.shape}")
    return np.clip(pcm, -1.0, 1.0)


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    fps: float = DEFAULT_FPS,
    *,
    audio: np.ndarray | None = None,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    crf: int = DEFAULT_CRF,
    preset: str = DEFAULT_PRESET,
    pixel_format: PixelFormat = "rgb24",
) -> int:
    """Encodes `frames` (any iterable, consumed lazily) into `path`; returns the frame count."""
    with VideoWriter(
        path,
        fps,
        audio=audio,
        sample_rate=sample_rate,
        crf=crf,
        preset=preset,
        pixel_format=pixel_format,
    ) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.frames_written
