"""Separating a character from its background, for the painter and the analyst alike.

Creators bring PNGs with real transparency and JPEGs on a plain backdrop; both must end up as
an RGBA sprite with a clean, soft-edged alpha so the character can be placed into any scene.
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from avpe_desktop.engines.base import RequestError

_WORK_SIDE = 256
"""Segmentation runs at this size: grabCut's cost grows with pixels, the mask is then upscaled."""


def decode_rgba(data: bytes) -> np.ndarray:
    """H x W x 4 uint8, RGBA; a clear message instead of a decoder traceback for bad files."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise RequestError("The character image could not be read as a picture.") from exc
    return np.asarray(rgba, dtype=np.uint8).copy()


def has_real_transparency(rgba: np.ndarray) -> bool:
    """A PNG saved with an alpha channel that is fully opaque is no cut-out at all."""
    alpha = rgba[..., 3]
    return bool((alpha < 128).mean() > 0.01 and (alpha > 128).mean() > 0.01)


def _border_pixels(rgb: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate(
        [
            rgb[:width].reshape(-1, 3),
            rgb[-width:].reshape(-1, 3),
            rgb[:, :width].reshape(-1, 3),
            rgb[:, -width:].reshape(-1, 3),
        ]
    )


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Eye whites and highlights can match a white backdrop; enclosed regions belong inside."""
    h, w = mask.shape
    flood = np.zeros((h + 4, w + 4), np.uint8)
    padded = np.pad((mask == 0).astype(np.uint8), 1, constant_values=1)
    cv2.floodFill(padded, flood, (0, 0), 2)
    holes = padded[1:-1, 1:-1] == 1
    return np.where(holes, 255, mask).astype(np.uint8)


def _keep_main_components(mask: np.ndarray) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= areas.max() * 0.08)
    return np.where(np.isin(labels, keep), 255, 0).astype(np.uint8)


def _segment_opaque(rgb: np.ndarray) -> np.ndarray:
    """Foreground mask (uint8 0/255) at the given size, by backdrop distance then grabCut."""
    h, w = rgb.shape[:2]
    border = max(2, min(h, w) // 40)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    edge = _border_pixels(lab, border)
    backdrop = np.median(edge, axis=0)
    spread = float(np.percentile(np.linalg.norm(edge - backdrop, axis=1), 90))
    mask = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    if spread < 25:
        # A plain backdrop: colour distance is a strong first guess.
        distance = np.linalg.norm(lab - backdrop, axis=2)
        threshold = max(18.0, spread * 2.0)
        mask[distance > threshold] = cv2.GC_PR_FGD
        mask[distance > threshold * 2.5] = cv2.GC_FGD
        mask[distance < threshold * 0.5] = cv2.GC_BGD
    else:
        # A busy backdrop: assume the character is centred, as portraits usually are.
        mx, my = w // 10, h // 10
        mask[my : h - my, mx : w - mx] = cv2.GC_PR_FGD
    mask[:border] = mask[-border:] = cv2.GC_BGD
    mask[:, :border] = mask[:, -border:] = cv2.GC_BGD
    if not (mask == cv2.GC_FGD).any() and not (mask == cv2.GC_PR_FGD).any():
        return np.zeros((h, w), np.uint8)
    bgd_model = np.zeros((1, 65), np.float64)
    fgd_model = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    # grabCut refuses degenerate inputs (a single colour); the first guess then stands.
    with contextlib.suppress(cv2.error):
        # OpenCV's stubs demand a rect, which GC_INIT_WITH_MASK ignores (None is documented).
        cv2.grabCut(rgb, mask, None, bgd_model, fgd_model, 3, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]  # see above
    fg: np.ndarray  # a uint8 mask first, then whatever array morphologyEx returns
    fg = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return _fill_holes(_keep_main_components(fg))


def alpha_from_opaque(rgb: np.ndarray) -> np.ndarray:
    """A soft alpha (uint8) for a character photographed or drawn on an opaque background."""
    h, w = rgb.shape[:2]
    scale = min(1.0, _WORK_SIDE / max(h, w))
    small = cv2.resize(
        rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    mask = _segment_opaque(np.ascontiguousarray(small))
    if mask.max() == 0:
        return np.full((h, w), 255, np.uint8)
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    # Pull the edge in before feathering, or a rim of backdrop colour shows in every scene.
    feather = max(1, round(1.0 / scale))
    mask = cv2.erode(mask, np.ones((feather * 2 + 1, feather * 2 + 1), np.uint8))
    return cv2.GaussianBlur(mask, (feather * 2 + 1, feather * 2 + 1), 0)


def cut_out(rgba: np.ndarray) -> np.ndarray:
    """RGBA sprite cropped to the character, with alpha from the file or from segmentation."""
    if has_real_transparency(rgba):
        sprite = rgba.copy()
    else:
        sprite = rgba.copy()
        sprite[..., 3] = alpha_from_opaque(np.ascontiguousarray(rgba[..., :3]))
    ys, xs = np.nonzero(sprite[..., 3] > 8)
    if len(xs) == 0:
        return sprite
    return sprite[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].copy()


@lru_cache(maxsize=8)
def sprite_from_bytes(data: bytes) -> np.ndarray:
    """Cached: every keyframe of a video uses the same character, segmentation runs once.
    Callers must not modify the returned array."""
    sprite = cut_out(decode_rgba(data))
    sprite.flags.writeable = False
    return sprite
