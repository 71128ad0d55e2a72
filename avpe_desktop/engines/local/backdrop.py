"""Procedural scenery for offline keyframes: one painter per setting, lit by the time of day.

Layouts are in fractions of the frame and drawn from a generator seeded by the setting, time
and render seed only, so every keyframe of one scene shows the same set whatever the size or
the wording of its description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from avpe_desktop.engines.local.scene import SceneSpec

RGB = tuple[int, int, int]
AA = cv2.LINE_AA

# Sky colours from the top of the frame down to the horizon.
SKIES: dict[str, list[tuple[float, RGB]]] = {
    "morning": [(0.0, (118, 168, 228)), (0.6, (196, 208, 232)), (1.0, (255, 214, 176))],
    "day": [(0.0, (62, 132, 222)), (0.7, (150, 198, 240)), (1.0, (205, 230, 248))],
    "sunset": [(0.0, (52, 46, 112)), (0.45, (178, 86, 124)), (1.0, (255, 156, 92))],
    "night": [(0.0, (6, 10, 32)), (0.7, (22, 30, 72)), (1.0, (44, 54, 104))],
}

# How light of each time of day tints surfaces (and the character).
AMBIENT: dict[str, tuple[float, float, float]] = {
    "morning": (1.02, 0.98, 0.94),
    "day": (1.0, 1.0, 1.0),
    "sunset": (1.06, 0.86, 0.74),
    "night": (0.58, 0.64, 0.86),
}


@dataclass(frozen=True)
class Canvas:
    """The frame's size and where its horizon (or floor line) sits."""

    width: int
    height: int
    horizon: int

    def px(self, fx: float, fy: float) -> tuple[int, int]:
        return round(fx * self.width), round(fy * self.height)

    @property
    def unit(self) -> float:
        """A length that scales with the frame, so shapes keep their proportions in 9:16."""
        return min(self.width, self.height)


def vertical_gradient(height: int, width: int, stops: list[tuple[float, RGB]]) -> np.ndarray:
    positions = [p for p, _ in stops]
    rows = np.linspace(0.0, 1.0, height)
    column = np.stack(
        [np.interp(rows, positions, [c[i] for _, c in stops]) for i in range(3)], axis=1
    )
    return np.ascontiguousarray(
        np.broadcast_to(column[:, None, :], (height, width, 3)).astype(np.uint8)
    )


def rgb(channels: Iterable[int]) -> RGB:
    """Three computed channels as the RGB triple OpenCV's drawing calls and `lit` take."""
    red, green, blue = channels
    return red, green, blue


def lit(color: RGB, time: str, amount: float = 1.0) -> RGB:
    tint = AMBIENT[time]
    return rgb(
        int(np.clip(c * (1 + (t - 1) * amount), 0, 255)) for c, t in zip(color, tint, strict=True)
    )


def blend_layer(image: np.ndarray, layer: np.ndarray, mask: np.ndarray, opacity: float) -> None:
    """Paints `layer` over `image` where `mask` (uint8) is set, with partial opacity."""
    alpha = (mask.astype(np.float32) * (opacity / 255.0))[..., None]
    image[:] = (image * (1 - alpha) + layer * alpha).astype(np.uint8)


def add_glow(
    image: np.ndarray, center: tuple[int, int], radius: float, color: RGB, strength: float
) -> None:
    """A soft additive light, computed at quarter size because glows have no detail."""
    h, w = image.shape[:2]
    sh, sw = max(1, h // 4), max(1, w // 4)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    d2 = ((xx - center[0] / 4) ** 2 + (yy - center[1] / 4) ** 2) / max(1.0, radius / 4) ** 2
    falloff = cv2.resize(np.exp(-d2) * strength, (w, h), interpolation=cv2.INTER_LINEAR)
    glow = falloff[..., None] * np.array(color, np.float32)
    image[:] = np.clip(image + glow, 0, 255).astype(np.uint8)


def soft_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Large blurs done small and scaled back: the same look for a fraction of the time."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / 4))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


# --- sky elements -----------------------------------------------------------------------------


def _sky(image: np.ndarray, canvas: Canvas, time: str, rng: np.random.Generator) -> None:
    image[: canvas.horizon] = vertical_gradient(canvas.horizon, canvas.width, SKIES[time])
    u = canvas.unit
    if time == "night":
        _stars(image, canvas, rng, count=int(140 * canvas.width * canvas.height / 1e6) + 40)
        mx, my = canvas.px(rng.uniform(0.62, 0.85), rng.uniform(0.1, 0.22))
        r = int(u * 0.06)
        add_glow(image, (mx, my), r * 4, (60, 70, 110), 0.7)
        cv2.circle(image, (mx, my), r, (240, 236, 214), -1, AA)
        cv2.circle(
            image,
            (mx + r // 2, my - r // 3),
            r,
            tuple(int(c) for c in image[my, max(0, mx - 3 * r)]),
            -1,
            AA,
        )
        return
    if time == "sunset":
        sx, sy = int(rng.uniform(0.3, 0.7) * canvas.width), canvas.horizon - int(u * 0.05)
        add_glow(image, (sx, sy), u * 0.45, (255, 120, 60), 0.55)
        cv2.circle(image, (sx, sy), int(u * 0.1), (255, 200, 120), -1, AA)
    else:
        fy = 0.14 if time == "day" else 0.3
        sx, sy = canvas.px(
            rng.uniform(0.12, 0.3) if rng.random() < 0.5 else rng.uniform(0.7, 0.88), fy
        )
        add_glow(image, (sx, sy), u * 0.3, (255, 236, 190), 0.5)
        cv2.circle(image, (sx, sy), int(u * 0.055), (255, 248, 220), -1, AA)
    _clouds(image, canvas, time, rng)


def _stars(image: np.ndarray, canvas: Canvas, rng: np.random.Generator, count: int) -> None:
    xs = rng.integers(0, canvas.width, count)
    ys = (rng.random(count) ** 1.4 * canvas.horizon * 0.95).astype(int)
    brightness = rng.uniform(120, 255, count)
    sizes = rng.random(count)
    for x, y, b, s in zip(xs, ys, brightness, sizes, strict=True):
        radius = 2 if s > 0.93 else 1
        cv2.circle(image, (int(x), int(y)), radius, (int(b), int(b), int(min(255, b + 20))), -1, AA)


def _clouds(image: np.ndarray, canvas: Canvas, time: str, rng: np.random.Generator) -> None:
    layer = image.copy()
    mask = np.zeros(image.shape[:2], np.uint8)
    color = {"morning": (255, 236, 230), "day": (255, 255, 255), "sunset": (255, 190, 170)}[time]
    u = canvas.unit
    for _ in range(int(rng.integers(2, 5))):
        cx = rng.uniform(0.05, 0.95) * canvas.width
        cy = rng.uniform(0.08, 0.45) * canvas.horizon
        size = rng.uniform(0.05, 0.09) * u
        for _ in range(5):
            ox, oy = rng.uniform(-1.6, 1.6) * size, rng.uniform(-0.35, 0.25) * size
            axes = (int(size * rng.uniform(0.9, 1.4)), int(size * rng.uniform(0.5, 0.75)))
            cv2.ellipse(mask, (int(cx + ox), int(cy + oy)), axes, 0, 0, 360, 255, -1, AA)
    layer[:] = color
    blend_layer(image, layer, cv2.GaussianBlur(mask, (0, 0), u * 0.004 + 1), 0.85)


# --- grounds ----------------------------------------------------------------------------------


def _ground(image: np.ndarray, canvas: Canvas, top: RGB, bottom: RGB, time: str) -> None:
    h = canvas.height - canvas.horizon
    image[canvas.horizon :] = vertical_gradient(
        h, canvas.width, [(0.0, lit(top, time)), (1.0, lit(bottom, time))]
    )


def _hill_line(
    canvas: Canvas, rng: np.random.Generator, base: float, amp: float, bumps: int
) -> np.ndarray:
    xs = np.linspace(0, canvas.width, 64)
    phases = rng.uniform(0, 2 * np.pi, 3)
    ys = base + amp * sum(
        np.sin(xs / canvas.width * np.pi * (bumps + k) + phases[k]) / (k + 1) for k in range(3)
    )
    points = np.column_stack([xs, ys]).astype(np.int32)
    return np.vstack([points, [[canvas.width, canvas.height], [0, canvas.height]]])


def _tree(
    image: np.ndarray, base: tuple[int, int], height: float, color: RGB, trunk: RGB, pine: bool
) -> None:
    x, y = base
    tw = max(2, int(height * 0.07))
    cv2.rectangle(image, (x - tw, int(y - height * 0.35)), (x + tw, y), trunk, -1, AA)
    if pine:
        for k in range(3):
            top = y - height * (0.45 + 0.22 * k) - height * 0.2
            half = height * (0.32 - 0.07 * k)
            pts = np.array(
                [
                    [x - half, y - height * (0.25 + 0.22 * k)],
                    [x + half, y - height * (0.25 + 0.22 * k)],
                    [x, top],
                ],
                np.int32,
            )
            cv2.fillPoly(image, [pts], color, AA)
    else:
        r = int(height * 0.3)
        for dx, dy, rr in (
            (0, -0.62, 1.0),
            (-0.45, -0.5, 0.75),
            (0.45, -0.5, 0.75),
            (0, -0.85, 0.7),
        ):
            cv2.circle(image, (int(x + dx * r), int(y + dy * height)), int(r * rr), color, -1, AA)


def _outdoor(
    green: RGB, far: RGB
) -> Callable[[np.ndarray, Canvas, SceneSpec, np.random.Generator], None]:
    def paint(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
        _sky(image, canvas, spec.time, rng)
        hills = _hill_line(canvas, rng, canvas.horizon - canvas.unit * 0.05, canvas.unit * 0.03, 2)
        cv2.fillPoly(image, [hills], lit(far, spec.time), AA)
        _ground(image, canvas, green, rgb(int(c * 0.7) for c in green), spec.time)

    return paint


def _park(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _outdoor((120, 190, 96), (112, 168, 110))(image, canvas, spec, rng)
    for _ in range(int(rng.integers(4, 7))):
        x = int(rng.uniform(0.0, 1.0) * canvas.width)
        height = canvas.unit * rng.uniform(0.16, 0.26)
        _tree(
            image,
            (x, canvas.horizon + int(canvas.unit * 0.01)),
            height,
            lit((70, 140, 72), spec.time),
            lit((110, 80, 56), spec.time),
            pine=False,
        )
    _path(image, canvas, lit((222, 204, 160), spec.time))


def _path(image: np.ndarray, canvas: Canvas, color: RGB) -> None:
    w, h, hz = canvas.width, canvas.height, canvas.horizon
    pts = np.array([[w * 0.46, hz], [w * 0.54, hz], [w * 0.8, h], [w * 0.2, h]], np.int32)
    cv2.fillPoly(image, [pts], color, AA)


def _garden(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _outdoor((112, 184, 90), (96, 150, 90))(image, canvas, spec, rng)
    hedge = lit((58, 120, 64), spec.time)
    top = canvas.horizon - int(canvas.unit * 0.06)
    cv2.rectangle(image, (0, top), (canvas.width, canvas.horizon + 2), hedge, -1)
    for x in range(0, canvas.width + 1, max(8, int(canvas.unit * 0.05))):
        cv2.circle(image, (x, top), int(canvas.unit * 0.03), hedge, -1, AA)
    petals = [(255, 120, 160), (255, 210, 90), (200, 140, 255), (255, 255, 255), (255, 150, 90)]
    for _ in range(int(90 * canvas.width / 1280)):
        fy = rng.random() ** 0.7
        y = int(canvas.horizon + fy * (canvas.height - canvas.horizon))
        x = int(rng.uniform(0, canvas.width))
        r = max(2, int(canvas.unit * (0.004 + 0.01 * fy)))
        cv2.circle(image, (x, y), r, lit(petals[int(rng.integers(len(petals)))], spec.time), -1, AA)


def _forest(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _outdoor((86, 140, 70), (70, 110, 80))(image, canvas, spec, rng)
    for row, (shade, scale) in enumerate((((96, 140, 120), 0.3), ((52, 104, 66), 0.45))):
        count = int(rng.integers(6, 10)) if row == 0 else int(rng.integers(4, 7))
        for x in np.sort(rng.uniform(-0.05, 1.05, count)):
            height = canvas.unit * scale * rng.uniform(0.8, 1.25)
            base = (int(x * canvas.width), canvas.horizon + int(canvas.unit * 0.02 * row))
            _tree(
                image,
                base,
                height,
                lit(shade, spec.time),
                lit((90, 66, 50), spec.time),
                pine=bool(rng.random() < 0.6),
            )


def _mountain(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _sky(image, canvas, spec.time, rng)
    for depth, color in enumerate(((150, 160, 190), (100, 116, 150), (74, 96, 110))):
        base = canvas.horizon - canvas.unit * (0.28 - 0.09 * depth)
        xs = np.linspace(-0.1, 1.1, int(rng.integers(4, 7)) * 2 + 1)
        ys = [base + (0 if i % 2 else canvas.unit * rng.uniform(0.12, 0.2)) for i in range(len(xs))]
        ys = [y - (canvas.unit * rng.uniform(0.0, 0.08) if i % 2 else 0) for i, y in enumerate(ys)]
        ridge = np.column_stack([xs * canvas.width, ys]).astype(np.int32)
        poly = np.vstack([ridge, [[canvas.width, canvas.horizon + 2], [0, canvas.horizon + 2]]])
        cv2.fillPoly(image, [poly], lit(color, spec.time), AA)
        if depth == 0:
            for i in range(1, len(ridge) - 1, 2):
                px, py = ridge[i]
                cap = canvas.unit * 0.035
                pts = np.array([[px, py], [px - cap, py + cap], [px + cap, py + cap]], np.int32)
                cv2.fillPoly(image, [pts], lit((245, 245, 250), spec.time), AA)
    _ground(image, canvas, (130, 168, 104), (84, 120, 70), spec.time)


def _beach(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _sky(image, canvas, spec.time, rng)
    shore = canvas.horizon + int((canvas.height - canvas.horizon) * 0.32)
    image[canvas.horizon : shore] = vertical_gradient(
        shore - canvas.horizon,
        canvas.width,
        [(0.0, lit((40, 110, 170), spec.time)), (1.0, lit((70, 180, 200), spec.time))],
    )
    for _ in range(int(rng.integers(10, 18))):
        y = int(rng.uniform(canvas.horizon + 4, shore - 4))
        x = int(rng.uniform(0, canvas.width))
        length = int(canvas.unit * rng.uniform(0.03, 0.09))
        cv2.line(image, (x, y), (x + length, y), lit((210, 235, 245), spec.time), 2, AA)
    image[shore:] = vertical_gradient(
        canvas.height - shore,
        canvas.width,
        [(0.0, lit((236, 214, 168), spec.time)), (1.0, lit((214, 186, 136), spec.time))],
    )
    foam = np.array(
        [
            [x, shore + canvas.unit * 0.008 * np.sin(x / canvas.unit * 18)]
            for x in np.linspace(0, canvas.width, 48)
        ],
        np.int32,
    )
    cv2.polylines(
        image, [foam], False, lit((250, 250, 245), spec.time), max(2, int(canvas.unit * 0.008)), AA
    )


def _city(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _sky(image, canvas, spec.time, rng)
    night = spec.time in ("night", "sunset")
    u = canvas.unit
    for depth, shade in enumerate(((120, 128, 160), (78, 84, 112))):
        x = -int(rng.uniform(0, 0.05) * canvas.width)
        while x < canvas.width:
            bw = int(u * rng.uniform(0.1, 0.18))
            bh = int(u * rng.uniform(0.2, 0.5) * (1.25 - 0.3 * depth))
            top = canvas.horizon - bh
            cv2.rectangle(image, (x, top), (x + bw, canvas.horizon), lit(shade, spec.time, 0.6), -1)
            win = max(3, int(u * 0.014))
            for wy in range(top + win * 2, canvas.horizon - win, win * 3):
                for wx in range(x + win, x + bw - win, win * 2 + win // 2):
                    on = rng.random() < (0.55 if night else 0.9)
                    color = (255, 214, 120) if night and on else lit((176, 200, 226), spec.time)
                    if night and not on:
                        color = rgb(int(c * 0.8) for c in lit(shade, spec.time, 0.6))
                    cv2.rectangle(image, (wx, wy), (wx + win, wy + win), color, -1)
            x += bw + int(u * rng.uniform(0.0, 0.03))
    _ground(image, canvas, (150, 150, 160), (96, 96, 106), spec.time)
    kerb = canvas.horizon + int((canvas.height - canvas.horizon) * 0.18)
    cv2.line(
        image,
        (0, kerb),
        (canvas.width, kerb),
        lit((196, 196, 200), spec.time),
        max(2, int(u * 0.006)),
        AA,
    )
    if night:
        for fx in (0.15, 0.85):
            lx = int(fx * canvas.width)
            cv2.line(
                image,
                (lx, kerb),
                (lx, kerb - int(u * 0.42)),
                (50, 52, 60),
                max(2, int(u * 0.008)),
                AA,
            )
            add_glow(image, (lx, kerb - int(u * 0.42)), u * 0.12, (255, 200, 120), 0.6)


def _space(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    u = canvas.unit
    image[:] = vertical_gradient(
        canvas.height, canvas.width, [(0.0, (6, 6, 24)), (0.6, (24, 14, 56)), (1.0, (40, 24, 70))]
    )
    for _ in range(3):
        cx, cy = canvas.px(rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.5))
        color = [(120, 60, 160), (40, 90, 160), (160, 60, 120)][int(rng.integers(3))]
        add_glow(image, (cx, cy), u * rng.uniform(0.2, 0.35), color, 0.45)
    _stars(image, canvas, rng, count=int(260 * canvas.width * canvas.height / 1e6) + 80)
    px, py = canvas.px(rng.choice([0.2, 0.8]), 0.22)
    r = int(u * 0.1)
    add_glow(image, (px, py), r * 2.2, (80, 120, 200), 0.35)
    cv2.circle(image, (px, py), r, (214, 150, 110), -1, AA)
    cv2.circle(image, (px + r // 3, py - r // 3), int(r * 0.95), (236, 186, 140), -1, AA)
    cv2.ellipse(
        image,
        (px, py),
        (int(r * 1.7), int(r * 0.35)),
        -12,
        200,
        340,
        (236, 220, 190),
        max(2, r // 10),
        AA,
    )
    _ground(image, canvas, (120, 116, 130), (70, 66, 84), "day")
    for _ in range(int(rng.integers(4, 8))):
        cx = int(rng.uniform(0, canvas.width))
        fy = rng.uniform(0.1, 0.9)
        cy = int(canvas.horizon + fy * (canvas.height - canvas.horizon))
        ax = int(u * (0.02 + 0.05 * fy))
        cv2.ellipse(image, (cx, cy), (ax, max(2, ax // 3)), 0, 0, 360, (88, 84, 100), -1, AA)


def _stage(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    w, h, hz = canvas.width, canvas.height, canvas.horizon
    xs = np.arange(w, dtype=np.float32)
    folds = 0.65 + 0.35 * np.sin(xs / canvas.unit * 40)
    base = np.array(lit((150, 30, 52), "day"), np.float32)
    curtain = folds[None, :, None] * base[None, None, :] * np.linspace(0.55, 1.0, hz)[:, None, None]
    image[:hz] = curtain.astype(np.uint8)
    image[hz:] = vertical_gradient(h - hz, w, [(0.0, (96, 62, 44)), (1.0, (52, 32, 24))])
    cv2.line(image, (0, hz), (w, hz), (170, 120, 70), max(2, int(canvas.unit * 0.008)), AA)
    spot = {"left": 0.28, "center": 0.5, "right": 0.72}[spec.position]
    colors = [(255, 230, 170), (170, 200, 255), (255, 170, 220)]
    cone = np.zeros((h, w), np.uint8)
    for k, offset in enumerate((-0.25, 0.0, 0.25)):
        top_x = int((spot + offset) * w)
        cone[:] = 0
        pts = np.array(
            [
                [top_x - w * 0.02, 0],
                [top_x + w * 0.02, 0],
                [spot * w + w * 0.12, h * 0.95],
                [spot * w - w * 0.12, h * 0.95],
            ],
            np.int32,
        )
        cv2.fillPoly(cone, [pts], 255, AA)
        layer = np.empty_like(image)
        layer[:] = colors[k]
        blend_layer(image, layer, soft_blur(cone, canvas.unit * 0.03), 0.22)
    add_glow(image, (int(spot * w), int(h * 0.9)), canvas.unit * 0.3, (255, 220, 170), 0.35)


# --- interiors --------------------------------------------------------------------------------


def _window(
    image: np.ndarray,
    canvas: Canvas,
    spec: SceneSpec,
    rng: np.random.Generator,
    fx: float,
    fw: float,
    rise: tuple[float, float] = (0.62, 0.22),
) -> None:
    u = canvas.unit
    x0, y0 = int(fx * canvas.width), max(0, int(canvas.horizon - u * rise[0]))
    x1, y1 = x0 + int(fw * u), int(canvas.horizon - u * rise[1])
    view = np.zeros_like(image)
    inner = Canvas(canvas.width, canvas.height, y1)
    _sky(view, inner, spec.time, rng)
    view[y1:] = lit((110, 170, 100), spec.time)
    image[y0:y1, x0:x1] = view[y0:y1, x0:x1]
    frame = (246, 240, 230)
    t = max(3, int(u * 0.012))
    cv2.rectangle(image, (x0, y0), (x1, y1), frame, t, AA)
    cv2.line(image, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), frame, t, AA)
    cv2.line(image, (x0, (y0 + y1) // 2), (x1, (y0 + y1) // 2), frame, t, AA)


def _interior(wall: RGB, floor: RGB, spec: SceneSpec, image: np.ndarray, canvas: Canvas) -> None:
    amount = 1.0 if spec.time == "night" else 0.5
    image[: canvas.horizon] = vertical_gradient(
        canvas.horizon,
        canvas.width,
        [
            (0.0, lit(rgb(int(c * 0.86) for c in wall), spec.time, amount)),
            (1.0, lit(wall, spec.time, amount)),
        ],
    )
    image[canvas.horizon :] = vertical_gradient(
        canvas.height - canvas.horizon,
        canvas.width,
        [
            (0.0, lit(floor, spec.time, amount)),
            (1.0, lit(rgb(int(c * 0.78) for c in floor), spec.time, amount)),
        ],
    )
    plank = max(2, int(canvas.unit * 0.004))
    line_color = lit(rgb(int(c * 0.82) for c in floor), spec.time, amount)
    for k in range(1, 6):
        y = canvas.horizon + int((canvas.height - canvas.horizon) * (k / 6) ** 1.6)
        cv2.line(image, (0, y), (canvas.width, y), line_color, plank, AA)
    skirting = lit((250, 246, 238), spec.time, amount)
    cv2.rectangle(
        image,
        (0, canvas.horizon - int(canvas.unit * 0.025)),
        (canvas.width, canvas.horizon),
        skirting,
        -1,
    )


def _lamp_glow(image: np.ndarray, canvas: Canvas, spec: SceneSpec, fx: float) -> None:
    if spec.time in ("night", "sunset"):
        add_glow(image, canvas.px(fx, 0.35), canvas.unit * 0.4, (255, 190, 110), 0.5)


def _room(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    palette = [(236, 216, 196), (206, 222, 214), (226, 214, 232)]
    _interior(palette[int(rng.integers(len(palette)))], (176, 126, 88), spec, image, canvas)
    window_x = float(rng.choice([0.08, 0.62]))
    _window(image, canvas, spec, rng, window_x, 0.5)
    u = canvas.unit
    sofa_x = 0.58 if window_x < 0.5 else 0.05
    x0 = int(sofa_x * canvas.width)
    x1 = x0 + int(u * 0.7)
    seat = canvas.horizon + int(u * 0.02)
    sofa = lit((110, 140, 190), spec.time, 0.7)
    cv2.rectangle(image, (x0, seat - int(u * 0.22)), (x1, seat), sofa, -1, AA)
    darker = tuple(int(c * 0.85) for c in sofa)
    cv2.rectangle(
        image,
        (x0 - int(u * 0.03), seat - int(u * 0.13)),
        (x0 + int(u * 0.05), seat + int(u * 0.03)),
        darker,
        -1,
        AA,
    )
    cv2.rectangle(
        image,
        (x1 - int(u * 0.05), seat - int(u * 0.13)),
        (x1 + int(u * 0.03), seat + int(u * 0.03)),
        darker,
        -1,
        AA,
    )
    fx = int((1 - window_x - 0.25) * canvas.width) if window_x < 0.5 else int(0.2 * canvas.width)
    cv2.rectangle(
        image,
        (fx, int(canvas.horizon - u * 0.6)),
        (fx + int(u * 0.18), int(canvas.horizon - u * 0.42)),
        lit((240, 200, 120), spec.time, 0.5),
        -1,
        AA,
    )
    _lamp_glow(image, canvas, spec, 0.5)


def _kitchen(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _interior((244, 236, 214), (206, 190, 168), spec, image, canvas)
    u = canvas.unit
    counter_top = canvas.horizon - int(u * 0.26)
    tile = max(6, int(u * 0.05))
    tile_color = lit((226, 232, 236), spec.time, 0.6)
    for y in range(counter_top - int(u * 0.24), counter_top, tile):
        cv2.line(image, (0, y), (canvas.width, y), tile_color, 1, AA)
    for x in range(0, canvas.width, tile):
        cv2.line(image, (x, counter_top - int(u * 0.24)), (x, counter_top), tile_color, 1, AA)
    cabinet = lit(
        [(120, 170, 160), (236, 150, 120), (150, 180, 220)][int(rng.integers(3))], spec.time, 0.6
    )
    cv2.rectangle(image, (0, counter_top), (canvas.width, canvas.horizon), cabinet, -1)
    cv2.rectangle(
        image,
        (0, counter_top - int(u * 0.02)),
        (canvas.width, counter_top + int(u * 0.01)),
        lit((250, 250, 248), spec.time, 0.6),
        -1,
    )
    door = int(u * 0.22)
    for x in range(int(u * 0.02), canvas.width, door):
        cv2.rectangle(
            image,
            (x + 4, counter_top + int(u * 0.04)),
            (x + door - 8, canvas.horizon - int(u * 0.03)),
            tuple(int(c * 0.9) for c in cabinet),
            max(2, int(u * 0.004)),
            AA,
        )
    top = max(0, counter_top - int(u * 0.62))
    for x in range(int(u * 0.02), canvas.width, door):
        cv2.rectangle(image, (x + 4, top), (x + door - 8, top + int(u * 0.2)), cabinet, -1, AA)
        cv2.line(
            image,
            (x + door // 2 - 6, top + int(u * 0.16)),
            (x + door // 2 + 2, top + int(u * 0.16)),
            (240, 240, 240),
            max(2, int(u * 0.006)),
            AA,
        )
    window_x = float(rng.uniform(0.35, 0.5))
    _window(image, canvas, spec, rng, window_x, 0.42, rise=(0.6, 0.3))
    _lamp_glow(image, canvas, spec, 0.45)


def _bedroom(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    _interior((200, 196, 236), (186, 146, 118), spec, image, canvas)
    u = canvas.unit
    _window(image, canvas, spec, rng, 0.12, 0.42)
    x0 = int(canvas.width * 0.55)
    x1 = x0 + int(u * 0.8)
    base = canvas.horizon + int(u * 0.06)
    cv2.rectangle(
        image,
        (x1 - int(u * 0.05), base - int(u * 0.36)),
        (x1, base),
        lit((150, 104, 80), spec.time),
        -1,
    )
    cv2.rectangle(
        image,
        (x0, base - int(u * 0.16)),
        (x1 - int(u * 0.05), base),
        lit((250, 250, 252), spec.time),
        -1,
        AA,
    )
    cv2.rectangle(
        image,
        (x0, base - int(u * 0.15)),
        (x1 - int(u * 0.22), base),
        lit((236, 150, 170), spec.time),
        -1,
        AA,
    )
    cv2.ellipse(
        image,
        (x1 - int(u * 0.14), base - int(u * 0.18)),
        (int(u * 0.08), int(u * 0.04)),
        0,
        0,
        360,
        lit((255, 255, 255), spec.time),
        -1,
        AA,
    )
    if spec.time == "night":
        for k in range(12):
            fx = 0.05 + k * 0.08
            add_glow(image, canvas.px(fx, 0.1 + 0.03 * np.sin(k)), u * 0.02, (255, 210, 140), 0.8)
    _lamp_glow(image, canvas, spec, 0.85)


def _studio(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    tones = [(244, 222, 230), (220, 232, 246), (232, 244, 226), (246, 236, 214)]
    tone = lit(tones[int(rng.integers(len(tones)))], spec.time, 0.5)
    image[:] = vertical_gradient(
        canvas.height,
        canvas.width,
        [(0.0, rgb(int(c * 0.8) for c in tone)), (0.7, tone), (1.0, tone)],
    )
    add_glow(image, canvas.px(0.5, 0.55), canvas.unit * 0.6, (40, 40, 40), 0.6)


def _snow(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    """A snowy field: white ground and hills, pines with snow on their branches."""
    _outdoor((246, 249, 255), (222, 230, 244))(image, canvas, spec, rng)
    _ground(image, canvas, (240, 245, 255), (206, 218, 238), spec.time)
    for x in np.sort(rng.uniform(-0.05, 1.05, int(rng.integers(5, 9)))):
        height = canvas.unit * rng.uniform(0.14, 0.3)
        base = (int(x * canvas.width), canvas.horizon + int(canvas.unit * 0.01))
        _tree(image, base, height, lit((46, 92, 70), spec.time), lit((90, 66, 50), spec.time), True)
        for k in range(3):
            cap = (base[0], int(base[1] - height * (0.45 + 0.22 * k)))
            axes = (max(2, int(height * (0.2 - 0.05 * k))), max(1, int(height * 0.035)))
            cv2.ellipse(image, cap, axes, 0, 180, 360, lit((250, 252, 255), spec.time), -1, AA)
    for _ in range(int(rng.integers(6, 12))):
        fy = rng.uniform(0.1, 0.9)
        cy = int(canvas.horizon + fy * (canvas.height - canvas.horizon))
        ax = int(canvas.unit * (0.03 + 0.08 * fy))
        shade = lit((214, 224, 242), spec.time)
        cv2.ellipse(
            image,
            (int(rng.uniform(0, canvas.width)), cy),
            (ax, max(2, ax // 5)),
            0,
            180,
            360,
            shade,
            -1,
            AA,
        )


def _underwater(
    image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator
) -> None:
    """Deep blue water lit from above, a sandy sea floor, weed, rocks and bubbles."""
    u = canvas.unit
    depth = 0.45 if spec.time == "night" else 1.0
    top, bottom = (40, 150, 200), (8, 46, 96)
    image[: canvas.horizon] = vertical_gradient(
        canvas.horizon,
        canvas.width,
        [(0.0, rgb(int(c * depth) for c in top)), (1.0, rgb(int(c * depth) for c in bottom))],
    )
    rays = np.zeros(image.shape[:2], np.uint8)
    for _ in range(int(rng.integers(3, 6))):
        x = rng.uniform(0.0, 1.0) * canvas.width
        spread = u * rng.uniform(0.03, 0.07)
        lean = u * rng.uniform(0.1, 0.3)
        pts = np.array(
            [
                [x - spread, 0],
                [x + spread, 0],
                [x + lean + spread * 3, canvas.horizon],
                [x + lean - spread * 3, canvas.horizon],
            ],
            np.int32,
        )
        cv2.fillPoly(rays, [pts], 255, AA)
    light = np.empty_like(image)
    light[:] = (170, 230, 250)
    blend_layer(image, light, soft_blur(rays, u * 0.03), 0.18 * depth)
    image[canvas.horizon :] = vertical_gradient(
        canvas.height - canvas.horizon,
        canvas.width,
        [
            (0.0, rgb(int(c * depth) for c in (150, 160, 140))),
            (1.0, rgb(int(c * depth) for c in (196, 180, 130))),
        ],
    )
    for _ in range(int(rng.integers(5, 9))):
        x = int(rng.uniform(0, canvas.width))
        height = u * rng.uniform(0.12, 0.3)
        color = rgb(int(c * depth) for c in (40, 120, 80))
        points = [
            [x + np.sin(t * 5 + x) * u * 0.015, canvas.horizon + u * 0.02 - t * height]
            for t in np.linspace(0, 1, 12)
        ]
        cv2.polylines(image, [np.array(points, np.int32)], False, color, max(3, int(u * 0.012)), AA)
    for _ in range(int(rng.integers(3, 6))):
        cx = int(rng.uniform(0, canvas.width))
        fy = rng.uniform(0.1, 0.8)
        cy = int(canvas.horizon + fy * (canvas.height - canvas.horizon))
        ax = int(u * (0.03 + 0.05 * fy))
        rock = rgb(int(c * depth) for c in (90, 100, 110))
        cv2.ellipse(image, (cx, cy), (ax, max(2, ax // 2)), 0, 180, 360, rock, -1, AA)
    for _ in range(int(40 * canvas.width / 1280) + 10):
        bx, by = canvas.px(rng.uniform(0, 1), rng.uniform(0.05, 0.9))
        r = max(2, int(u * rng.uniform(0.004, 0.012)))
        cv2.circle(image, (bx, by), r, (200, 240, 255), max(1, r // 3), AA)


def _desert(image: np.ndarray, canvas: Canvas, spec: SceneSpec, rng: np.random.Generator) -> None:
    """Dunes under a wide sky, with a cactus or two."""
    _sky(image, canvas, spec.time, rng)
    for depth, color in enumerate(((230, 196, 140), (220, 176, 118))):
        base = canvas.horizon - canvas.unit * (0.06 - 0.04 * depth)
        dunes = _hill_line(canvas, rng, base, canvas.unit * 0.04, 2 + depth)
        cv2.fillPoly(image, [dunes], lit(color, spec.time), AA)
    _ground(image, canvas, (236, 200, 146), (208, 164, 108), spec.time)
    u = canvas.unit
    green = lit((70, 140, 90), spec.time)
    for _ in range(int(rng.integers(1, 3))):
        x = int(rng.uniform(0.05, 0.95) * canvas.width)
        y = canvas.horizon + int(u * rng.uniform(0.02, 0.08))
        h, w = int(u * 0.18), max(3, int(u * 0.025))
        cv2.rectangle(image, (x - w, y - h), (x + w, y), green, -1, AA)
        for side in (-1, 1):
            arm_x = x + side * int(u * 0.05)
            arm_top = y - int(h * rng.uniform(0.55, 0.8))
            cv2.rectangle(
                image,
                (min(x, arm_x), arm_top + h // 4),
                (max(x, arm_x), arm_top + h // 4 + w),
                green,
                -1,
                AA,
            )
            cv2.rectangle(
                image,
                (arm_x - w // 2, arm_top),
                (arm_x + w // 2, arm_top + h // 4 + w),
                green,
                -1,
                AA,
            )


PAINTERS: dict[str, Callable[[np.ndarray, Canvas, SceneSpec, np.random.Generator], None]] = {
    "studio": _studio,
    "room": _room,
    "kitchen": _kitchen,
    "bedroom": _bedroom,
    "forest": _forest,
    "park": _park,
    "garden": _garden,
    "beach": _beach,
    "city": _city,
    "space": _space,
    "mountain": _mountain,
    "stage": _stage,
    "snow": _snow,
    "underwater": _underwater,
    "desert": _desert,
}


def canvas_for(spec: SceneSpec, width: int, height: int) -> Canvas:
    fraction = 0.68 if spec.indoor else 0.6
    if spec.setting == "studio":
        fraction = 0.75
    return Canvas(width, height, int(height * fraction))


def paint_backdrop(
    spec: SceneSpec, width: int, height: int, rng: np.random.Generator
) -> np.ndarray:
    """H x W x 3 uint8 RGB scenery for `spec`, with no character in it."""
    canvas = canvas_for(spec, width, height)
    image = np.zeros((height, width, 3), np.uint8)
    PAINTERS[spec.setting](image, canvas, spec, rng)
    return image
