"""The offline keyframe painter: the character cut out and placed into a procedural scene.

Keyframes are drafts a creator judges before paying for real ones, so they must show what the
description asks for (where, when, how close, which side) and stay consistent from frame to
frame; they need not be beautiful, only legible and quick.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from avpe_desktop.engines.base import FrameRequest, RequestError
from avpe_desktop.engines.local.backdrop import (
    AMBIENT,
    add_glow,
    canvas_for,
    paint_backdrop,
    rgb,
    soft_blur,
)
from avpe_desktop.engines.local.cutout import decode_rgba, sprite_from_bytes
from avpe_desktop.engines.local.scene import SceneSpec, parse_description
from avpe_desktop.engines.local.weather import add_weather
from avpe_desktop.workers import run_in_process

AA = cv2.LINE_AA

# Character height as a share of the frame height, the widest it may get, and where its feet go.
_FRAMING = {
    "close": (0.86, 0.92, 1.07),
    "medium": (0.55, 0.62, 0.9),
    "wide": (0.3, 0.36, 0.86),
}
# Close-ups enlarge and soften the set, as a longer lens would.
_BACKGROUND_ZOOM = {"close": (1.35, 3.0), "medium": (1.08, 0.0), "wide": (1.0, 0.0)}
_POSITION_X = {"left": 0.28, "center": 0.5, "right": 0.72}

# Saturation, contrast and tint a mood puts on the whole frame.
_GRADES: dict[str, tuple[float, float, tuple[float, float, float]]] = {
    "happy": (1.12, 1.04, (1.02, 1.0, 0.97)),
    "calm": (0.95, 0.96, (1.02, 1.0, 0.97)),
    "tense": (0.95, 1.1, (0.96, 0.98, 1.04)),
    "sad": (0.72, 0.94, (0.95, 0.98, 1.05)),
    "mysterious": (0.92, 1.06, (1.0, 0.96, 1.06)),
    "neutral": (1.0, 1.0, (1.0, 1.0, 1.0)),
}

_MATCH_MEAN, _MATCH_STD = 0.6, 0.5
"""How far a frame moves toward its reference's colours: enough to read as the same light,
not so much that a new setting loses its own palette."""


@dataclass(frozen=True)
class Placement:
    """Where the character lands, in frame pixels (the box may extend past the frame)."""

    x: int
    y: int
    width: int
    height: int


def _rng(spec: SceneSpec, seed: int) -> np.random.Generator:
    key = f"{spec.setting}|{spec.time}|{seed}".encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def place_character(
    spec: SceneSpec, size: tuple[int, int], sprite_shape: tuple[int, int]
) -> Placement:
    width, height = size
    sprite_h, sprite_w = sprite_shape
    share_h, share_w, feet = _FRAMING[spec.framing]
    scale = min(share_h * height / sprite_h, share_w * width / sprite_w)
    w, h = max(1, round(sprite_w * scale)), max(1, round(sprite_h * scale))
    center = _POSITION_X[spec.position] * width
    margin = 0.03 * width
    center = (
        min(max(center, margin + w / 2), width - margin - w / 2)
        if w < width - 2 * margin
        else width / 2
    )
    return Placement(round(center - w / 2), round(feet * height - h), w, h)


def _zoom(image: np.ndarray, spec: SceneSpec, focus_x: float) -> np.ndarray:
    factor, blur = _BACKGROUND_ZOOM[spec.framing]
    if factor == 1.0:
        return image
    h, w = image.shape[:2]
    cw, ch = round(w / factor), round(h / factor)
    x0 = int(min(max(focus_x - cw / 2, 0), w - cw))
    y0 = int((h - ch) * 0.7)
    zoomed = cv2.resize(image[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    return soft_blur(zoomed, blur * min(w, h) / 720) if blur else zoomed


def _draw_prop(image: np.ndarray, prop: str, base: tuple[int, int], size: int, time: str) -> None:
    """Simple stand-ins for the objects scripts mention most, so "the box" is on screen."""
    x, y = base
    s = size
    tint = np.array(AMBIENT[time])

    def c(color: tuple[int, int, int]) -> tuple[int, int, int]:
        return rgb(int(v) for v in np.clip(np.array(color) * tint, 0, 255))

    if prop in ("box", "gift"):
        body = (176, 126, 80) if prop == "box" else (120, 170, 230)
        cv2.rectangle(image, (x - s // 2, y - s), (x + s // 2, y), c(body), -1, AA)
        cv2.rectangle(
            image,
            (x - s // 2 - s // 14, y - s - s // 8),
            (x + s // 2 + s // 14, y - s + s // 10),
            c(rgb(min(255, v + 26) for v in body)),
            -1,
            AA,
        )
        band = (232, 206, 150) if prop == "box" else (240, 90, 120)
        cv2.rectangle(image, (x - s // 14, y - s - s // 8), (x + s // 14, y), c(band), -1, AA)
        if prop == "gift":
            for dx in (-1, 1):
                cv2.ellipse(
                    image,
                    (x + dx * s // 6, y - s - s // 6),
                    (s // 6, s // 10),
                    0,
                    0,
                    360,
                    c(band),
                    -1,
                    AA,
                )
        else:
            cv2.putText(
                image,
                "?",
                (x - s // 5, y - s // 4),
                cv2.FONT_HERSHEY_DUPLEX,
                s / 60,
                c((90, 60, 40)),
                max(2, s // 20),
                AA,
            )
    elif prop == "ball":
        cv2.circle(image, (x, y - s // 2), s // 2, c((230, 70, 70)), -1, AA)
        cv2.ellipse(image, (x, y - s // 2), (s // 2, s // 7), 0, 0, 360, c((250, 250, 250)), -1, AA)
    elif prop == "cake":
        cv2.rectangle(
            image, (x - s // 2, y - s * 2 // 3), (x + s // 2, y), c((240, 200, 160)), -1, AA
        )
        cv2.rectangle(
            image,
            (x - s // 2, y - s * 2 // 3),
            (x + s // 2, y - s // 2),
            c((255, 170, 200)),
            -1,
            AA,
        )
        cv2.rectangle(
            image, (x - s // 30, y - s), (x + s // 30, y - s * 2 // 3), c((120, 190, 255)), -1
        )
        add_glow(image, (x, y - s - s // 15), s * 0.15, (255, 200, 90), 0.8)
    elif prop == "flower":
        cv2.line(image, (x, y), (x, y - s), c((70, 150, 70)), max(2, s // 14), AA)
        for k in range(6):
            a = k * np.pi / 3
            cv2.circle(
                image,
                (int(x + np.cos(a) * s / 5), int(y - s + np.sin(a) * s / 5)),
                s // 7,
                c((255, 130, 170)),
                -1,
                AA,
            )
        cv2.circle(image, (x, y - s), s // 8, c((255, 214, 90)), -1, AA)
    elif prop == "star":
        cy = y - int(s * 1.6)
        add_glow(image, (x, cy), s * 0.8, (255, 220, 120), 0.7)
        angles = np.arange(10) * np.pi / 5 - np.pi / 2
        radii = np.where(np.arange(10) % 2 == 0, s / 2, s / 5)
        pts = np.column_stack([x + np.cos(angles) * radii, cy + np.sin(angles) * radii]).astype(
            np.int32
        )
        cv2.fillPoly(image, [pts], (255, 226, 110), AA)
    elif prop == "balloon":
        cy = y - int(s * 1.8)
        cv2.line(image, (x, cy + s // 2), (x, y), c((240, 240, 240)), 1, AA)
        cv2.ellipse(
            image, (x, cy), (s // 3, s // 2 - s // 12), 0, 0, 360, c((240, 80, 110)), -1, AA
        )
    elif prop == "book":
        cv2.rectangle(image, (x - s // 2, y - s // 5), (x + s // 2, y), c((90, 110, 170)), -1, AA)
        cv2.rectangle(
            image,
            (x - s // 2 + 3, y - s // 5 - s // 10),
            (x + s // 2 - 3, y - s // 5),
            c((246, 240, 226)),
            -1,
            AA,
        )


def _composite(frame: np.ndarray, sprite: np.ndarray, place: Placement, time: str) -> None:
    """Premultiplied blend, so resizing the sprite leaves no dark or light fringe."""
    rgb = sprite[..., :3].astype(np.float32)
    alpha = sprite[..., 3:].astype(np.float32) / 255.0
    premul = np.concatenate([rgb * alpha, alpha * 255.0], axis=2)
    interp = cv2.INTER_AREA if place.height < sprite.shape[0] else cv2.INTER_CUBIC
    scaled = cv2.resize(premul, (place.width, place.height), interpolation=interp)
    fh, fw = frame.shape[:2]
    x0, y0 = max(place.x, 0), max(place.y, 0)
    x1, y1 = min(place.x + place.width, fw), min(place.y + place.height, fh)
    if x1 <= x0 or y1 <= y0:
        return
    part = scaled[y0 - place.y : y1 - place.y, x0 - place.x : x1 - place.x]
    a = np.clip(part[..., 3:] / 255.0, 0, 1)
    # The character takes on some of the scene's light, or it looks pasted on.
    light = 1 + (np.array(AMBIENT[time], np.float32) - 1) * 0.55
    fg = np.clip(part[..., :3] * light, 0, 255)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(fg + region * (1 - a), 0, 255).astype(np.uint8)


def _shadow(frame: np.ndarray, place: Placement) -> None:
    fh, fw = frame.shape[:2]
    feet_y = place.y + place.height
    if feet_y >= fh:
        return
    mask = np.zeros((fh, fw), np.uint8)
    center = (place.x + place.width // 2, feet_y - place.height // 60)
    axes = (max(2, int(place.width * 0.42)), max(2, int(place.width * 0.07)))
    cv2.ellipse(mask, center, axes, 0, 0, 360, 255, -1, AA)
    mask = soft_blur(mask, max(2.0, place.width * 0.05))
    shade = 1 - mask.astype(np.float32)[..., None] / 255.0 * 0.45
    frame[:] = (frame * shade).astype(np.uint8)


def _grade(frame: np.ndarray, spec: SceneSpec) -> np.ndarray:
    """Mood colour grade and vignette, in place on one float copy (1080p is 6M values)."""
    saturation, contrast, tint = _GRADES[spec.mood]
    image = frame.astype(np.float32)
    if saturation != 1.0:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None]
        image -= gray
        image *= saturation
        image += gray
    if contrast != 1.0:
        image -= 128.0
        image *= contrast
        image += 128.0
    h, w = frame.shape[:2]
    yy, xx = np.ogrid[-1 : 1 : complex(0, max(2, h // 8)), -1 : 1 : complex(0, max(2, w // 8))]
    strength = 0.32 if spec.mood in ("tense", "mysterious") or spec.time == "night" else 0.18
    small = (1 - strength * np.clip(xx**2 * 0.6 + yy**2 * 0.8, 0, 1.4) ** 1.5).astype(np.float32)
    vignette = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    image *= vignette * np.array(tint, np.float32)
    np.clip(image, 0, 255, out=image)
    return image.astype(np.uint8)


def lab_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread per Lab channel on a small copy: the light, not the details."""
    h, w = image.shape[:2]
    scale = 160 / max(h, w)
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB).reshape(-1, 3)
    return lab.mean(axis=0), lab.std(axis=0) + 1e-3


def match_lighting(frame: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Moves the frame's Lab statistics part of the way toward the reference's (Reinhard
    transfer), so a last frame looks lit like the first frame it continues."""
    mean, std = lab_stats(frame)
    ref_mean, ref_std = lab_stats(reference)
    target_mean = mean + (ref_mean - mean) * _MATCH_MEAN
    target_std = std * (ref_std / std) ** _MATCH_STD
    lab = cv2.cvtColor(frame.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    lab = (lab - mean) * (target_std / std) + target_mean
    lab[..., 0] = np.clip(lab[..., 0], 0, 100)
    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    # numpy types arithmetic on arrays of unspecified dtype as Any; the result is an array.
    return cast("np.ndarray", np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    max_width: float,
) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines[:3]


def draw_caption(frame: np.ndarray, caption: str) -> np.ndarray:
    """White text on a translucent dark box in the lower third, where captions sit on video."""
    h, w = frame.shape[:2]
    image = Image.fromarray(frame).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.load_default(size=max(14, round(min(w, h) * 0.05)))
    lines = _wrap(draw, " ".join(caption.split()), font, w * 0.8)
    if not lines:
        return frame
    line_h = font.size * 1.25 if hasattr(font, "size") else 16
    pad = round(line_h * 0.5)
    text_w = max(draw.textlength(line, font=font) for line in lines)
    box_h = round(line_h * len(lines) + pad * 2)
    x0 = round((w - text_w) / 2 - pad * 1.5)
    y1 = round(h * 0.93)
    draw.rounded_rectangle((x0, y1 - box_h, w - x0, y1), radius=pad, fill=(12, 12, 20, 170))
    for k, line in enumerate(lines):
        tw = draw.textlength(line, font=font)
        draw.text(
            ((w - tw) / 2, y1 - box_h + pad + k * line_h),
            line,
            font=font,
            fill=(255, 255, 255, 255),
        )
    return np.asarray(Image.alpha_composite(image, overlay).convert("RGB")).copy()


def compose_frame(
    spec: SceneSpec,
    size: tuple[int, int],
    sprite: np.ndarray,
    seed: int = 0,
    reference: np.ndarray | None = None,
    caption: str | None = None,
) -> np.ndarray:
    """The keyframe as H x W x 3 RGB; `paint` wraps it with decoding and PNG encoding."""
    width, height = size
    place = place_character(spec, size, sprite.shape[:2])
    rng = _rng(spec, seed)
    frame = paint_backdrop(spec, width, height, rng)
    canvas = canvas_for(spec, width, height)
    add_weather(frame, canvas, spec, rng)
    frame = np.ascontiguousarray(_zoom(frame, spec, place.x + place.width / 2))
    if spec.props and spec.framing != "close":
        side = 1 if place.x + place.width / 2 < width / 2 else -1
        prop_size = max(8, round(place.height * 0.32))
        base_x = place.x + place.width // 2 + side * round(place.width * 0.5 + prop_size * 0.7)
        base_y = (
            min(place.y + place.height, height - 2)
            if spec.indoor
            else max(canvas.horizon + prop_size // 2, place.y + place.height - place.height // 20)
        )
        _draw_prop(frame, spec.props[0], (base_x, base_y), prop_size, spec.time)
    _shadow(frame, place)
    _composite(frame, sprite, place, "day" if spec.setting == "stage" else spec.time)
    frame = _grade(frame, spec)
    if reference is not None:
        frame = match_lighting(frame, reference)
    if caption and caption.strip():
        frame = draw_caption(frame, caption)
    return frame


def encode_png(frame: np.ndarray) -> bytes:
    ok, data = cv2.imencode(
        ".png", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]
    )
    if not ok:
        raise RequestError("The keyframe could not be encoded as PNG.")
    return data.tobytes()


def render_frame(request: FrameRequest) -> bytes:
    """Top-level and picklable, so the process pool can run it away from the event loop."""
    if not request.references:
        raise RequestError("A keyframe needs the character image as its first reference.")
    sprite = sprite_from_bytes(request.references[0])
    reference = None
    if len(request.references) > 1:
        reference = decode_rgba(request.references[1])[..., :3]
    spec = parse_description(request.description)
    frame = compose_frame(spec, request.size, sprite, request.seed, reference, request.caption)
    return encode_png(frame)


class LocalFramePainter:
    """FramePainter for the offline engine; the drawing itself runs in the process pool
    because a 1080p frame is a few hundred milliseconds of numpy the GUI must not wait on."""

    async def paint(self, request: FrameRequest) -> bytes:
        return await run_in_process(render_frame, request)
