"""retry_failed and a clip's stored Veo operation: a finished operation that failed is never
polled again (a new one is started), while an operation we only failed to reach is polled
again rather than paid for twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline_helpers import make_project, videos

from avpe_desktop.domain import JobStatus, Step, StepKind, StepStatus
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.emulator import Emulator

QueueFactory = Callable[..., RenderQueue]


def _video_step(library: SqliteLibrary, job_id: str) -> Step:
    (step,) = [s for s in library.list_steps(job_id) if s.kind is StepKind.VIDEO]
    return step


def _routes(emulator: Emulator, since: int) -> list[str]:
    return [r.route for r in emulator.requests()[since:]]


async def test_an_operation_that_ended_in_a_transient_error_is_started_anew_on_retry(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    # google.rpc INTERNAL: worth another try, but as a new operation.
    emulator.fail_operation(13, "Internal error while rendering")
    queue = make_queue()
    project = make_project(library, tmp_path / "lib", tmp_path / "workspace", segments=1)
    job = await queue.run(queue.submit(project).id)
    assert job.status is JobStatus.FAILED and "Internal error" in (job.error or "")
    step = _video_step(library, job.id)
    assert step.status is StepStatus.FAILED and step.operation_name is None
    assert videos(emulator) == 1

    mark = len(emulator.requests())
    job = await queue.retry_failed(job.id)
    assert job.status is JobStatus.DONE, job.error
    # One new operation and its one poll (the emulator finishes a clip on its first poll):
    # the failed operation was not polled again.
    assert videos(emulator, mark) == 1
    assert _routes(emulator, mark).count("fetchPredictOperation") == 1
    assert _video_step(library, job.id).status is StepStatus.DONE


async def test_an_operation_we_could_not_reach_is_polled_again_not_paid_again(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    # Every attempt of the first poll (1 + 3 retries) meets an outage; the clip renders on.
    emulator.fail("fetchPredictOperation", 503, times=4)
    queue = make_queue()
    project = make_project(library, tmp_path / "lib", tmp_path / "workspace", segments=1)
    job = await queue.run(queue.submit(project).id)
    assert job.status is JobStatus.FAILED and "503" in (job.error or "")
    step = _video_step(library, job.id)
    assert step.status is StepStatus.FAILED and step.operation_name is not None
    stored = step.operation_name

    mark = len(emulator.requests())
    job = await queue.retry_failed(job.id)
    assert job.status is JobStatus.DONE, job.error
    assert videos(emulator, mark) == 0 and videos(emulator) == 1  # paid once, in all
    assert _routes(emulator, mark).count("fetchPredictOperation") >= 1
    step = _video_step(library, job.id)
    assert step.status is StepStatus.DONE and step.operation_name == stored
