"""The render queue as the GUI sees it: the core's persistent `RenderQueue` run on the qasync
loop, and a view of every job for the panel and the timeline.

The library is the truth. The panel lists the jobs stored there, earlier sessions' included,
and a job's per-segment state is read from its steps, so a card shows the same thing before
and after a restart, and a job finished or cancelled by another process (`avpe jobs cancel`)
shows that too. Progress events only add what the library does not hold (the overall
fraction, the ETA, a clip's own render progress) and say *when* to look again: they are
coalesced and read at most once per `FLUSH_MS`, so a flood of poll events costs one library
read and one repaint, not one per event.

Jobs run one at a time in the order they were asked for, as `RenderQueue.run_pending` does:
the clips inside a job already run in parallel up to the engine's limits, and a second job
at the same time would only compete for the same limits (and budget).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from avpe_desktop.domain import Job, JobStatus, Project, RenderSettings, Step, StepKind, StepStatus
from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.registry import create_engine
from avpe_desktop.pipeline.progress import ProgressEvent, Stage
from avpe_desktop.pipeline.queue import RETRYABLE, RenderQueue
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.services import Services

KEYFRAMES_DONE = 0.5
"""A segment's share of its progress bar once its last keyframe is painted; the clip's own
render progress fills the other half."""

FLUSH_MS = 200
"""How often, at most, progress events are turned into a library read and a repaint: often
enough to look live, rare enough that an engine polling many clips cannot flood the loop."""

HISTORY = 50
"""Jobs listed at start-up, newest first; older ones stay in the library (`avpe jobs`)."""

_STOPPED = (StepStatus.FAILED, StepStatus.SKIPPED)
_ENDED = (StepStatus.DONE, *_STOPPED)


class JobView:
    """One job as the panel shows it. Updated in place, so widgets and tests may keep it."""

    def __init__(self, job: Job) -> None:
        self.job = job
        segments = job.extra.get("content", {}).get("segments", [])
        self.segment_progress = [0.0] * len(segments)
        self.failed_segments: set[int] = set()
        self.fraction = 0.0
        self.message = ""
        self.eta_seconds: float | None = None
        self.cost_spent = 0.0
        self.active = False
        """This app runs the job, or will when its turn comes."""
        self.outputs: tuple[object, ...] = ()
        """Changes when a step ends or the job does: when new files may be on disk."""
        self._live: ProgressEvent | None = None
        self._clip_progress: dict[int, float] = {}

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def project_id(self) -> str:
        return self.job.project_id

    @property
    def title(self) -> str:
        return str(self.job.extra.get("title", "Untitled"))

    @property
    def status(self) -> JobStatus:
        return self.job.status

    @property
    def error(self) -> str | None:
        return self.job.error

    @property
    def cost_estimate(self) -> float:
        return self.job.cost_estimate_usd

    @property
    def can_retry(self) -> bool:
        return not self.active and self.status in RETRYABLE

    @property
    def can_resume(self) -> bool:
        """Left unfinished by a crash or a quit, or by another process still on it."""
        return not self.active and not self.status.finished

    def begin(self) -> None:
        """A run in this app is about to start: forget the last run's live numbers."""
        self.active = True
        self._live = None
        self._clip_progress.clear()
        self.eta_seconds = None
        self.message = "Waiting for its turn"

    def end(self) -> None:
        self.active = False
        self._live = None
        self._clip_progress.clear()

    def observe(self, event: ProgressEvent) -> None:
        """Cheap on purpose (it runs for every event); `update` does the reading."""
        self._live = event
        if event.stage is Stage.VIDEO and event.segment and event.step_fraction is not None:
            self._clip_progress[event.segment] = event.step_fraction

    def update(self, job: Job, steps: list[Step]) -> None:
        """Recomputes everything from the stored job and steps, plus the live numbers. The
        newest step of a kind wins for a segment: after a retry re-paints a keyframe, the
        clips that follow get new steps (new inputs, new keys) beside their old ones."""
        self.job = job
        keyframes: dict[int, Step] = {}
        videos: dict[int, Step] = {}
        for step in steps:
            if step.segment is None:
                continue
            if step.kind is StepKind.KEYFRAME:
                keyframes[step.segment] = step
            elif step.kind is StepKind.VIDEO:
                videos[step.segment] = step
        self.failed_segments = set()
        for i in range(len(self.segment_progress)):
            number = i + 1
            video = videos.get(number)
            keyframe = keyframes.get(number)
            if video is not None and video.status is StepStatus.DONE:
                progress = 1.0
            elif video is not None and video.status in _STOPPED:
                self.failed_segments.add(number)
                progress = 1.0
            elif video is not None:
                clip = min(self._clip_progress.get(number, 0.0), 0.99)
                progress = KEYFRAMES_DONE + (1 - KEYFRAMES_DONE) * clip
            elif keyframe is not None and keyframe.status in _ENDED:
                progress = KEYFRAMES_DONE
            else:
                progress = 0.0
            self.segment_progress[i] = progress
        if job.result is not None:
            self.failed_segments |= set(job.result.errors)
        self.cost_spent = round(sum(step.cost_usd for step in steps), 6)
        self.outputs = (job.status, *(step.id for step in steps if step.status in _ENDED))
        live = self._live if self.active else None
        self.eta_seconds = live.eta_seconds if live is not None else None
        if job.status is JobStatus.DONE:
            self.fraction = 1.0
        elif live is not None:
            self.fraction = live.fraction
        elif self.segment_progress:
            done = sum(1 for p in self.segment_progress if p >= 1)
            self.fraction = done / len(self.segment_progress)
        self.message = self._describe(live)

    def _describe(self, live: ProgressEvent | None) -> str:
        job = self.job
        if live is not None and not job.status.finished:
            return live.message
        if self.active and not job.status.finished:
            return "Waiting for its turn" if job.status is JobStatus.QUEUED else "Starting"
        if job.status is JobStatus.DONE:
            result = job.result
            if result is None:
                return "Done"
            text = f"{result.success_count} of {result.total_segments} segments rendered"
            if result.merged_video is not None and result.merged_video.success:
                text += "; merged video ready"
            return text
        if job.status.finished:
            return job.error or job.status.value.capitalize()
        return "Interrupted before it finished; Resume continues it"


class QueueController(QObject):
    """Submits, runs, cancels, retries and resumes jobs through the core's RenderQueue, and
    keeps a `JobView` per listed job up to date."""

    jobAdded = Signal(object)  # noqa: N815 (Qt naming) JobView
    jobChanged = Signal(object)  # noqa: N815 JobView
    jobFinished = Signal(object)  # noqa: N815 JobView, when a run in this app has ended
    outputsChanged = Signal(object)  # noqa: N815 JobView, a step or the job ended

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.show_error = services.show_error
        self.jobs: list[JobView] = []
        """Newest first."""
        self._views: dict[str, JobView] = {}
        self._tasks = TaskRunner(services.show_error, self)
        self._turn = asyncio.Lock()
        self._running_core: RenderQueue | None = None
        self._dirty: set[str] = set()
        self._closed = False
        self._interrupted = False
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)

    @property
    def running(self) -> list[JobView]:
        return [view for view in self.jobs if view.active]

    def view(self, job_id: str) -> JobView | None:
        return self._views.get(job_id)

    def latest(self, project_id: str) -> JobView | None:
        return next((view for view in self.jobs if view.project_id == project_id), None)

    def layout(self, view: JobView) -> ProjectLayout:
        """Where the job's files are; read when asked, as the workspace may have moved."""
        return self._core().layout(self._services.ctx.library.get_project(view.project_id))

    # The library's jobs --------------------------------------------------------------------

    def load(self) -> None:
        """Lists the newest stored jobs (earlier sessions' too); called once the window is
        on screen, since it reads every listed job's steps."""
        library = self._services.ctx.library
        for job in reversed(library.list_jobs()[:HISTORY]):
            if job.id not in self._views:
                view = self._add(job)
                view.update(job, library.list_steps(job.id))
                self.jobChanged.emit(view)

    def _add(self, job: Job) -> JobView:
        view = JobView(job)
        self._views[job.id] = view
        self.jobs.insert(0, view)
        self.jobAdded.emit(view)
        return view

    # Requests --------------------------------------------------------------------------------

    def submit(self, project: Project, settings: RenderSettings) -> JobView:
        """Saves a QUEUED job for the project as it is now and runs it when its turn comes."""
        job = self._core().submit(project, settings)
        view = self._add(job)
        self._run([view], lambda core: core.run(job.id))
        return view

    def cancel(self, view: JobView) -> None:
        """The running job stops before its next paid call or poll; results are kept. Asked
        of the core that is running, when there is one: it remembers the cancellation in
        memory, so its runner sees it at once, and it holds even if a job the core has yet
        to reach is saved over."""
        (self._running_core or self._core()).cancel(view.id)
        self._refresh(view)

    def interrupt(self) -> None:
        """Quitting: the job rendering stops at its next paid call or poll and goes back to
        the queue (the next start resumes it), and jobs waiting for their turn never start.
        `running` empties once the call in flight has been recorded."""
        self._interrupted = True
        if self._running_core is not None:
            self._running_core.interrupt()

    def close(self) -> None:
        """Interrupts what runs and stops reading the library, which closes after the
        window."""
        self.interrupt()
        self._closed = True
        self._flush_timer.stop()

    def retry(self, view: JobView) -> None:
        """Runs a failed, partial or cancelled job again; only what is missing is redone."""
        if view.can_retry:
            self._run([view], lambda core: core.retry_failed(view.id))

    def resume_unfinished(self) -> list[JobView]:
        """Finishes what a crash or a quit left QUEUED or RUNNING, through the core's
        `resume_unfinished`, which leaves alone jobs another live process is running."""
        views = [view for view in self.jobs if view.can_resume]
        if views:
            self._run(views, lambda core: core.resume_unfinished())
        return views

    # Running -------------------------------------------------------------------------------

    def _core(self) -> RenderQueue:
        """A fresh core queue per request, so the current Settings (workspace, engine) apply.
        Nothing is lost between them: jobs and cancellations live in the library, and engines
        are the shared ones from Services."""
        ctx = self._services.ctx
        return RenderQueue(ctx.library, ctx.workspace, ctx.dirs.data, self._engine, self._observe)

    def _engine(self, name: str | None) -> Engine:
        """The configured engine (shared, so rate limits are too); a job recorded with
        another engine gets that one."""
        engine = self._services.engine()
        if name in (None, engine.name):
            return engine
        return create_engine(self._services.ctx.settings, name)

    def _run(self, views: list[JobView], work: Callable[[RenderQueue], Awaitable[object]]) -> None:
        for view in views:
            view.begin()
            self.jobChanged.emit(view)

        async def in_turn() -> None:
            async with self._turn:
                if self._interrupted:
                    return
                self._running_core = self._core()
                try:
                    await work(self._running_core)
                finally:
                    self._running_core = None

        task = self._tasks.start(in_turn())
        task.add_done_callback(lambda _task: self._ended(views))

    def _ended(self, views: list[JobView]) -> None:
        for view in views:
            view.end()
            if not self._closed:
                self._refresh(view)
            self.jobFinished.emit(view)

    def _observe(self, event: ProgressEvent) -> None:
        view = self._views.get(event.job_id or "")
        if view is None:
            return
        view.observe(event)
        self._dirty.add(view.id)
        if not self._closed and not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        """Jobs with news, and every job this app runs: one run can finish several jobs
        (resume_unfinished), and only the library says when each one ended."""
        ids = self._dirty | {view.id for view in self.running}
        self._dirty.clear()
        for job_id in ids:
            view = self._views.get(job_id)
            if view is not None:
                self._refresh(view)

    def _refresh(self, view: JobView) -> None:
        library = self._services.ctx.library
        outputs = view.outputs
        view.update(library.get_job(view.id), library.list_steps(view.id))
        self.jobChanged.emit(view)
        if view.outputs != outputs:
            self.outputsChanged.emit(view)
