"""The offline VideoMaker: a clip that moves from the first keyframe to the last one.

Veo interpolates between a first and a last frame; offline, motion estimation does the same
job well enough for a draft: the motion between the keyframes (two rigid layers from matched
features, refined by dense optical flow) is computed once at low resolution, and every frame
warps both keyframes towards the moment it shows and blends them, so the character travels
across the frame instead of fading through itself. A slow camera move (zero at both ends, so
the keyframes stay exact) keeps the shot alive where nothing else moves. Frames are streamed
to the encoder as they are made, so memory does not grow with the clip.

`render_clip` is the synchronous core (the emulator and the benchmark call it directly);
`LocalVideoMaker` runs it in the process pool behind the VideoMaker protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from avpe_desktop.domain import AspectRatio, Resolution, frame_size
from avpe_desktop.engines.base import (
    EngineError,
    OperationNotFoundError,
    RequestError,
    TransientError,
    VideoRequest,
    VideoStatus,
)
from avpe_desktop.engines.local.sounds import SAMPLE_RATE, creature_audio, silence
from avpe_desktop.media.encode import VideoWriter, rgb_to_yuv420
from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.workers import run_in_process

FPS = 24
DURATIONS = (4, 6, 8)
OPERATION_PREFIX = "local-ops/"
_FLOW_WIDTH = 384  # analysis grid: enough for a character's outline, cheap to compute and scale
_PROGRESS_EVERY = 12  # frames
_RENDER_THREADS = 2  # frames made at once; OpenCV releases the GIL
# The renderer, not the encoder, is the bottleneck: superfast measured as fast as ultrafast
# end to end with half its file size, and faster than veryfast (2.6x vs 2.0x real time).
OFFLINE_PRESET = "superfast"
_MIN_INLIERS = 8  # feature matches that must agree before a motion counts as an object's


def render_clip(
    first_frame: bytes,
    last_frame: bytes,
    out_path: str | os.PathLike[str],
    *,
    duration: int = 8,
    resolution: Resolution | str = Resolution.P720,
    aspect_ratio: AspectRatio | str = AspectRatio.LANDSCAPE,
    generate_audio: bool = True,
    creature_sounds: Sequence[str] = (),
    creature_language: str = "",
    seed: int | None = None,
    preset: str = OFFLINE_PRESET,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Renders one clip to `out_path` (an MP4) and returns the path. Synchronous and
    self-contained, so the process pool, the emulator and the benchmark all call it directly.

    `first_frame` / `last_frame` are encoded images (PNG, JPEG); they are cropped to fill and
    resized to the clip's size when they differ from it. Raises RequestError for arguments no
    render could satisfy, MediaError when encoding fails.
    """
    if duration not in DURATIONS:
        raise RequestError(f"duration must be one of {DURATIONS} seconds, got {duration}")
    size = frame_size(resolution, aspect_ratio)
    first = _keyframe(first_frame, size, "first")
    last = _keyframe(last_frame, size, "last")
    if seed is None:
        seed = zlib.crc32(first_frame) ^ zlib.crc32(last_frame)
    if generate_audio:
        audio = creature_audio(duration, creature_sounds, creature_language, seed=seed)
    else:
        audio = silence(duration)
    # Frames are made by a few threads of our own (OpenCV releases the GIL), each running
    # OpenCV single-threaded: OpenCV's own per-call thread hand-offs cost more than they save
    # when the encoder is busy on the other cores (5x slower resizes measured).
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        interpolator = FlowInterpolator(first, last, seed=seed)
        count = duration * FPS
        times = [i / (count - 1) for i in range(count)]
        with (
            VideoWriter(
                out_path,
                FPS,
                audio=audio,
                sample_rate=SAMPLE_RATE,
                preset=preset,
                pixel_format="yuv420p",
            ) as out,
            ThreadPoolExecutor(_RENDER_THREADS, thread_name_prefix="avpe-frames") as pool,
        ):
            frames = _in_order(pool, interpolator.frame, times, ahead=_RENDER_THREADS + 1)
            for i, frame in enumerate(frames, start=1):
                out.write(frame)
                if progress is not None and i % _PROGRESS_EVERY == 0:
                    progress(i / count)
    finally:
        cv2.setNumThreads(threads)
    return Path(out_path)


def _in_order(
    pool: ThreadPoolExecutor, fn: Callable[[float], np.ndarray], times: list[float], ahead: int
) -> Iterator[np.ndarray]:
    """fn(t) for each t, computed `ahead` at a time in the pool and yielded in order: the
    threads overlap, and memory stays at a few frames however long the clip."""
    pending: deque[Future[np.ndarray]] = deque()
    for t in times:
        pending.append(pool.submit(fn, t))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _keyframe(data: bytes, size: tuple[int, int], which: str) -> np.ndarray:
    """The keyframe as RGB at exactly `size`: cropped to the target aspect, then resized."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise RequestError(f"the {which} keyframe is not a readable image")
    width, height = size
    h, w = image.shape[:2]
    if (w, h) != (width, height):
        scale = max(width / w, height / h)
        crop_w, crop_h = min(w, round(width / scale)), min(h, round(height / scale))
        x0, y0 = (w - crop_w) // 2, (h - crop_h) // 2
        image = image[y0 : y0 + crop_h, x0 : x0 + crop_w]
        shrinking = crop_w > width
        image = cv2.resize(
            image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
        )
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _ease(t: float) -> float:
    """Smoothstep: motion starts and ends at rest, like a shot that settles on its keyframes."""
    return t * t * (3 - 2 * t)


class FlowInterpolator:
    """Frames between two keyframes: two motion layers, dense flow, warping and blending.

    Keyframes from a painter often move the character a third of the frame or more, beyond
    what dense flow finds alone, and plain flow warping samples the flow at the wrong place
    for such moves (the character would melt instead of travel). So the analysis, done once
    at low resolution, finds two rigid motions from matched features, the background's and
    the character's, with a mask of the character in each keyframe; dense flow then adds
    what they miss (a raised arm, a drifting cloud).

    Each frame at time s is sampled from both keyframes: where the character is at time s
    (its masks carried along its own motion) the samples follow the character's motion; the
    rest follows the background flow (the quadratic approximation of Super SloMo, Jiang et
    al. 2018: F(s->0) = -(1-s)s F01 + s^2 F10, F(s->1) = (1-s)^2 F01 - s(1-s) F10). The two
    samples are blended with weight s, except where one keyframe only shows the character
    that has since moved away: there the other keyframe's background fills in.

    For speed (the offline engine should run well ahead of real time) all of this is
    computed on the small analysis grid and scaled up, and warping works on the encoder's
    own I420 planes: half the bytes of RGB and no colour conversion per frame.
    `frame()` returns what `VideoWriter(pixel_format="yuv420p")` takes.
    """

    def __init__(self, first: np.ndarray, last: np.ndarray, *, seed: int) -> None:
        if first.shape != last.shape:
            raise ValueError(f"keyframes differ in size: {first.shape} vs {last.shape}")
        height, width = first.shape[:2]
        self._size = (width, height)
        self._planes = (rgb_to_yuv420(first), rgb_to_yuv420(last))
        self._ends = tuple(_i420(*planes) for planes in self._planes)
        small = _flow_size(width, height)
        self._small = small
        self._scale = (width / small[0], height / small[1])
        self._motion = _Motion.analyse(_gray(first, small), _gray(last, small))
        rng = np.random.default_rng(seed)
        self._zoom = rng.uniform(0.03, 0.06)
        angle = rng.uniform(0, 2 * np.pi)
        self._pan = (
            0.015 * small[0] * float(np.cos(angle)),
            0.015 * small[0] * float(np.sin(angle)),
        )
        self._grid = np.meshgrid(
            np.arange(small[0], dtype=np.float32), np.arange(small[1], dtype=np.float32)
        )
        self._buffers = threading.local()

    def _levels(self) -> tuple[_Level, ...]:
        """This thread's work buffers: luma at full size, then both chroma planes at half
        size (they share maps)."""
        levels: tuple[_Level, ...] | None = getattr(self._buffers, "levels", None)
        if levels is None:
            width, height = self._size
            levels = (
                _Level.allocate((width, height), 1.0, (0,)),
                _Level.allocate((width // 2, height // 2), 0.5, (1, 2)),
            )
            self._buffers.levels = levels
        return levels

    def frame(self, t: float) -> np.ndarray:
        """The I420 frame at time t in [0, 1]; t=0 and t=1 are the keyframes themselves.
        Safe to call from several threads at once."""
        if t <= 0:
            return self._ends[0]
        if t >= 1:
            return self._ends[1]
        s = _ease(t)
        maps0, maps1, weight0, weight1 = self._sampling(t, s)
        width, height = self._size
        out = np.empty((height * 3 // 2, width), np.uint8)
        planes = _i420_planes(out, width, height)
        for level in self._levels():
            for k, maps in enumerate((maps0, maps1)):
                self._upscale(maps, level, level.maps[k])
            for small_weight, weight in zip((weight0, weight1), level.weights, strict=True):
                cv2.resize(small_weight, level.size, dst=weight, interpolation=cv2.INTER_LINEAR)
            for index in level.planes:
                for k in (0, 1):
                    cv2.remap(
                        self._planes[k][index],
                        *level.maps[k],
                        cv2.INTER_LINEAR,
                        dst=level.warped[k],
                        borderMode=cv2.BORDER_REFLECT101,
                    )
                cv2.blendLinear(*level.warped, *level.weights, dst=planes[index])
        return out

    def _sampling(self, t: float, s: float) -> tuple[_Maps, _Maps, np.ndarray, np.ndarray]:
        """Where each output pixel samples the two keyframes (small grid, small pixels) and
        how much each keyframe counts there."""
        motion = self._motion
        gx, gy = self._grid
        # The camera zooms in and drifts, peaking mid-clip and gone at both ends; sin^2 also
        # starts and ends at rest, so joined clips don't jolt.
        envelope = float(np.sin(np.pi * t) ** 2)
        k = 1 / (1 + self._zoom * envelope)
        width, height = self._small
        px = gx * k + ((width - 1) / 2 * (1 - k) + self._pan[0] * envelope)
        py = gy * k + ((height - 1) / 2 * (1 - k) + self._pan[1] * envelope)
        (f01x, f01y), (f10x, f10y) = motion.f01, motion.f10
        a0, b0 = -(1 - s) * s, s * s
        a1, b1 = (1 - s) ** 2, -s * (1 - s)
        bg0 = (px + a0 * f01x + b0 * f10x, py + a0 * f01y + b0 * f10y)
        bg1 = (px + a1 * f01x + b1 * f10x, py + a1 * f01y + b1 * f10y)
        # How much each keyframe's sample is worth: its background is hidden where its own
        # character stood.
        valid0 = 1 - _sample(motion.cover0, bg0)
        valid1 = 1 - _sample(motion.cover1, bg1)
        maps0, maps1 = bg0, bg1
        if motion.foreground is not None:
            back = _affine_power(motion.foreground, s, inverse=True)  # time s -> keyframe 0
            fg0 = _apply(back, px, py)
            fg1 = _apply(motion.foreground, *fg0)
            seen0, seen1 = _sample(motion.mask0, fg0), _sample(motion.mask1, fg1)
            alpha = (1 - s) * seen0 + s * seen1
            maps0 = _lerp(bg0, fg0, alpha)
            maps1 = _lerp(bg1, fg1, alpha)
            valid0 = (1 - alpha) * valid0 + alpha * seen0
            valid1 = (1 - alpha) * valid1 + alpha * seen1
        weight0 = ((1 - s) * (valid0 + 1e-3)).astype(np.float32)
        weight1 = (s * (valid1 + 1e-3)).astype(np.float32)
        return maps0, maps1, weight0, weight1

    def _upscale(self, maps: _Maps, level: _Level, dst: list[np.ndarray]) -> None:
        """Small-grid positions as positions on the level's planes, into `dst`; positions are
        converted before resizing (cheap, and exact, since resizing is linear)."""
        for m, scale, target in zip(maps, self._scale, dst, strict=True):
            r = scale * level.factor  # plane pixels per small pixel
            converted = m * r + (r - 1) / 2
            cv2.resize(converted, level.size, dst=target, interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class _Level:
    """Work buffers for the planes of one size, reused frame after frame: allocating ~30 MB
    per frame afresh costs page faults that doubled the render time in measurements."""

    size: tuple[int, int]
    factor: float
    planes: tuple[int, ...]
    maps: list[list[np.ndarray]]
    weights: list[np.ndarray]
    warped: list[np.ndarray]

    @classmethod
    def allocate(cls, size: tuple[int, int], factor: float, planes: tuple[int, ...]) -> _Level:
        shape = (size[1], size[0])
        return cls(
            size=size,
            factor=factor,
            planes=planes,
            maps=[[np.empty(shape, np.float32) for _ in range(2)] for _ in range(2)],
            weights=[np.empty(shape, np.float32) for _ in range(2)],
            warped=[np.empty(shape, np.uint8) for _ in range(2)],
        )


_Maps = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Motion:
    """What moves between two small grey keyframes.

    `background` and `foreground` map keyframe-0 positions to keyframe-1 positions (2x3
    similarity transforms; no foreground when no second consistent motion was found);
    `mask0` / `mask1` mark the foreground in each keyframe, and `cover0` / `cover1` the same
    grown by a margin (the background right at a character's edge is blurred with it, so it
    is no good for filling in either); `f01` / `f10` are the dense
    flows each way, f01 such that g0(x) ~ g1(x + f01(x)).
    """

    background: np.ndarray
    foreground: np.ndarray | None
    mask0: np.ndarray
    mask1: np.ndarray
    cover0: np.ndarray
    cover1: np.ndarray
    f01: _Maps
    f10: _Maps

    @classmethod
    def analyse(cls, g0: np.ndarray, g1: np.ndarray) -> _Motion:
        height, width = g0.shape
        background, foreground = np.eye(2, 3), None
        empty = np.zeros((height, width), np.float32)
        mask0 = mask1 = empty
        p0, p1 = _matches(g0, g1)
        first_motion, first_inliers = _similarity(p0, p1)
        if first_motion is not None:
            background = first_motion
            rest = ~first_inliers
            second_motion, second_inliers = _similarity(p0[rest], p1[rest])
            if second_motion is not None:
                layers = [
                    (first_motion, p0[first_inliers], p1[first_inliers]),
                    (second_motion, p0[rest][second_inliers], p1[rest][second_inliers]),
                ]
                # The background is the motion spread over more of the frame, not the one
                # with more matches: a detailed character can out-match a plain backdrop.
                layers.sort(key=lambda layer: -cv2.contourArea(cv2.convexHull(layer[1])))
                (background, _, _), (foreground, hull0, hull1) = layers
                mask0 = _layer_mask(g0, g1, background, foreground, hull0)
                mask1 = _layer_mask(
                    g1,
                    g0,
                    cv2.invertAffineTransform(background),
                    cv2.invertAffineTransform(foreground),
                    hull1,
                )
        base01 = _layer_flow(background, foreground, mask0)
        inverse_fg = None if foreground is None else cv2.invertAffineTransform(foreground)
        base10 = _layer_flow(cv2.invertAffineTransform(background), inverse_fg, mask1)
        dense01, dense10 = _dense(g0, g1, base01), _dense(g1, g0, base10)
        f01 = _trusted(dense01, dense10, base01)
        f10 = _trusted(dense10, dense01, base10)
        grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
        cover0, cover1 = cv2.dilate(mask0, grow), cv2.dilate(mask1, grow)
        return cls(background, foreground, mask0, mask1, cover0, cover1, f01, f10)


def _gray(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)


def _flow_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, _FLOW_WIDTH / width)
    return max(16, round(width * scale)), max(16, round(height * scale))


def _matches(g0: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matched ORB keypoints; a low FAST threshold because painted scenes are smooth."""
    orb = cv2.ORB_create(2000, fastThreshold=5, edgeThreshold=15, patchSize=15)
    k0, d0 = orb.detectAndCompute(g0, None)
    k1, d1 = orb.detectAndCompute(g1, None)
    if d0 is None or d1 is None:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(d0, d1)
    p0 = np.float32([k0[m.queryIdx].pt for m in matches]).reshape(-1, 2)
    p1 = np.float32([k1[m.trainIdx].pt for m in matches]).reshape(-1, 2)
    return p0, p1


def _similarity(p0: np.ndarray, p1: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The similarity transform most matches agree on, and which matches do; None when fewer
    than `_MIN_INLIERS` agree (too few to be a real object rather than chance)."""
    if len(p0) < _MIN_INLIERS:
        return None, np.zeros(len(p0), bool)
    transform, inliers = cv2.estimateAffinePartial2D(
        p0, p1, method=cv2.RANSAC, ransacReprojThreshold=2.5
    )
    if transform is None or inliers is None or int(inliers.sum()) < _MIN_INLIERS:
        return None, np.zeros(len(p0), bool)
    return transform, inliers.ravel().astype(bool)


def _layer_mask(
    g0: np.ndarray,
    g1: np.ndarray,
    background: np.ndarray,
    foreground: np.ndarray,
    points: np.ndarray,
) -> np.ndarray:
    """Soft mask of g0's pixels that the foreground motion explains better than the
    background's, kept near the foreground's own matched points (elsewhere a better fit by
    chance is noise)."""
    height, width = g0.shape
    grid = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    errors = []
    for transform in (background, foreground):
        pulled = cv2.remap(
            g1, *_apply(transform, *grid), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        errors.append(cv2.blur(cv2.absdiff(pulled, g0).astype(np.float32), (11, 11)))
    region = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(region, cv2.convexHull(points.astype(np.int32)), 255)
    region = cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (41, 41)))
    mask = np.clip((errors[0] - errors[1]) / 8 + 0.5, 0, 1) * (region > 0)
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2)


def _layer_flow(
    background: np.ndarray, foreground: np.ndarray | None, mask: np.ndarray
) -> np.ndarray:
    height, width = mask.shape
    grid = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    bx, by = _apply(background, *grid)
    flow = np.dstack([bx - grid[0], by - grid[1]])
    if foreground is not None:
        fx, fy = _apply(foreground, *grid)
        fg = np.dstack([fx - grid[0], fy - grid[1]])
        flow = flow * (1 - mask[..., None]) + fg * mask[..., None]
    return flow.astype(np.float32)


def _trusted(forward: np.ndarray, backward: np.ndarray, fallback: np.ndarray) -> _Maps:
    """`forward` where going there and back (forward, then `backward` from where it lands)
    returns close to the start, `fallback` (the rigid layers' flow) where it does not: dense
    flow invents wild motion in places neither keyframe explains, and warping along it
    smears the frame."""
    height, width = forward.shape[:2]
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    back = cv2.remap(
        backward,
        gx + forward[..., 0],
        gy + forward[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    error = np.hypot(*(forward + back).transpose(2, 0, 1))
    tolerance = 1.0 + 0.05 * np.hypot(*forward.transpose(2, 0, 1))
    trust = np.clip(2.0 - error / tolerance, 0.0, 1.0)  # 1 within tolerance, 0 at twice it
    trust = cv2.GaussianBlur(trust.astype(np.float32), (0, 0), 2)[..., None]
    flow = forward * trust + fallback * (1 - trust)
    return flow[..., 0].copy(), flow[..., 1].copy()


def _dense(g0: np.ndarray, g1: np.ndarray, base: np.ndarray) -> np.ndarray:
    """`base` plus what dense flow finds between g0 and g1 pulled back along `base`."""
    height, width = g0.shape
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    pulled = cv2.remap(
        g1, gx + base[..., 0], gy + base[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    residual = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(g0, pulled, None)
    return base + residual


def _apply(transform: np.ndarray, x: np.ndarray, y: np.ndarray) -> _Maps:
    # Python floats, so float32 grids stay float32 (numpy scalars would promote to float64).
    (a, b, c), (d, e, f) = transform.tolist()
    return a * x + b * y + c, d * x + e * y + f


def _affine_power(transform: np.ndarray, s: float, *, inverse: bool) -> np.ndarray:
    """The similarity transform `s` of the way from identity to `transform` (scale
    geometrically, angle and translation of its fixed point linearly), or its inverse."""
    (a, _, c), (d, _, f) = transform
    scale = float(np.hypot(a, d))
    angle = float(np.arctan2(d, a))
    partial_scale = scale**s
    partial_angle = angle * s
    cos, sin = partial_scale * np.cos(partial_angle), partial_scale * np.sin(partial_angle)
    linear = np.array([[cos, -sin], [sin, cos]])
    # Translation: interpolate the path of the origin, which moves from 0 to (c, f).
    result = np.hstack([linear, [[c * s], [f * s]]])
    return cv2.invertAffineTransform(result) if inverse else result


def _sample(image: np.ndarray, maps: _Maps) -> np.ndarray:
    return cv2.remap(image, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def _lerp(a: _Maps, b: _Maps, alpha: np.ndarray) -> _Maps:
    return a[0] + alpha * (b[0] - a[0]), a[1] + alpha * (b[1] - a[1])


def _i420_planes(frame: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """Views of an I420 buffer's Y, U and V planes, for writing into in place."""
    flat = frame.reshape(-1)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return [
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma :].reshape(height // 2, width // 2),
    ]


def _i420(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    height, width = y.shape
    return np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(height * 3 // 2, width)


@dataclass
class _Operation:
    task: asyncio.Future[Path]
    video: Path
    progress_file: Path


def _report_progress(path: Path, fraction: float) -> None:
    """Runs in the worker; a rename makes the update atomic for the polling process."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{fraction:.4f}")
    tmp.replace(path)


class LocalVideoMaker:
    """VideoMaker on this machine's CPU, in the shared process pool so the event loop (and
    the GUI) stay responsive. Operations live in memory only: after a restart their names are
    unknown (OperationNotFoundError) and the pipeline simply starts them again, which costs
    nothing offline."""

    def __init__(self, workdir: str | os.PathLike[str] | None = None) -> None:
        self._own_workdir = workdir is None
        self._workdir = Path(workdir or tempfile.mkdtemp(prefix="avpe-local-video-"))
        self._workdir.mkdir(parents=True, exist_ok=True)
        self._operations: dict[str, _Operation] = {}

    async def start(self, request: VideoRequest) -> str:
        if request.duration not in DURATIONS:
            raise RequestError(f"duration must be one of {DURATIONS} seconds")
        op_id = uuid.uuid4().hex
        video = self._workdir / f"{op_id}.mp4"
        progress_file = self._workdir / f"{op_id}.progress"
        task = asyncio.ensure_future(
            run_in_process(
                render_clip,
                request.first_frame,
                request.last_frame,
                video,
                duration=request.duration,
                resolution=request.resolution,
                aspect_ratio=request.aspect_ratio,
                generate_audio=request.generate_audio,
                creature_sounds=request.creature_sounds,
                creature_language=request.creature_language,
                seed=request.seed,
                progress=partial(_report_progress, progress_file),
            )
        )
        # A failure nobody polls for any more must not be logged as "never retrieved".
        task.add_done_callback(lambda f: f.cancelled() or f.exception())
        name = OPERATION_PREFIX + op_id
        self._operations[name] = _Operation(task, video, progress_file)
        return name

    async def poll(self, operation: str) -> VideoStatus:
        op = self._operations.get(operation)
        if op is None:
            raise OperationNotFoundError(
                f"unknown offline operation {operation!r} (offline renders end with the app)"
            )
        if not op.task.done():
            return VideoStatus(done=False, progress=_read_progress(op.progress_file))
        if op.task.cancelled():
            raise TransientError("the offline render was cancelled")
        error = op.task.exception()
        if error is not None:
            raise _engine_error(error) from error
        return VideoStatus(done=True, video=op.video.read_bytes(), progress=1.0)

    async def aclose(self) -> None:
        """Waits for renders still running (a worker cannot be stopped mid-clip) and deletes
        the files this maker created."""
        pending = [op.task for op in self._operations.values() if not op.task.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._operations.clear()
        if self._own_workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)


def _read_progress(path: Path) -> float:
    with contextlib.suppress(OSError, ValueError):
        return float(path.read_text())
    return 0.0


def _engine_error(error: BaseException) -> EngineError:
    if isinstance(error, EngineError):
        return error
    if isinstance(error, BrokenProcessPool):
        return TransientError("the offline renderer's worker process stopped; try again")
    if isinstance(error, MediaError):
        return EngineError(f"the offline renderer could not encode the clip: {error}")
    return EngineError(f"the offline renderer failed: {error!r}")
