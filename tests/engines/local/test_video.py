"""The offline VideoMaker: real clips, decoded and measured."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from local_engine_helpers import arm_pixels, posed, scene

from avpe_desktop.domain import AspectRatio
from avpe_desktop.engines.base import (
    FrameRequest,
    OperationNotFoundError,
    RequestError,
    VideoMaker,
    VideoRequest,
)
from avpe_desktop.engines.local.affine import pull, rescale
from avpe_desktop.engines.local.painter import render_frame
from avpe_desktop.engines.local.sounds import creature_audio, voice_for
from avpe_desktop.engines.local.video import LocalVideoMaker, render_clip
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.probe import iter_frames, probe, read_frame


def _png(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def keyframes() -> list[np.ndarray]:
    return [scene(1280, 720, x, seed=3) for x in (0.3, 0.65, 0.4)]


@pytest.fixture(scope="module")
def chained(keyframes: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two 4 s segments that chain: a -> b, then b -> c."""
    folder = tmp_path_factory.mktemp("clips")
    return [
        render_clip(
            _png(keyframes[i]),
            _png(keyframes[i + 1]),
            folder / f"seg{i}.mp4",
            duration=4,
            creature_sounds=("happy chirp at the start", "giggle"),
            creature_language="Soft and High-Pitched",
        )
        for i in range(2)
    ]


def test_clip_shape_and_streams(chained: list[Path]) -> None:
    info = probe(chained[0])
    assert (info.width, info.height, info.fps, info.frame_count) == (1280, 720, 24.0, 96)
    assert info.duration == pytest.approx(4.0, abs=0.05)
    assert (info.video_codec, info.pixel_format) == ("h264", "yuv420p")
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48_000, 2)


def test_clip_starts_and_ends_on_its_keyframes(
    chained: list[Path], keyframes: list[np.ndarray]
) -> None:
    assert _mad(read_frame(chained[0], "first"), keyframes[0]) < 3
    assert _mad(read_frame(chained[0], "last"), keyframes[1]) < 3
    assert _mad(read_frame(chained[1], "first"), keyframes[1]) < 3


def test_the_middle_is_motion_not_a_crossfade(
    chained: list[Path], keyframes: list[np.ndarray]
) -> None:
    """Halfway, a crossfade would be the plain average of the keyframes; the rendered frame
    must differ from it (things have moved) and from both ends."""
    middle = read_frame(chained[0], 48)
    average = ((keyframes[0].astype(np.uint16) + keyframes[1]) // 2).astype(np.uint8)
    assert _mad(middle, average) > 2
    assert _mad(middle, keyframes[0]) > 3 and _mad(middle, keyframes[1]) > 3


def test_chained_segments_merge_without_a_jump(chained: list[Path], tmp_path: Path) -> None:
    report = merge_videos(chained, tmp_path / "merged.mp4")
    assert report.method == "copy"
    assert report.duration == pytest.approx(8.0, abs=0.1)
    frames = [f.astype(np.int16) for i, f in enumerate(iter_frames(report.path)) if 93 <= i <= 98]
    jumps = [float(np.abs(b - a).mean()) for a, b in itertools.pairwise(frames)]
    assert max(jumps) < 3, jumps


def test_portrait_size_and_keyframes_resized(keyframes: list[np.ndarray], tmp_path: Path) -> None:
    """Landscape keyframes for a 9:16 clip are cropped to fill and resized."""
    out = render_clip(
        _png(keyframes[0]),
        _png(keyframes[1]),
        tmp_path / "tall.mp4",
        duration=4,
        aspect_ratio=AspectRatio.PORTRAIT,
        generate_audio=False,
    )
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (720, 1280, 96)
    assert info.audio_codec == "aac"  # silent, but present: clips stay merge-compatible


@pytest.mark.parametrize("seconds", [6, 8])
def test_durations(keyframes: list[np.ndarray], tmp_path: Path, seconds: int) -> None:
    small = [cv2.resize(k, (320, 180)) for k in keyframes[:2]]
    out = render_clip(*map(_png, small), tmp_path / "d.mp4", duration=seconds, preset="ultrafast")
    info = probe(out)
    assert info.frame_count == seconds * 24
    assert info.duration == pytest.approx(seconds, abs=0.05)


def test_bad_requests_are_refused(keyframes: list[np.ndarray], tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="duration"):
        render_clip(_png(keyframes[0]), _png(keyframes[1]), tmp_path / "x.mp4", duration=5)
    with pytest.raises(RequestError, match="first keyframe"):
        render_clip(b"not an image", _png(keyframes[1]), tmp_path / "x.mp4", duration=4)
    assert list(tmp_path.iterdir()) == []


def test_creature_language_sets_the_pitch() -> None:
    assert voice_for("deep and rumbly").high_hz < voice_for("Soft and High-Pitched").low_hz
    audio = creature_audio(4, ["purr", "giggle at 2s"], "deep and rumbly", seed=1)
    assert audio.shape == (4 * 48_000, 2) and audio.dtype == np.float32
    assert 0.05 < np.abs(audio).max() <= 1.0
    spectrum = np.abs(np.fft.rfft(audio[:, 0]))
    peak_hz = np.argmax(spectrum) * 48_000 / len(audio)
    assert peak_hz < 700
    assert np.array_equal(
        audio, creature_audio(4, ["purr", "giggle at 2s"], "deep and rumbly", seed=1)
    )


async def test_maker_starts_at_once_and_keeps_the_loop_free(
    keyframes: list[np.ndarray],
) -> None:
    small = [cv2.resize(k, (640, 360)) for k in keyframes[:2]]
    maker = LocalVideoMaker()
    assert isinstance(maker, VideoMaker)
    request = VideoRequest(
        prompt="walks right", first_frame=_png(small[0]), last_frame=_png(small[1]), duration=4
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        began = time.perf_counter()
        name = await maker.start(request)
        assert time.perf_counter() - began < 0.5
        assert name.startswith("local-ops/")
        first = await maker.poll(name)
        assert not first.done and first.video is None
        while not (status := await maker.poll(name)).done:
            assert status.progress is None or 0.0 <= status.progress <= 1.0
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - began
        assert status.video is not None and status.video[4:8] == b"ftyp"
        # The loop kept running while the clip rendered: most 20 ms ticks happened.
        assert ticks >= 0.5 * elapsed / 0.02
    finally:
        ticking.cancel()
        await maker.aclose()


async def test_maker_errors() -> None:
    maker = LocalVideoMaker()
    try:
        with pytest.raises(OperationNotFoundError):
            await maker.poll("local-ops/does-not-exist")
        with pytest.raises(RequestError):
            await maker.start(VideoRequest(prompt="", first_frame=b"", last_frame=b"", duration=5))
        name = await maker.start(
            VideoRequest(prompt="", first_frame=b"junk", last_frame=b"junk", duration=4)
        )
        while True:
            try:
                status = await maker.poll(name)
            except RequestError as exc:
                assert "keyframe" in str(exc)
                break
            assert not status.done
            await asyncio.sleep(0.05)
    finally:
        await maker.aclose()


def _best_match(frame: np.ndarray, patch: np.ndarray) -> float:
    """Normalised cross-correlation of `patch` at its best place in `frame`."""
    scores = cv2.matchTemplate(frame, patch, cv2.TM_CCOEFF_NORMED)
    return float(scores.max())


def test_the_character_travels_whole_instead_of_ghosting(
    chained: list[Path], keyframes: list[np.ndarray]
) -> None:
    """Mid-clip, the character is one clean copy of itself somewhere on its way: a dissolve
    or a melt would show two faint copies, which match the keyframe's character poorly."""
    height, width = keyframes[0].shape[:2]
    cx, cy = int(width * 0.3), int(height * 0.55)
    patch = keyframes[0][cy - height // 7 : cy + height // 7, cx - height // 10 : cx + height // 10]
    average = ((keyframes[0].astype(np.uint16) + keyframes[1]) // 2).astype(np.uint8)
    for index in (36, 48, 60):
        assert _best_match(read_frame(chained[0], index), patch) > 0.9
    assert _best_match(average, patch) < 0.85


def test_a_still_character_gives_a_steady_frame(
    keyframes: list[np.ndarray], tmp_path: Path
) -> None:
    """With nothing moving between the keyframes, the in-between frames are the keyframe
    under a gentle camera move: sharp, with no smear or drift of the backdrop."""
    still = _png(keyframes[0])
    out = render_clip(still, still, tmp_path / "still.mp4", duration=4, generate_audio=False)
    frames = list(iter_frames(out))
    sharpness = cv2.Laplacian(cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()
    for frame in frames[::12]:
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        assert cv2.Laplacian(grey, cv2.CV_64F).var() > 0.6 * sharpness
    jumps = [_mad(a, b) for a, b in itertools.pairwise(frames)]
    assert max(jumps) < 2, max(jumps)


def _angle(mask: np.ndarray) -> float:
    """Direction of a bar-shaped mask, in radians above the horizontal."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    vx, vy, *_ = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    return float(np.arctan2(-vy, vx)) if vx > 0 else float(np.arctan2(vy, -vx))


def test_a_raised_arm_swings_through_the_poses_between(tmp_path: Path) -> None:
    """The character walks and raises its arm. Its body moves rigidly; the arm is bent into
    place by optical flow, so halfway there is one solid arm at an angle in between, where a
    dissolve would show two half-transparent arms at the two end angles."""
    down, up = -0.25, 0.25
    keys = [posed(1280, 720, 0.3, down), posed(1280, 720, 0.55, up)]
    out = render_clip(
        *map(_png, keys), tmp_path / "wave.mp4", duration=4, generate_audio=False, seed=1
    )
    solid_end, _ = arm_pixels(keys[0])
    middle = read_frame(out, 48)
    solid, tinted = arm_pixels(middle)
    assert solid.sum() > 0.7 * solid_end.sum()  # one whole arm, not two faint ones
    assert tinted.sum() < 0.45 * solid_end.sum()
    angle = _angle(solid)
    assert down + 0.25 * (up - down) < angle < up - 0.25 * (up - down), angle


def _dotted(width: int, height: int) -> np.ndarray:
    """A smooth backdrop sprinkled with dots: features to match, and no straight edges."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.dstack(
        [80 + 80 * yy / height, 120 + 60 * xx / width, 200 - 40 * yy / height]
    ).astype(np.uint8)
    rng = np.random.default_rng(4)
    points = zip(
        rng.uniform(0, width, 400),
        rng.uniform(0, height, 400),
        rng.integers(0, 255, (400, 3)),
        strict=True,
    )
    for x, y, colour in points:
        cv2.circle(image, (int(x), int(y)), 3, tuple(int(c) for c in colour), -1, cv2.LINE_AA)
    return image


def test_a_close_up_backdrop_seen_wider_has_no_hard_edges(tmp_path: Path) -> None:
    """From a wide shot to a brighter close-up of its middle: while the two dissolve, the
    close-up covers only part of the wide view, and it must fade out toward its edges, not
    end in a rectangle (which shows as a column and a row of steep steps)."""
    wide = _dotted(1280, 720)
    crop = wide[83:637, 148:1132]  # the middle 1/1.3
    close = cv2.resize(crop, (1280, 720), interpolation=cv2.INTER_CUBIC)
    close = np.clip(close.astype(np.int16) + 30, 0, 255).astype(np.uint8)
    out = render_clip(
        _png(wide), _png(close), tmp_path / "zoom.mp4", duration=4, generate_audio=False, seed=2
    )
    for index, frame in enumerate(iter_frames(out)):
        if index in (40, 50, 60, 70):
            grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
            assert np.abs(np.diff(grey, axis=1)).mean(axis=0).max() < 4, index
            assert np.abs(np.diff(grey, axis=0)).mean(axis=1).max() < 4, index


# One room as the painter frames it in the demo story: wide, close on the character, wide again.
_ROOM_FRAMINGS = (
    "Wide shot in a cosy living room, in soft morning light: a calm Floof, the round soft-pink "
    "creature, stretches after a nap, blinking sleepily, in the centre of the frame.",
    "Close-up in a cosy living room, in bright daylight: a curious Floof freezes and stares at "
    "the mysterious box, ears perked, on the left of the frame.",
    "Wide shot in a cosy living room, at golden sunset: a proud Floof waves at the camera with "
    "a proud bounce, on the left of the frame.",
)


@pytest.fixture(scope="module")
def reframed(floof_png: bytes) -> list[bytes]:
    """The room's keyframes, each painted with the one before as its reference, as the
    pipeline paints a story."""
    keys: list[bytes] = []
    for description in _ROOM_FRAMINGS:
        references = (floof_png, *keys[-1:])
        keys.append(render_frame(FrameRequest(description=description, references=references)))
    return keys


def _under_camera(frame: np.ndarray, key: np.ndarray) -> np.ndarray:
    """`key` moved as the camera moved it in `frame`: the affine motion that brings the
    middle of the keyframe onto the frame's (ECC at quarter size, the edges left out since
    they are what is judged), the key's border replicated where it falls short."""
    height, width = key.shape[:2]
    small = (width // 4, height // 4)
    grey = [
        cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), small, interpolation=cv2.INTER_AREA)
        for image in (frame, key)
    ]
    middle = np.zeros(small[::-1], np.uint8)
    middle[small[1] // 5 : small[1] * 4 // 5, small[0] // 5 : small[0] * 4 // 5] = 1
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
    _, warp = cv2.findTransformECC(
        grey[0].astype(np.float32),
        grey[1].astype(np.float32),
        np.eye(2, 3, dtype=np.float32),
        cv2.MOTION_AFFINE,
        criteria,
        middle,
        5,
    )
    to_key = rescale(np.vstack([warp, [0, 0, 1]]).astype(np.float64), 4)
    return pull(key, to_key, (width, height))


@pytest.mark.parametrize(
    ("pair", "early"),
    [((0, 1), 0.2), ((1, 2), 0.08)],
    ids=["wide-to-close-up", "close-up-to-wide"],
)
def test_a_reframed_shot_starts_on_its_first_keyframe_alone(
    reframed: list[bytes], pair: tuple[int, int], early: float, tmp_path: Path
) -> None:
    """Early in a clip between a wide shot and a close-up, before the dissolve, the frame is
    the first keyframe under the camera's move right up to its edges: where the first
    backdrop falls a little short of the frame it is stretched. Nothing of the other keyframe
    may show there - neither the close-up's giant eyes along the bottom nor its backdrop's
    outline as a soft rectangle - which shows as a large difference in a band along an edge.
    (A renderer that stretches the first backdrop stays below 4 in every band; one that
    mixed the other keyframe into the edges reached 14 and 35 in its worst bands.) A close-up
    seen wider soon falls far short of the frame, and then the wide shot rightly shows
    around it: that direction is only judged over its first few frames."""
    out = render_clip(
        *(reframed[i] for i in pair), tmp_path / "reframe.mp4", duration=4, generate_audio=False
    )
    frames = list(iter_frames(out))
    height, width = frames[0].shape[:2]
    for index in range(1, int(early * (len(frames) - 1)) + 1):
        expected = _under_camera(frames[index], frames[0])
        difference = np.abs(frames[index].astype(np.int16) - expected).mean(axis=2)
        bands = {
            "bottom": difference[int(0.85 * height) :],
            "top": difference[: int(0.05 * height)],
            "left": difference[:, : int(0.05 * width)],
            "right": difference[:, int(0.95 * width) :],
        }
        for name, band in bands.items():
            assert band.mean() < 6, (index, name, round(float(band.mean()), 1))
