"""Image helpers shared by the offline engine's tests (conftest cannot be imported)."""

from __future__ import annotations

import io

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
