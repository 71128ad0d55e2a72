"""Reframing a video to another aspect ratio (16:9 <-> 9:16, 1:1, 4:5) for social exports.

Veo renders 16:9 and 9:16 only. `crop` cuts the target ratio out of every frame around the
character: spectral-residual saliency (Hou & Zhang 2007) on a small grey copy of the frame
finds what stands out from the scene, its weighted centroid is smoothed over about a second
so the virtual camera glides instead of jittering, and the crop window follows it within the
frame. `pad` keeps the whole frame, centred on a blurred, enlarged copy of itself. The audio
is copied untouched in both.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from avpe_desktop.domain import AspectRatio
from avpe_desktop.domain.settings import ReframeMode
from avpe_desktop.media.encode import DEFAULT_CRF, DEFAULT_PRESET
from avpe_desktop.media.ffmpeg import MediaError, open_ffmpeg, run_ffmpeg
from avpe_desktop.media.probe import VideoInfo, iter_frames, probe
from avpe_desktop.storage.atomic import atomic_output

_ANALYSIS_WIDTH = 96
_SMOOTH_SECONDS = 1.0


def _ratio(aspect: AspectRatio | str) -> float:
    width, height = (int(part) for part in AspectRatio(aspect).value.split(":"))
    return width / height


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def crop_size(source: tuple[int, int], aspect: AspectRatio | str) -> tuple[int, int]:
    """The largest window of the target ratio inside the source frame (even sides)."""
    width, height = source
    ratio = _ratio(aspect)
    if width / height > ratio:
        return min(width, _even(height * ratio)), height
    return width, min(height, _even(width / ratio))


def pad_size(source: tuple[int, int], aspect: AspectRatio | str) -> tuple[int, int]:
    """The smallest canvas of the target ratio that holds the whole source frame."""
    width, height = source
    ratio = _ratio(aspect)
    if width / height > ratio:
        return width, _even(width / ratio)
    return _even(height * ratio), height


def saliency_centroid(frame: np.ndarray) -> tuple[float, float]:
    """Where the subject is, as fractions of width and height, from spectral-residual
    saliency: the parts of the image its smooth log spectrum does not explain."""
    height, width = frame.shape[:2]
    small_h = max(8, round(_ANALYSIS_WIDTH * height / width))
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (_ANALYSIS_WIDTH, small_h), interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(grey.astype(np.float32))
    log_amplitude = np.log(np.abs(spectrum) + 1e-6)
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3))
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = cv2.GaussianBlur(saliency.astype(np.float32), (0, 0), 2.5)
    weights = np.where(saliency > np.percentile(saliency, 90), saliency, 0.0)
    total = float(weights.sum())
    if total <= 0:
        return 0.5, 0.5
    ys, xs = np.indices(weights.shape)
    cx = float((weights * xs).sum() / total + 0.5) / weights.shape[1]
    cy = float((weights * ys).sum() / total + 0.5) / weights.shape[0]
    return cx, cy


def subject_path(path: str | os.PathLike[str], info: VideoInfo | None = None) -> np.ndarray:
    """Per-frame (x, y) subject centres in pixels, smoothed over about a second."""
    info = info or probe(path)
    centres = [saliency_centroid(frame) for frame in iter_frames(path, info=info)]
    if not centres:
        raise MediaError(f"{Path(path).name} has no frames to reframe")
    points = np.array(centres, dtype=np.float64) * np.array([info.width, info.height])
    window = max(1, round(info.fps * _SMOOTH_SECONDS) | 1)
    padded = np.pad(points, ((window // 2, window // 2), (0, 0)), mode="edge")
    kernel = np.ones(window) / window
    return np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in (0, 1)], axis=1)


def crop_windows(centres: np.ndarray, source: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Top-left corners of the crop for each centre, kept inside the frame."""
    width, height = source
    cw, ch = size
    x = np.clip(np.round(centres[:, 0] - cw / 2), 0, width - cw)
    y = np.clip(np.round(centres[:, 1] - ch / 2), 0, height - ch)
    return np.stack([x, y], axis=1).astype(int)


def reframe_video(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    aspect: AspectRatio | str,
    *,
    mode: ReframeMode = "crop",
) -> Path:
    """Writes `src` reframed to `aspect` at `out` (atomically) and returns `out`."""
    info = probe(src)
    with atomic_output(out) as tmp:
        if mode == "pad":
            _pad(info, tmp, pad_size(info.size, aspect))
        else:
            _crop(info, tmp, crop_size(info.size, aspect))
    return Path(out)


def _encode_args() -> list[str | os.PathLike[str]]:
    return [
        "-map",
        "1:a:0?",
        "-c:v",
        "libx264",
        "-preset",
        DEFAULT_PRESET,
        "-crf",
        str(DEFAULT_CRF),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "copy",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "-y",
    ]


def _crop(info: VideoInfo, out: Path, size: tuple[int, int]) -> None:
    corners = crop_windows(subject_path(info.path, info), info.size, size)
    cw, ch = size
    args: list[str | os.PathLike[str]] = [
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{cw}x{ch}",
        "-r",
        f"{info.fps:g}",
        "-i",
        "pipe:0",
        "-i",
        info.path,
        "-map",
        "0:v:0",
        *_encode_args(),
        out,
    ]
    with open_ffmpeg(args, what=f"reframing {info.path.name}", stdin=True) as proc:
        assert proc.stdin is not None
        for i, frame in enumerate(iter_frames(info.path, info=info)):
            x, y = corners[min(i, len(corners) - 1)]
            window = np.ascontiguousarray(frame[y : y + ch, x : x + cw])
            proc.stdin.write(window.data.cast("B"))


def _pad(info: VideoInfo, out: Path, size: tuple[int, int]) -> None:
    width, height = size
    graph = (
        f"[0:v]scale={width}:{height}:force_original_aspect_ratio=increase,"
        f"crop={width}:{height},boxblur=24:2,eq=brightness=-0.08[bg];"
        f"[bg][0:v]overlay=({width}-w)/2:({height}-h)/2,setsar=1[v]"
    )
    run_ffmpeg(
        [
            "-i",
            info.path,
            "-i",
            info.path,
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            *_encode_args(),
            out,
        ],
        what=f"reframing {info.path.name}",
    )
