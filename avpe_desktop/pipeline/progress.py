"""Progress events: the one shape the CLI's progress bars and the GUI's queue panel read."""

from __future__ import annotations

import time
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
    """`fraction` is the whole job's; `step_fraction` the current step's (a clip's render
    progress while it is polled). `reused` marks a step served from an earlier payment."""

    stage: Stage
    fraction: float
    message: str
    segment: int | None = None
    eta_seconds: float | None = None
    job_id: str | None = None
    step_fraction: float | None = None
    cost_spent_usd: float = 0.0
    reused: bool = False
    failed: bool = False


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """The default listener, for callers that do not show progress."""


# Relative effort of one unit of each stage, for a fraction that moves evenly.
_WEIGHTS = {Stage.KEYFRAME: 1.0, Stage.VIDEO: 4.0, Stage.THUMBNAIL: 1.0, Stage.MERGE: 1.0}


class ProgressTracker:
    """Turns finished units into an overall fraction and an ETA from the pace so far; reused
    units count as done but not towards the pace, so a resumed job does not promise too much.
    A unit that reports its own progress (a clip being rendered) counts for that share while
    it runs, so the bar moves and the ETA holds steady through minutes of clip rendering
    instead of standing still and growing."""

    def __init__(
        self,
        segments: int,
        merge: bool,
        callback: ProgressCallback,
        job_id: str | None = None,
        spent: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.total = (
            (segments + 1) * _WEIGHTS[Stage.KEYFRAME]
            + segments * _WEIGHTS[Stage.VIDEO]
            + _WEIGHTS[Stage.THUMBNAIL]
            + (_WEIGHTS[Stage.MERGE] if merge else 0.0)
        )
        self.done = 0.0
        self.worked = 0.0
        self.running: dict[tuple[Stage, int | None], float] = {}  # weight done of units in flight
        self.started = time.monotonic()
        self.callback = callback
        self.job_id = job_id
        self.spent = spent

    def finished(
        self,
        stage: Stage,
        message: str,
        segment: int | None = None,
        *,
        reused: bool = False,
        failed: bool = False,
    ) -> None:
        self.running.pop((stage, segment), None)
        self.done += _WEIGHTS[stage]
        if not reused:
            self.worked += _WEIGHTS[stage]
        self._emit(stage, message, segment, None, reused, failed)

    def working(self, stage: Stage, message: str, segment: int | None, step: float | None) -> None:
        if step is not None and stage in _WEIGHTS:
            self.running[(stage, segment)] = _WEIGHTS[stage] * min(max(step, 0.0), 1.0)
        self._emit(stage, message, segment, step, False, False)

    def complete(self, message: str) -> None:
        self.callback(
            ProgressEvent(Stage.DONE, 1.0, message, job_id=self.job_id, cost_spent_usd=self.spent())
        )

    def _emit(
        self,
        stage: Stage,
        message: str,
        segment: int | None,
        step: float | None,
        reused: bool,
        failed: bool,
    ) -> None:
        in_flight = sum(self.running.values())
        fraction = min(1.0, (self.done + in_flight) / self.total)
        elapsed = time.monotonic() - self.started
        left = self.total - self.done - in_flight
        worked = self.worked + in_flight
        eta = elapsed * left / worked if worked > 0 else None
        self.callback(
            ProgressEvent(
                stage,
                fraction,
                message,
                segment,
                eta,
                job_id=self.job_id,
                step_fraction=step,
                cost_spent_usd=self.spent(),
                reused=reused,
                failed=failed,
            )
        )
