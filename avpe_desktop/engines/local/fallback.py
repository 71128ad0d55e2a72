"""Simpler motions to fall back on, so that no offline clip fails on its geometry.

The analysis reads the motion between two keyframes from matched features and traced masks,
and painted keyframes can defeat it: a repeated pattern, a blank or one-colour frame, a
character cut out to nothing. Tweened along a broken motion, a clip would fail deep inside
numpy or OpenCV (a singular matrix) and the creator would lose it. So each motion is checked
before it is used, and the tween steps down - the character and the backdrop as analysed, then
the backdrop's motion alone (the character dissolves along with it), then a plain crossfade,
which has no geometry left to break - and the log says what was degenerate.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from avpe_desktop.engines.local.affine import degeneracy
from avpe_desktop.engines.local.layers import Layers, analyse, backdrop_only

log = logging.getLogger(__name__)

GEOMETRY_ERRORS: tuple[type[Exception], ...] = (
    np.linalg.LinAlgError,
    cv2.error,
    ArithmeticError,
    ValueError,
    IndexError,
)
"""What numpy and OpenCV raise on degenerate geometry (singular matrices, empty or zero-size
regions, non-finite numbers): a reason to try a simpler motion, not to fail the clip."""


def describe(layers: Layers) -> str:
    """The kind of motion, for the log."""
    if layers.character is not None:
        return "the character's and the backdrop's motions"
    return "the backdrop's motion" if _moves(layers) else "a crossfade"


def _moves(layers: Layers) -> bool:
    return layers.character is not None or not np.allclose(layers.background, np.eye(3))


def problem(layers: Layers) -> str | None:
    """What makes `layers` unusable for a tween, in words for the log; None when nothing."""
    trouble = degeneracy(layers.background)
    if trouble is not None:
        return f"the backdrop's motion is degenerate: {trouble}"
    if layers.character is None:
        return None
    trouble = degeneracy(layers.character)
    if trouble is not None:
        return f"the character's motion is degenerate: {trouble}"
    for which, alpha, (x0, y0, x1, y1) in zip(
        ("first", "last"), layers.alphas, layers.boxes, strict=True
    ):
        if not alpha.any() or x1 - x0 < 1 or y1 - y0 < 1:
            return f"the character's mask in the {which} keyframe is empty"
    return None


def motion_plans(first: np.ndarray, last: np.ndarray) -> list[Layers]:
    """The motions to try between two keyframes, richest first; the last is a crossfade.
    Degenerate ones are left out, and logged."""
    still = backdrop_only(first, last)
    try:
        analysed = analyse(first, last)
    except GEOMETRY_ERRORS:
        log.info("The keyframes' motion could not be analysed; crossfading", exc_info=True)
        return [still]
    candidates = [analysed]
    if analysed.character is not None:
        candidates.append(backdrop_only(first, last, analysed.background))
    plans = []
    for candidate in candidates:
        trouble = problem(candidate)
        if trouble is None:
            plans.append(candidate)
        else:
            log.info("Falling back to a simpler motion: %s", trouble)
    if not plans or _moves(plans[-1]):
        plans.append(still)
    return plans
