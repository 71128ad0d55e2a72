"""The offline VideoMaker: a clip that moves from the first keyframe to the last one.

Veo interpolates between a first and a last frame; offline, the clip is drawn the way a 2D
animator tweens. The keyframes are split once into a backdrop and a cut-out character, each
with its own rigid motion (`layers.analyse`), and every frame moves each layer partway along
its own motion and dissolves between the two keyframes' looks of it, so the character travels
and grows as one piece instead of melting through itself. What rigid motion cannot explain -
an arm raised, a body squashed - is bent into place by dense optical flow between the
character's two aligned looks (`flow`), each look warped toward the other and the two blended
inside the character's dissolve. A slow camera move (zero at both ends, so the keyframes stay
exact) keeps the shot alive where nothing else moves.

Why flow only there: over a whole frame, per-pixel flow cannot follow a character that
crosses a third of it (it melts and ghosts), and on a backdrop that is reframed (a close-up's
set zoomed and softened) it bends straight lines; once a layer's looks are aligned, what is
left is small and local, which is what flow is good at. It is computed once per clip, at
reduced size, and only when the character's pose changed; per frame it costs a remap of the
character's box inside its dissolve.

Speed (8 s of 720p on two cores is about 1.3 CPU-s of frames, 1.2 of encoding, 0.3 of set-up):
frames are drawn directly on the encoder's I420 planes by two threads and streamed to ffmpeg
as they are made, so memory does not grow with the clip. Each keyframe's canvas holds both
plates in its own pixels, so a frame dissolving between them is one mix and one warp, not one
warp per plate; planes that move together travel as one 4-channel image, because OpenCV warps
four uint8 channels as fast as one. The set-up (decoding, analysis, flow, sound, starting the
encoder) is spread over the cores too.

`render_clip` is the synchronous core (the emulator and the benchmark call it directly);
`LocalVideoMaker` runs it in the process pool behind the VideoMaker protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
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
from typing import cast

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
from avpe_desktop.engines.local.affine import (
    Matrix,
    apply_points,
    bounds,
    plane_matrix,
    power,
    pull,
    pull_into,
    translation,
)
from avpe_desktop.engines.local.fallback import GEOMETRY_ERRORS, describe, motion_plans
from avpe_desktop.engines.local.flow import FIELD_SIDE, ResidualFlow, reposed
from avpe_desktop.engines.local.layers import Box, Layers
from avpe_desktop.engines.local.sounds import SAMPLE_RATE, creature_audio, silence
from avpe_desktop.media.encode import VideoWriter, rgb_to_yuv420
from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.workers import run_in_process

log = logging.getLogger(__name__)

FPS = 24
DURATIONS = (4, 6, 8)
OPERATION_PREFIX = "local-ops/"
_PROGRESS_EVERY = 12  # frames
_RENDER_THREADS = 2  # frames made at once; OpenCV releases the GIL
# The encoder takes about 40% of the CPU of a clip: x264 superfast alone needs 2.7 CPU-seconds
# for 8 s of 720p, ultrafast 1.1 (files about twice as large, ~2.4 Mbit/s, fine for drafts).
# ffmpeg's default AAC coder ("twoloop") spends another 0.35 CPU-s on 8 s of sound, its "fast"
# one 0.1, with no difference to hear in creature noises at 160 kbit/s. x264 gets the cores the
# frame threads leave: on two cores one thread, since its frame threading there only added
# 0.1 CPU-s of hand-offs (same output).
OFFLINE_PRESET = "ultrafast"
_AAC_CODER = "fast"
_ENCODER_THREADS = max(1, (os.cpu_count() or 1) - _RENDER_THREADS)


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
    if seed is None:
        seed = zlib.crc32(first_frame) ^ zlib.crc32(last_frame)
    count = duration * FPS
    times = [i / (count - 1) for i in range(count)]
    # Frames are made by a few threads of our own (OpenCV releases the GIL), each running
    # OpenCV single-threaded: OpenCV's own per-call thread hand-offs cost more than they save
    # when the encoder is busy on the other cores (5x slower resizes measured).
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with ThreadPoolExecutor(_RENDER_THREADS, thread_name_prefix="avpe-frames") as pool:
            # The set-up is spread over the cores too: both keyframes are decoded at once,
            # then the analysis runs while this thread makes the sound and starts the encoder
            # on the first frame (the keyframe itself).
            decoding = pool.submit(_keyframe, last_frame, size, "last")
            first = _keyframe(first_frame, size, "first")
            last = decoding.result()
            making = pool.submit(TweenInterpolator, first, last, seed=seed)
            if generate_audio:
                audio = creature_audio(duration, creature_sounds, creature_language, seed=seed)
            else:
                audio = silence(duration)
            with VideoWriter(
                out_path,
                FPS,
                audio=audio,
                sample_rate=SAMPLE_RATE,
                preset=preset,
                pixel_format="yuv420p",
                aac_coder=_AAC_CODER,
                threads=_ENCODER_THREADS,
            ) as out:
                out.write(_i420(*rgb_to_yuv420(first)))
                interpolator = making.result()
                frames = _in_order(pool, interpolator.frame, times[1:], ahead=_RENDER_THREADS + 1)
                for i, frame in enumerate(frames, start=2):
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


# Stretches of eased time over which the two looks of each layer dissolve into each other:
# both layers are aligned, so the dissolve only changes light and sharpness (and, bent by the
# flow, the character's pose); outside its stretch the character is drawn from one look.
_BACKGROUND_DISSOLVE = (0.15, 0.85)
_CHARACTER_DISSOLVE = (0.3, 0.7)
_SETTLE = 0.006  # eased time over which a frame fades into its keyframe at each end
# A plate falling short of the frame by up to `_EDGE_SLACK` of its width is stretched (its
# border replicated): exact up to its edges, as a clip's ends must be, and a camera drift's
# few pixels of smear pass unseen. Past that it gives way to the other plate over
# `_EDGE_FEATHER` of its shorter side. Falling much further short - a close-up's backdrop
# seen wider - it rather fades out inside its edges into the other plate, which hides its
# edge (often darkened by a vignette) where the replicated one would frame it; that fade
# comes in as the shortfall grows over `_FEATHER_SHORTFALL` (in slacks), so no frame jumps.
_EDGE_SLACK = 0.02
_EDGE_FEATHER = 0.08
_FEATHER_SHORTFALL = (2.0, 4.0)
_OUTLINE_STEP = 4  # pixels per point of the grid a plate's outline is computed on
_CANVAS_MARGIN = 0.03  # room past both keyframes' views for the camera's drift
_FLOW_MARGIN = 0.15  # room around the character's two looks for the flow to move things into
_STILL = 0.5  # pixels: residual flow below this everywhere is noise, not a change of pose
# A motion is only taken once it has drawn these frames: one from each keyframe's canvas, both
# inside the character's dissolve (where the flow bends it), so a motion that would break
# halfway through a render gives way to a simpler one before the first frame is encoded.
_PROBES = (0.4, 0.6)


def _window(s: float, begin: float, end: float) -> float:
    return _ease(min(1.0, max(0.0, (s - begin) / (end - begin))))


def _settle(s: float) -> float:
    return max(0.0, 1 - s / _SETTLE) ** 2


@dataclass(frozen=True)
class _Pack:
    """Planes that always move together, as 4-channel images: one at full size (luma) and
    one at half size (chroma). OpenCV's warps run as fast on four uint8 channels as on one
    (the 1- and 4-channel kernels are vectorised, 2 and 3 are not), so every plane riding
    along is free. `origin` is where the pack's top-left pixel sits in its keyframe."""

    full: np.ndarray
    half: np.ndarray
    origin: tuple[int, int]


@dataclass(frozen=True)
class _Plate:
    """One plate in a canvas's pixels, as (luma, 4-channel chroma pack) pairs: `exact`, its
    border replicated past its edges (for a slack, then giving way to the other plate if it
    may), and `feathered`, faded out inside its edges into the other plate (None when it
    never needs to be: it never falls far short of a frame, or the other keyframe may not
    show in its place)."""

    exact: tuple[np.ndarray, np.ndarray]
    feathered: tuple[np.ndarray, np.ndarray] | None


@dataclass(frozen=True)
class _Canvas:
    """Both plates in one keyframe's pixels, so that a frame dissolving between them is
    mixed in place and then warped once, instead of warping each plate.

    Keyframe pixel (0, 0) sits at canvas pixel `origin` (even, for the chroma planes); the
    canvas reaches past the keyframe as far as the other keyframe sees. `plates` are this
    keyframe's plate and the other one's, resampled into these pixels, and `key` is this
    keyframe itself (for the fade at the ends). The chroma packs hold U and V of the plate,
    and for this keyframe's plate also U and V of `key`, which so ride along for free.

    The frames of the first half of the clip sample the first keyframe's canvas, those of
    the second half the last one's: the plate that dominates a frame is resampled once, the
    fading one twice (bicubic, then bilinear), which is invisible under the dissolve.
    """

    origin: tuple[int, int]
    plates: tuple[_Plate, _Plate]
    key: np.ndarray


@dataclass(frozen=True)
class _Sprite:
    """The character as drawn over the plates: its two looks (premultiplied `_Pack`s), the
    rigid `motion` from the first look's keyframe pixels to the last one's, the `region`
    either look covers (keyframe-0 pixels) and the residual `flow` between the looks, if its
    pose changed."""

    looks: tuple[_Pack, _Pack]
    motion: Matrix
    region: Box
    flow: ResidualFlow | None


def _pack(*planes: np.ndarray) -> np.ndarray:
    height, width = planes[0].shape
    pack = np.zeros((height, width, 4), np.uint8)
    for index, plane in enumerate(planes):
        pack[..., index] = plane
    return pack


class TweenInterpolator:
    """Frames between two keyframes drawn like a 2D animation tween: a background layer and a
    character layer, each moved along its own path and cross-dissolved.

    Every frame moves both keyframes' clean backdrops ("plates", the character painted out)
    partway along the backdrop motion and dissolves between them, and draws the character on
    top, moved partway along its own motion (with a small hop when it travels) and dissolved
    between its two looks; inside that dissolve the looks are also bent toward each other by
    their residual optical flow, so a pose change is seen as movement, not as two poses
    fading. The keyframes' own pixels are what gets moved, each sampled once per frame (the
    rigid move and the flow are composed into one map), so nothing in between is smeared.
    When no character can be told apart (nothing moved, or the scene changed too much to
    analyse) the frames are a plain eased dissolve along the backdrop motion, which still
    never melts. A motion that is degenerate, or breaks while being set up, gives way to a
    simpler one (`fallback.motion_plans`): a clip is never lost to its geometry.

    A slow camera move (zero at both ends) keeps a static shot alive. Near the ends the
    frame fades into the keyframe itself, so the first and last frames are exact and the clip
    joins its neighbours without a jump. Everything is drawn directly on the encoder's I420
    planes (half the bytes of RGB, no colour conversion per frame); `frame()` returns what
    `VideoWriter(pixel_format="yuv420p")` takes.
    """

    def __init__(self, first: np.ndarray, last: np.ndarray, *, seed: int) -> None:
        if first.shape != last.shape:
            raise ValueError(f"keyframes differ in size: {first.shape} vs {last.shape}")
        height, width = first.shape[:2]
        self._size = (width, height)
        ends = [rgb_to_yuv420(frame) for frame in (first, last)]
        self._ends = tuple(_i420(*planes) for planes in ends)
        rng = np.random.default_rng(seed)
        self._zoom = rng.uniform(0.03, 0.06)
        angle = rng.uniform(0, 2 * np.pi)
        self._pan = 0.012 * width * float(np.cos(angle)), 0.012 * width * float(np.sin(angle))
        self._buffers = threading.local()
        plans = motion_plans(first, last)
        for number, layers in enumerate(plans, start=1):
            try:
                self._set_up(layers, ends)
                for t in _PROBES:
                    self.frame(t)
            except GEOMETRY_ERRORS:
                if number == len(plans):
                    raise
                log.info(
                    "The tween along %s could not be drawn; falling back to a simpler motion",
                    describe(layers),
                    exc_info=True,
                )
            else:
                if number > 1:
                    log.info("Tweening along %s instead", describe(layers))
                return

    def _set_up(
        self, layers: Layers, ends: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> None:
        """The layers, canvases and character sprite a tween along `layers` draws from."""
        self._layers = layers
        if layers.character is None:
            plates = ends
        else:
            plates = [rgb_to_yuv420(plate) for plate in layers.plates]
        forward, back = layers.background, np.linalg.inv(layers.background)
        # Where a plate falls far short, the other one may take over only if it holds nothing
        # of the other keyframe's character: a clean plate, or - when no character could be
        # told apart - a wider view of the same place, whose margins are only backdrop. (A
        # keyframe the backdrop motion calls wider but which does not contain this one is a
        # misread close-up: its margins would be the character's giant body.) A plate that
        # never falls far short is not feathered at all, which saves making it so.
        clean = layers.character is not None
        fills = (clean or _contains(forward, self._size), clean or _contains(back, self._size))
        fading = np.max([self._fades(t) for t in np.linspace(0, 1, 25)], axis=0)
        feathers = (fills[0] and bool(fading[0] > 0), fills[1] and bool(fading[1] > 0))
        # The canvases and the character (with its flow) are independent and each tens of
        # milliseconds of OpenCV (which releases the GIL): made side by side, they wait less.
        with ThreadPoolExecutor(2, thread_name_prefix="avpe-setup") as pool:
            last_canvas = pool.submit(
                _canvas, plates[1], ends[1], plates[0], back, fills[::-1], feathers[::-1]
            )
            sprite = None if layers.character is None else pool.submit(_character, ends, layers)
            first_canvas = _canvas(plates[0], ends[0], plates[1], forward, fills, feathers)
            self._canvases = (first_canvas, last_canvas.result())
            self._sprite = None if sprite is None else sprite.result()

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
        planes = _i420_planes(out, width, height)
        view = self._camera(t)  # output pixel -> the scene at time s (keyframe-0 pixels at s=0)
        layers = self._layers
        to_keys = self._backdrop(t)
        # The first half of the clip is drawn from the first keyframe's canvas, the second
        # half from the last one's.
        k = 0 if s < 0.5 else 1
        weight = _window(s, *_BACKGROUND_DISSOLVE)
        fades = (_fade(to_keys[0], self._size), _fade(to_keys[1], self._size))
        chroma = self._background(planes, k, to_keys[k], (1 - weight, weight), fades)
        if self._sprite is not None:
            pose = layers.pose(s)  # keyframe-0 pixels -> the scene at time s
            to_character = np.linalg.inv(pose) @ view
            self._draw(planes, self._sprite, to_character, _window(s, *_CHARACTER_DISSOLVE))
        # Fade into the keyframes at the ends: layers are never pixel-exact at a soft edge.
        settle = _settle(s if k == 0 else 1 - s)
        if settle > 0:
            self._blend_in(planes, k, to_keys[k], chroma, settle)
        return out

    def _backdrop(self, t: float) -> tuple[Matrix, Matrix]:
        """Output pixels -> each keyframe's pixels, for the backdrop at time t."""
        to_first = power(self._layers.background, -_ease(t)) @ self._camera(t)
        return to_first, self._layers.background @ to_first

    def _fades(self, t: float) -> tuple[float, float]:
        """How far each plate is faded from exact to feathered at time t (`_fade`)."""
        first, last = self._backdrop(t)
        return _fade(first, self._size), _fade(last, self._size)

    def _camera(self, t: float) -> Matrix:
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

    def _work(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A per-thread scratch buffer, reused frame after frame (fresh 1 MB arrays per frame
        cost page faults that showed up in the render time)."""
        buffers: dict[str, np.ndarray] = self._buffers.__dict__
        size = math.prod(shape)
        buffer = buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = buffers[name] = np.empty(size, np.uint8)
        return buffer[:size].reshape(shape)

    def _background(
        self,
        planes: list[np.ndarray],
        k: int,
        to_key: Matrix,
        shares: tuple[float, float],
        fades: tuple[float, float],
    ) -> np.ndarray:
        """The plates dissolved, each by its share and faded by its `_fade`, drawn from
        keyframe k's canvas (`to_key`: output pixels -> keyframe-k pixels). Returns the
        chroma as warped (4 channels: U, V, and the keyframe's U, V while only its plate
        shows)."""
        canvas = self._canvases[k]
        luma, u, v = planes
        to_canvas = translation(*canvas.origin) @ to_key
        sources: list[tuple[tuple[np.ndarray, np.ndarray], float]] = []
        for plate, index in zip(canvas.plates, (k, 1 - k), strict=True):
            share, fade = shares[index], fades[index]
            if plate.feathered is None:
                sources.append((plate.exact, share))
            else:
                sources += [(plate.exact, share * (1 - fade)), (plate.feathered, share * fade)]
        sources = [(images, weight) for images, weight in sources if weight > 0]
        source = self._mix("mixed", [(images[0], weight) for images, weight in sources])
        chroma = self._mix("mixed/2", [(images[1], weight) for images, weight in sources])
        pull_into(source, to_canvas, luma, cv2.BORDER_REPLICATE)
        moved = self._work("chroma", (*u.shape, 4))
        pull_into(chroma, plane_matrix(to_canvas, 2), moved, cv2.BORDER_REPLICATE)
        cv2.mixChannels([moved], [u, v], [0, 0, 1, 1])
        return moved

    def _mix(self, name: str, sources: list[tuple[np.ndarray, float]]) -> np.ndarray:
        """The sum of same-shape images by weights that add up to 1: the image itself when
        there is one, else in a scratch buffer."""
        (image, weight), *rest = sources
        if not rest:
            return image
        mixed = self._work(name, image.shape)
        (second, second_weight), *rest = rest
        cv2.addWeighted(image, weight, second, second_weight, 0, dst=mixed)
        for image, weight in rest:
            cv2.addWeighted(mixed, 1, image, weight, 0, dst=mixed)
        return mixed

    def _draw(
        self, planes: list[np.ndarray], sprite: _Sprite, to_first: Matrix, weight: float
    ) -> None:
        """The character's two looks moved to its pose at this moment (`to_first`: output
        pixels -> keyframe-0 pixels), bent toward each other by the residual flow inside the
        dissolve, and composited over the plates with their soft masks; only the box it
        covers is touched."""
        box = _out_box(np.linalg.inv(to_first), sprite.region, self._size)
        if box is None:
            return
        x0, y0, x1, y1 = box
        shift = translation(x0, y0)
        to_last = sprite.motion @ to_first
        to_looks = tuple(
            translation(-look.origin[0], -look.origin[1]) @ m @ shift
            for look, m in zip(sprite.looks, (to_first, to_last), strict=True)
        )
        used = [(k, w) for k, w in ((0, 1 - weight), (1, weight)) if w > 0]
        flow = sprite.flow if len(used) == 2 else None
        for factor, targets in ((1, planes[:1]), (2, planes[1:])):
            size = ((x1 - x0) // factor, (y1 - y0) // factor)
            if flow is not None:
                maps = flow.maps((to_looks[0], to_looks[1]), size, weight, factor)
            samples = []
            for k, _ in used:
                look = sprite.looks[k]
                pack = look.full if factor == 1 else look.half
                sample = self._work(f"look{k}/{factor}", (size[1], size[0], 4))
                if flow is not None:
                    cv2.remap(
                        pack, *maps[k], cv2.INTER_LINEAR, dst=sample, borderMode=cv2.BORDER_CONSTANT
                    )
                else:
                    pull_into(pack, plane_matrix(to_looks[k], factor), sample, cv2.BORDER_CONSTANT)
                samples.append(sample)
            if len(samples) == 2:
                # The looks are premultiplied by their masks, so the dissolve between them
                # is a plain weighted sum and the character goes "over" the backdrop as
                # backdrop * (1 - cover) + colour.
                mixed = self._work(f"mixed/{factor}", samples[0].shape)
                cv2.addWeighted(samples[0], 1 - weight, samples[1], weight, 0, dst=mixed)
            else:
                mixed = samples[0]
            uncovered = self._work(f"uncovered/{factor}", mixed.shape[:2])
            cv2.mixChannels([mixed], [uncovered], [len(targets), 0])  # Y, mask / U, V, mask
            np.subtract(255, uncovered, out=uncovered)
            colour = self._work(f"colour/{factor}", mixed.shape[:2])
            for index, target in enumerate(targets):
                roi = target[y0 // factor : y1 // factor, x0 // factor : x1 // factor]
                cv2.mixChannels([mixed], [colour], [index, 0])
                cv2.multiply(roi, uncovered, dst=roi, scale=1 / 255)
                cv2.add(roi, colour, dst=roi)

    def _blend_in(
        self, planes: list[np.ndarray], k: int, to_key: Matrix, chroma: np.ndarray, weight: float
    ) -> None:
        """Mixes keyframe k itself, under the same camera, into the frame; its chroma came
        along with the plate's in `chroma`."""
        canvas = self._canvases[k]
        luma, u, v = planes
        key = self._work("key", luma.shape)
        pull_into(canvas.key, translation(*canvas.origin) @ to_key, key, cv2.BORDER_REPLICATE)
        key_u = self._work("key/u", u.shape)
        key_v = self._work("key/v", v.shape)
        cv2.mixChannels([chroma], [key_u, key_v], [2, 0, 3, 1])
        for target, source in ((luma, key), (u, key_u), (v, key_v)):
            cv2.addWeighted(target, 1 - weight, source, weight, 0, dst=target)


def _canvas(
    plate: tuple[np.ndarray, ...],
    key: tuple[np.ndarray, ...],
    other: tuple[np.ndarray, ...],
    to_other: Matrix,
    fills: tuple[bool, bool],
    feathers: tuple[bool, bool],
) -> _Canvas:
    """Keyframe k's canvas from its plate and keyframe (I420 planes), the other keyframe's
    plate and the backdrop's motion from this keyframe's pixels to the other's. `fills` says
    whether this plate, and the other one, give way to the other plate where they fall far
    short, `feathers` whether they are also made feathered; both canvases must agree on
    them, so that the frame drawn from either at the middle of the clip is the same."""
    height, width = plate[0].shape
    frame = (0.0, 0.0, float(width), float(height))
    seen = _union(frame, bounds(np.linalg.inv(to_other), frame))
    margin = _CANVAS_MARGIN * width
    # Past half a frame beyond each edge the other keyframe is so much wider that a replicated
    # border is as good as anything, and the canvas stays within four frames' memory.
    left = min(max(0.0, margin - seen[0]), width / 2)
    top = min(max(0.0, margin - seen[1]), height / 2)
    right = min(max(0.0, seen[2] + margin - width), width / 2)
    bottom = min(max(0.0, seen[3] + margin - height), height / 2)
    ox, oy = int(np.ceil(left / 2)) * 2, int(np.ceil(top / 2)) * 2
    span = (ox + width + int(np.ceil(right / 2)) * 2, oy + height + int(np.ceil(bottom / 2)) * 2)
    to_own = translation(-ox, -oy)
    # Per plate, its exact version and maybe its feathered one, as the share of the plate
    # each keeps (the rest is the other plate) on a coarse grid; None: the plate as it is.
    keeps: list[list[np.ndarray | None]] = [[None], [None]]
    if any(fills) or any(feathers):
        outlines = [_outline(m, span, (width, height)) for m in (to_own, to_other @ to_own)]
        for which in (0, 1):
            reach, edge = outlines[which]
            there = outlines[1 - which][0]
            # A version gives way to the other plate only where that one reaches; where
            # neither does, the replicated border is all there is.
            if fills[which]:
                keeps[which][0] = 1 - (1 - reach) * there
            if feathers[which]:
                keeps[which].append(1 - (1 - edge) * there)
    versions: list[list[list[np.ndarray]]] = [[[] for _ in keep] for keep in keeps]
    keys: list[np.ndarray] = []
    for factor, index in ((1, 0), (2, 1), (2, 2)):
        size = (span[0] // factor, span[1] // factor)
        x, y = ox // factor, oy // factor
        to_there = plane_matrix(to_other @ to_own, factor)
        h, w = plate[index].shape
        border = (y, size[1] - h - y, x, size[0] - w - x)
        own = cv2.copyMakeBorder(plate[index], *border, cv2.BORDER_REPLICATE)
        keys.append(cv2.copyMakeBorder(key[index], *border, cv2.BORDER_REPLICATE))
        # Bicubic keeps the luma of the plate resampled twice as sharp as the other one
        # (bilinear twice measurably softens it); soft chroma does not need it.
        sharp = cv2.INTER_CUBIC if factor == 1 else cv2.INTER_LINEAR
        there = pull(other[index], to_there, size, cv2.BORDER_REPLICATE, sharp)
        images = (own, there)
        for which in (0, 1):
            for keep, made in zip(keeps[which], versions[which], strict=True):
                if keep is None:
                    made.append(images[which])
                    continue
                weight = cv2.resize(keep, size, interpolation=cv2.INTER_LINEAR)
                made.append(cv2.blendLinear(images[which], images[1 - which], weight, 1 - weight))
    plates = []
    for which, riding in ((0, keys[1:]), (1, [])):
        packed = [(luma, _pack(u, v, *riding)) for luma, u, v in versions[which]]
        plates.append(_Plate(packed[0], packed[1] if len(packed) > 1 else None))
    return _Canvas((ox, oy), (plates[0], plates[1]), keys[0])


def _outline(
    to_plate: Matrix, span: tuple[int, int], size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A plate of `size` over a canvas of `span` (`to_plate`: canvas pixels -> the plate's),
    on a coarse grid, since both maps are smooth and a few full-size float maps per canvas
    cost more than its warps. `reach`: 1 on the plate and up to `_EDGE_SLACK` past its
    edges, where its replicated border still passes, then easing to 0 over `_EDGE_FEATHER`
    (the other plate gives way to it only there: further out it would be a long smear).
    `edge`: 0 on its outermost pixels and off it, easing to 1 over `_EDGE_FEATHER` inside
    (its feathered outline)."""
    width, height = size
    slack = _EDGE_SLACK * width
    feather = _EDGE_FEATHER * min(width, height)
    grid = (-(-span[0] // _OUTLINE_STEP), -(-span[1] // _OUTLINE_STEP))
    # Canvas coordinates of the grid's pixel centres, as cv2.resize will spread them.
    xs = (np.arange(grid[0]) + 0.5) * span[0] / grid[0] - 0.5
    ys = (np.arange(grid[1]) + 0.5) * span[1] / grid[1] - 0.5
    (a, b, c), (d, e, f) = to_plate[:2]
    px = a * xs[None, :] + b * ys[:, None] + c
    py = d * xs[None, :] + e * ys[:, None] + f
    # Signed distances to the nearest pixel centre of each border column and row: negative
    # past the edge.
    ix = np.minimum(px, width - 1 - px)
    iy = np.minimum(py, height - 1 - py)
    outside = np.hypot(np.maximum(-0.5 - ix, 0), np.maximum(-0.5 - iy, 0))
    reach = 1 - _smooth(np.clip((outside - slack) / feather, 0, 1))
    edge = _smooth(np.clip(np.minimum(ix, iy) / feather, 0, 1))
    return reach.astype(np.float32), edge.astype(np.float32)


def _smooth(x: np.ndarray) -> np.ndarray:
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", x * x * (3 - 2 * x))


def _look(planes: tuple[np.ndarray, ...], alpha: np.ndarray, box: Box) -> _Pack:
    """The character as seen in one keyframe: its colour planes premultiplied by its soft
    mask, and the mask, cropped to its box (even coordinates, for the chroma planes) with a
    margin left transparent."""
    height, width = alpha.shape
    x0 = max(0, int(box[0]) - 2) & ~1
    y0 = max(0, int(box[1]) - 2) & ~1
    x1 = min(width, (int(np.ceil(box[2])) + 3) & ~1)
    y1 = min(height, (int(np.ceil(box[3])) + 3) & ~1)
    luma, u, v = planes
    full_alpha = alpha[y0:y1, x0:x1]
    chroma = slice(y0 // 2, y1 // 2), slice(x0 // 2, x1 // 2)
    half_alpha = cv2.resize(alpha, (width // 2, height // 2), interpolation=cv2.INTER_AREA)[chroma]
    full = _pack(cv2.multiply(luma[y0:y1, x0:x1], full_alpha, scale=1 / 255), full_alpha)
    half = _pack(
        cv2.multiply(u[chroma], half_alpha, scale=1 / 255),
        cv2.multiply(v[chroma], half_alpha, scale=1 / 255),
        half_alpha,
    )
    return _Pack(full, half, (x0, y0))


def _character(ends: Sequence[tuple[np.ndarray, ...]], layers: Layers) -> _Sprite:
    """The character as a sprite: its looks cut out by its masks, and the flow of its pose."""
    assert layers.character is not None
    looks = (
        _look(ends[0], layers.alphas[0], layers.boxes[0]),
        _look(ends[1], layers.alphas[1], layers.boxes[1]),
    )
    # Everything either look covers, in keyframe-0 pixels: the box a frame redraws.
    region = _union(layers.boxes[0], bounds(np.linalg.inv(layers.character), layers.boxes[1]))
    flow = _residual_flow(ends, layers.alphas, layers.character, region, looks[0].origin)
    return _Sprite(looks, layers.character, region, flow)


def _residual_flow(
    ends: Sequence[tuple[np.ndarray, ...]],
    alphas: tuple[np.ndarray, np.ndarray],
    motion: Matrix,
    region: Box,
    origin: tuple[int, int],
) -> ResidualFlow | None:
    """The flow between the character's two looks once its rigid `motion` is undone, on a grid
    over `region` (keyframe-0 pixels) with room around it; None when the pose did not change,
    so a rigid character costs no flow, neither once nor per frame."""
    x0, y0, x1, y1 = region
    margin = _FLOW_MARGIN * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    span = (round(x1 - x0), round(y1 - y0))
    step = max(1.0, max(span) / FIELD_SIDE)  # keyframe pixels per grid point
    grid = (max(8, round(span[0] / step)), max(8, round(span[1] / step)))
    # Both looks over the region at full size (look 1 brought into look 0's place), then
    # shrunk by area so a big character's detail does not alias.
    corner = translation(x0, y0)
    looks: list[tuple[np.ndarray, np.ndarray]] = []
    for k, to_look in ((0, corner), (1, motion @ corner)):
        grey = pull(ends[k][0], to_look, span)
        alpha = pull(alphas[k], to_look, span)
        grey_small, alpha_small = (
            cv2.resize(image, grid, interpolation=cv2.INTER_AREA) for image in (grey, alpha)
        )
        looks.append((grey_small, alpha_small))
    if not reposed(*looks[0], *looks[1]):
        return None
    scale = (grid[0] / span[0], grid[1] / span[1])
    to_grid = np.array(
        [
            [scale[0], 0, scale[0] * (0.5 - x0 + origin[0]) - 0.5],
            [0, scale[1], scale[1] * (0.5 - y0 + origin[1]) - 0.5],
            [0, 0, 1],
        ]
    )
    flow = ResidualFlow.between((looks[0], looks[1]), to_grid, motion[:2, :2])
    return flow if np.abs(flow.field).max() >= _STILL else None


def _fade(to_plate: Matrix, size: tuple[int, int]) -> float:
    """How far a plate seen through `to_plate` (output pixels -> its pixels, both of `size`)
    is drawn feathered rather than exact, by how far it falls short of the frame."""
    width, height = size
    corners = apply_points(
        to_plate,
        np.array(
            [[-0.5, -0.5], [width - 0.5, -0.5], [-0.5, height - 0.5], [width - 0.5, height - 0.5]]
        ),
    )
    x, y = corners[:, 0], corners[:, 1]
    short = np.hypot(
        np.maximum(np.maximum(-0.5 - x, x - (width - 0.5)), 0),
        np.maximum(np.maximum(-0.5 - y, y - (height - 0.5)), 0),
    )
    return _window(float(short.max()) / (_EDGE_SLACK * width), *_FEATHER_SHORTFALL)


def _contains(to_other: Matrix, size: tuple[int, int]) -> bool:
    """Whether the other keyframe (`to_other`: this keyframe's pixels -> the other's, both
    of `size`) sees all of this one, give or take the slack a replicated border fills."""
    width, height = size
    slack = _EDGE_SLACK * width
    left, top, right, bottom = bounds(to_other, (-0.5, -0.5, width - 0.5, height - 0.5))
    return (
        left >= -0.5 - slack
        and top >= -0.5 - slack
        and right <= width - 0.5 + slack
        and bottom <= height - 0.5 + slack
    )


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _out_box(
    transform: Matrix, box: Box, size: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The output box (even coordinates, for the chroma planes) that `box` maps into."""
    left, top, right, bottom = bounds(transform, box)
    width, height = size
    x0 = max(0, int(np.floor(left)) - 2) & ~1
    y0 = max(0, int(np.floor(top)) - 2) & ~1
    x1 = min(width, (int(np.ceil(right)) + 3) & ~1)
    y1 = min(height, (int(np.ceil(bottom)) + 3) & ~1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1, y1


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
        name = OPERATION_PREFIX + op_id
        # Logged once, as it ends, whether or not anyone still polls (and so never as a
        # "Future exception was never retrieved").
        task.add_done_callback(partial(_log_failure, name))
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


def _log_failure(operation: str, task: asyncio.Future[Path]) -> None:
    """The failure with its traceback (the worker's own, carried along as the cause), for the
    log file: the creator only sees `_engine_error`'s words."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("Offline render %s failed", operation, exc_info=task.exception())


def _engine_error(error: BaseException) -> EngineError:
    if isinstance(error, EngineError):
        return error
    if isinstance(error, BrokenProcessPool):
        return OperationFailedError("the offline renderer's worker process stopped; try again")
    if isinstance(error, MediaError):
        return EngineError(f"the offline renderer could not encode the clip: {error}")
    return EngineError(
        "the offline renderer could not animate this clip (an unexpected error, written to "
        "the log file) — retry, or change its keyframes"
    )
