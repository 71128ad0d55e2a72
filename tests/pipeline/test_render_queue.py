"""The render queue against the Google emulator through the real SDK: reuse after edits,
retries and fallbacks, cancel, retry_failed, resume, budget and cost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_helpers import SETTINGS, images, make_project, paid, videos

from avpe_desktop.domain import JobStatus, StepKind, StepStatus
from avpe_desktop.engines.google.models import image_model, video_model
from avpe_desktop.media.images import fit_onto_canvas
from avpe_desktop.media.probe import probe
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.pipeline.steps import sha256_hex
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.emulator import Emulator

QueueFactory = Callable[..., RenderQueue]


class _CrashError(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def _project(library: SqliteLibrary, tmp_path: Path, segments: int = 3, settings=SETTINGS):
    return make_project(library, tmp_path / "lib", tmp_path / "workspace", segments, settings)


async def _render(queue: RenderQueue, project, settings=None):
    job = queue.submit(project, settings)
    return await queue.run(job.id)


async def test_edits_rerender_only_what_depends_on_them(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    queue = make_queue()
    project = _project(library, tmp_path)
    job = await _render(queue, project)
    assert job.status is JobStatus.DONE, job.error
    # 4 keyframes (chained) + thumbnail, 3 clips, each paid once.
    assert (images(emulator), videos(emulator)) == (5, 3)
    layout = ProjectLayout.from_relative(tmp_path / "workspace", project.folder)
    clip1 = layout.segment_video(1).read_bytes()

    mark = len(emulator.requests())
    job = await _render(queue, project)
    assert job.status is JobStatus.DONE and paid(emulator, mark) == []

    # Scene/action of segment 2 feed only clip 2's prompt.
    segments = list(project.content.segments)
    segments[1] = segments[1].model_copy(update={"action": "Floof dances"})
    project = project.model_copy(update={"content": project.content.renumbered(segments)})
    mark = len(emulator.requests())
    job = await _render(queue, project)
    assert job.status is JobStatus.DONE
    assert (images(emulator, mark), videos(emulator, mark)) == (0, 1)

    # Segment 3's last frame ends the chain: one keyframe, one clip.
    segments[2] = segments[2].model_copy(update={"last_frame_description": "Floof asleep"})
    project = project.model_copy(update={"content": project.content.renumbered(segments)})
    mark = len(emulator.requests())
    job = await _render(queue, project)
    assert (images(emulator, mark), videos(emulator, mark)) == (1, 1)

    # Segment 2's last frame is segment 3's first: last frames 2 and 3 (3 is painted with 2
    # as its reference) and clips 2 and 3; segment 1, the opening frame and thumbnail stay.
    segments[1] = segments[1].model_copy(
        update={"last_frame_description": "Floof asleep in the garden"}
    )
    project = project.model_copy(update={"content": project.content.renumbered(segments)})
    mark = len(emulator.requests())
    job = await _render(queue, project)
    assert job.status is JobStatus.DONE, (job.error, job.result)
    assert (images(emulator, mark), videos(emulator, mark)) == (2, 2)
    assert layout.segment_video(1).read_bytes() == clip1
    steps = library.list_steps(job.id)
    paid_steps = {(s.kind, s.segment) for s in steps if s.cost_usd > 0}
    assert paid_steps == {
        (StepKind.KEYFRAME, 2),
        (StepKind.KEYFRAME, 3),
        (StepKind.VIDEO, 2),
        (StepKind.VIDEO, 3),
    }
    # Nothing was ever paid for twice across all five jobs.
    assert len(set(paid(emulator))) == len(paid(emulator))


async def test_rate_limits_and_overload_are_retried_and_safety_falls_back(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    emulator.fail("generateContent", 429, times=2, retry_after=0.01)
    emulator.fail("predictLongRunning", 503, times=2)
    project = _project(library, tmp_path, segments=2)
    job = await _render(make_queue(), project)
    assert job.status is JobStatus.DONE, job.error
    assert emulator.count("generateContent") == 4 + 2 and images(emulator) == 4
    assert emulator.count("predictLongRunning") == 2 + 2 and videos(emulator) == 2

    # A keyframe the model refuses becomes the character on a plain canvas.
    emulator.filter_image("IMAGE_SAFETY")
    segments = [s.model_copy(update={"action": "new"}) for s in project.content.segments]
    segments[0] = segments[0].model_copy(update={"first_frame_description": "Floof, new day"})
    project = project.model_copy(update={"content": project.content.renumbered(segments)})
    job = await _render(make_queue(), project)
    assert job.status is JobStatus.DONE
    layout = ProjectLayout.from_relative(tmp_path / "workspace", project.folder)
    character = (tmp_path / "lib" / "floof-source.png").read_bytes()
    stand_in = fit_onto_canvas(character, (1280, 720))
    assert layout.first_frame(1).read_bytes() == stand_in
    failed = [s for s in library.list_steps(job.id) if s.status is StepStatus.FAILED]
    assert [(s.kind, s.segment) for s in failed] == [(StepKind.KEYFRAME, 1)]
    assert "IMAGE_SAFETY" in (failed[0].error or "")


async def test_a_filtered_clip_fails_alone_and_retry_failed_redoes_only_it(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    emulator.filter_video("Violates usage guidelines")
    queue = make_queue()
    job = await _render(queue, _project(library, tmp_path))
    assert job.status is JobStatus.PARTIAL
    assert job.result is not None and job.result.success_count == 2
    (failed,) = job.result.errors
    assert "filtered" in job.result.errors[failed]
    assert job.result.merged_video is not None and job.result.merged_video.success
    assert probe(job.result.merged_video.path or "").duration == pytest.approx(8, abs=0.3)

    mark = len(emulator.requests())
    job = await queue.retry_failed(job.id)
    assert job.status is JobStatus.DONE, job.error
    assert (images(emulator, mark), videos(emulator, mark)) == (0, 1)
    assert probe(job.result.merged_video.path or "").duration == pytest.approx(12, abs=0.3)


async def test_cancel_keeps_results_and_retry_finishes_without_paying_twice(
    library: SqliteLibrary,
    tmp_path: Path,
    emulator: Emulator,
    make_queue: QueueFactory,
    events: list,
) -> None:
    queue = make_queue()
    job = queue.submit(_project(library, tmp_path))

    def cancel_after_first_clip_starts(event) -> None:
        if videos(emulator) >= 1:
            queue.cancel(job.id)

    queue.listener = cancel_after_first_clip_starts
    job = await queue.run(job.id)
    assert job.status is JobStatus.CANCELLED
    steps = library.list_steps(job.id)
    assert any(s.kind is StepKind.VIDEO and s.operation_name for s in steps)
    assert videos(emulator) < 3

    queue.listener = events.append
    job = await queue.retry_failed(job.id)
    assert job.status is JobStatus.DONE, job.error
    assert (images(emulator), videos(emulator)) == (5, 3)
    assert len(set(paid(emulator))) == len(paid(emulator))
    assert {e.job_id for e in events} == {job.id}


async def test_budget_cap_stops_new_paid_calls_and_costs_add_up(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    queue = make_queue()
    engine = queue.engine()
    image = image_model(engine.painter.model).usd_per_image  # type: ignore[attr-defined]
    clip = video_model(engine.video.model).usd_per_second_with_audio * 4  # type: ignore[attr-defined]
    budget = 5 * image + 1.5 * clip  # keyframes, thumbnail and one clip
    settings = SETTINGS.model_copy(update={"budget_usd": budget})
    project = _project(library, tmp_path, settings=settings)
    job = queue.submit(project, settings)
    assert job.cost_estimate_usd == pytest.approx(5 * image + 3 * clip)
    job = await queue.run(job.id)
    assert job.status is JobStatus.PARTIAL
    assert "budget" in (job.error or "")
    assert videos(emulator) == 1 and images(emulator) == 5
    steps = library.list_steps(job.id)
    assert sum(s.status is StepStatus.SKIPPED for s in steps) == 2
    assert job.cost_spent_usd == pytest.approx(5 * image + clip)
    assert job.cost_spent_usd == pytest.approx(sum(s.cost_usd for s in steps))
    assert job.cost_spent_usd <= budget


async def test_resume_unfinished_polls_stored_operations(
    library: SqliteLibrary, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    """A job a crash left RUNNING, with its clips started: the restart polls them."""
    queue = make_queue()
    job = queue.submit(_project(library, tmp_path))

    def crash_once_all_clips_started(event) -> None:
        if videos(emulator) == 3:
            raise _CrashError  # the process dies mid-render

    queue.listener = crash_once_all_clips_started
    with pytest.raises(_CrashError):
        await queue.run(job.id)
    stored = library.get_job(job.id)
    library.save_job(stored.model_copy(update={"status": JobStatus.RUNNING}))

    fresh = make_queue()  # a new process: new client, new engine
    (resumed,) = await fresh.resume_unfinished()
    assert resumed.status is JobStatus.DONE, resumed.error
    assert (images(emulator), videos(emulator)) == (5, 3)
    assert emulator.count("fetchPredictOperation") >= 3


async def test_offline_engine_is_free_and_restarts_unknown_operations(
    library: SqliteLibrary, tmp_path: Path, make_queue: QueueFactory
) -> None:
    from avpe_desktop.engines.local import local_engine

    queue = make_queue(local_engine())
    project = _project(library, tmp_path, segments=1)
    job = queue.submit(project)
    assert job.cost_estimate_usd == 0
    job = await queue.run(job.id)
    assert job.status is JobStatus.DONE and job.cost_spent_usd == 0
    (video,) = [s for s in library.list_steps(job.id) if s.kind is StepKind.VIDEO]
    # Forget the clip but keep a stale operation name, as after a restart.
    Path(video.result_path or "").unlink()
    layout = ProjectLayout.from_relative(tmp_path / "workspace", project.folder)
    library.save_step(
        video.model_copy(update={"status": StepStatus.RUNNING, "operation_name": "local-ops/gone"})
    )
    library.save_job(job.model_copy(update={"status": JobStatus.RUNNING}))
    (again,) = await make_queue(local_engine()).resume_unfinished()
    assert again.status is JobStatus.DONE
    assert (
        sha256_hex(layout.segment_video(1).read_bytes())
        == library.list_steps(job.id)[-3].result_sha256
        or layout.segment_video(1).is_file()
    )


async def test_resume_skips_a_job_cancelled_while_others_resume(
    library: SqliteLibrary, tmp_path: Path, make_queue: QueueFactory
) -> None:
    from avpe_desktop.engines.local import local_engine

    queue = make_queue(local_engine())
    project = _project(library, tmp_path, segments=1)
    first = queue.submit(project)
    second = queue.submit(project)

    def cancel_second_from_elsewhere(event) -> None:
        stored = library.get_job(second.id)
        if stored.status is not JobStatus.CANCELLED:
            library.save_job(stored.model_copy(update={"status": JobStatus.CANCELLED}))

    queue.listener = cancel_second_from_elsewhere
    resumed = await queue.resume_unfinished()
    assert [job.id for job in resumed] == [first.id]
    assert library.get_job(second.id).status is JobStatus.CANCELLED
    assert library.list_steps(second.id) == []
