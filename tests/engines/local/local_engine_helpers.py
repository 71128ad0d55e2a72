"""Image helpers shared by the offline engine's tests (conftest cannot be imported)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB")).copy()


def disc(color: tuple[int, int, int], size: int = 200) -> bytes:
    """A flat-coloured disc on transparency: a character whose pixels are easy to find."""
    yy, xx = np.mgrid[0:size, 0:size]
    inside = (xx - size / 2) ** 2 + (yy - size / 2) ** 2 < (size * 0.45) ** 2
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[inside] = (*color, 255)
    return png_bytes(rgba)


def scene(width: int, height: int, x: float, seed: int) -> np.ndarray:
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


ARM = (220, 40, 200)  # magenta: nothing else in the scene is


def posed(width: int, height: int, x: float, arm: float) -> np.ndarray:
    """`scene`'s character at fraction x of the width with a thick arm raised by `arm`
    radians from the horizontal: the one part of it that no rigid motion carries along."""
    image = scene(width, height, x, seed=3)
    shoulder = (int(width * x + height // 10), int(height * 0.55))
    length = height // 5
    hand = (
        int(shoulder[0] + length * np.cos(arm)),
        int(shoulder[1] - length * np.sin(arm)),
    )
    cv2.line(image, shoulder, hand, ARM, height // 24, cv2.LINE_AA)
    return image


def arm_pixels(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the pixels that are the arm's colour (solid) and of those tinted by it, as a
    half-transparent arm over the backdrop is."""
    rgb = frame.astype(np.float32)
    magenta = (rgb[..., 0] + rgb[..., 2]) / 2 - rgb[..., 1]  # 170 for the arm, < 30 elsewhere
    return magenta > 130, (magenta > 50) & (magenta <= 130)
