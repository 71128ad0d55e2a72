from __future__ import annotations

import numpy as np
import pytest
from local_engine_helpers import decode, disc

from avpe_desktop.domain import AspectRatio, Resolution, frame_size
from avpe_desktop.engines.base import FramePainter, FrameRequest, RequestError
from avpe_desktop.engines.local.painter import LocalFramePainter, lab_stats, render_frame
from avpe_desktop.engines.local.scene import parse_description

KITCHEN = (
    "Medium shot in a cosy kitchen, in soft morning light: a curious Floof sniffs at it, {pos}."
)


def request(description: str, character: bytes, **changes: object) -> FrameRequest:
    return FrameRequest(description=description, references=(character,), **changes)  # type: ignore[arg-type]


def character_mask(description: str, **changes: object) -> np.ndarray:
    """Where the character is: the pixels that change when only the character's colour does."""
    red = decode(render_frame(request(description, disc((220, 30, 30)), **changes)))
    blue = decode(render_frame(request(description, disc((30, 30, 220)), **changes)))
    return np.abs(red.astype(int) - blue.astype(int)).max(axis=2) > 40


def box(mask: np.ndarray) -> tuple[float, float]:
    """Area and horizontal centre (0..1) of a mask."""
    ys, xs = np.nonzero(mask)
    return float((xs.max() - xs.min()) * (ys.max() - ys.min())), float(xs.mean() / mask.shape[1])


def test_implements_protocol() -> None:
    assert isinstance(LocalFramePainter(), FramePainter)


def test_parse_description() -> None:
    spec = parse_description(
        "Close-up on a sandy beach, at golden sunset: "
        "a happy Floof holds a cake, on the right of the frame."
    )
    assert (spec.setting, spec.time, spec.framing, spec.position, spec.mood) == (
        "beach",
        "sunset",
        "close",
        "right",
        "happy",
    )
    assert spec.props == ("cake",)
    assert parse_description("Floof, doing something").setting == "studio"


@pytest.mark.parametrize("resolution", list(Resolution))
@pytest.mark.parametrize("aspect", list(AspectRatio))
def test_exact_sizes(floof_png: bytes, resolution: Resolution, aspect: AspectRatio) -> None:
    png = render_frame(
        request(
            "Wide shot in a park at night",
            floof_png,
            resolution=resolution,
            aspect_ratio=aspect,
            caption="Hello",
        )
    )
    assert decode(png).shape[1::-1] == frame_size(resolution, aspect)


async def test_paint_is_deterministic_and_off_the_loop(floof_png: bytes) -> None:
    painter = LocalFramePainter()
    req = request(KITCHEN.format(pos="on the left of the frame"), floof_png, seed=4)
    first = await painter.paint(req)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert await painter.paint(req) == first == render_frame(req)


def test_different_descriptions_differ(floof_png: bytes) -> None:
    descriptions = [
        "Wide shot in a forest at night",
        "Wide shot on a beach at sunset",
        "Medium shot on a city street in daylight",
        "Close-up in outer space",
        "Medium shot on a concert stage",
    ]
    frames = [decode(render_frame(request(d, floof_png))).astype(int) for d in descriptions]
    for i in range(len(frames)):
        for j in range(i + 1, len(frames)):
            assert np.abs(frames[i] - frames[j]).mean() > 10


def test_framing_changes_the_character_size() -> None:
    close, _ = box(character_mask("Close-up in a bedroom in daylight, in the centre"))
    medium, _ = box(character_mask("Medium shot in a bedroom in daylight, in the centre"))
    wide, _ = box(character_mask("Wide shot in a bedroom in daylight, in the centre"))
    assert close > medium * 1.5 > wide * 2.5


@pytest.mark.parametrize("aspect", [AspectRatio.LANDSCAPE, AspectRatio.PORTRAIT])
def test_position_left_and_right(aspect: AspectRatio) -> None:
    _, left = box(
        character_mask(KITCHEN.format(pos="on the left of the frame"), aspect_ratio=aspect)
    )
    _, centre = box(
        character_mask(KITCHEN.format(pos="in the centre of the frame"), aspect_ratio=aspect)
    )
    _, right = box(
        character_mask(KITCHEN.format(pos="on the right of the frame"), aspect_ratio=aspect)
    )
    assert left < centre - 0.05 < right - 0.1
    assert left < 0.4 and right > 0.6


def test_reference_pulls_lighting_toward_it(floof_png: bytes) -> None:
    reference = render_frame(request("Wide shot in a park at sunset", floof_png))
    description = "Medium shot in a park at night, on the right"
    alone = decode(render_frame(request(description, floof_png)))
    matched = decode(render_frame(FrameRequest(description, (floof_png, reference))))
    ref_mean, ref_std = lab_stats(decode(reference))

    def distance(frame: np.ndarray) -> float:
        mean, std = lab_stats(frame)
        return float(np.linalg.norm(mean - ref_mean) + np.linalg.norm(std - ref_std))

    assert distance(matched) < distance(alone) * 0.7


def test_caption_changes_only_the_caption_area(floof_png: bytes) -> None:
    description = "Wide shot in a garden in the morning, on the left"
    plain = decode(render_frame(request(description, floof_png)))
    captioned = decode(render_frame(request(description, floof_png, caption="Floof finds a box!")))
    changed = np.abs(plain.astype(int) - captioned.astype(int)).max(axis=2) > 0
    height = plain.shape[0]
    assert changed[int(height * 0.75) :].mean() > 0.05
    assert not changed[: int(height * 0.6)].any()


def test_opaque_character_is_cut_out(grumble_jpg: bytes) -> None:
    """The JPEG's light backdrop must not show as a rectangle in a night scene."""
    frame = decode(
        render_frame(request("Medium shot on a city street at night, in the centre", grumble_jpg))
    )
    backdrop = np.array([236, 231, 220])
    near_backdrop = np.abs(frame.astype(int) - backdrop).max(axis=2) < 30
    assert near_backdrop.mean() < 0.01


def test_needs_a_character() -> None:
    with pytest.raises(RequestError):
        render_frame(FrameRequest("Wide shot", ()))
