"""Rain and snow over an outdoor backdrop: a rainy idea must look rainy in its draft frames.

Drawn over the scenery but under the character, so the cut-out and its motion between
keyframes stay exactly as the renderer expects.
"""

from __future__ import annotations

import cv2
import numpy as np

from avpe_desktop.engines.local.backdrop import Canvas, blend_layer, soft_blur
from avpe_desktop.engines.local.scene import SceneSpec

AA = cv2.LINE_AA

_OVERCAST = 0.78
"""How much light a rain cloud leaves: dim enough to read as a grey day, not as night."""


def add_weather(
    image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator
) -> None:
    """Paints the spec's weather in place; indoor sets and underwater have none to show."""
    if spec.indoor or spec.setting in ("underwater", "space") or spec.weather == "clear":
        return
    if spec.weather == "rain":
        _rain(image, canvas, rng)
    else:
        _snowfall(image, canvas, rng)


def _rain(image: np.ndarray, canvas: Canvas, rng: np.random.Generator) -> None:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None].astype(np.float32)
    dull = (image.astype(np.float32) * 0.45 + gray * 0.55) * _OVERCAST
    image[:] = np.clip(dull + np.array((4, 8, 18), np.float32), 0, 255).astype(np.uint8)
    streaks = np.zeros(image.shape[:2], np.uint8)
    u = canvas.unit
    count = int(1200 * canvas.width * canvas.height / 1e6) + 200
    xs = rng.uniform(-0.1, 1.0, count) * canvas.width
    ys = rng.uniform(-0.05, 1.0, count) * canvas.height
    lengths = rng.uniform(0.03, 0.07, count) * u
    for x, y, length in zip(xs, ys, lengths, strict=True):
        end = (int(x + length * 0.25), int(y + length))
        cv2.line(streaks, (int(x), int(y)), end, 255, max(1, int(u / 500)), AA)
    light = np.empty_like(image)
    light[:] = (200, 214, 235)
    blend_layer(image, light, streaks, 0.65)


def _snowfall(image: np.ndarray, canvas: Canvas, rng: np.random.Generator) -> None:
    flakes = np.zeros(image.shape[:2], np.uint8)
    u = canvas.unit
    count = int(600 * canvas.width * canvas.height / 1e6) + 150
    for _ in range(count):
        center = (int(rng.uniform(0, canvas.width)), int(rng.uniform(0, canvas.height)))
        radius = max(1, round(u * rng.uniform(0.003, 0.009)))
        cv2.circle(flakes, center, radius, 255, -1, AA)
    flakes = np.maximum(flakes, soft_blur(flakes, u * 0.004))
    white = np.empty_like(image)
    white[:] = (250, 252, 255)
    blend_layer(image, white, flakes, 0.9)
