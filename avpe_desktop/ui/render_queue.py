"""The render queue as the GUI sees it: the core's persistent `RenderQueue` run on the qasync
loop, and a view of every job for the panel and the timeline.

The library is the truth. The panel lists the jobs stored there, earlier sessions' included,
and a job's per-segment state is read from its steps, so a card shows the same thing before
and after a restart, and a job finished or cancelled by another process (`avpe jobs cancel`)
shows that too. Progress events only add what the library does not hold (the overall
fraction, the ETA, a clip's own render progress) and say *when* to look again: they are
coalesced and read at most once per `FLUSH_MS`, so a flood of poll events costs one library
read and one repaint, not one per event.

Jobs another process runs (`avpe render`, a second window) reach the panel by polling: every
`POLL_MS` the library says which jobs were written since the last look (`job_changes`, one
indexed query when nothing was), read on a thread of their own and shown from their steps. The
app never runs such a job too: that would pay twice. Cancel asks it to stop through the
library, where its runner looks every second.

Jobs run one at a time in the order they were asked for, as `RenderQueue.run_pending` does:
the clips inside a job already run in parallel up to the engine's limits, and a second job
at the same time would only compete for the same limits (and budget).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from avpe_desktop.domain import Job, JobStatus, Project, RenderSettings, Step, StepKind, StepStatus
from avpe_desktop.domain._base import utc_now
from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.registry import create_engine
from avpe_desktop.pipeline.outcome import failed_steps, retry_report, segments_text
from avpe_desktop.pipeline.progress import ProgressEvent, Stage
from avpe_desktop.pipeline.queue import RETRYABLE, RenderQueue, runner_elsewhere
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.repository import LibraryRepository
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.services import Services

KEYFRAMES_DONE = 0.5
"""A segment's share of its progress bar once its last keyframe is painted; the clip's own
render progress fills the other half."""

FLUSH_MS = 200
"""How often, at most, progress events are turned into a library read and a repaint: often
enough to look live, rare enough that an engine polling many clips cannot flood the loop."""

POLL_MS = 500
"""How often the library is asked what other processes wrote: a render started on the command
line shows within a second, and a poll that finds nothing costs one indexed query."""

ELSEWHERE = (
    "This render is running in another window or on the command line; it cannot run here as "
    "well (that would pay twice). Cancel it first, or wait for it to finish."
)

_Changes = tuple[int, list[tuple[Job, list[Step]]]]
"""The library's next change mark, and each changed job with its steps."""

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
        self.elsewhere = False
        """Another live process runs the job (a window, `avpe render`): shown, never run here."""
        self._stop_asked: datetime | None = None
        """When Cancel here saved the job that another process runs, until that process has
        saved it since: it is still stopping."""
        self.outputs: tuple[object, ...] = ()
        """Changes when a step ends or the job does: when new files may be on disk."""
        self._live: ProgressEvent | None = None
        self._clip_progress: dict[int, float] = {}
        self.retrying: frozenset[int] = frozenset()
        """The failed segments the run in progress retries; empty for any other run."""
        self.retry_report: list[str] = []
        """What the last retry did to each segment it was for, until the next run."""

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
        return not self.active and not self.elsewhere and self.status in RETRYABLE

    @property
    def can_resume(self) -> bool:
        """Left unfinished by a crash or a quit."""
        return not self.active and not self.elsewhere and not self.status.finished

    @property
    def can_cancel(self) -> bool:
        return (self.active or self.elsewhere) and not self.status.finished

    def stop_asked(self, saved: Job) -> None:
        """Cancel saved the job while another process runs it."""
        self._stop_asked = saved.updated_at

    def begin(self, retrying: frozenset[int] = frozenset()) -> None:
        """A run in this app is about to start: forget the last run's live numbers."""
        self.active = True
        self._live = None
        self._clip_progress.clear()
        self.eta_seconds = None
        self.retrying = retrying
        self.retry_report = []
        self.message = self._waiting()

    def end(self) -> None:
        self.active = False
        self._live = None
        self._clip_progress.clear()

    def _waiting(self) -> str:
        if self.retrying:
            return f"Retrying {segments_text(self.retrying)}; everything else is reused"
        return "Waiting for its turn"

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
        if self._stop_asked is not None and job.updated_at > self._stop_asked:
            self._stop_asked = None
        stopping = self._stop_asked is not None
        self.elsewhere = (
            not self.active
            and (job.status is JobStatus.RUNNING or stopping)
            and runner_elsewhere(job)
        )
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
        if self.retrying and not self.active:
            # The retry is over and this is the job as it left it.
            finished = job.status.finished
            self.retry_report = retry_report(self.retrying, job) if finished else []
            self.retrying = frozenset()
        if job.status is JobStatus.DONE:
            self.fraction = 1.0
        elif live is not None:
            self.fraction = live.fraction
        elif self.elsewhere and self.segment_progress:
            self.fraction = sum(self.segment_progress) / len(self.segment_progress)
        elif self.segment_progress:
            done = sum(1 for p in self.segment_progress if p >= 1)
            self.fraction = done / len(self.segment_progress)
        if live is not None:
            self.eta_seconds = live.eta_seconds
        else:
            self.eta_seconds = self._pace_eta() if self.elsewhere and not stopping else None
        self.message = self._describe(live)

    def _pace_eta(self) -> float | None:
        """Another process's render has no live events here; its pace since it was saved
        RUNNING stands in for them."""
        if not 0 < self.fraction < 1:
            return None
        elapsed = (utc_now() - self.job.updated_at).total_seconds()
        return max(0.0, elapsed) * (1 - self.fraction) / self.fraction

    def _describe(self, live: ProgressEvent | None) -> str:
        job = self.job
        if self.elsewhere:
            if self._stop_asked is not None:
                return "Stopping in the other window or on the command line"
            ready = sum(
                1
                for i, p in enumerate(self.segment_progress)
                if p >= 1 and i + 1 not in self.failed_segments
            )
            return (
                "Running in another window or on the command line: "
                f"{ready} of {len(self.segment_progress)} clips ready"
            )
        if live is not None and not job.status.finished:
            return live.message
        if self.active and not job.status.finished:
            return self._waiting() if job.status is JobStatus.QUEUED else "Starting"
        if self.retry_report:
            return " ".join(self.retry_report)
        if job.status is JobStatus.DONE:
            return "Done" if job.result is None else job.result.summary()
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
        self._mark = 0
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="avpe-queue-poll")
        """Its own thread, so a poll never waits behind renders on the loop's executor."""
        self._polls = TaskRunner(services.show_error, self)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self._poll)

    @property
    def running(self) -> list[JobView]:
        return [view for view in self.jobs if view.active]

    def view(self, job_id: str) -> JobView | None:
        return self._views.get(job_id)

    def latest(self, project_id: str) -> JobView | None:
        return next((view for view in self.jobs if view.project_id == project_id), None)

    def layout(self, view: JobView | Job) -> ProjectLayout:
        """Where the job's files are; read when asked, as the workspace may have moved."""
        return self._core().layout(self._services.ctx.library.get_project(view.project_id))

    # The library's jobs --------------------------------------------------------------------

    def load(self) -> None:
        """Lists the newest stored jobs (earlier sessions' too); called once the window is
        on screen, since it reads every listed job's steps."""
        library = self._services.ctx.library
        changes = library.job_changes()
        self._mark = changes.mark
        newest = sorted(changes.jobs, key=lambda job: job.created_at, reverse=True)[:HISTORY]
        for job in reversed(newest):
            if job.id not in self._views:
                view = self._add(job)
                view.update(job, library.list_steps(job.id))
                self.jobChanged.emit(view)
        self._poll_timer.start()

    def _poll(self) -> None:
        """Reads what other processes wrote, off the GUI thread, one read at a time; a
        process that died mid-render changes nothing, so its jobs are checked here."""
        for view in self.jobs:
            if view.elsewhere and not runner_elsewhere(view.job):
                self._refresh(view)
        if self._closed or self._polls.busy:
            return
        ours = frozenset(view.id for view in self.running)
        self._polls.start(self._changes(self._mark, ours), self._show_changes)

    async def _changes(self, since: int, ours: frozenset[str]) -> _Changes:
        library = self._services.ctx.library
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, _read_changes, library, since, ours)

    def _show_changes(self, changes: _Changes) -> None:
        if self._closed:
            return
        self._mark, jobs = changes
        for job, steps in jobs:
            view = self._views.get(job.id)
            if view is None:
                view = self._add(job)
            elif view.active or job.updated_at < view.job.updated_at:
                continue  # its own events keep it current, or a click has read it since
            self._show(view, job, steps)

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
        saved = (self._running_core or self._core()).cancel(view.id)
        if view.elsewhere and not view.status.finished:
            view.stop_asked(saved)
        self._refresh(view)

    def interrupt(self) -> None:
        """Quitting: the job rendering stops at its next paid call or poll and goes back to
        the queue (the next start resumes it), and jobs waiting for their turn never start.
        `running` empties once the call in flight has been recorded."""
        self._interrupted = True
        if self._running_core is not None:
            self._running_core.interrupt()

    def abandon(self) -> None:
        """Quitting cannot wait any longer: the render tasks are cancelled. The core saves
        each job back in the queue as its task unwinds, so the next start resumes it; only a
        paid call in flight at this moment is cut off (a clip started may be paid again)."""
        self.interrupt()
        self._tasks.cancel_all()

    def close(self) -> None:
        """Interrupts what runs and stops reading the library, which closes after the
        window."""
        self.interrupt()
        self._closed = True
        self._flush_timer.stop()
        self._poll_timer.stop()
        self._polls.cancel_all()
        self._reader.shutdown(wait=False)

    def retry(self, view: JobView) -> None:
        """Runs a failed, partial or cancelled job again; only what is missing is redone.
        The card says which segments it retries while it works, and what became of each
        once it is over."""
        self._refresh(view)  # another process may have started it since the last poll
        if view.elsewhere:
            self.show_error(ELSEWHERE)
        elif view.can_retry:
            retrying = failed_steps(self._services.ctx.library.list_steps(view.id))
            self._run([view], lambda core: core.retry_failed(view.id), frozenset(retrying))

    def already_rendered(self, project: Project, settings: RenderSettings) -> Job | None:
        """The finished job that rendered exactly this, its videos still on disk."""
        return self._core().already_rendered(project, settings)

    def resume_unfinished(self) -> list[JobView]:
        """Finishes what a crash or a quit left QUEUED or RUNNING, through the core's
        `resume_unfinished`, which leaves alone jobs another live process is running."""
        candidates = [view for view in self.jobs if view.can_resume]
        for view in candidates:
            self._refresh(view)  # another process may have started it since the last poll
        views = [view for view in candidates if view.can_resume]
        if any(view.elsewhere for view in candidates):
            self.show_error(ELSEWHERE)
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

    def _run(
        self,
        views: list[JobView],
        work: Callable[[RenderQueue], Awaitable[object]],
        retrying: frozenset[int] = frozenset(),
    ) -> None:
        for view in views:
            view.begin(retrying)
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
        self._show(view, library.get_job(view.id), library.list_steps(view.id))

    def _show(self, view: JobView, job: Job, steps: list[Step]) -> None:
        outputs = view.outputs
        view.update(job, steps)
        self.jobChanged.emit(view)
        if view.outputs != outputs:
            self.outputsChanged.emit(view)


def _read_changes(library: LibraryRepository, since: int, ours: frozenset[str]) -> _Changes:
    """On the poll thread. The jobs this app runs are skipped: it reads those itself."""
    changes = library.job_changes(since)
    jobs = [(job, library.list_steps(job.id)) for job in changes.jobs if job.id not in ours]
    return changes.mark, jobs
