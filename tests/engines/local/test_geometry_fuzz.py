"""The offline tween never fails a clip on geometry: many keyframe pairs, none refused.

Pairs are painted the way the painter paints a script's keyframes (both sample characters and
generated ones, every setting, time, framing, position and aspect ratio, many seeds), plus
adversarial ones no script asks for but a creator's edits can produce: identical, blank,
one-colour and noise frames, repeated patterns, a character too small to see or cut out to
nothing, a zoom far past any framing. The tween is set up and its frames drawn at a small
size, which exercises all of its geometry (analysis, fallbacks, canvases, flow, per-frame
warps); encoding adds nothing to that, so only a few pairs go through `render_clip` whole.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import get_args

import cv2
import numpy as np
import pytest
from cake_chain import CAKE_CHAIN
from local_engine_helpers import decode, png_bytes

from avpe_desktop.domain import AspectRatio, Resolution, frame_size
from avpe_desktop.engines.base import FrameRequest
from avpe_desktop.engines.local.cutout import cut_out, sprite_from_bytes
from avpe_desktop.engines.local.layers import analyse
from avpe_desktop.engines.local.painter import compose_frame, render_frame
from avpe_desktop.engines.local.scene import (
    PROP_WORDS,
    Framing,
    Mood,
    Position,
    SceneSpec,
    Setting,
    TimeOfDay,
)
from avpe_desktop.engines.local.video import TweenInterpolator, render_clip
from avpe_desktop.media.probe import probe

CHARACTERS = resources.files("avpe_desktop").joinpath("resources", "characters")
TIMES = (0.04, 0.3, 0.5, 0.7, 0.96)  # eased motion, both dissolves and the settling ends
PAIRS_PER_RATIO = 24


def _small(aspect: AspectRatio) -> tuple[int, int]:
    """A quarter of the 720p frame, both sides even as the I420 planes need."""
    width, height = frame_size(Resolution.P720, aspect)
    return round(width / 8) * 2, round(height / 8) * 2


def _creature(rng: np.random.Generator) -> np.ndarray:
    """A generated character on transparency: a body of random shape and colour, eyes, and
    maybe arms, so no two are alike."""
    width, height = int(rng.integers(60, 300)), int(rng.integers(60, 300))
    rgba = np.zeros((height, width, 4), np.uint8)
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    centre = (width // 2, height // 2)
    axes = (int(width * rng.uniform(0.2, 0.45)), int(height * rng.uniform(0.2, 0.45)))
    cv2.ellipse(rgba, centre, axes, 0, 0, 360, (*colour, 255), -1)
    if rng.random() < 0.5:
        for side in (-1, 1):
            hand = (centre[0] + side * int(width * 0.48), int(height * rng.uniform(0.1, 0.9)))
            cv2.line(rgba, centre, hand, (*colour, 255), max(2, width // 20))
    for side in (-1, 1):
        eye = (centre[0] + side * axes[0] // 3, centre[1] - axes[1] // 3)
        cv2.circle(rgba, eye, max(2, axes[0] // 6), (255, 255, 255, 255), -1)
        cv2.circle(rgba, eye, max(1, axes[0] // 12), (20, 20, 20, 255), -1)
    return rgba


def _sprites() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(13)
    sprites = {
        "floof": sprite_from_bytes(CHARACTERS.joinpath("floof.png").read_bytes()),
        "grumble": sprite_from_bytes(CHARACTERS.joinpath("grumble.jpg").read_bytes()),
    }
    sprites.update({f"creature {k}": cut_out(_creature(rng)) for k in range(4)})
    return sprites


SPRITES = _sprites()


def _spec(rng: np.random.Generator, setting: str | None = None) -> SceneSpec:
    def pick(options: tuple[str, ...]) -> str:
        return options[int(rng.integers(len(options)))]

    return SceneSpec(
        setting=setting or pick(get_args(Setting)),  # type: ignore[arg-type]  # one of Setting
        time=pick(get_args(TimeOfDay)),  # type: ignore[arg-type]  # one of TimeOfDay
        framing=pick(get_args(Framing)),  # type: ignore[arg-type]  # one of Framing
        position=pick(get_args(Position)),  # type: ignore[arg-type]  # one of Position
        mood=pick(get_args(Mood)),  # type: ignore[arg-type]  # one of Mood
        props=(pick(tuple(PROP_WORDS)),) if rng.random() < 0.5 else (),
    )


def _tween_failure(first: np.ndarray, last: np.ndarray, seed: int) -> str | None:
    """What went wrong tweening the pair (an exception, a wrong frame, or an exception the
    fallbacks caught: degenerate geometry must be recognised, not stumbled on), or None."""
    height, width = first.shape[:2]
    caught = _Caught()
    logger = logging.getLogger("avpe_desktop.engines.local")
    level = logger.level
    logger.addHandler(caught)
    logger.setLevel(logging.INFO)  # the fallbacks log at INFO
    try:
        tween = TweenInterpolator(first, last, seed=seed)
        frames = [tween.frame(t) for t in TIMES]
    except Exception as exc:  # any failure at all is what this test counts
        return f"{exc!r}"
    finally:
        logger.removeHandler(caught)
        logger.setLevel(level)
    if caught.errors:
        return f"fell back on {caught.errors}"
    wrong = [f.shape for f in frames if f.shape != (height * 3 // 2, width) or f.dtype != np.uint8]
    return f"frames of shapes {wrong}" if wrong else None


class _Caught(logging.Handler):
    """The exceptions logged while falling back to a simpler motion."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is not None and record.exc_info[1] is not None:
            self.errors.append(repr(record.exc_info[1]))


@pytest.mark.parametrize("aspect", list(AspectRatio), ids=str)
def test_painted_pairs_tween_without_a_failure(aspect: AspectRatio) -> None:
    """A script's keyframe pairs as the painter makes them: the last keyframe lit like the
    first, mostly in the same setting, sometimes a new one; every character and framing."""
    size = _small(aspect)
    rng = np.random.default_rng(list(AspectRatio).index(aspect))
    names = list(SPRITES)
    failures = []
    for pair in range(PAIRS_PER_RATIO):
        name = names[pair % len(names)]
        first_spec = _spec(rng)
        same_place = rng.random() < 0.8
        last_spec = _spec(rng, first_spec.setting if same_place else None)
        seed = int(rng.integers(1 << 31))
        first = compose_frame(first_spec, size, SPRITES[name], seed)
        last = compose_frame(last_spec, size, SPRITES[name], seed, reference=first)
        failure = _tween_failure(first, last, seed)
        if failure is not None:
            failures.append(f"{name}, {first_spec} -> {last_spec}, seed {seed}: {failure}")
    assert failures == []


def _flat(colour: tuple[int, int, int]) -> Callable[[tuple[int, int]], np.ndarray]:
    def make(size: tuple[int, int]) -> np.ndarray:
        return np.full((size[1], size[0], 3), colour, np.uint8)

    return make


def _noise(seed: int) -> Callable[[tuple[int, int]], np.ndarray]:
    def make(size: tuple[int, int]) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)

    return make


def _stripes(shift: int) -> Callable[[tuple[int, int]], np.ndarray]:
    """A repeated pattern: every feature has many identical twins to be matched to."""

    def make(size: tuple[int, int]) -> np.ndarray:
        xs = np.arange(size[0]) + shift
        row = np.where((xs // 6) % 2 == 0, 230, 30).astype(np.uint8)
        return np.repeat(np.tile(row, (size[1], 1))[..., None], 3, axis=2)

    return make


def _painted(
    character: np.ndarray, framing: str, position: str = "center", seed: int = 1
) -> Callable[[tuple[int, int]], np.ndarray]:
    def make(size: tuple[int, int]) -> np.ndarray:
        spec = SceneSpec("park", "day", framing, position)  # type: ignore[arg-type]  # literals
        return compose_frame(spec, size, character, seed)

    return make


def _zoomed(
    make: Callable[[tuple[int, int]], np.ndarray], factor: float
) -> Callable[..., np.ndarray]:
    """The centre of another frame blown up by `factor`: a zoom no framing makes."""

    def zoom(size: tuple[int, int]) -> np.ndarray:
        image = make(size)
        width, height = size
        w, h = max(2, round(width / factor)), max(2, round(height / factor))
        crop = image[(height - h) // 2 : (height + h) // 2, (width - w) // 2 : (width + w) // 2]
        return cv2.resize(crop, size, interpolation=cv2.INTER_NEAREST)

    return zoom


def _flipped(make: Callable[[tuple[int, int]], np.ndarray]) -> Callable[..., np.ndarray]:
    def flip(size: tuple[int, int]) -> np.ndarray:
        return np.ascontiguousarray(make(size)[:, ::-1])

    return flip


FLOOF = SPRITES["floof"]
TINY = cv2.resize(np.ascontiguousarray(FLOOF), (3, 3), interpolation=cv2.INTER_AREA)
NOTHING = np.zeros((40, 40, 4), np.uint8)  # a character cut out to nothing
ADVERSARIAL = {
    "identical frames": (_painted(FLOOF, "medium"), _painted(FLOOF, "medium")),
    "blank frames": (_flat((0, 0, 0)), _flat((0, 0, 0))),
    "black to white": (_flat((0, 0, 0)), _flat((255, 255, 255))),
    "one colour to another": (_flat((200, 30, 30)), _flat((30, 30, 200))),
    "noise to other noise": (_noise(1), _noise(2)),
    "noise to the same noise": (_noise(3), _noise(3)),
    "repeated pattern shifted": (_stripes(0), _stripes(3)),
    "painted frame to blank": (_painted(FLOOF, "wide", "left"), _flat((0, 0, 0))),
    "tiny character crossing": (_painted(TINY, "wide", "left"), _painted(TINY, "wide", "right")),
    "character cut out to nothing": (_painted(NOTHING, "wide"), _painted(NOTHING, "close")),
    "character appears": (_painted(NOTHING, "wide"), _painted(FLOOF, "wide")),
    "zoom far past any framing": (
        _painted(FLOOF, "wide"),
        _zoomed(_painted(FLOOF, "wide"), 12.0),
    ),
    "mirrored": (_painted(FLOOF, "medium", "left"), _flipped(_painted(FLOOF, "medium", "left"))),
}


@pytest.mark.parametrize("case", list(ADVERSARIAL))
@pytest.mark.parametrize("aspect", [AspectRatio.LANDSCAPE, AspectRatio.PORTRAIT], ids=str)
def test_adversarial_pairs_tween_without_a_failure(case: str, aspect: AspectRatio) -> None:
    size = _small(aspect)
    first, last = (make(size) for make in ADVERSARIAL[case])
    assert _tween_failure(first, last, seed=7) is None


def test_the_cake_scripts_last_segment_renders(grumble_jpg: bytes, tmp_path: Path) -> None:
    """A many-to-one match (a repeated pattern's single sharp copy) let RANSAC fit a motion
    that collapses the close-up onto a point; it is refused now, and the clip renders."""
    keyframes: list[bytes] = []
    for description in CAKE_CHAIN:
        previous = tuple(keyframes[-1:])
        request = FrameRequest(description=description, references=(grumble_jpg, *previous))
        keyframes.append(render_frame(request))
    decoded = [decode(k) for k in keyframes]
    layers = analyse(decoded[2], decoded[3])
    for motion in (layers.background, layers.character):
        if motion is not None:
            assert abs(np.linalg.det(motion[:2, :2])) > 1 / 64
    out = render_clip(keyframes[2], keyframes[3], tmp_path / "cake.mp4", duration=4)
    assert probe(out).duration == pytest.approx(4, abs=0.1)


@pytest.mark.parametrize(
    "size", [(7, 5), (333, 201), (1, 1), (4000, 90)], ids=["tiny", "odd", "one pixel", "banner"]
)
def test_keyframes_of_any_size_render(size: tuple[int, int], tmp_path: Path) -> None:
    """Keyframes a creator swapped in (tiny, odd-sized, extreme shapes) are cropped and
    resized to the clip's frame, and the clip renders."""
    rng = np.random.default_rng(size[0])
    first, last = (png_bytes(rng.integers(0, 256, (size[1], size[0], 3), np.uint8)) for _ in "ab")
    out = render_clip(first, last, tmp_path / "odd.mp4", duration=4, generate_audio=False)
    assert probe(out).duration == pytest.approx(4, abs=0.1)


def test_a_degenerate_motion_falls_back_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An analysis that comes back with a character collapsed onto a point (the failure of
    the cake script) is not tweened along: the backdrop's motion is, and the log says what
    was degenerate."""
    size = _small(AspectRatio.LANDSCAPE)
    first, last = _painted(FLOOF, "wide", "left")(size), _painted(FLOOF, "wide", "right")(size)
    layers = analyse(first, last)
    assert layers.character is not None
    collapsed = layers.character.copy()
    collapsed[:2, :2] = 0
    broken = dataclasses.replace(layers, character=collapsed)
    monkeypatch.setattr("avpe_desktop.engines.local.fallback.analyse", lambda *_: broken)
    with caplog.at_level(logging.INFO, logger="avpe_desktop"):
        tween = TweenInterpolator(first, last, seed=1)
        frames = [tween.frame(t) for t in TIMES]
    assert all(frame.shape == (size[1] * 3 // 2, size[0]) for frame in frames)
    messages = [r.getMessage() for r in caplog.records]
    assert any("character's motion is degenerate" in m and "zooms by 0" in m for m in messages)


def test_a_motion_that_would_break_mid_clip_gives_way_before_the_first_frame(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A character's pose that cannot be inverted halfway through (made to fail here) is
    found while the tween is set up, not after half the clip is encoded: the clip is drawn
    along the backdrop's motion instead, every frame of it."""
    size = _small(AspectRatio.LANDSCAPE)
    first, last = _painted(FLOOF, "wide", "left")(size), _painted(FLOOF, "wide", "right")(size)

    def singular(self: object, s: float) -> None:
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr("avpe_desktop.engines.local.layers.Layers.pose", singular)
    with caplog.at_level(logging.INFO, logger="avpe_desktop"):
        tween = TweenInterpolator(first, last, seed=1)
        frames = [tween.frame(t / 20) for t in range(21)]
    assert all(frame.shape == (size[1] * 3 // 2, size[0]) for frame in frames)
    assert "The tween along the character's and the backdrop's motions could not" in caplog.text
    assert "Tweening along the backdrop's motion instead" in caplog.text


def test_a_tween_that_cannot_be_set_up_falls_back_with_its_traceback_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever still breaks while setting up a motion (here the character's sprite, made to
    fail as a singular matrix would) costs only that motion: the clip is tweened along a
    simpler one, and the traceback is in the log."""
    size = _small(AspectRatio.LANDSCAPE)
    first, last = _painted(FLOOF, "wide", "left")(size), _painted(FLOOF, "wide", "right")(size)

    def singular(*_: object) -> None:
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr("avpe_desktop.engines.local.video._character", singular)
    with caplog.at_level(logging.INFO, logger="avpe_desktop"):
        tween = TweenInterpolator(first, last, seed=1)
        frame = tween.frame(0.5)
    assert frame.shape == (size[1] * 3 // 2, size[0])
    failed = [r for r in caplog.records if "could not be drawn" in r.getMessage()]
    assert failed and failed[0].exc_info is not None
    assert "Singular matrix" in caplog.text
