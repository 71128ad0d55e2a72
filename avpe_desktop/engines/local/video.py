"""The offline VideoMaker: a clip that moves from the first keyframe to the last one.

Veo interpolates between a first and a last frame; offline, the clip is drawn the way a 2D
animator tweens: the keyframes are split once into a backdrop and a cut-out character (from
the rigid motions of matched features), and every frame moves each layer partway along its
own motion and dissolves between the two keyframes' looks of it, so the character travels and
grows as one piece instead of melting through itself. A slow camera move (zero at both ends,
so the keyframes stay exact) keeps the shot alive where nothing else moves. Frames are
streamed to the encoder as they are made, so memory does not grow with the clip.

`render_clip` is the synchronous core (the emulator and the benchmark call it directly);
`LocalVideoMaker` runs it in the process pool behind the VideoMaker protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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
    OperationFailedError,
    OperationNotFoundError,
    RequestError,
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
_PROGRESS_EVERY = 12  # frames
_RENDER_THREADS = 2  # frames made at once; OpenCV releases the GIL
# With layers warped by one affine transform each, the encoder is the bottleneck: on two
# cores x264 superfast alone needs 2.7 CPU-seconds for 8 s of 720p, ultrafast 1.7 (files
# about twice as large, ~2.4 Mbit/s, fine for drafts).
OFFLINE_PRESET = "ultrafast"


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
        interpolator = TweenInterpolator(first, last, seed=seed)
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


_Matrix = np.ndarray  # 3x3 homogeneous affine transform, float64


class TweenInterpolator:
    """Frames between two keyframes drawn like a 2D animation tween: a background layer and a
    rigid character layer, each moved along its own path and cross-dissolved.

    The painter's keyframes are a backdrop with a cut-out character pasted on; between them
    the character often crosses a third of the frame and doubles in size, and the backdrop
    zooms and blurs with the framing. Per-pixel flow cannot follow that (the character melts
    and ghosts), but two rigid layers can: `_Layers.analyse` finds the backdrop's motion and the
    character's from matched features, and a mask of the character in each keyframe. Every
    frame then moves both keyframes' clean backdrops ("plates", the character painted out)
    partway along the backdrop motion and dissolves between them, and draws the character on
    top, moved partway along its own motion (with a small hop when it travels) and dissolved
    between its two looks. The keyframes' own pixels are what gets moved, never resampled
    flow, so nothing in between is smeared. When no character can be told apart (nothing
    moved, or the scene changed too much to analyse) the frames are a plain eased dissolve
    along the backdrop motion, which still never melts.

    A slow camera move (zero at both ends) keeps a static shot alive. Near the ends the
    frame fades into the keyframe itself, so the first and last frames are exact and the clip
    joins its neighbours without a jump. Everything is warped with one affine transform per
    layer and plane, directly on the encoder's I420 planes (half the bytes of RGB, no colour
    conversion per frame); `frame()` returns what `VideoWriter(pixel_format="yuv420p")` takes.
    """

    def __init__(self, first: np.ndarray, last: np.ndarray, *, seed: int) -> None:
        if first.shape != last.shape:
            raise ValueError(f"keyframes differ in size: {first.shape} vs {last.shape}")
        height, width = first.shape[:2]
        self._size = (width, height)
        self._layers = _Layers.analyse(first, last)
        layers = self._layers
        self._ends = tuple(_i420(*rgb_to_yuv420(frame)) for frame in (first, last))
        self._plates = tuple(_i420(*rgb_to_yuv420(plate)) for plate in layers.plates)
        self._alphas = tuple(
            (alpha, cv2.resize(alpha, (width // 2, height // 2), interpolation=cv2.INTER_AREA))
            for alpha in layers.alphas
        )
        self._edges = (_edge_ramp(width, height), _edge_ramp(width // 2, height // 2))
        rng = np.random.default_rng(seed)
        self._zoom = rng.uniform(0.03, 0.06)
        angle = rng.uniform(0, 2 * np.pi)
        self._pan = 0.012 * width * float(np.cos(angle)), 0.012 * width * float(np.sin(angle))
        self._buffers = threading.local()

    def frame(self, t: float) -> np.ndarray:
        """The I420 frame at time t in [0, 1]; t=0 and t=1 are the keyframes themselves.
        Safe to call from several threads at once."""
        if t <= 0:
            return self._ends[0]
        if t >= 1:
            return self._ends[1]
        s = _ease(t)
        width, height = self._size
        out = np.empty((height * 3 // 2, width), np.uint8)
        view = self._camera(t)  # output pixel -> the scene at time s (keyframe-0 pixels at s=0)
        layers = self._layers
        background = layers.background
        to_first = _power(background, -s) @ view
        to_last = _power(background, 1 - s) @ view
        self._background(out, to_first, to_last, _window(s, *_BACKGROUND_DISSOLVE))
        if layers.character is not None:
            pose = layers.pose(s)  # keyframe-0 pixels -> the scene at time s
            inverse = np.linalg.inv(pose)
            self._character(
                out,
                inverse @ view,
                layers.character @ inverse @ view,
                _window(s, *_CHARACTER_DISSOLVE),
            )
        # Fade into the keyframes at the ends: layers are never pixel-exact at a soft edge.
        for k, weight in enumerate((_settle(s), _settle(1 - s))):
            if weight > 0:
                at_end = to_first if k == 0 else to_last
                self._blend_in(out, self._ends[k], at_end, weight)
        return out

    def _camera(self, t: float) -> _Matrix:
        """Output pixels -> scene pixels for the gentle zoom and drift; identity at both ends,
        and sin^2 starts and ends at rest so joined clips don't jolt."""
        envelope = float(np.sin(np.pi * t) ** 2)
        zoom = 1 + self._zoom * envelope
        width, height = self._size
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return np.array(
            [
                [1 / zoom, 0, cx - cx / zoom + self._pan[0] * envelope],
                [0, 1 / zoom, cy - cy / zoom + self._pan[1] * envelope],
                [0, 0, 1],
            ]
        )

    def _work(self, name: str, shape: tuple[int, int]) -> np.ndarray:
        """A per-thread scratch buffer, reused frame after frame (fresh 1 MB arrays per frame
        cost page faults that showed up in the render time)."""
        buffers: dict[str, np.ndarray] = self._buffers.__dict__
        buffer = buffers.get(name)
        if buffer is None or buffer.shape[0] * buffer.shape[1] < shape[0] * shape[1]:
            buffer = buffers[name] = np.empty(shape, np.uint8)
        return buffer.reshape(-1)[: shape[0] * shape[1]].reshape(shape)

    def _background(
        self, out: np.ndarray, to_first: _Matrix, to_last: _Matrix, weight: float
    ) -> None:
        """Both plates moved along the backdrop motion, dissolving by `weight`. Where a plate
        does not reach (a close-up's backdrop seen wider), the other plate shows instead of a
        smeared border."""
        covers = [_covers(m, self._size) for m in (to_first, to_last)]
        order = [0, 1] if covers[0] or not covers[1] else [1, 0]
        maps = (to_first, to_last)
        if (weight <= 0 and covers[0]) or (weight >= 1 and covers[1]):
            k = 0 if weight <= 0 else 1
            for plane, source, m in _planes(out, self._plates[k], maps[k], self._size):
                _warp(source, m, plane, cv2.BORDER_REPLICATE)
            return
        first = self._work("bg0", out.shape)
        second = self._work("bg1", out.shape)
        for buffer, k in ((first, order[0]), (second, order[1])):
            for plane, source, m in _planes(buffer, self._plates[k], maps[k], self._size):
                _warp(source, m, plane, cv2.BORDER_REPLICATE)
        later = weight if order[1] == 1 else 1 - weight
        if covers[order[1]]:
            cv2.addWeighted(first, 1 - later, second, later, 0, dst=out)
        else:
            self._feathered(out, first, second, maps[order[1]], later)

    def _feathered(
        self, out: np.ndarray, base: np.ndarray, top: np.ndarray, to_top: _Matrix, weight: float
    ) -> None:
        """Dissolves `top` over `base` through the top plate's feathered outline, so a plate
        seen smaller than the frame (a close-up's backdrop in a wide view) fades out at its
        edges instead of showing as a hard-edged rectangle."""
        planes = zip(*(_i420_planes(x, *self._size) for x in (out, base, top)), strict=True)
        for index, (target, under, over) in enumerate(planes):
            transform = to_top if index == 0 else _plane_matrix(to_top, 2)
            alpha = _pull(
                self._edges[min(index, 1)],
                transform,
                (target.shape[1], target.shape[0]),
                border=cv2.BORDER_CONSTANT,
            )
            alpha *= weight
            cv2.blendLinear(under, over, 1 - alpha, alpha, dst=target)

    def _character(
        self, out: np.ndarray, to_first: _Matrix, to_last: _Matrix, weight: float
    ) -> None:
        """The character's two looks moved to its pose at this moment and composited over
        the background with their soft masks; only the box it covers is touched."""
        box = _box(np.linalg.inv(to_first), self._layers.box, self._size)
        if box is None:
            return
        x0, y0, x1, y1 = box
        used = [(k, m, w) for k, m, w in ((0, to_first, 1 - weight), (1, to_last, weight)) if w > 0]
        for index, plane in enumerate(_i420_planes(out, *self._size)):
            factor = 1 if index == 0 else 2
            bx0, by0, bx1, by1 = x0 // factor, y0 // factor, x1 // factor, y1 // factor
            roi = plane[by0:by1, bx0:bx1]
            shape = roi.shape
            shift = _translation(bx0, by0)
            colours, alphas = [], []
            for k, m, w in used:
                level = _plane_matrix(m, factor) @ shift
                colour = self._work(f"c{k}{index}", shape)
                alpha = self._work(f"a{k}{index}", shape)
                _warp(_plane(self._ends[k], index, self._size), level, colour, cv2.BORDER_REPLICATE)
                _warp(self._alphas[k][min(index, 1)], level, alpha, cv2.BORDER_CONSTANT)
                colours.append(colour)
                alphas.append(alpha.astype(np.float32) * (w / 255))
            if len(used) == 2:
                colour = cv2.blendLinear(colours[0], colours[1], alphas[0], alphas[1])
                cover = alphas[0] + alphas[1]
            else:
                colour, cover = colours[0], alphas[0]
            cv2.blendLinear(roi, colour, 1 - cover, cover, dst=roi)

    def _blend_in(self, out: np.ndarray, key: np.ndarray, to_key: _Matrix, weight: float) -> None:
        """Mixes the keyframe itself, under the same camera, into the frame."""
        moved = self._work("key", out.shape)
        for plane, source, m in _planes(moved, key, to_key, self._size):
            _warp(source, m, plane, cv2.BORDER_REPLICATE)
        cv2.addWeighted(out, 1 - weight, moved, weight, 0, dst=out)


# Stretches of eased time over which the two looks of each layer dissolve into each other:
# both layers are aligned, so the dissolve only changes light and sharpness, and outside its
# stretch each layer is one warp instead of two.
_BACKGROUND_DISSOLVE = (0.15, 0.85)
_CHARACTER_DISSOLVE = (0.3, 0.7)
_SETTLE = 0.006  # eased time over which a frame fades into its keyframe at each end


_EDGE_FEATHER = 0.08  # share of the shorter side over which a plate fades out at its edges
_EDGE_SLACK = 0.02  # a plate this much short of the frame edge is stretched, not feathered


def _edge_ramp(width: int, height: int) -> np.ndarray:
    """1 inside, easing to 0 at the image border: a plate's soft outline."""
    ramp = max(2.0, _EDGE_FEATHER * min(width, height))
    x = np.minimum(np.arange(width), np.arange(width)[::-1]) / ramp
    y = np.minimum(np.arange(height), np.arange(height)[::-1]) / ramp
    edge = np.clip(np.minimum.outer(y, x), 0.0, 1.0).astype(np.float32)
    return edge * edge * (3 - 2 * edge)


def _window(s: float, begin: float, end: float) -> float:
    return _ease(min(1.0, max(0.0, (s - begin) / (end - begin))))


def _settle(s: float) -> float:
    return max(0.0, 1 - s / _SETTLE) ** 2


@dataclass(frozen=True)
class _Layers:
    """What moves between two keyframes, in full-size pixels.

    `background` and `character` map keyframe-0 pixels to keyframe-1 pixels (3x3 similarity
    transforms; no character when none could be told apart from the backdrop); `alphas` are
    the character's soft masks in each keyframe (uint8), `box` its bounding box in keyframe 0
    (x0, y0, x1, y1), `centre` and `height` its centroid and size there, and `plates` the
    keyframes with the character painted out (the keyframes themselves without a character).
    """

    background: _Matrix
    character: _Matrix | None
    alphas: tuple[np.ndarray, np.ndarray]
    plates: tuple[np.ndarray, np.ndarray]
    box: tuple[float, float, float, float]
    centre: tuple[float, float]
    hop: float

    def pose(self, s: float) -> _Matrix:
        """Keyframe-0 pixels -> the character's pose at eased time s: its centre travels in a
        straight line with a small hop, its size changes geometrically (a zoom at constant
        speed) and its angle linearly; at s=1 this is `character` exactly."""
        assert self.character is not None
        scale, angle = _scale_angle(self.character)
        cx, cy = self.centre
        ex, ey = _apply(self.character, cx, cy)
        px = cx + (ex - cx) * s
        py = cy + (ey - cy) * s - self.hop * float(np.sin(np.pi * s))
        return _translation(px, py) @ _similarity(scale**s, angle * s) @ _translation(-cx, -cy)

    @classmethod
    def analyse(cls, first: np.ndarray, last: np.ndarray) -> _Layers:
        height, width = first.shape[:2]
        plain = cls(
            background=np.eye(3),
            character=None,
            alphas=(np.zeros((height, width), np.uint8),) * 2,
            plates=(first, last),
            box=(0.0, 0.0, 0.0, 0.0),
            centre=(0.0, 0.0),
            hop=0.0,
        )
        small = _fit(width, height, _ANALYSIS_WIDTH)
        grey = [cv2.cvtColor(_shrink(f, small), cv2.COLOR_RGB2GRAY) for f in (first, last)]
        motions = _motions(*grey)
        mask_size = _fit(width, height, _MASK_WIDTH)
        colour = [_shrink(f, mask_size).astype(np.float32) for f in (first, last)]
        # Light may change between the keyframes; compare colours as if it had not.
        moved = [_match_colour(colour[1], colour[0]), _match_colour(colour[0], colour[1])]
        k = mask_size[0] / small[0]
        errors = [
            _difference(colour[0], _pull(moved[0], _rescale(m, k), mask_size)) for m, _ in motions
        ]
        # Standing still explains a flat backdrop's edges by chance: it only competes when
        # the features found a single motion.
        candidates = range(len(motions)) if len(motions) < 3 else range(1, len(motions))
        order = sorted(candidates, key=lambda i: _border_error(errors[i]))
        background = motions[order[0]][0]
        full = width / small[0]
        plain = dataclasses.replace(plain, background=_rescale(background, full))
        if _border_error(errors[order[0]]) > _SCENE_CHANGE:
            return plain  # nothing lines up: a new scene, a dissolve is the honest tween
        character = next(
            (
                (m, points)
                for m, points in (motions[i] for i in order[1:])
                if _differs(m, background, points)
            ),
            None,
        )
        if character is None:
            return plain
        masks = _character_masks(
            colour, moved, _rescale(background, k), _rescale(character[0], k), character[1] * k
        )
        if masks is None:
            return plain
        return cls._layered(first, last, plain, _rescale(character[0], full), masks)

    @classmethod
    def _layered(
        cls,
        first: np.ndarray,
        last: np.ndarray,
        plain: _Layers,
        character: _Matrix,
        masks: tuple[np.ndarray, np.ndarray],
    ) -> _Layers:
        """Full-size soft masks and clean plates from the small masks."""
        height, width = first.shape[:2]
        alphas = tuple(
            cv2.resize(m * np.uint8(255), (width, height), interpolation=cv2.INTER_LINEAR)
            for m in masks
        )
        feather = max(1.0, width / 640)
        alphas = tuple(cv2.GaussianBlur(a, (0, 0), feather) for a in alphas)
        grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        holes = [cv2.dilate(m, grow) for m in masks]  # a margin for the soft edge and shadow
        plates = (
            _clean_plate(first, last, holes[0], holes[1], plain.background),
            _clean_plate(last, first, holes[1], holes[0], np.linalg.inv(plain.background)),
        )
        ys, xs = np.nonzero(alphas[0] > 8)
        box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        moments = cv2.moments(alphas[0], binaryImage=False)
        centre = (moments["m10"] / moments["m00"], moments["m01"] / moments["m00"])
        ex, _ = _apply(character, *centre)
        # A hop when it travels sideways; none when it only steps closer.
        hop = min(0.15 * abs(ex - centre[0]), 0.06 * height)
        return dataclasses.replace(
            plain,
            character=character,
            alphas=alphas,
            plates=plates,
            box=box,
            centre=centre,
            hop=hop,
        )


_ANALYSIS_WIDTH = 480  # feature matching: a wide shot's character is still ~80 pixels tall
_MASK_WIDTH = 240  # masks and plates: smooth shapes, upscaled and feathered
_MIN_INLIERS = 8  # feature matches that must agree before a motion counts as an object's
_SCENE_CHANGE = 100.0  # median colour difference at the frame's edges past which nothing lines up
_CHANGED = 30.0  # colour difference (sum over RGB, 5x5 mean) that marks a pixel as changed


def _motions(g0: np.ndarray, g1: np.ndarray) -> list[tuple[_Matrix, np.ndarray]]:
    """Candidate rigid motions of the scene's layers with the keyframe-0 points that follow
    each: standing still, then the similarity most ORB matches agree on, then the one most of
    the rest agree on."""
    orb = cv2.ORB_create(3000, fastThreshold=5, edgeThreshold=15, patchSize=15)
    k0, d0 = orb.detectAndCompute(g0, None)
    k1, d1 = orb.detectAndCompute(g1, None)
    motions: list[tuple[_Matrix, np.ndarray]] = [(np.eye(3), np.zeros((0, 2), np.float32))]
    if d0 is None or d1 is None or len(d1) < 2:
        return motions
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(d0, d1, k=2)
    # Lowe's ratio test: painted scenes repeat (planks, leaves), keep only unambiguous matches.
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    p0 = np.float32([k0[m.queryIdx].pt for m in good]).reshape(-1, 2)
    p1 = np.float32([k1[m.trainIdx].pt for m in good]).reshape(-1, 2)
    for _ in range(2):
        if len(p0) < _MIN_INLIERS:
            break
        transform, inliers = cv2.estimateAffinePartial2D(
            p0, p1, method=cv2.RANSAC, ransacReprojThreshold=3.0, maxIters=4000
        )
        if transform is None or inliers is None or int(inliers.sum()) < _MIN_INLIERS:
            break
        agree = inliers.ravel().astype(bool)
        motions.append((np.vstack([transform, [0, 0, 1]]), p0[agree]))
        p0, p1 = p0[~agree], p1[~agree]
    return motions


def _differs(motion: _Matrix, background: _Matrix, points: np.ndarray) -> bool:
    """Whether `motion` moves its points visibly differently from the background's."""
    if len(points) == 0:
        return False
    ones = np.ones((len(points), 1))
    homogeneous = np.hstack([points, ones])
    gap = (homogeneous @ motion.T - homogeneous @ background.T)[:, :2]
    return bool(np.median(np.hypot(gap[:, 0], gap[:, 1])) > 4.0)


def _character_masks(
    colour: list[np.ndarray],
    moved: list[np.ndarray],
    background: _Matrix,
    character: _Matrix,
    points: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The character's masks (uint8 0/1) in both small keyframes, or None when they do not
    look like one rigid object.

    A pixel of keyframe 0 shows the character when the backdrop's motion does not explain it
    but the character's does. Where the character moves *to*, a flat backdrop can pass that
    test by chance; requiring it of the pixel's match in keyframe 1 as well removes those, but
    also the body where the character's two poses overlap. So the strict test only outlines
    the character, and the loose one fills that outline's hull."""
    height, width = colour[0].shape[:2]
    size = (width, height)
    back, char_back = np.linalg.inv(background), np.linalg.inv(character)
    views = []
    for c, other, bg, ch in (
        (colour[0], moved[0], background, character),
        (colour[1], moved[1], back, char_back),
    ):
        bg_error = _difference(c, _pull(other, bg, size))
        char_error = _difference(c, _pull(other, ch, size))
        views.append(((bg_error > _CHANGED) & (char_error < 0.7 * bg_error)).astype(np.uint8))
    masks = []
    for k, (motion, at) in enumerate(((character, points), (char_back, None))):
        if at is None:
            at = _apply_points(character, points)
        strict = views[k] & _pull(
            views[1 - k], motion, size, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST
        )
        outline = _near(cv2.morphologyEx(strict, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)), at)
        if outline is None:
            return None
        hull = np.zeros_like(outline)
        cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(outline)), 1)
        mask = _tidy((views[k] & hull) | outline, at)
        if mask is None:
            return None
        masks.append(mask)
    m0, m1 = masks
    carried = _pull(m0, char_back, size, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST)
    union = np.count_nonzero(carried | m1)
    if union == 0 or np.count_nonzero(carried & m1) / union < 0.6:
        return None  # the two masks are not one shape moved: not a rigid character
    return m0, m1


def _near(mask: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The part of `mask` around the matched points: matches gather on a character's face,
    its outline lies up to a couple of face-widths away."""
    if len(points) == 0 or not mask.any():
        return None
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    reach = 1.5 * max(x1 - x0, y1 - y0, 4.0)
    region = np.zeros_like(mask)
    corners = (int(x0 - reach), int(y0 - reach)), (int(x1 + reach), int(y1 + reach))
    cv2.rectangle(region, *corners, 1, -1)
    near = mask & region
    return near if near.any() else None


def _tidy(mask: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The mask as solid shapes: specks removed, gaps closed, holes filled, and only the
    parts holding the character's matched points kept; None if nothing plausible is left."""
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    )
    count, labels = cv2.connectedComponents(mask)
    height, width = mask.shape
    inside = points[
        (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    ].astype(int)
    hit = np.bincount(labels[inside[:, 1], inside[:, 0]], minlength=count)
    hit[0] = 0
    if count < 2 or hit.sum() < 0.5 * len(points):
        return None
    keep = (hit >= max(1, 0.1 * hit.sum())).astype(np.uint8)
    mask = keep[labels]
    flood = np.pad(1 - mask, 1, constant_values=1)
    cv2.floodFill(flood, None, (0, 0), 2)
    mask = (flood[1:-1, 1:-1] != 2).astype(np.uint8)
    share = mask.mean()
    return mask if 0.002 < share < 0.6 else None


def _clean_plate(
    image: np.ndarray,
    other: np.ndarray,
    hole: np.ndarray,
    other_hole: np.ndarray,
    to_other: _Matrix,
) -> np.ndarray:
    """`image` with the character painted out: from the other keyframe where it shows the
    backdrop there (brought into place by the backdrop's motion), else inpainted."""
    height, width = image.shape[:2]
    size = (width, height)
    small = hole.shape[::-1]
    k = small[0] / width
    small_map = _rescale(to_other, k)
    # Where the other keyframe sees the backdrop behind this keyframe's character.
    seen = 1 - _pull(other_hole, small_map, small, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST, 1)
    inside = _pull(np.ones_like(hole), small_map, small, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST)
    fill_from_other = hole & seen & inside
    # Inpaint the rest at small size: what no keyframe shows is guessed, and soft is fine.
    small_image = _shrink(image, small)
    small_other = _pull(_shrink(other, _fit(*size, small[0])), small_map, small)
    guess = np.where(fill_from_other[..., None] > 0, small_other, small_image)
    guess = cv2.inpaint(guess, hole & (1 - fill_from_other), 3, cv2.INPAINT_TELEA)
    from_other = _pull(other, to_other, size)
    use_other = cv2.resize(fill_from_other * np.uint8(255), size, interpolation=cv2.INTER_LINEAR)
    where = cv2.resize(hole * np.uint8(255), size, interpolation=cv2.INTER_LINEAR)
    filled = cv2.resize(guess, size, interpolation=cv2.INTER_LINEAR)
    filled = _mix(filled, from_other, use_other)
    return _mix(image, filled, where)


def _mix(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """a where weight is 0, b where it is 255 (uint8 weights, per pixel)."""
    w = weight.astype(np.float32) / 255
    return cv2.blendLinear(a, b, 1 - w, w)


def _fit(width: int, height: int, target: int) -> tuple[int, int]:
    scale = min(1.0, target / width)
    return max(16, round(width * scale)), max(16, round(height * scale))


def _shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _match_colour(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`image` with its per-channel mean and spread moved to `reference`'s."""
    mean, std = image.reshape(-1, 3).mean(0), image.reshape(-1, 3).std(0) + 1
    ref_mean, ref_std = reference.reshape(-1, 3).mean(0), reference.reshape(-1, 3).std(0) + 1
    return ((image - mean) * (ref_std / std) + ref_mean).astype(np.float32)


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.blur(cv2.absdiff(a, b).sum(axis=2), (5, 5))


def _border_error(error: np.ndarray) -> float:
    """Median difference along the top and sides, where the backdrop shows in any framing."""
    height = error.shape[0]
    band = max(2, height // 12)
    edges = [error[:band].ravel(), error[:, :band].ravel(), error[:, -band:].ravel()]
    return float(np.median(np.concatenate(edges)))


def _pull(
    image: np.ndarray,
    transform: _Matrix,
    size: tuple[int, int],
    border: int = cv2.BORDER_REPLICATE,
    interpolation: int = cv2.INTER_LINEAR,
    value: float = 0,
) -> np.ndarray:
    """image sampled at transform(x) for each pixel x of an image of `size`."""
    return cv2.warpAffine(
        image,
        transform[:2],
        size,
        flags=interpolation | cv2.WARP_INVERSE_MAP,
        borderMode=border,
        borderValue=value,
    )


def _warp(source: np.ndarray, transform: _Matrix, dst: np.ndarray, border: int) -> None:
    """Fills `dst` with `source` sampled at transform(x), in place."""
    cv2.warpAffine(
        source,
        transform[:2],
        (dst.shape[1], dst.shape[0]),
        dst=dst,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=border,
        borderValue=0,
    )


def _rescale(transform: _Matrix, k: float) -> _Matrix:
    """The same motion in an image scaled by k (pixel centres kept aligned)."""
    to = np.array([[k, 0, (k - 1) / 2], [0, k, (k - 1) / 2], [0, 0, 1]])
    return to @ transform @ np.linalg.inv(to)


def _plane_matrix(transform: _Matrix, factor: int) -> _Matrix:
    """A luma-pixel transform as one for a plane subsampled by `factor`."""
    return _rescale(transform, 1 / factor) if factor != 1 else transform


def _translation(x: float, y: float) -> _Matrix:
    return np.array([[1.0, 0, x], [0, 1.0, y], [0, 0, 1]])


def _similarity(scale: float, angle: float) -> _Matrix:
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]])


def _scale_angle(transform: _Matrix) -> tuple[float, float]:
    a, d = transform[0, 0], transform[1, 0]
    return float(np.hypot(a, d)), float(np.arctan2(d, a))


def _power(transform: _Matrix, s: float) -> _Matrix:
    """The similarity transform `s` of the way from identity to `transform` (s may be
    negative: the way back), keeping its fixed point still, as a camera zoom does."""
    scale, angle = _scale_angle(transform)
    linear = _similarity(scale**s, angle * s)
    shift = transform[:2, 2]
    step = np.eye(2) - transform[:2, :2]
    if abs(np.linalg.det(step)) < 1e-9:  # a pure translation has no fixed point
        linear[:2, 2] = shift * s
    else:
        fixed = np.linalg.solve(step, shift)
        linear[:2, 2] = (np.eye(2) - linear[:2, :2]) @ fixed
    return linear


def _apply(transform: _Matrix, x: float, y: float) -> tuple[float, float]:
    px, py, _ = transform @ (x, y, 1.0)
    return float(px), float(py)


def _apply_points(transform: _Matrix, points: np.ndarray) -> np.ndarray:
    return points @ transform[:2, :2].T + transform[:2, 2]


def _covers(transform: _Matrix, size: tuple[int, int]) -> bool:
    """Whether every output pixel samples inside the source (both are `size`), give or take a
    strip of `_EDGE_SLACK` of the width that a replicated border fills invisibly."""
    width, height = size
    slack = _EDGE_SLACK * width
    corners = np.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]])
    mapped = _apply_points(transform, corners.astype(np.float64))
    return bool(
        (mapped[:, 0] >= -0.5 - slack).all()
        and (mapped[:, 0] <= width - 0.5 + slack).all()
        and (mapped[:, 1] >= -0.5 - slack).all()
        and (mapped[:, 1] <= height - 0.5 + slack).all()
    )


def _box(
    transform: _Matrix, box: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The output box (even coordinates, for the chroma planes) that `box` maps into."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]])
    mapped = _apply_points(transform, corners)
    width, height = size
    left = max(0, int(np.floor(mapped[:, 0].min())) - 2) & ~1
    top = max(0, int(np.floor(mapped[:, 1].min())) - 2) & ~1
    right = min(width, (int(np.ceil(mapped[:, 0].max())) + 3) & ~1)
    bottom = min(height, (int(np.ceil(mapped[:, 1].max())) + 3) & ~1)
    if right - left < 2 or bottom - top < 2:
        return None
    return left, top, right, bottom


def _plane(frame: np.ndarray, index: int, size: tuple[int, int]) -> np.ndarray:
    return _i420_planes(frame, *size)[index]


def _planes(
    frame: np.ndarray, source: np.ndarray, transform: _Matrix, size: tuple[int, int]
) -> list[tuple[np.ndarray, np.ndarray, _Matrix]]:
    """(destination plane, source plane, plane transform) for the three I420 planes."""
    destination = _i420_planes(frame, *size)
    sources = _i420_planes(source, *size)
    chroma = _plane_matrix(transform, 2)
    return [(destination[i], sources[i], transform if i == 0 else chroma) for i in range(3)]


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
            raise OperationFailedError("the offline render was cancelled")
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
        return OperationFailedError("the offline renderer's worker process stopped; try again")
    if isinstance(error, MediaError):
        return EngineError(f"the offline renderer could not encode the clip: {error}")
    return EngineError(f"the offline renderer failed: {error!r}")
