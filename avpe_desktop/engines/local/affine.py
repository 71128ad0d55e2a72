"""2D similarity transforms as 3x3 matrices, and sampling images through them.

Everything in the offline tween is moved by "pulling": an output pixel x takes the source's
value at transform(x). That is what OpenCV's inverse-map warps do in one pass, and it lets
transforms be chained by matrix products from the output back to each source.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np

Matrix = np.ndarray  # 3x3 homogeneous affine transform, float64

MAX_ZOOM = 8.0
"""How much a layer may grow or shrink between two keyframes. The painter's framings (wide,
medium, close-up) change sizes by a few times at most; a fit past this is matches collapsed
onto a point (scale near 0) or fanned out from one, not a motion."""


def pull(
    image: np.ndarray,
    transform: Matrix,
    size: tuple[int, int],
    border: int = cv2.BORDER_REPLICATE,
    interpolation: int = cv2.INTER_LINEAR,
    value: float = 0,
) -> np.ndarray:
    """image sampled at transform(x) for each pixel x of an image of `size`."""
    return cv2.warpAffine(
        image,
        transform[:2],
        size,
        flags=interpolation | cv2.WARP_INVERSE_MAP,
        borderMode=border,
        borderValue=value,
    )


def pull_into(source: np.ndarray, transform: Matrix, dst: np.ndarray, border: int) -> None:
    """Fills `dst` with `source` sampled at transform(x), in place."""
    cv2.warpAffine(
        source,
        transform[:2],
        (dst.shape[1], dst.shape[0]),
        dst=dst,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=border,
        borderValue=0,
    )


def rescale(transform: Matrix, k: float) -> Matrix:
    """The same motion in an image scaled by k (pixel centres kept aligned)."""
    to = np.array([[k, 0, (k - 1) / 2], [0, k, (k - 1) / 2], [0, 0, 1]])
    back = np.array([[1 / k, 0, (1 / k - 1) / 2], [0, 1 / k, (1 / k - 1) / 2], [0, 0, 1]])
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", to @ transform @ back)


def plane_matrix(transform: Matrix, factor: int) -> Matrix:
    """A luma-pixel transform as one for a plane subsampled by `factor`."""
    return rescale(transform, 1 / factor) if factor != 1 else transform


def translation(x: float, y: float) -> Matrix:
    return np.array([[1.0, 0, x], [0, 1.0, y], [0, 0, 1]])


def similarity(scale: float, angle: float) -> Matrix:
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]])


def scale_angle(transform: Matrix) -> tuple[float, float]:
    a, d = transform[0, 0], transform[1, 0]
    return float(np.hypot(a, d)), float(np.arctan2(d, a))


def power(transform: Matrix, s: float) -> Matrix:
    """The similarity transform `s` of the way from identity to `transform` (s may be
    negative: the way back), keeping its fixed point still, as a camera zoom does."""
    scale, angle = scale_angle(transform)
    linear = similarity(scale**s, angle * s)
    shift = transform[:2, 2]
    step = np.eye(2) - transform[:2, :2]
    if abs(np.linalg.det(step)) < 1e-9:  # a pure translation has no fixed point
        linear[:2, 2] = shift * s
    else:
        fixed = np.linalg.solve(step, shift)
        linear[:2, 2] = (np.eye(2) - linear[:2, :2]) @ fixed
    return linear


def degeneracy(transform: Matrix) -> str | None:
    """Why `transform` cannot stand for a layer's motion between keyframes (not finite, or a
    zoom past `MAX_ZOOM`, down to a singular collapse), in words for the log; None when it
    can: then it, its inverse and every `power` of it are well conditioned."""
    if transform.shape != (3, 3) or not np.isfinite(transform).all():
        return "its numbers are not finite"
    if not np.allclose(transform[2], (0.0, 0.0, 1.0)):
        return "it is not affine"
    scale, _ = scale_angle(transform)
    if not 1 / MAX_ZOOM <= scale <= MAX_ZOOM:
        return f"it zooms by {scale:.3g} (singular below {1 / MAX_ZOOM:g}, past {MAX_ZOOM:g})"
    # A similarity's two singular values are equal; anything else is a shear or a squash.
    singular = np.linalg.svd(transform[:2, :2], compute_uv=False)
    if singular[1] < 0.9 * singular[0]:
        return f"it shears or squashes (singular values {singular[0]:.3g}, {singular[1]:.3g})"
    return None


def apply(transform: Matrix, x: float, y: float) -> tuple[float, float]:
    px, py, _ = transform @ (x, y, 1.0)
    return float(px), float(py)


def apply_points(transform: Matrix, points: np.ndarray) -> np.ndarray:
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", points @ transform[:2, :2].T + transform[:2, 2])


def bounds(
    transform: Matrix, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The axis-aligned box (x0, y0, x1, y1) that `box` maps into."""
    x0, y0, x1, y1 = box
    mapped = apply_points(transform, np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]))
    return (
        float(mapped[:, 0].min()),
        float(mapped[:, 1].min()),
        float(mapped[:, 0].max()),
        float(mapped[:, 1].max()),
    )


def edge_ramp(width: int, height: int, feather: float) -> np.ndarray:
    """1 inside, easing to 0 at the image border over `feather` of the shorter side: the
    soft outline of an image laid over another."""
    ramp = max(2.0, feather * min(width, height))
    x = np.minimum(np.arange(width), np.arange(width)[::-1]) / ramp
    y = np.minimum(np.arange(height), np.arange(height)[::-1]) / ramp
    edge = np.clip(np.minimum.outer(y, x), 0.0, 1.0).astype(np.float32)
    return edge * edge * (3 - 2 * edge)
