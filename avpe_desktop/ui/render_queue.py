"""The seam between the queue panel and whatever runs renders.

Today a render is `cinematographer.render` run as an asyncio task. The panel only sees
`RenderQueue.submit`, the `RenderJob` it returns and their signals, so the persistent,
resumable queue can replace the inside of this module without the panel changing.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from avpe_desktop.domain import JobStatus, Project, RenderResult
from avpe_desktop.engines.base import Engine
from avpe_desktop.pipeline.cinematographer import RenderInputs, render
from avpe_desktop.pipeline.costs import estimate
from avpe_desktop.pipeline.progress import ProgressEvent, Stage
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.errors import EXPECTED_ERRORS, readable

log = logging.getLogger(__name__)

KEYFRAMES_DONE = 0.5
"""A segment's share of its progress bar once both its keyframes are painted; the clip's own
render progress fills the other half."""


class RenderJob(QObject):
    """One render as the panel shows it: progress, per-segment state, cost, outcome."""

    changed = Signal()
    finished = Signal()

    def __init__(
        self,
        project: Project,
        layout: ProjectLayout,
        engine_name: str,
        cost_estimate: float,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.project_id = project.id
        self.title = project.title
        self.layout = layout
        self.engine_name = engine_name
        self.cost_estimate = cost_estimate
        count = len(project.content.segments)
        self.segment_progress = [0.0] * count
        self.failed_segments: set[int] = set()
        self.status = JobStatus.QUEUED
        self.fraction = 0.0
        self.message = "Waiting to start"
        self.eta_seconds: float | None = None
        self.cost_spent = 0.0
        self.error: str | None = None
        self.result: RenderResult | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, engine: Engine, inputs: RenderInputs) -> None:
        self._task = asyncio.get_event_loop().create_task(self.run(engine, inputs))

    def cancel(self) -> None:
        """Stops the render; files already written stay where they are."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def on_progress(self, event: ProgressEvent) -> None:
        self.fraction = event.fraction
        self.message = event.message
        self.eta_seconds = event.eta_seconds
        self.cost_spent = event.cost_spent_usd
        if event.segment is not None and 1 <= event.segment <= len(self.segment_progress):
            self._segment_progressed(event)
        self.changed.emit()

    def _segment_progressed(self, event: ProgressEvent) -> None:
        """A failed keyframe only means a stand-in picture; a failed clip fails the segment."""
        number = event.segment
        assert number is not None
        i = number - 1
        if event.stage is Stage.KEYFRAME:
            self.segment_progress[i] = max(self.segment_progress[i], KEYFRAMES_DONE)
        elif event.stage is Stage.VIDEO and event.failed:
            self.failed_segments.add(number)
        elif event.stage is Stage.VIDEO and event.step_fraction is not None:
            step = KEYFRAMES_DONE + (1 - KEYFRAMES_DONE) * event.step_fraction
            self.segment_progress[i] = max(self.segment_progress[i], min(step, 0.99))
        elif event.stage is Stage.VIDEO:
            self.segment_progress[i] = 1.0

    async def run(self, engine: Engine, inputs: RenderInputs) -> None:
        self.status = JobStatus.RUNNING
        self.message = "Starting"
        self.changed.emit()
        try:
            result = await render(engine, inputs, self.on_progress)
        except asyncio.CancelledError:
            self._end(JobStatus.CANCELLED, "Cancelled; finished files were kept")
            raise
        except Exception as exc:
            if not isinstance(exc, EXPECTED_ERRORS):
                log.error("Render failed", exc_info=exc)
            self.error = readable(exc)
            self._end(JobStatus.FAILED, f"Failed: {self.error}")
            return
        self.result = result
        self.failed_segments |= set(result.errors)
        merged = result.merged_video
        if merged is not None and not merged.success:
            self.error = f"The merge failed: {merged.error}"
        if result.success_count == result.total_segments and self.error is None:
            self._end(JobStatus.DONE, self.message)
        elif result.success_count:
            self._end(
                JobStatus.PARTIAL,
                f"{result.success_count} of {result.total_segments} segments rendered",
            )
        else:
            self._end(JobStatus.FAILED, "No segment could be rendered")

    def _end(self, status: JobStatus, message: str) -> None:
        self.status = status
        self.message = message
        self.eta_seconds = None
        self.changed.emit()
        self.finished.emit()


class RenderQueue(QObject):
    jobAdded = Signal(object)  # noqa: N815 (Qt naming) RenderJob
    jobFinished = Signal(object)  # noqa: N815

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[RenderJob] = []

    @property
    def running(self) -> list[RenderJob]:
        return [job for job in self.jobs if not job.status.finished]

    def submit(self, engine: Engine, project: Project, inputs: RenderInputs) -> RenderJob:
        cost = estimate(engine, inputs.content, inputs.settings)
        job = RenderJob(project, inputs.layout, engine.name, cost, self)
        job.finished.connect(lambda: self.jobFinished.emit(job))
        self.jobs.append(job)
        job.start(engine, inputs)
        self.jobAdded.emit(job)
        return job

    def cancel_all(self) -> None:
        for job in self.running:
            job.cancel()
