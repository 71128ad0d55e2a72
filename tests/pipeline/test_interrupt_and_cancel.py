"""Stopping a render: interrupted (its task cancelled, or the queue interrupted because the app
quits) it goes back to the queue and resumes without paying twice; cancelled, it is noticed
at once in this process and within a second from another, without reading the library on
every poll."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_helpers import images, make_project, paid, videos

from avpe_desktop.domain import Job, JobStatus, Project, Step, StepKind, StepStatus
from avpe_desktop.engines.local import local_engine
from avpe_desktop.pipeline.progress import ProgressEvent, Stage
from avpe_desktop.pipeline.queue import CANCEL_CHECK_SECONDS, RenderQueue
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.emulator import Emulator

QueueFactory = Callable[..., RenderQueue]

POLL_SECONDS = 0.1
"""The tests' clock moves by this for every poll the emulator receives, so "a second" is ten
polls whatever the machine's speed."""


class _Clock:
    """Time that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _project(library: SqliteLibrary, tmp_path: Path) -> Project:
    return make_project(library, tmp_path / "lib", tmp_path / "workspace", segments=3)


def _clips(library: SqliteLibrary, job_id: str) -> list[Step]:
    return [s for s in library.list_steps(job_id) if s.kind is StepKind.VIDEO]


def _job_reads(library: SqliteLibrary, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the jobs read from `library` from now on."""
    reads: list[str] = []
    read = library.get_job

    def counted(job_id: str) -> Job:
        reads.append(job_id)
        return read(job_id)

    monkeypatch.setattr(library, "get_job", counted)
    return reads


async def test_a_cancelled_task_leaves_its_job_queued_and_the_resume_repeats_nothing(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    # Slow keyframes: a clip's start has returned (and its operation is stored) by the time
    # the next keyframe is painted.
    emulator.slow("generateContent", 0.2)
    emulator.polls_to_finish = 10**9  # clips are still rendering when the task is cancelled
    queue = make_queue()
    job = queue.submit(_project(library, tmp_path))
    task = asyncio.create_task(queue.run(job.id))

    def cancel_between_paid_calls(event: ProgressEvent) -> None:
        """Just after a keyframe is recorded no image call is in flight; nor may a clip be
        starting, as a start cut off loses its operation name (`interrupt` avoids that)."""
        if event.stage is not Stage.KEYFRAME or (event.segment or 0) < 2 or task.cancelling():
            return
        clips = _clips(library, job.id)
        if clips and all(c.operation_name or c.status is StepStatus.PENDING for c in clips):
            task.cancel()

    queue.listener = cancel_between_paid_calls
    with pytest.raises(asyncio.CancelledError):
        await task

    stored = library.get_job(job.id)
    assert stored.status is JobStatus.QUEUED and stored.error is None
    assert "runner_pid" not in stored.extra
    steps = library.list_steps(job.id)
    assert stored.cost_spent_usd == pytest.approx(sum(s.cost_usd for s in steps))
    assert images(emulator) < 5 and videos(emulator) < 3  # mid-render: more to paint
    started = [c for c in _clips(library, job.id) if c.operation_name]
    assert started

    emulator.polls_to_finish = 1
    fresh = make_queue()  # the next start: new client, new engine
    (resumed,) = await fresh.resume_unfinished()
    assert resumed.status is JobStatus.DONE, resumed.error
    assert (images(emulator), videos(emulator)) == (5, 3)
    assert len(set(paid(emulator))) == len(paid(emulator))
    steps = library.list_steps(job.id)
    assert all(step.attempts <= 1 for step in steps)
    operations = {s.id: s.operation_name for s in steps if s.status is StepStatus.DONE}
    assert all(operations[clip.id] == clip.operation_name for clip in started)  # polled on


async def test_interrupting_the_queue_records_the_call_in_flight_and_starts_no_other_job(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    # Clip 1 starts while keyframe 2 is painted, and is still starting when the app quits.
    emulator.slow("generateContent", 0.3)
    emulator.slow("predictLongRunning", 1.0)
    queue = make_queue()
    project = _project(library, tmp_path)
    first = queue.submit(project)
    second = queue.submit(project)

    def quit_after_keyframe_2(event: ProgressEvent) -> None:
        if event.stage is Stage.KEYFRAME and event.segment == 2:
            queue.interrupt()

    queue.listener = quit_after_keyframe_2
    (stopped,) = await queue.resume_unfinished()

    assert stopped.id == first.id and stopped.status is JobStatus.QUEUED
    assert library.get_job(first.id).status is JobStatus.QUEUED
    clips = _clips(library, first.id)
    (started,) = [clip for clip in clips if clip.cost_usd > 0]
    assert started.operation_name  # the start in flight was recorded, not cut off
    assert all(clip.status is StepStatus.PENDING for clip in clips if clip is not started)
    assert videos(emulator) == 1 and images(emulator) == 3
    assert library.get_job(second.id).status is JobStatus.QUEUED
    assert library.list_steps(second.id) == []

    done = await make_queue().resume_unfinished()
    assert [job.status for job in done] == [JobStatus.DONE, JobStatus.DONE]
    assert (images(emulator), videos(emulator)) == (5, 3)
    assert len(set(paid(emulator))) == len(paid(emulator))


def test_is_cancelled_reads_the_library_at_most_once_a_second(
    library: SqliteLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    engine = local_engine()
    queue = RenderQueue(
        library, tmp_path / "workspace", tmp_path / "lib", lambda _n: engine, clock=clock
    )
    project = _project(library, tmp_path)
    job = queue.submit(project)
    here = queue.submit(project)
    with SqliteLibrary(library.path) as elsewhere_library:
        elsewhere = RenderQueue(
            elsewhere_library, tmp_path / "workspace", tmp_path / "lib", lambda _n: engine
        )
        reads = _job_reads(library, monkeypatch)

        checks = []
        for hundredth in range(100):  # a check every hundredth of a second
            clock.now = CANCEL_CHECK_SECONDS * hundredth / 100
            checks.append(queue.is_cancelled(job.id))
        assert not any(checks) and reads == [job.id]

        elsewhere.cancel(job.id)  # `avpe jobs cancel` from a terminal
        clock.now = CANCEL_CHECK_SECONDS * 0.999
        assert not queue.is_cancelled(job.id)  # not looked yet: a second has not passed
        clock.now = CANCEL_CHECK_SECONDS
        assert queue.is_cancelled(job.id) and reads == [job.id, job.id]
        assert queue.is_cancelled(job.id) and len(reads) == 2  # remembered once seen

        queue.cancel(here.id)  # one read, to see that the job is not finished already
        assert queue.is_cancelled(here.id) and reads[2:] == [here.id]


@pytest.mark.parametrize("elsewhere", [False, True], ids=["this process", "another process"])
async def test_a_cancel_stops_the_render_with_a_library_read_a_second_at_most(
    elsewhere: bool,
    library: SqliteLibrary,
    tmp_path: Path,
    emulator: Emulator,
    make_queue: QueueFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator.polls_to_finish = 10**9  # only the cancel ends this render

    def polls() -> int:
        return emulator.count("fetchPredictOperation")

    queue = make_queue(clock=lambda: polls() * POLL_SECONDS)
    job = queue.submit(_project(library, tmp_path))
    reads = _job_reads(library, monkeypatch)
    cancelled_at: list[int] = []

    with SqliteLibrary(library.path) as other_library:
        other = RenderQueue(
            other_library, tmp_path / "workspace", tmp_path / "lib", lambda _n: queue.engine()
        )
        canceller = other if elsewhere else queue

        def cancel_midway_through_the_fourth_second(event: ProgressEvent) -> None:
            if not cancelled_at and polls() >= 3.5 / POLL_SECONDS:
                cancelled_at.append(polls())
                canceller.cancel(job.id)

        queue.listener = cancel_midway_through_the_fourth_second
        stopped = await queue.run(job.id)
    runner_reads = len(reads)

    assert stopped.status is JobStatus.CANCELLED
    assert library.get_job(job.id).status is JobStatus.CANCELLED
    late_polls = polls() - cancelled_at[0]
    in_flight = len(_clips(library, job.id))  # a poll each may have been on its way
    if elsewhere:
        assert late_polls <= CANCEL_CHECK_SECONDS / POLL_SECONDS + in_flight
    else:
        assert late_polls <= in_flight
    # One read to start, one a (test) second while it renders, one for the cancel here and
    # one to record the stop; reading before every poll, as before, was one read per poll.
    assert runner_reads <= 3 + polls() * POLL_SECONDS / CANCEL_CHECK_SECONDS
    assert runner_reads < polls() / 4


async def test_ctrl_c_outside_the_gentle_pause_leaves_the_job_queued_not_failed(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    queue = make_queue()
    job = queue.submit(_project(library, tmp_path))

    def ctrl_c(event: ProgressEvent) -> None:
        if event.stage is Stage.KEYFRAME:
            raise KeyboardInterrupt

    queue.listener = ctrl_c
    with pytest.raises(KeyboardInterrupt):
        await queue.run(job.id)

    stored = library.get_job(job.id)
    assert stored.status is JobStatus.QUEUED and stored.error is None


async def test_a_bug_fails_the_job_in_words_with_its_traceback_in_the_log(
    library: SqliteLibrary,
    tmp_path: Path,
    emulator: Emulator,
    make_queue: QueueFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = make_queue()
    job = queue.submit(_project(library, tmp_path))

    def bug(event: ProgressEvent) -> None:
        raise ZeroDivisionError("division by zero")

    queue.listener = bug
    with pytest.raises(ZeroDivisionError):
        await queue.run(job.id)

    stored = library.get_job(job.id)
    assert stored.status is JobStatus.FAILED
    assert stored.error is not None and stored.error.startswith("An unexpected error stopped")
    assert "ZeroDivisionError" in stored.error and "division by zero" not in stored.error
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
