"""What moves between two keyframes: a backdrop and a cut-out character, found once per clip.

The painter's keyframes are a backdrop with a character pasted on; between them the character
often crosses a third of the frame and doubles in size while the backdrop zooms and blurs with
the framing. `analyse` splits them into two layers from matched features: the backdrop's rigid
motion and the character's, a soft mask of the character in each keyframe, and "clean plates"
(each keyframe with the character painted out). The tween then moves each layer along its own
motion, so the character travels as one piece instead of melting into the backdrop.

A character is rarely perfectly rigid: an arm is raised, a body squashes. The mask is grown by
the changed pixels joined to the rigid part, so those limbs travel with the character (and
leave the plates) instead of staying behind as a ghost in the backdrop; the tween bends them
into place with optical flow.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np

from avpe_desktop.engines.local.affine import (
    Matrix,
    apply,
    apply_points,
    degeneracy,
    pull,
    rescale,
    scale_angle,
    similarity,
    translation,
)

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in full-size pixels

_ANALYSIS_WIDTH = 480  # feature matching: a wide shot's character is still ~80 pixels tall
_MASK_WIDTH = 240  # masks and plates: smooth shapes, upscaled and feathered
_MIN_INLIERS = 8  # feature matches that must agree before a motion counts as an object's
_SCENE_CHANGE = 100.0  # median colour difference at the frame's edges past which nothing lines up
_CHANGED = 30.0  # colour difference (sum over RGB, 5x5 mean) that marks a pixel as changed
_LIMB_REACH = 0.5  # how far past the rigid body (share of its size) a moving limb may reach


@dataclass(frozen=True)
class Layers:
    """What moves between two keyframes, in full-size pixels.

    `background` and `character` map keyframe-0 pixels to keyframe-1 pixels (3x3 similarity
    transforms; no character when none could be told apart from the backdrop); `alphas` are
    the character's soft masks in each keyframe (uint8) and `boxes` their bounding boxes,
    `centre` the character's centroid in keyframe 0 and `hop` how high it jumps on its way,
    and `plates` the keyframes with the character painted out (the keyframes themselves
    without a character).
    """

    background: Matrix
    character: Matrix | None
    alphas: tuple[np.ndarray, np.ndarray]
    plates: tuple[np.ndarray, np.ndarray]
    boxes: tuple[Box, Box]
    centre: tuple[float, float]
    hop: float

    def pose(self, s: float) -> Matrix:
        """Keyframe-0 pixels -> the character's pose at eased time s: its centre travels in a
        straight line with a small hop, its size changes geometrically (a zoom at constant
        speed) and its angle linearly; at s=1 this is `character` exactly."""
        assert self.character is not None
        scale, angle = scale_angle(self.character)
        cx, cy = self.centre
        ex, ey = apply(self.character, cx, cy)
        px = cx + (ex - cx) * s
        py = cy + (ey - cy) * s - self.hop * float(np.sin(np.pi * s))
        # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
        pose = translation(px, py) @ similarity(scale**s, angle * s) @ translation(-cx, -cy)
        return cast("np.ndarray", pose)


def backdrop_only(first: np.ndarray, last: np.ndarray, background: Matrix | None = None) -> Layers:
    """Two keyframes as one backdrop moved by `background` (standing still when None), with
    no character: the tween is then a dissolve along that motion, a plain crossfade when it
    stands still."""
    height, width = first.shape[:2]
    return Layers(
        background=np.eye(3) if background is None else background,
        character=None,
        alphas=(np.zeros((height, width), np.uint8),) * 2,
        plates=(first, last),
        boxes=((0.0, 0.0, 0.0, 0.0),) * 2,
        centre=(0.0, 0.0),
        hop=0.0,
    )


def analyse(first: np.ndarray, last: np.ndarray) -> Layers:
    """The layers of two same-size RGB keyframes; a plain backdrop (no character) when no
    character can be told apart from it."""
    height, width = first.shape[:2]
    plain = backdrop_only(first, last)
    small = _fit(width, height, _ANALYSIS_WIDTH)
    shrunk = [_shrink(f, small) for f in (first, last)]
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in shrunk]
    motions = _motions(*grey)
    mask_size = _fit(width, height, _MASK_WIDTH)
    colour = [_shrink(f, mask_size) for f in shrunk]
    floats = [c.astype(np.float32) for c in colour]
    # Light may change between the keyframes; compare colours as if it had not.
    moved = [_match_colour(floats[1], floats[0]), _match_colour(floats[0], floats[1])]
    k = mask_size[0] / small[0]
    errors = [_difference(floats[0], pull(moved[0], rescale(m, k), mask_size)) for m, _ in motions]
    # Standing still explains a flat backdrop's edges by chance: it only competes when the
    # features found a single motion.
    candidates = range(len(motions)) if len(motions) < 3 else range(1, len(motions))
    order = sorted(candidates, key=lambda i: _border_error(errors[i]))
    background = motions[order[0]][0]
    full = width / small[0]
    plain = dataclasses.replace(plain, background=rescale(background, full))
    if _border_error(errors[order[0]]) > _SCENE_CHANGE:
        return plain  # nothing lines up: a new scene, a dissolve is the honest tween
    character = next(
        (
            (m, points)
            for m, points in (motions[i] for i in order[1:])
            if _differs(m, background, points)
        ),
        None,
    )
    if character is None:
        return plain
    masks = _character_masks(
        floats, moved, rescale(background, k), rescale(character[0], k), character[1] * k
    )
    if masks is None:
        return plain
    return _layered(first, last, colour, plain, rescale(character[0], full), masks)


def _layered(
    first: np.ndarray,
    last: np.ndarray,
    small: list[np.ndarray],
    plain: Layers,
    character: Matrix,
    masks: tuple[np.ndarray, np.ndarray],
) -> Layers:
    """Full-size soft masks and clean plates from the small masks."""
    height, width = first.shape[:2]
    alphas = tuple(
        cv2.resize(m * np.uint8(255), (width, height), interpolation=cv2.INTER_LINEAR)
        for m in masks
    )
    feather = max(1.0, width / 640)
    alphas = tuple(cv2.GaussianBlur(a, (0, 0), feather) for a in alphas)
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    holes = [cv2.dilate(m, grow) for m in masks]  # a margin for the soft edge and shadow
    plates = (
        _clean_plate(first, last, small, holes, plain.background),
        _clean_plate(last, first, small[::-1], holes[::-1], np.linalg.inv(plain.background)),
    )
    boxes = tuple(_extent(alpha) for alpha in alphas)
    moments = cv2.moments(alphas[0], binaryImage=False)
    centre = (moments["m10"] / moments["m00"], moments["m01"] / moments["m00"])
    ex, _ = apply(character, *centre)
    # A hop when it travels sideways; none when it only steps closer.
    hop = min(0.15 * abs(ex - centre[0]), 0.06 * height)
    return dataclasses.replace(
        plain,
        character=character,
        alphas=(alphas[0], alphas[1]),
        plates=plates,
        boxes=(boxes[0], boxes[1]),
        centre=centre,
        hop=hop,
    )


def _extent(alpha: np.ndarray) -> Box:
    """The box holding every visible pixel of a soft mask."""
    x, y, w, h = cv2.boundingRect((alpha > 0).astype(np.uint8))
    return float(x), float(y), float(x + w), float(y + h)


def _motions(g0: np.ndarray, g1: np.ndarray) -> list[tuple[Matrix, np.ndarray]]:
    """Candidate rigid motions of the scene's layers with the keyframe-0 points that follow
    each: standing still, then the similarity most ORB matches agree on, then the one most of
    the rest agree on."""
    orb = cv2.ORB.create(3000, fastThreshold=5, edgeThreshold=15, patchSize=15)
    k0, d0 = orb.detectAndCompute(g0, None)
    k1, d1 = orb.detectAndCompute(g1, None)
    motions: list[tuple[Matrix, np.ndarray]] = [(np.eye(3), np.zeros((0, 2), np.float32))]
    if d0 is None or d1 is None or len(d1) < 2:
        return motions
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(d0, d1, k=2)
    # Lowe's ratio test: painted scenes repeat (planks, leaves), keep only unambiguous matches.
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    # Several points matched to one (a repeated pattern's single sharp copy) would let RANSAC
    # fit a motion that collapses them all onto it: those matches are ambiguous too.
    targets = Counter(m.trainIdx for m in good)
    good = [m for m in good if targets[m.trainIdx] == 1]
    p0 = np.array([k0[m.queryIdx].pt for m in good], np.float32).reshape(-1, 2)
    p1 = np.array([k1[m.trainIdx].pt for m in good], np.float32).reshape(-1, 2)
    for _ in range(2):
        if len(p0) < _MIN_INLIERS:
            break
        transform, inliers = cv2.estimateAffinePartial2D(
            p0, p1, method=cv2.RANSAC, ransacReprojThreshold=3.0, maxIters=4000
        )
        if transform is None or inliers is None or int(inliers.sum()) < _MIN_INLIERS:
            break
        agree = inliers.ravel().astype(bool)
        motion = np.vstack([transform, [0, 0, 1]])
        problem = degeneracy(motion)
        if problem is None:
            motions.append((motion, p0[agree]))
        else:
            log.info(
                "%d feature matches agree on a degenerate motion (%s); ignored",
                agree.sum(),
                problem,
            )
        p0, p1 = p0[~agree], p1[~agree]
    return motions


def _differs(motion: Matrix, background: Matrix, points: np.ndarray) -> bool:
    """Whether `motion` moves its points visibly differently from the background's."""
    if len(points) == 0:
        return False
    ones = np.ones((len(points), 1))
    homogeneous = np.hstack([points, ones])
    gap = (homogeneous @ motion.T - homogeneous @ background.T)[:, :2]
    return bool(np.median(np.hypot(gap[:, 0], gap[:, 1])) > 4.0)


def _character_masks(
    colour: list[np.ndarray],
    moved: list[np.ndarray],
    background: Matrix,
    character: Matrix,
    points: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The character's masks (uint8 0/1) in both small keyframes, or None when they do not
    look like one rigid object.

    A pixel of keyframe 0 shows the character when the backdrop's motion does not explain it
    but the character's does. Where the character moves *to*, a flat backdrop can pass that
    test by chance; requiring it of the pixel's match in keyframe 1 as well removes those, but
    also the body where the character's two poses overlap. So the strict test only outlines
    the character, and the loose one fills that outline's hull. Limbs that moved on their own
    pass neither test and are added afterwards (`_with_limbs`)."""
    height, width = colour[0].shape[:2]
    size = (width, height)
    back, char_back = np.linalg.inv(background), np.linalg.inv(character)
    views, changed = [], []
    for c, other, bg, ch in (
        (colour[0], moved[0], background, character),
        (colour[1], moved[1], back, char_back),
    ):
        bg_error = _difference(c, pull(other, bg, size))
        char_error = _difference(c, pull(other, ch, size))
        changed.append((bg_error > _CHANGED).astype(np.uint8))
        views.append(changed[-1] & (char_error < 0.7 * bg_error).astype(np.uint8))
    masks = []
    for k, (motion, at) in enumerate(((character, points), (char_back, None))):
        if at is None:
            at = apply_points(character, points)
        strict = views[k] & pull(views[1 - k], motion, size, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST)
        outline = _near(cv2.morphologyEx(strict, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)), at)
        if outline is None:
            return None
        hull = np.zeros_like(outline)
        cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(outline)), 1)
        mask = _tidy((views[k] & hull) | outline, at)
        if mask is None:
            return None
        masks.append(mask)
    m0, m1 = masks
    carried = pull(m0, char_back, size, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST)
    union = np.count_nonzero(carried | m1)
    if union == 0 or np.count_nonzero(carried & m1) / union < 0.6:
        return None  # the two masks are not one shape moved: not a rigid character
    # Where the other keyframe's body sits, seen through the backdrop's motion.
    landed = (
        pull(m1, background, size, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST),
        pull(m0, back, size, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST),
    )
    return (
        _with_limbs(m0, changed[0], landed[0], colour[0]),
        _with_limbs(m1, changed[1], landed[1], colour[1]),
    )


def _with_limbs(
    body: np.ndarray, changed: np.ndarray, other_body: np.ndarray, colour: np.ndarray
) -> np.ndarray:
    """`body` plus the changed pixels joined to it within reach that have the body's colours:
    a raised arm or a swung tail, which no rigid motion explains. Pixels where the other
    keyframe's body lands are left out (there the change is the other keyframe's character),
    and so are changed pixels coloured like the backdrop around (a reframed backdrop changes
    beside the character too)."""
    *_, w, h = cv2.boundingRect(body)
    reach = max(1, round(_LIMB_REACH * max(w, h)))
    near = cv2.dilate(body, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    elsewhere = cv2.dilate(other_body, np.ones((3, 3), np.uint8))
    candidates = changed & near & (1 - elsewhere)
    candidates &= _coloured_like(colour, body, near & (1 - body) & (1 - changed))
    joined = cv2.morphologyEx(body | candidates, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) | body
    count, labels = cv2.connectedComponents(joined)
    keep = np.zeros(count, np.uint8)
    keep[np.unique(labels[body > 0])] = 1
    keep[0] = 0
    return keep[labels]


def _coloured_like(colour: np.ndarray, body: np.ndarray, around: np.ndarray) -> np.ndarray:
    """1 where a pixel's colour is more typical of `body` than of `around` (uint8 masks),
    from coarse colour histograms smoothed so that a darker shade of the body still counts."""
    bins = (np.clip(colour, 0, 255).astype(np.int32) // 32) @ np.array([64, 8, 1])
    shares: list[np.ndarray] = []
    for mask in (body, around):
        counts = np.bincount(bins[mask > 0], minlength=512).astype(np.float32).reshape(8, 8, 8)
        padded = np.pad(counts, 1)
        smooth = sum(
            (
                padded[i : i + 8, j : j + 8, k : k + 8]
                for i in range(3)
                for j in range(3)
                for k in range(3)
            ),
            np.zeros_like(counts),  # an array from the start, so the sum is typed as one
        )
        shares.append(smooth.ravel() / max(1.0, float(smooth.sum())))
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", (shares[0][bins] > shares[1][bins]).astype(np.uint8))


def _near(mask: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The part of `mask` around the matched points: matches gather on a character's face,
    its outline lies up to a couple of face-widths away."""
    if len(points) == 0 or not mask.any():
        return None
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    reach = 1.5 * max(x1 - x0, y1 - y0, 4.0)
    region = np.zeros_like(mask)
    corners = (int(x0 - reach), int(y0 - reach)), (int(x1 + reach), int(y1 + reach))
    cv2.rectangle(region, *corners, 1, -1)
    near = mask & region
    return near if near.any() else None


def _tidy(mask: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The mask as solid shapes: specks removed, gaps closed, holes filled, and only the
    parts holding the character's matched points kept; None if nothing plausible is left."""
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    )
    count, labels = cv2.connectedComponents(mask)
    height, width = mask.shape
    inside = points[
        (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    ].astype(int)
    hit = np.bincount(labels[inside[:, 1], inside[:, 0]], minlength=count)
    hit[0] = 0
    if count < 2 or hit.sum() < 0.5 * len(points):
        return None
    keep = (hit >= max(1, 0.1 * hit.sum())).astype(np.uint8)
    mask = keep[labels]
    flood = np.pad(1 - mask, 1, constant_values=1)
    cv2.floodFill(flood, None, (0, 0), 2)
    mask = (flood[1:-1, 1:-1] != 2).astype(np.uint8)
    share = mask.mean()
    return mask if 0.002 < share < 0.6 else None


def _clean_plate(
    image: np.ndarray,
    other: np.ndarray,
    small: list[np.ndarray],
    holes: list[np.ndarray],
    to_other: Matrix,
) -> np.ndarray:
    """`image` with the character painted out: from the other keyframe where it shows the
    backdrop there (brought into place by the backdrop's motion), else inpainted. `small` and
    `holes` are both keyframes (this one first) at mask size and the character's masks there.
    Only the box around the hole is touched at full size."""
    hole, other_hole = holes
    height, width = image.shape[:2]
    size = (width, height)
    shape = hole.shape[::-1]
    small_map = rescale(to_other, shape[0] / width)
    # Where the other keyframe sees the backdrop behind this keyframe's character.
    seen = 1 - pull(other_hole, small_map, shape, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST, 1)
    inside = pull(np.ones_like(hole), small_map, shape, cv2.BORDER_CONSTANT, cv2.INTER_NEAREST)
    fill_from_other = hole & seen & inside
    # Inpaint the rest at small size: what no keyframe shows is guessed, and soft is fine.
    guess = np.where(fill_from_other[..., None] > 0, pull(small[1], small_map, shape), small[0])
    guess = cv2.inpaint(guess, hole & (1 - fill_from_other), 3, cv2.INPAINT_TELEA)
    where = cv2.resize(hole * np.uint8(255), size, interpolation=cv2.INTER_LINEAR)
    x, y, w, h = cv2.boundingRect(where)
    region = slice(y, y + h), slice(x, x + w)
    use_other = cv2.resize(fill_from_other * np.uint8(255), size, interpolation=cv2.INTER_LINEAR)
    filled = cv2.resize(guess, size, interpolation=cv2.INTER_LINEAR)[region]
    filled = _mix(filled, pull(other, to_other @ translation(x, y), (w, h)), use_other[region])
    plate = image.copy()
    plate[region] = _mix(image[region], filled, where[region])
    return plate


def _mix(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """a where weight is 0, b where it is 255 (uint8 weights, per pixel)."""
    w = weight.astype(np.float32) / 255
    return cv2.blendLinear(a, b, 1 - w, w)


def _fit(width: int, height: int, target: int) -> tuple[int, int]:
    scale = min(1.0, target / width)
    return max(16, round(width * scale)), max(16, round(height * scale))


def _shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _match_colour(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`image` with its per-channel mean and spread moved to `reference`'s."""
    mean, std = image.reshape(-1, 3).mean(0), image.reshape(-1, 3).std(0) + 1
    ref_mean, ref_std = reference.reshape(-1, 3).mean(0), reference.reshape(-1, 3).std(0) + 1
    moved = (image - mean) * (ref_std / std) + ref_mean
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", moved.astype(np.float32))


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # OpenCV's stubs leave the sum of cv2.absdiff's array untyped; blur returns an array.
    return cast("np.ndarray", cv2.blur(cv2.absdiff(a, b).sum(axis=2), (5, 5)))


def _border_error(error: np.ndarray) -> float:
    """Median difference along the top and sides, where the backdrop shows in any framing."""
    height = error.shape[0]
    band = max(2, height // 12)
    edges = [error[:band].ravel(), error[:, :band].ravel(), error[:, -band:].ravel()]
    return float(np.median(np.concatenate(edges)))
