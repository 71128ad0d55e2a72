"""Synthetic clips for the media tests (in a module of its own: conftest cannot be imported
from test files reliably when several test folders have one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

MakeClip = Callable[..., Path]


def sweep_frames(width: int, height: int, count: int, shift: int = 0) -> Iterator[np.ndarray]:
    """Frames of a smooth gradient with a bar that moves a few pixels per frame."""
    xx = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    yy = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    base = np.stack(
        [
            np.broadcast_to(xx, (height, width)),
            np.broadcast_to(yy, (height, width)),
            np.full((height, width), 128.0, np.float32),
        ],
        axis=-1,
    )
    for i in range(count):
        frame = base.copy()
        x = (shift + i * 3) % max(1, width - 12)
        frame[:, x : x + 12] = 240
        yield frame.astype(np.uint8)


def tone(seconds: float, rate: int = 48_000, channels: int = 2) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    mono = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)
