"""Render settings and the pixel sizes they imply."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from avpe_desktop.domain._base import Model


class Resolution(StrEnum):
    P720 = "720p"
    P1080 = "1080p"


class AspectRatio(StrEnum):
    LANDSCAPE = "16:9"
    PORTRAIT = "9:16"
    SQUARE = "1:1"
    FEED = "4:5"

    @property
    def is_generated(self) -> bool:
        """Veo renders 16:9 and 9:16 only; 1:1 and 4:5 are reframed from one of them."""
        return self in (AspectRatio.LANDSCAPE, AspectRatio.PORTRAIT)

    @property
    def generation_ratio(self) -> AspectRatio:
        """The generated ratio an export in this ratio is reframed from."""
        if self.is_generated:
            return self
        return AspectRatio.PORTRAIT

    @property
    def parts(self) -> tuple[int, int]:
        """The ratio's two whole numbers, width first: (9, 16) for 9:16."""
        width, height = self.value.split(":")
        return int(width), int(height)

    @property
    def platform_size(self) -> tuple[int, int] | None:
        """The size the social platforms ask for; None for 16:9, which keeps the render's
        resolution (720p or 1080p, both what video sites take)."""
        return _PLATFORM_SIZES.get(self)


_PLATFORM_SIZES = {
    AspectRatio.PORTRAIT: (1080, 1920),
    AspectRatio.SQUARE: (1080, 1080),
    AspectRatio.FEED: (1080, 1350),
}

SegmentDuration = Literal[4, 6, 8]
ReframeMode = Literal["crop", "pad"]
"""How a 1:1 or 4:5 export is made from a generated clip: a crop that follows the character,
or the whole frame on a blurred copy of itself."""
ExportSize = Literal["platform", "rendered"]
"""An export at the platform's size for its ratio (1080×1920 for 9:16), or at the size the
render gives (the largest window of that ratio in the rendered frame)."""


class RenderSettings(Model):
    """The seed's video settings plus what a desktop render needs."""

    resolution: Resolution = Resolution.P720
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    duration: SegmentDuration = 8
    download: bool = True
    auto_merge: bool = True
    generate_audio: bool = True
    negative_prompt: str = ""
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    crossfade_seconds: float = Field(default=0.0, ge=0.0, le=2.0)
    cleanup_frames: bool = False
    budget_usd: float | None = Field(default=None, gt=0)
    reframe: ReframeMode = "crop"


class ExportChoices(Model):
    """What the export dialog remembers between exports and app restarts."""

    aspect_ratio: AspectRatio | None = None
    size: ExportSize = "platform"
    reframe: ReframeMode = "crop"
    folder: str = ""


_SHORT_SIDE = {Resolution.P720: 720, Resolution.P1080: 1080}


def frame_size(resolution: Resolution | str, aspect: AspectRatio | str) -> tuple[int, int]:
    """Width and height in pixels, both even so H.264 accepts them."""
    short = _SHORT_SIDE[Resolution(resolution)]
    w_ratio, h_ratio = AspectRatio(aspect).parts
    width: float
    height: float
    if w_ratio >= h_ratio:
        width, height = short * w_ratio / h_ratio, short
    else:
        width, height = short, short * h_ratio / w_ratio
    return int(round(width / 2) * 2), int(round(height / 2) * 2)
