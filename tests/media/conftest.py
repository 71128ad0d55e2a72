"""Small synthetic clips for the media tests: quick to encode, with motion that is easy to
measure (a bright bar sweeping across a gradient)."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import MakeClip, sweep_frames, tone

from avpe_desktop.media.encode import write_video


@pytest.fixture
def make_clip(tmp_path: Path) -> MakeClip:
    def make(
        name: str,
        *,
        size: tuple[int, int] = (192, 108),
        seconds: float = 1.0,
        fps: float = 24.0,
        audio: bool = True,
        shift: int = 0,
    ) -> Path:
        path = tmp_path / name
        count = round(seconds * fps)
        write_video(
            path,
            sweep_frames(size[0], size[1], count, shift),
            fps,
            audio=tone(count / fps) if audio else None,
        )
        return path

    return make
