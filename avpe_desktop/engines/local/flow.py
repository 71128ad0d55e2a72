"""Dense optical flow for the motion rigid layers leave over: a limb raised, a body squashed.

The tween moves the backdrop and the character as rigid layers, because per-pixel flow over a
whole frame cannot follow a character that crosses a third of it (it melts and ghosts). Once
the character's two looks are rigidly aligned, though, what is left is small and local, and
that is what dense flow is good at. `ResidualFlow.between` computes it once per clip with
OpenCV's DIS, in both directions, on the aligned looks at reduced size (`FIELD_SIDE`); every
in-between frame then samples the first look moved forward by s * flow and the last look
moved back by (1 - s) * flow and blends them (bidirectional warping and blending), so an arm
swings through the positions between its two poses instead of fading out in one and in at
the other. `ResidualFlow.maps` composes that with the rigid motion of the frame, so each
look is resampled once.

Flow is only worth having where the pose changed (`reposed`): on a rigid character it would
only pick up the noise of its traced outline and make it wobble. Thin limbs moving further
than their own width defeat any patch-based flow; two measures keep that graceful: the flow
is first found on the looks' silhouettes (signed distances, which reach far past a thin
limb), then refined on their texture; and wherever it does not bring one look onto the
other it is faded out, so the tween falls back to a dissolve there rather than smearing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np

from avpe_desktop.engines.local.affine import Matrix, edge_ramp, plane_matrix

FIELD_SIDE = 256  # longer side of the grid flow is computed on: residual motion is smooth
_SILHOUETTE_SLOPE = 2.0  # grey levels per pixel of distance to a silhouette's outline
_MISMATCH_GREY = 48.0  # grey-level difference past which flow did not bring one look onto the other
_MISMATCH_ALPHA = 128.0  # the same for coverage (0-255): half a pixel of outline
# Share of the grid over which the flow eases to zero at its edges, so a look bent by it joins
# the unbent surroundings without a seam.
_TAPER = 0.1
_SLIVER = 0.03  # share of the grid below which a difference between looks is outline noise
_REPOSED = 0.02  # share of the body that must differ for its pose to count as changed
_TRUST_BLUR = 0.015  # share of the grid over which distrust of the flow spreads (a soft edge)


def warp_by_flow(image: np.ndarray, flow: np.ndarray, amount: float) -> np.ndarray:
    """`image` with its content carried `amount` of the way along `flow` (HxWx2, pixels):
    each pixel x takes the value at x - amount * flow(x), which is where the content that
    lands on x comes from when the flow is smooth."""
    height, width = flow.shape[:2]
    xs = np.arange(width, dtype=np.float32)[None, :] - amount * flow[..., 0]
    ys = np.arange(height, dtype=np.float32)[:, None] - amount * flow[..., 1]
    return cv2.remap(image, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def reposed(
    first: np.ndarray, first_alpha: np.ndarray, last: np.ndarray, last_alpha: np.ndarray
) -> bool:
    """Whether two aligned looks (grey, coverage) differ by more than their outlines' noise:
    a limb moved or the face changed. Masks traced at a fraction of the frame's size and a
    rigid fit a pixel off leave thin slivers of difference along the outline; a change of
    pose leaves solid patches. A rigid character gets no flow, which could only wobble it."""
    textures = _over_grey(first, first_alpha), _over_grey(last, last_alpha)
    differs = (cv2.absdiff(first_alpha, last_alpha) > 127) | (
        cv2.absdiff(*textures) > _MISMATCH_GREY
    )
    side = max(5, round(_SLIVER * max(first.shape)))
    solid = cv2.morphologyEx(
        differs.astype(np.uint8),
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)),
    )
    body = max(int(np.count_nonzero(first_alpha > 127)), int(np.count_nonzero(last_alpha > 127)), 1)
    return int(np.count_nonzero(solid)) >= _REPOSED * body


def bidirectional_flow(
    first: np.ndarray, first_alpha: np.ndarray, last: np.ndarray, last_alpha: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Forward (first -> last) and backward flow between two aligned looks (uint8 grey and
    coverage, same size), in pixels, faded to zero where it does not explain the looks.
    forward(x) is where the content at x in `first` is found in `last`."""
    outlines = [_silhouette(first_alpha), _silhouette(last_alpha)]
    textures = [_over_grey(first, first_alpha), _over_grey(last, last_alpha)]
    coarse = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    coarse.setPatchSize(16)
    coarse.setPatchStride(4)
    fine = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    flows = []
    for a, b in ((0, 1), (1, 0)):
        # OpenCV's stubs demand an initial flow; None (documented) starts from zero.
        flow = coarse.calc(outlines[a], outlines[b], None)  # type: ignore[call-overload]  # see above
        flow = fine.calc(textures[a], textures[b], flow)  # refined from the silhouettes' flow
        flows.append(flow)
    looks = ((textures[0], first_alpha), (textures[1], last_alpha))
    for (a, b), flow in zip(((0, 1), (1, 0)), flows, strict=True):
        flow *= _trust(looks[a], looks[b], flow)[..., None]
    return flows[0], flows[1]


def _silhouette(alpha: np.ndarray) -> np.ndarray:
    """Signed distance to the outline, as grey: a thin limb becomes a broad ridge that flow
    can follow across more than its own width."""
    solid = (alpha > 127).astype(np.uint8)
    inside = cv2.distanceTransform(solid, cv2.DIST_L2, 5)
    outside = cv2.distanceTransform(1 - solid, cv2.DIST_L2, 5)
    reach = 127 / _SILHOUETTE_SLOPE  # (an empty mask's distances are infinite)
    silhouette = 128 + _SILHOUETTE_SLOPE * np.clip(inside - outside, -reach, reach)
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", silhouette.astype(np.uint8))


def _over_grey(grey: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The look over a flat mid-grey, so the backdrop behind it (different in each keyframe)
    gives the flow nothing to follow."""
    weight = alpha.astype(np.float32) / 255
    return (grey * weight + 128 * (1 - weight)).astype(np.uint8)


def _trust(
    look: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray], flow: np.ndarray
) -> np.ndarray:
    """1 where `other` pulled back along `flow` matches `look` (texture and coverage), easing
    to 0 where it does not: there the flow is a guess and a dissolve is the safer tween."""
    texture = np.abs(warp_by_flow(other[0], flow, -1).astype(np.float32) - look[0])
    coverage = np.abs(warp_by_flow(other[1], flow, -1).astype(np.float32) - look[1])
    wrong = ((texture > _MISMATCH_GREY) | (coverage > _MISMATCH_ALPHA)).astype(np.float32)
    sigma = max(1.0, _TRUST_BLUR * max(flow.shape[:2]))
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", 1 - cv2.GaussianBlur(wrong, (0, 0), sigma))


@dataclass(frozen=True)
class ResidualFlow:
    """The flow between a layer's two looks, ready to be sampled from output pixels.

    `field` (float32, h x w x 4) holds, per grid point, the displacement look 0 takes when
    fully morphed (minus the forward flow, in look-0 pixels) and the one look 1 takes when not
    morphed at all (minus the backward flow, carried into look-1 pixels by `last_linear`);
    `to_field` maps look-0 pixels to grid points. Outside the grid there is no residual.
    """

    field: np.ndarray
    to_field: Matrix

    @classmethod
    def between(
        cls,
        looks: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
        to_field: Matrix,
        last_linear: np.ndarray,
    ) -> ResidualFlow:
        """From the two looks (grey, coverage) sampled on the grid, look 1 already aligned to
        look 0; `last_linear` is the 2x2 linear part of the rigid motion look 0 -> look 1."""
        (first, first_alpha), (last, last_alpha) = looks
        forward, backward = bidirectional_flow(first, first_alpha, last, last_alpha)
        height, width = forward.shape[:2]
        to_first = np.linalg.inv(to_field[:2, :2])  # grid steps -> look-0 pixels
        taper = -edge_ramp(width, height, _TAPER)[..., None]
        forward = (forward.reshape(-1, 2) @ to_first.T).reshape(height, width, 2) * taper
        to_last = last_linear @ to_first
        backward = (backward.reshape(-1, 2) @ to_last.T).reshape(height, width, 2) * taper
        return cls(np.dstack([forward, backward]).astype(np.float32), to_field)

    def maps(
        self,
        to_looks: tuple[Matrix, Matrix],
        size: tuple[int, int],
        amount: float,
        factor: int = 1,
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Per look, the x and y maps (for cv2.remap) that sample it for an output of `size`
        at morph `amount` in [0, 1]. `to_looks` map output luma pixels to each look's luma
        pixels; `factor` is the plane's subsampling (2 for I420 chroma)."""
        to_luma = np.array(
            [[factor, 0, (factor - 1) / 2], [0, factor, (factor - 1) / 2], [0, 0, 1]]
        )
        shift = cv2.warpAffine(
            self.field,
            (self.to_field @ to_looks[0] @ to_luma)[:2],
            size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )
        width, height = size
        xs = np.arange(width, dtype=np.float64)
        ys = np.arange(height, dtype=np.float64)
        shifts = cv2.split(shift)
        maps = []
        for k, weight in ((0, amount), (1, 1 - amount)):
            plane = plane_matrix(to_looks[k], factor)
            pair: list[np.ndarray] = []
            for row in plane[:2]:
                # The affine part is a row plus a column; the flow is added with one scaleAdd.
                along = (row[0] * xs + row[2]).astype(np.float32)
                down = (row[1] * ys).astype(np.float32)
                grid = np.add.outer(down, along)
                pair.append(cv2.scaleAdd(shifts[2 * k + len(pair)], weight / factor, grid))
            maps.append((pair[0], pair[1]))
        return maps[0], maps[1]
