"""The persistent render queue: jobs and their steps in the library, resumable after a crash.

A job snapshots what it renders when it is submitted (the script, the character image by
hash, the description and voice), so resuming or retrying it tomorrow renders exactly what
was asked for today, whatever has been edited since. Running a job is `cinematographer`'s
work on the job's `Ledger`; this module decides which jobs run, records their outcome, and
turns cancel / retry / resume into step and job states.

A job stops early in one of two ways, and they end differently. Cancelled (the creator asked,
here or with `avpe jobs cancel` from another process) it is saved CANCELLED and waits for
Continue. Interrupted (the app quitting through `interrupt`, or the task running it cancelled)
it goes back to QUEUED, so the next start resumes it: its ledger reuses every finished step and
polls the clips already started, so nothing is paid for twice.

`cinematographer` (and the image and video libraries behind it) is imported when a job first
runs: the app lists its queue at start-up, before anything renders.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from avpe_desktop.characters import image_path
from avpe_desktop.domain import (
    Content,
    Job,
    JobStatus,
    Project,
    RenderResult,
    RenderSettings,
    StepStatus,
)
from avpe_desktop.domain._base import utc_now
from avpe_desktop.engines.base import Engine, EngineError
from avpe_desktop.input_files import describe_os_error
from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.pipeline.costs import JobCancelledError, estimate, prices
from avpe_desktop.pipeline.outcome import failure_text
from avpe_desktop.pipeline.progress import ProgressCallback, ignore_progress
from avpe_desktop.pipeline.redo import RedoPlan, plan_redo
from avpe_desktop.pipeline.steps import Ledger, read_verified, sha256_hex
from avpe_desktop.storage.atomic import atomic_write_bytes, atomic_write_text
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.repository import LibraryRepository, NotFoundError

if TYPE_CHECKING:
    from avpe_desktop.pipeline.cinematographer import RenderInputs

log = logging.getLogger(__name__)

UNEXPECTED_ERROR = (
    "An unexpected error stopped the render ({exc.__class__.__name__}); its details are in the "
    "log file. Retry it, and if it happens again, send the log file with a report."
)

EngineFactory = Callable[[str | None], Engine]
"""Builds the engine a job records by name; None asks for the configured default."""

UNFINISHED = {JobStatus.QUEUED, JobStatus.RUNNING}
RETRYABLE = {JobStatus.FAILED, JobStatus.PARTIAL, JobStatus.CANCELLED}
CANCELLED_MESSAGE = "Cancelled; finished results were kept."
RUNNER_KEYS = ("runner_pid", "runner_host")
CHARACTER_SNAPSHOT = "the character image"
CONTENT_JSON = "content.json"
RENDER_INPUTS = ("content", "character_sha256", "character_description", "creature_language")
"""What a job renders besides its settings and engine; equal ones make identical videos."""

CANCEL_CHECK_SECONDS = 1.0
"""How often, at most, a running job's saved status is read to notice a cancel written by
another process. The runner asks before every paid call and every poll, hundreds of times a
render; a cancel made through this queue is seen at once, from memory."""


class QueueError(ValueError):
    """A queue request that cannot be honoured; the message says why."""


class RenderQueue:
    """Submit, run, cancel, interrupt, retry and resume render jobs stored in a
    LibraryRepository.

    Async methods run on the caller's loop (asyncio.run in the CLI, qasync in the GUI);
    `listener` receives every job's ProgressEvents, tagged with the job id.
    """

    def __init__(
        self,
        library: LibraryRepository,
        workspace: Path,
        library_dir: Path,
        engines: EngineFactory,
        listener: ProgressCallback = ignore_progress,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.library = library
        self.workspace = Path(workspace)
        self.library_dir = Path(library_dir)
        self._engine_factory = engines
        self._engines: dict[str | None, Engine] = {}
        self.listener = listener
        self._clock = clock
        self._cancelled: set[str] = set()
        self._checked_at: dict[str, float] = {}
        self._running: set[str] = set()
        self._interrupted = False

    def engine(self, name: str | None = None) -> Engine:
        if name not in self._engines:
            self._engines[name] = self._engine_factory(name)
        return self._engines[name]

    # Submitting -------------------------------------------------------------------------------

    def submit(
        self, project: Project, settings: RenderSettings | None = None, engine: str | None = None
    ) -> Job:
        """Queues a render of the project as it is now and returns the saved QUEUED job,
        with its cost estimate. Nothing is paid until the job runs."""
        job, png = self._request(project, settings, engine)
        layout = self.layout(project).ensure()
        snapshot = layout.step_result(f"character-{job.extra['character_sha256']}", ".png")
        if not snapshot.is_file():
            atomic_write_bytes(snapshot, png)
        job.extra["character_image"] = str(snapshot)
        self.library.save_job(job)
        return job

    def already_rendered(
        self, project: Project, settings: RenderSettings | None = None, engine: str | None = None
    ) -> Job | None:
        """The finished job (of any project) that rendered exactly what submitting this
        would (the same script, character image, voice, settings and engine) and whose
        videos are all still on disk; None when a render would make anything new. Rendering
        it again would reuse every result and only add an identical job."""
        wanted, _png = self._request(project, settings, engine)
        for job in self.library.list_jobs({JobStatus.DONE}):
            if job.engine != wanted.engine or job.settings != wanted.settings:
                continue
            if any(job.extra.get(key) != wanted.extra[key] for key in RENDER_INPUTS):
                continue
            try:
                layout = self.layout(self.library.get_project(job.project_id))
            except (NotFoundError, ValueError):
                continue
            if job.result is not None and not _missing_outputs(job, layout):
                return job
        return None

    def _request(
        self, project: Project, settings: RenderSettings | None, engine: str | None
    ) -> tuple[Job, bytes]:
        """The job a render of the project would be, unsaved, with the character image."""
        if project.character_id is None:
            raise QueueError(f"Project '{project.title}' has no character to render.")
        settings = settings or project.settings
        chosen = self.engine(engine)
        character = self.library.get_character(project.character_id)
        try:
            png = image_path(self.library_dir, character).read_bytes()
        except OSError as exc:
            raise QueueError(
                f"{character.name}'s image is missing from the library folder: remove "
                f"{character.name} and add the image again."
            ) from exc
        voice = (
            project.brief.creature_language
            if project.brief
            else character.details.creature_language
        )
        job = Job(
            project_id=project.id,
            engine=chosen.name,
            settings=settings,
            cost_estimate_usd=estimate(chosen, project.content, settings),
            extra={
                "title": project.title,
                "content": project.content.model_dump(mode="json"),
                "character_sha256": sha256_hex(png),
                "character_description": character.details.video_prompt_description,
                "creature_language": voice,
            },
        )
        return job, png

    def layout(self, project: Project) -> ProjectLayout:
        return ProjectLayout.from_relative(self.workspace, project.folder)

    # Running ----------------------------------------------------------------------------------

    async def run(self, job_id: str) -> Job:
        """Runs a queued (or interrupted) job to its end and returns it as saved. Steps
        already paid for are reused; a cancelled or finished job is returned as it is, and
        so is every job once this queue is interrupted."""
        job = self.library.get_job(job_id)
        if job.status.finished or job_id in self._running or self._interrupted:
            return job
        self._running.add(job_id)
        try:
            return await self._run(job)
        finally:
            self._running.discard(job_id)
            self._checked_at.pop(job_id, None)

    async def _run(self, job: Job) -> Job:
        job = self._save(
            job,
            status=JobStatus.RUNNING,
            error=None,
            extra={**job.extra, "runner_pid": os.getpid(), "runner_host": socket.gethostname()},
        )
        # Just saved RUNNING, so not cancelled as of now: the first look at the library can
        # wait for the throttle like every later one.
        self._checked_at[job.id] = self._clock()
        project = self.library.get_project(job.project_id)
        ledger = Ledger(self.library, job, self.layout(project))
        from avpe_desktop.pipeline.cinematographer import render_job

        try:
            inputs = self._inputs(job, project)
            result = await render_job(
                self.engine(job.engine),
                inputs,
                ledger,
                self.listener,
                cancelled=lambda: self._interrupted or self.is_cancelled(job.id),
            )
        except JobCancelledError:
            return self._stopped(job, ledger)
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Ctrl-C reaches here when it lands outside the CLI's gentle pause (say, while the
            # render starts): stopped, back in the queue, like an interrupted job.
            self._stopped(job, ledger)
            raise
        except (EngineError, MediaError, OSError, ValueError) as exc:
            message = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            return self._save(
                job, status=JobStatus.FAILED, error=message, cost_spent_usd=ledger.spent()
            )
        except BaseException as exc:
            log.exception("An unexpected error stopped the render of job %s", job.id)
            self._save(job, status=JobStatus.FAILED, error=UNEXPECTED_ERROR.format(exc=exc))
            raise
        status, error = _outcome(result, ledger)
        if self._cancel_saved(job.id):
            status = JobStatus.CANCELLED
        return self._save(
            job, status=status, error=error, result=result, cost_spent_usd=ledger.spent()
        )

    def _stopped(self, job: Job, ledger: Ledger) -> Job:
        """A job stopped before its end is cancelled when the creator asked for that, here or
        from another process (so read the library, once); otherwise it was interrupted and
        goes back to the queue for the next start, with no runner, so that start does not
        take this process for one still rendering it."""
        stored = self.library.get_job(job.id)
        spent = ledger.spent()
        if job.id in self._cancelled or stored.status is JobStatus.CANCELLED:
            return self._save(
                stored, status=JobStatus.CANCELLED, error=CANCELLED_MESSAGE, cost_spent_usd=spent
            )
        extra = {key: value for key, value in stored.extra.items() if key not in RUNNER_KEYS}
        return self._save(
            stored, status=JobStatus.QUEUED, error=None, extra=extra, cost_spent_usd=spent
        )

    def _inputs(self, job: Job, project: Project) -> RenderInputs:
        from avpe_desktop.pipeline.cinematographer import RenderInputs

        layout = self.layout(project)
        png = self._character_png(job, layout)
        self._restore_inputs(job, project, layout, png)
        extra = job.extra
        return RenderInputs(
            content=Content.model_validate(extra["content"]),
            character_png=png,
            character_description=extra.get("character_description", ""),
            creature_language=extra.get("creature_language", ""),
            settings=job.settings,
            layout=layout,
        )

    def _restore_inputs(
        self, job: Job, project: Project, layout: ProjectLayout, png: bytes
    ) -> None:
        """Writes back what the job's folder lost and the library still holds (the folder
        deleted, moved or cleared since the job was paused)."""
        layout.ensure()
        missing = self._missing_inputs(job, layout)
        if CHARACTER_SNAPSHOT in missing:
            atomic_write_bytes(self._snapshot_path(job, layout), png)
        if CONTENT_JSON in missing:
            atomic_write_text(layout.content_json, project.content.to_seed_json())

    def _missing_inputs(self, job: Job, layout: ProjectLayout) -> list[str]:
        """The inputs the job's project folder lacks, in words."""
        missing: list[str] = []
        if read_verified(self._snapshot_path(job, layout), job.extra["character_sha256"]) is None:
            missing.append(CHARACTER_SNAPSHOT)
        if not layout.content_json.is_file():
            missing.append(CONTENT_JSON)
        return missing

    def _snapshot_path(self, job: Job, layout: ProjectLayout) -> Path:
        """The snapshot's place in the project as it is now (the recorded path names the
        workspace of the day it was submitted)."""
        return layout.step_result(f"character-{job.extra['character_sha256']}", ".png")

    def _character_png(self, job: Job, layout: ProjectLayout) -> bytes:
        """The character image the job was submitted with: its snapshot, else the library's
        image when it is still the same one (by hash)."""
        digest = job.extra["character_sha256"]
        places = [self._snapshot_path(job, layout), Path(job.extra["character_image"])]
        places += [
            image_path(self.library_dir, character)
            for character in self.library.list_characters()
            if character.image_sha256 == digest
        ]
        for place in places:
            png = read_verified(place, digest)
            if png is not None:
                return png
        raise QueueError(
            "This job's character image is gone from its project folder and the library no "
            "longer holds that image: render the project again to use the character as it "
            "is now, or add the image back to the library and retry."
        )

    def redo_plan(self, job_id: str) -> RedoPlan:
        """What running the job now would make again (results whose files are gone) and
        rebuild, with the price, before anything is written or paid. Raises QueueError when
        the job cannot run at all (its character image is gone for good)."""
        job = self.library.get_job(job_id)
        layout = self.layout(self.library.get_project(job.project_id))
        self._character_png(job, layout)
        table = prices(self.engine(job.engine), job.settings)
        missing = self._missing_inputs(job, layout) + _missing_outputs(job, layout)
        return plan_redo(self.library, job, layout, table, missing)

    async def run_pending(self) -> list[Job]:
        """Runs queued jobs oldest first, one at a time (videos inside a job already run in
        parallel up to the engine's limits)."""
        done = []
        for job in reversed(self.library.list_jobs({JobStatus.QUEUED})):
            if self._interrupted:
                break
            done.append(await self.run(job.id))
        return done

    # Cancel, retry, resume --------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """No new paid call starts; clips already started keep their stored operation, so
        a retry picks them up without paying again. Works across processes: a runner in
        another process notices the saved status within CANCEL_CHECK_SECONDS."""
        job = self.library.get_job(job_id)
        if job.status.finished:
            return job
        self._cancelled.add(job_id)
        return self._save(job, status=JobStatus.CANCELLED, error=CANCELLED_MESSAGE)

    def interrupt(self) -> None:
        """For shutting down: the running job stops at its next paid call or poll, as on a
        cancel, but is saved QUEUED for the next start to resume, and no further job starts.
        Unlike cancelling the task, this lets a paid call already in flight finish and be
        recorded (a clip's operation name, a painted keyframe), so nothing is paid twice."""
        self._interrupted = True

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    def is_cancelled(self, job_id: str) -> bool:
        """Cheap enough for every poll: a cancel through this queue is in memory, and the
        library is read at most once per CANCEL_CHECK_SECONDS per job for one written by
        another process."""
        if job_id in self._cancelled:
            return True
        now = self._clock()
        checked = self._checked_at.get(job_id)
        if checked is not None and now - checked < CANCEL_CHECK_SECONDS:
            return False
        self._checked_at[job_id] = now
        return self._cancel_saved(job_id)

    def _cancel_saved(self, job_id: str) -> bool:
        """Reads the library now, for the moments a late cancel must not be missed."""
        if job_id in self._cancelled:
            return True
        if self.library.get_job(job_id).status is JobStatus.CANCELLED:
            self._cancelled.add(job_id)
            return True
        return False

    async def retry_failed(self, job_id: str) -> Job:
        """Runs the job again, retrying only its failed and skipped steps; everything it
        already finished is reused. A retried keyframe that now succeeds changes the frames
        after it, so the clips that used its stand-in are rendered again too."""
        job = self.library.get_job(job_id)
        lost = job.status is JobStatus.DONE and self.redo_plan(job_id).anything
        if job.status not in RETRYABLE and not lost:
            raise QueueError(
                f"Job {job_id[:8]} is {job.status.value}: only a failed, partial or cancelled "
                "job retries, or a done one whose files are gone."
            )
        for step in self.library.list_steps(job_id):
            if step.status in (StepStatus.FAILED, StepStatus.SKIPPED):
                self.library.save_step(
                    step.model_copy(update={"status": StepStatus.PENDING, "error": None})
                )
        self._cancelled.discard(job_id)
        self._save(job, status=JobStatus.QUEUED, error=None, result=None)
        return await self.run(job_id)

    async def resume_unfinished(self) -> list[Job]:
        """At start-up: finishes jobs a crash or a quit left QUEUED or RUNNING, skipping any
        that a live process on this machine is still running."""
        resumed = []
        for listed in reversed(self.library.list_jobs(UNFINISHED)):
            if self._interrupted:
                break
            # Re-read: while earlier jobs resumed, this one may have been cancelled or
            # finished by another window or process.
            job = self.library.get_job(listed.id)
            if job.status not in UNFINISHED or job.id in self._running or _runner_alive(job):
                continue
            if job.status is JobStatus.RUNNING:
                job = self._save(job, status=JobStatus.QUEUED)
            resumed.append(await self.run(job.id))
        return resumed

    def _save(self, job: Job, **update: object) -> Job:
        job = job.model_copy(update={**update, "updated_at": utc_now()})
        self.library.save_job(job)
        return job


def _outcome(result: RenderResult, ledger: Ledger) -> tuple[JobStatus, str | None]:
    skipped = [s.error for s in ledger.steps if s.status is StepStatus.SKIPPED and s.error]
    merged = result.merged_video
    merge_failed = merged is not None and not merged.success
    if result.success_count == result.total_segments and not merge_failed and not skipped:
        return JobStatus.DONE, None
    if result.errors:
        error: str | None = failure_text(result)
    elif skipped:
        error = skipped[0]
    elif merge_failed and merged is not None:
        error = f"The merge failed: {merged.error}"
    else:
        error = None
    status = JobStatus.PARTIAL if result.success_count else JobStatus.FAILED
    return status, error


def _missing_outputs(job: Job, layout: ProjectLayout) -> list[str]:
    """A done job's published videos that are gone; a retry remakes them from its results
    for free."""
    if job.status is not JobStatus.DONE or job.result is None:
        return []
    missing: list[str] = []
    clips = range(1, job.result.total_segments + 1)
    if not all(layout.segment_video(number).is_file() for number in clips):
        missing.append("the segment videos")
    merged = job.result.merged_video
    if merged is not None and merged.success and not layout.merged_video.is_file():
        missing.append("the merged video")
    return missing


def runner_elsewhere(job: Job) -> bool:
    """Another live process on this machine (a window, `avpe render`) last ran the job: while
    the job is RUNNING, running it here as well would pay twice."""
    return _runner_alive(job)


def _runner_alive(job: Job) -> bool:
    """True when the process that last ran the job is alive on this machine. Windows has no
    harmless liveness probe (os.kill would terminate the process), so there a RUNNING job is
    assumed abandoned."""
    pid = job.extra.get("runner_pid")
    if not isinstance(pid, int) or pid == os.getpid() or os.name == "nt":
        return False
    if job.extra.get("runner_host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
