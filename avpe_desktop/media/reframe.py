"""Reframing a video to another aspect ratio (16:9 <-> 9:16, 1:1, 4:5) for social exports.

Veo renders 16:9 and 9:16 only. `crop` cuts the target ratio out of every frame around the
character: spectral-residual saliency (Hou & Zhang 2007) on a small grey copy of the frame
finds what stands out from the scene, its weighted centroid is smoothed over about a second
so the virtual camera glides instead of jittering, and the crop window follows it within the
frame. `pad` keeps the whole frame, centred on a blurred, enlarged copy of itself. Both come
out at exactly the target ratio, optionally scaled to the platform's size (1080×1920 for
9:16), since an uploader that receives 404×720 rescales it with its own, worse, filter. The
audio is copied untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from avpe_desktop.domain import AspectRatio
from avpe_desktop.domain.settings import ExportSize, ReframeMode
from avpe_desktop.media.encode import DEFAULT_CRF, DEFAULT_PRESET
from avpe_desktop.media.ffmpeg import MediaError, open_ffmpeg, run_ffmpeg
from avpe_desktop.media.probe import VideoInfo, iter_frames, probe
from avpe_desktop.storage.atomic import atomic_output

_ANALYSIS_WIDTH = 96
_SMOOTH_SECONDS = 1.0


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _whole_ratio_step(aspect: AspectRatio, even: bool) -> int:
    """Multiples of this many ratio units keep both sides even (9:16 needs an even count)."""
    width, height = aspect.parts
    return 2 if even and (width % 2 or height % 2) else 1


def crop_size(
    source: tuple[int, int], aspect: AspectRatio | str, *, even: bool = True
) -> tuple[int, int]:
    """The largest window of exactly the target ratio inside the source frame; even sides
    when it is the output itself, any when it is scaled afterwards (405×720 for 9:16)."""
    aspect = AspectRatio(aspect)
    width, height = aspect.parts
    step = _whole_ratio_step(aspect, even)
    units = min(source[0] // width, source[1] // height) // step * step
    return width * max(units, step), height * max(units, step)


def pad_size(source: tuple[int, int], aspect: AspectRatio | str) -> tuple[int, int]:
    """The smallest canvas of exactly the target ratio that holds the whole source frame."""
    aspect = AspectRatio(aspect)
    width, height = aspect.parts
    step = _whole_ratio_step(aspect, even=True)
    units = max(-(-source[0] // width), -(-source[1] // height))
    units = -(-units // step) * step
    return width * units, height * units


def output_size(
    source: tuple[int, int], aspect: AspectRatio | str, size: ExportSize, mode: ReframeMode
) -> tuple[int, int]:
    """The exported picture's size: the platform's for its ratio (16:9 has none: it keeps the
    render's resolution, 720p or 1080p, even from a vertical render), or the largest the
    rendered frame gives."""
    aspect = AspectRatio(aspect)
    if size == "platform":
        if aspect.platform_size is not None:
            return aspect.platform_size
        return _same_resolution(source, aspect)
    return pad_size(source, aspect) if mode == "pad" else crop_size(source, aspect)


def _same_resolution(source: tuple[int, int], aspect: AspectRatio) -> tuple[int, int]:
    """The ratio with its short side as long as the source's: 1280×720 from 720×1280."""
    width, height = aspect.parts
    step = _whole_ratio_step(aspect, even=True)
    units = min(source) // min(width, height) // step * step
    return width * units, height * units


def fit_inside(source: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int]:
    """The source scaled to fit the canvas, ratio kept, even sides."""
    scale = min(canvas[0] / source[0], canvas[1] / source[1])
    return min(canvas[0], _even(source[0] * scale)), min(canvas[1], _even(source[1] * scale))


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
    size: tuple[int, int] | None = None,
) -> Path:
    """Writes `src` reframed to exactly `aspect` at `out` (atomically) and returns `out`:
    at `size` when given (a platform size), else at the largest size the frame allows. A
    source already in that ratio is only scaled; no crop or padding is needed."""
    aspect = AspectRatio(aspect)
    if size is not None and size[0] * aspect.parts[1] != size[1] * aspect.parts[0]:
        raise ValueError(f"{size[0]}×{size[1]} is not {aspect.value}")
    info = probe(src)
    window = crop_size(info.size, aspect, even=size is None)
    with atomic_output(out) as tmp:
        if window == info.size:
            _scale(info, tmp, size or window)
        elif mode == "pad":
            _pad(info, tmp, size or pad_size(info.size, aspect))
        else:
            _crop(info, tmp, window, size)
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


def _scaling(size: tuple[int, int]) -> list[str | os.PathLike[str]]:
    return ["-vf", f"scale={size[0]}:{size[1]}:flags=lanczos,setsar=1"]


def _scale(info: VideoInfo, out: Path, size: tuple[int, int]) -> None:
    run_ffmpeg(
        ["-i", info.path, "-i", info.path, "-map", "0:v:0", *_scaling(size), *_encode_args(), out],
        what=f"resizing {info.path.name}",
    )


def _crop(
    info: VideoInfo, out: Path, window: tuple[int, int], size: tuple[int, int] | None
) -> None:
    corners = crop_windows(subject_path(info.path, info), info.size, window)
    cw, ch = window
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
        *(_scaling(size) if size is not None and size != window else []),
        *_encode_args(),
        out,
    ]
    with open_ffmpeg(args, what=f"reframing {info.path.name}", stdin=True) as proc:
        assert proc.stdin is not None
        for i, frame in enumerate(iter_frames(info.path, info=info)):
            x, y = corners[min(i, len(corners) - 1)]
            picture = np.ascontiguousarray(frame[y : y + ch, x : x + cw])
            proc.stdin.write(picture.data.cast("B"))


def _pad(info: VideoInfo, out: Path, size: tuple[int, int]) -> None:
    width, height = size
    fg_width, fg_height = fit_inside(info.size, size)
    graph = (
        f"[0:v]scale={width}:{height}:force_original_aspect_ratio=increase,"
        f"crop={width}:{height},boxblur=24:2,eq=brightness=-0.08[bg];"
        f"[0:v]scale={fg_width}:{fg_height}:flags=lanczos[fg];"
        f"[bg][fg]overlay=({width}-w)/2:({height}-h)/2,setsar=1[v]"
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
