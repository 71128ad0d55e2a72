"""The offline tween's analysis: what belongs to the character and what to the backdrop."""

from __future__ import annotations

import io

import cv2
import numpy as np
from local_engine_helpers import arm_pixels, decode, png_bytes, posed, scene
from PIL import Image

from avpe_desktop.engines.base import FrameRequest
from avpe_desktop.engines.local.layers import analyse
from avpe_desktop.engines.local.painter import render_frame


def test_a_limb_that_moved_on_its_own_travels_with_the_character() -> None:
    """No rigid motion explains a raised arm, yet it is the character's: it is in both of
    its masks, and painted out of both plates, so no ghost of it stays in the backdrop."""
    keys = [posed(1280, 720, 0.3, -0.25), posed(1280, 720, 0.55, 0.25)]
    layers = analyse(*keys)
    assert layers.character is not None
    for key, alpha, plate in zip(keys, layers.alphas, layers.plates, strict=True):
        arm, _ = arm_pixels(key)
        assert (alpha[arm] > 128).mean() > 0.75
        solid, tinted = arm_pixels(plate)
        assert solid.sum() + tinted.sum() < 0.05 * arm.sum()


def test_the_backdrop_around_a_character_stays_in_the_backdrop() -> None:
    """The trees the character walks past change too (it covers them in one keyframe and
    not the other), but they are not coloured like it: they stay out of its masks."""
    keys = [scene(1280, 720, x, seed=3) for x in (0.3, 0.65)]
    layers = analyse(*keys)
    assert layers.character is not None
    for key, alpha in zip(keys, layers.alphas, strict=True):
        tree = np.all(np.abs(key.astype(int) - (40, 110, 50)) < 12, axis=2)
        assert tree.any()
        assert (alpha[tree] > 128).mean() < 0.05


PARK = (
    "Wide shot in a park, in the morning: Floof waves, on the left of the frame.",
    "Medium shot in a park, in the morning: Floof smiles, on the right of the frame.",
)


def _painted(character: bytes) -> list[np.ndarray]:
    return [
        decode(render_frame(FrameRequest(description=d, references=(character,), seed=5)))
        for d in PARK
    ]


def test_a_painted_character_is_cut_out_whole_and_alone(floof_png: bytes) -> None:
    """Between a wide and a medium shot the painter reframes the whole set, so the backdrop
    changes right beside the character too: the masks take all of the character (ears
    included, which the rigid test alone misses) and next to nothing of the backdrop. Where
    the character is comes from painting it again with its colours inverted."""
    keys = _painted(floof_png)
    with Image.open(io.BytesIO(floof_png)) as image:
        rgba = np.asarray(image.convert("RGBA")).copy()
    rgba[..., :3] = 255 - rgba[..., :3]
    inverted = _painted(png_bytes(rgba))
    layers = analyse(*keys)
    assert layers.character is not None
    for key, other, alpha in zip(keys, inverted, layers.alphas, strict=True):
        truth = np.abs(key.astype(int) - other.astype(int)).max(axis=2) > 40
        masked = alpha > 128
        near = cv2.dilate(truth.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
        assert masked[truth].mean() > 0.97
        assert (masked & ~near).sum() < 0.05 * masked.sum()
