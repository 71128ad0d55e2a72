"""The offline VideoMaker: real clips, decoded and measured."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from avpe_desktop.domain import AspectRatio
from avpe_desktop.engines.base import (
    OperationNotFoundError,
    RequestError,
    VideoMaker,
    VideoRequest,
)
from avpe_desktop.engines.local.sounds import creature_audio, voice_for
from avpe_desktop.engines.local.video import LocalVideoMaker, render_clip
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.probe import iter_frames, probe, read_frame


def _scene(width: int, height: int, x: float, seed: int) -> np.ndarray:
    """A smooth backdrop with a few trees and a round character at fraction x of the width."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.dstack(
        [90 + 60 * yy / height, 150 + 40 * np.sin(xx / width * 6), 200 - 50 * yy / height]
    )
    image[yy > height * 0.7] = (60, 140, 70)
    for tree_x in rng.uniform(0, width, 6):
        cv2.circle(image, (int(tree_x), int(height * 0.55)), height // 12, (40, 110, 50), -1)
    centre = (int(width * x), int(height * 0.55))
    cv2.ellipse(image, centre, (height // 8, height // 6), 0, 0, 360, (230, 120, 60), -1)
    cv2.circle(
        image,
        (centre[0] + height // 30, centre[1] - height // 20),
        height // 36,
        (255, 255, 255),
        -1,
    )
    return cv2.GaussianBlur(image, (3, 3), 0).astype(np.uint8)


def _png(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def keyframes() -> list[np.ndarray]:
    return [_scene(1280, 720, x, seed=3) for x in (0.3, 0.65, 0.4)]


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
