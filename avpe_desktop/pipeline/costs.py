"""What a render costs: a price per paid call, the estimate before a job starts, and the
budget guard that stops new paid calls once the next one would go over the cap."""

from __future__ import annotations

from dataclasses import dataclass

from avpe_desktop.domain import Content, RenderSettings
from avpe_desktop.engines.base import Engine, EngineError
from avpe_desktop.engines.google.models import image_model, video_model


class BudgetExceededError(EngineError):
    """The next paid call would take the job over its budget; nothing more is spent."""


class JobCancelledError(Exception):
    """The job was cancelled: no new paid call starts; finished results are kept."""


@dataclass(frozen=True)
class Prices:
    """USD per call, from the engine's price table (the offline engine is free)."""

    per_image: float = 0.0
    per_video_second: float = 0.0

    def video(self, seconds: int) -> float:
        return round(self.per_video_second * seconds, 6)


def prices(engine: Engine, settings: RenderSettings) -> Prices:
    if engine.name != "google":
        return Prices()
    video = video_model(str(getattr(engine.video, "model", "")))
    audio = settings.generate_audio
    rate = video.usd_per_second_with_audio if audio else video.usd_per_second_silent
    return Prices(image_model(str(getattr(engine.painter, "model", ""))).usd_per_image, rate)


def estimate(engine: Engine, content: Content, settings: RenderSettings) -> float:
    """The whole render at list prices, before any reuse: n + 1 keyframes (chained frames are
    painted once), a thumbnail, and one clip per segment at its own duration."""
    table = prices(engine, settings)
    images = (len(content.segments) + 2) * table.per_image
    seconds = sum(segment.duration or settings.duration for segment in content.segments)
    return round(images + table.per_video_second * seconds, 4)


class BudgetGuard:
    """Asked before every paid call; `spent` includes calls in flight."""

    def __init__(self, budget: float | None) -> None:
        self.budget = budget

    def check(self, spent: float, cost: float, what: str) -> None:
        if self.budget is None or cost <= 0:
            return
        if spent + cost > self.budget + 1e-9:
            raise BudgetExceededError(
                f"Stopped before the {what}: it would cost about ${cost:.2f}, and ${spent:.2f} "
                f"of this job's ${self.budget:.2f} budget is already spent. Raise the budget "
                "and retry the failed segments to finish."
            )
