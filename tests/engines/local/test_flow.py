"""The offline tween's optical flow: warping by a known field, and flow found between looks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from avpe_desktop.engines.local.affine import translation
from avpe_desktop.engines.local.flow import (
    ResidualFlow,
    bidirectional_flow,
    reposed,
    warp_by_flow,
)


def _texture(width: int, height: int, seed: int = 1) -> np.ndarray:
    """Smooth random texture: every pixel is distinguishable from its neighbours' places."""
    noise = np.random.default_rng(seed).integers(0, 256, (height, width), np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 2.0)


def _blob(width: int, height: int, centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A textured disc (grey, coverage) on nothing, like a character cut out of its frame."""
    alpha = np.zeros((height, width), np.uint8)
    cv2.circle(alpha, (round(centre[0]), round(centre[1])), 30, 255, -1, cv2.LINE_AA)
    texture = _texture(width, height, seed=5)
    shift = np.float32([[1, 0, centre[0] - width / 2], [0, 1, centre[1] - height / 2]])
    grey = cv2.warpAffine(texture, shift, (width, height), borderMode=cv2.BORDER_REFLECT)
    return grey, alpha


def test_warp_by_flow_moves_content_along_a_known_shift() -> None:
    image = _texture(96, 80)
    flow = np.zeros((80, 96, 2), np.float32)
    flow[..., 0], flow[..., 1] = 6.0, -4.0
    moved = warp_by_flow(image, flow, 0.5)  # half way: 3 right, 2 up
    assert np.array_equal(moved[10:70, 10:86], image[12:72, 7:83])
    assert np.array_equal(warp_by_flow(image, flow, 0.0), image)


def test_warp_by_flow_follows_a_varying_field() -> None:
    """Each pixel takes its value from where its own vector points back to: the left half
    stays, the right half moves down by 5."""
    image = _texture(80, 80)
    flow = np.zeros((80, 80, 2), np.float32)
    flow[:, 40:, 1] = 5.0
    moved = warp_by_flow(image, flow, 1.0)
    assert np.array_equal(moved[:, :40], image[:, :40])
    assert np.array_equal(moved[10:70, 45:75], image[5:65, 45:75])


def test_residual_flow_maps_compose_rigid_motion_and_flow() -> None:
    """The maps sample each look once: look 0 moved by its rigid transform and `amount` of
    the forward flow, look 1 by its own transform and the rest of the backward flow."""
    size = (64, 48)
    shift = np.zeros((60, 100, 2), np.float32)
    shift[..., 0] = 8.0  # look 0's content is 8 px to the right in (aligned) look 1
    flow = ResidualFlow(
        np.dstack([-shift, shift]).astype(np.float32),  # see ResidualFlow: minus each flow
        np.eye(3),
    )
    to_first, to_last = translation(10, 0), translation(10, 0) @ translation(-8, 0)
    (x0, y0), (x1, y1) = flow.maps((to_first, to_last), size, 0.25)
    # A quarter of the way, look 0 shows what sat 2 px further left; look 1 what sits 6 px
    # further right than its rigid place.
    assert np.allclose(x0, np.arange(64)[None, :] + 10 - 2)
    assert np.allclose(x1, np.arange(64)[None, :] + 2 + 6)
    assert np.allclose(y0, np.arange(48)[:, None]) and np.allclose(y1, y0)
    # For the half-size chroma planes the same motion is half as many pixels.
    (cx0, _), _ = flow.maps((to_first, to_last), (32, 24), 0.25, factor=2)
    assert np.allclose(cx0, np.arange(32)[None, :] + 5 - 1)


def test_bidirectional_flow_finds_a_moved_shape_both_ways() -> None:
    first = _blob(160, 120, (70, 60))
    last = _blob(160, 120, (82, 56))
    forward, backward = bidirectional_flow(*first, *last)
    inside = first[1] > 200
    assert np.median(forward[inside], axis=0) == pytest.approx((12, -4), abs=1.0)
    arrived = last[1] > 200
    assert np.median(backward[arrived], axis=0) == pytest.approx((-12, 4), abs=1.0)


def test_flow_that_explains_nothing_is_dropped() -> None:
    """A shape that vanishes has nowhere to flow to: the flow there is faded to zero, so the
    tween dissolves it instead of smearing it across the frame."""
    first = _blob(160, 120, (50, 60))
    nothing = (np.full((120, 160), 128, np.uint8), np.zeros((120, 160), np.uint8))
    forward, _ = bidirectional_flow(*first, *nothing)
    assert np.abs(forward[first[1] > 200]).max() < 0.5


def test_only_a_change_of_pose_counts_as_reposed() -> None:
    """Outlines traced a pixel apart are noise (a rigid character gets no flow to wobble
    it); an arm that moved is a new pose."""
    grey, alpha = _blob(160, 120, (70, 60))
    nudged = _blob(160, 120, (71, 60))
    assert not reposed(grey, alpha, *nudged)
    waving = alpha.copy()
    cv2.line(waving, (95, 60), (140, 30), 255, 12)
    assert reposed(grey, alpha, grey, waving)
