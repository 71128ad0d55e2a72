"""Progress events: the one shape the CLI's progress line and the GUI's queue panel read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    SCRIPT = "script"
    KEYFRAME = "keyframe"
    VIDEO = "video"
    THUMBNAIL = "thumbnail"
    MERGE = "merge"
    DONE = "done"


@dataclass(frozen=True)
class ProgressEvent:
    stage: Stage
    fraction: float
    message: str
    segment: int | None = None
    eta_seconds: float | None = None


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """The default listener, for callers that do not show progress."""
