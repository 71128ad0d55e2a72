"""The offline character analyst: what can be said about a character from its pixels alone.

Colours and shape are measurable without a model and are written as sentences a creator
reads and edits. Expression and personality are not: a dark palette says nothing about a
grumpy face, so instead of a guess the analyst says it did not judge them and leaves them to
the creator. `build` and `primary_color` stay as single words for the offline writer.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np

from avpe_desktop.domain import CharacterDetails
from avpe_desktop.engines.local.cutout import cut_out, decode_rgba, has_real_transparency
from avpe_desktop.workers import run_in_thread

# Names a creator would use; matched in Lab, where distance follows how different colours look.
NAMED_COLOURS: dict[str, tuple[int, int, int]] = {
    "white": (245, 245, 245),
    "cream": (246, 236, 206),
    "light grey": (190, 190, 195),
    "grey": (128, 128, 132),
    "charcoal": (60, 62, 68),
    "black": (20, 20, 22),
    "soft pink": (244, 194, 214),
    "pink": (236, 130, 170),
    "hot pink": (232, 60, 140),
    "red": (210, 40, 40),
    "coral": (246, 128, 110),
    "peach": (250, 196, 160),
    "orange": (240, 140, 40),
    "golden yellow": (236, 190, 60),
    "lemon yellow": (250, 236, 110),
    "lime green": (160, 210, 70),
    "green": (60, 150, 70),
    "mint green": (160, 226, 190),
    "sage green": (150, 176, 140),
    "teal": (50, 130, 125),
    "dark teal": (34, 84, 84),
    "forest green": (34, 90, 50),
    "sky blue": (130, 190, 240),
    "blue": (50, 100, 210),
    "navy": (30, 40, 90),
    "lilac": (200, 162, 226),
    "lavender": (214, 196, 240),
    "purple": (120, 60, 160),
    "plum": (100, 50, 90),
    "brown": (120, 76, 46),
    "tan": (206, 170, 120),
    "beige": (226, 212, 186),
}

_NAMES = list(NAMED_COLOURS)
_NAMED_LAB = cv2.cvtColor(
    np.array([list(NAMED_COLOURS.values())], np.float32) / 255.0, cv2.COLOR_RGB2LAB
)[0]

_ANALYSIS_SIDE = 192


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """N x 3 uint8 RGB to N x 3 Lab (L in 0..100)."""
    lab = cv2.cvtColor(rgb.reshape(1, -1, 3).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    # OpenCV's stubs type the converted image as a Mat or an array; it is an array here.
    return cast("np.ndarray", lab[0])


def colour_name(rgb: tuple[int, int, int] | np.ndarray) -> str:
    lab = to_lab(np.asarray(rgb, np.uint8).reshape(1, 3))[0]
    return _NAMES[int(np.argmin(np.linalg.norm(_NAMED_LAB - lab, axis=1)))]


def dominant_colours(pixels: np.ndarray, k: int = 5) -> list[tuple[tuple[int, int, int], float]]:
    """Cluster centres (RGB) and their shares, largest first; k-means in Lab so clusters
    split where people see different colours rather than where RGB numbers differ."""
    unique = np.unique(pixels, axis=0)
    k = max(1, min(k, len(unique)))
    lab = to_lab(pixels).astype(np.float32)
    cv2.setRNGSeed(7)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, labels, centres = cv2.kmeans(lab, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=k)
    rgb = cv2.cvtColor(centres.reshape(1, -1, 3).astype(np.float32), cv2.COLOR_LAB2RGB)[0]
    rgb = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    order = np.argsort(-counts, kind="stable")
    return [
        ((int(rgb[i, 0]), int(rgb[i, 1]), int(rgb[i, 2])), float(counts[i] / counts.sum()))
        for i in order
        if counts[i] > 0
    ]


NOT_JUDGED = "Not judged from the image by the offline analyst — describe it here."
"""What the offline analyst says about what pixels cannot tell (expression, personality)."""

_SHAPES = {
    "round": "A round shape, about as wide as it is tall.",
    "tall": "A tall, upright shape, noticeably taller than it is wide.",
    "wide": "A wide, low shape, noticeably wider than it is tall.",
}


def _build(mask: np.ndarray) -> str:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return "round"
    aspect = (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)
    if aspect > 1.25:
        return "wide"
    if aspect < 0.8:
        return "tall"
    return "round"


def _colours_sentence(names: list[str], lightness: float, chroma: float) -> str:
    accents = names[1:3]
    with_accents = f", with {' and '.join(accents)} accents" if accents else ""
    tone = "light" if lightness > 65 else "dark" if lightness < 40 else "medium"
    look = "bright" if chroma > 55 else "soft"
    return f"Mostly {names[0]}{with_accents}, in {look}, {tone} tones."


def _body_sentence(build: str, transparent: bool) -> str:
    backdrop = (
        "Cut out on a transparent background."
        if transparent
        else "Drawn on a plain backdrop, which the colours leave out."
    )
    return f"{_SHAPES[build]} {backdrop}"


def _creature_language(lightness: float, chroma: float, build: str) -> str:
    if lightness < 58 or build == "wide":
        return "Deep and Rumbly"
    if chroma > 60:
        return "Chirpy and Energetic"
    return "Soft and High-Pitched"


def analyse_image(image: bytes, name: str) -> CharacterDetails:
    """Synchronous analysis, for a worker thread; OpenCV and numpy release the GIL."""
    rgba = decode_rgba(image)
    height, width = rgba.shape[:2]
    transparent = has_real_transparency(rgba)
    scale = min(1.0, _ANALYSIS_SIDE / max(height, width))
    small = cv2.resize(
        rgba,
        (max(1, round(width * scale)), max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA,
    )
    # Too small to segment: a few pixels are all character.
    sprite = cut_out(small) if min(small.shape[:2]) >= 8 else small
    mask = sprite[..., 3] > 128
    opaque = sprite[..., :3][mask]
    if len(opaque) == 0:
        opaque = small[..., :3].reshape(-1, 3)
    palette = dominant_colours(opaque)
    names = list(dict.fromkeys(colour_name(rgb) for rgb, _ in palette))
    lab = to_lab(opaque)
    lightness = float(lab[:, 0].mean())
    chroma = float(np.hypot(lab[:, 1], lab[:, 2]).mean())
    build = _build(mask)
    primary = names[0]
    appearance = {
        "body": _body_sentence(build, transparent),
        "colors": _colours_sentence(names, lightness, chroma),
        "build": build,
        "primary_color": primary,
        "expression": NOT_JUDGED,
    }
    accents = [n.replace(" ", "-") for n in names[1:3]]
    accent_text = f" with {' and '.join(accents)} accents" if accents else ""
    description = (
        f"{name}, a {build} {primary.replace(' ', '-')} creature{accent_text}, "
        f"{'bright and colourful' if chroma > 55 else 'soft-toned'}"
    )
    return CharacterDetails(
        physical_appearance=appearance,
        personality=NOT_JUDGED,
        video_prompt_description=description,
        creature_language=_creature_language(lightness, chroma, build),
    )


class LocalCharacterAnalyst:
    """CharacterAnalyst for the offline engine. A thread, not a process: the work is a few
    tens of milliseconds of OpenCV on a downscaled copy, cheaper than shipping the image."""

    async def analyse(self, image: bytes, name: str) -> CharacterDetails:
        return await run_in_thread(analyse_image, image, name)
