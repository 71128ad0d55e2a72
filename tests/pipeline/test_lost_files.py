"""A paused Google render whose project folder (or only its `.steps/`) was deleted finishes on
resume: what the library holds is rebuilt for free, lost keyframes are painted again, a clip
whose Veo operation is recorded is fetched again instead of paid again, and nothing still
valid is paid twice. The price of what is redone is known before anything is paid."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_helpers import KEY, google_on, images, make_project, paid, videos

from avpe_desktop.cli import main
from avpe_desktop.context import AppContext
from avpe_desktop.domain import Job, JobStatus, Step, StepKind, StepStatus
from avpe_desktop.engines.registry import BASE_URL_ENV
from avpe_desktop.pipeline.costs import prices
from avpe_desktop.pipeline.progress import ProgressEvent, Stage
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.repository import LibraryRepository
from avpe_desktop.testing.emulator import Emulator

QueueFactory = Callable[..., RenderQueue]
SEGMENTS = 3
IMAGES, CLIPS = SEGMENTS + 2, SEGMENTS  # keyframes n + 1 and the thumbnail; a clip a segment


async def _pause(make: Callable[[], RenderQueue], emulator: Emulator, job_id: str) -> Job:
    """Leaves the job paused (QUEUED, as quitting the app does) with clip 1 ready and later
    keyframes and clips still to make. First run: paused after keyframe 2 while clip 1 is
    rendering (its operation recorded). Second run, with clip 1 rendered and slow keyframes:
    paused the moment clip 1 is fetched, while keyframe 3 is being painted."""
    emulator.polls_to_finish = 10**9
    emulator.slow("generateContent", 0.3)
    emulator.slow("predictLongRunning", 1.0)
    first = make()

    def pause_after_keyframe_2(event: ProgressEvent) -> None:
        if event.stage is Stage.KEYFRAME and event.segment == 2:
            first.interrupt()

    first.listener = pause_after_keyframe_2
    assert (await first.run(job_id)).status is JobStatus.QUEUED
    emulator.clear_faults()
    emulator.wait_for_renders()
    emulator.polls_to_finish = 1
    emulator.slow("generateContent", 2.0)
    second = make()

    def pause_after_clip_1(event: ProgressEvent) -> None:
        if event.stage is Stage.VIDEO and event.segment == 1 and "ready" in event.message:
            second.interrupt()

    second.listener = pause_after_clip_1
    stopped = await second.run(job_id)
    emulator.clear_faults()
    assert stopped.status is JobStatus.QUEUED
    assert images(emulator) < IMAGES
    return stopped


def _clips(library: LibraryRepository, job_id: str) -> list[Step]:
    return [s for s in library.list_steps(job_id) if s.kind is StepKind.VIDEO]


def _clip(library: LibraryRepository, job_id: str, segment: int) -> Step:
    (step,) = [s for s in _clips(library, job_id) if s.segment == segment]
    return step


def _done_keyframes(library: LibraryRepository, job_id: str) -> int:
    steps = library.list_steps(job_id)
    return sum(1 for s in steps if s.kind is StepKind.KEYFRAME and s.status is StepStatus.DONE)


async def _submit_and_pause(
    library: LibraryRepository, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> tuple[Job, Step]:
    project = make_project(library, tmp_path / "lib", tmp_path / "workspace", SEGMENTS)
    job = await _pause(make_queue, emulator, make_queue().submit(project).id)
    clip = _clip(library, job.id, 1)
    assert clip.status is StepStatus.DONE and clip.operation_name
    return job, clip


async def test_a_deleted_project_folder_repaints_keyframes_and_fetches_recorded_clips(
    library: LibraryRepository, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    job, _clip1 = await _submit_and_pause(library, tmp_path, emulator, make_queue)
    painted, started = images(emulator), videos(emulator)
    lost_keyframes = _done_keyframes(library, job.id)
    ready = {s.segment or 0: s for s in _clips(library, job.id) if s.status is StepStatus.DONE}
    layout = make_queue().layout(library.get_project(job.project_id))
    shutil.rmtree(layout.root)

    fresh = make_queue()  # the next start: a new engine on the same emulator
    plan = fresh.redo_plan(job.id)
    table = prices(fresh.engine(), job.settings)
    assert plan.rebuilt == ("the character image", "content.json")
    assert [s.kind for s in plan.lost].count(StepKind.KEYFRAME) == lost_keyframes
    assert {s.segment for s in plan.lost if s.kind is StepKind.VIDEO} == set(ready)
    # The ready clips' operations are recorded: fetching them again is free.
    assert plan.cost_usd == pytest.approx(lost_keyframes * table.per_image)
    assert plan.at_most_usd >= plan.cost_usd + len(ready) * table.video(4)
    assert any("fetched again from Google for free" in line for line in plan.describe())
    mark = len(emulator.requests())

    (done,) = await fresh.resume_unfinished()

    assert done.status is JobStatus.DONE, done.error
    assert layout.merged_video.is_file() and layout.content_json.is_file()
    # The lost keyframes were painted once more, besides those never painted before...
    assert images(emulator, mark) == lost_keyframes + IMAGES - painted
    # ...and came out the same, so no clip already started was started again: the ready
    # ones were fetched by their recorded operations, at no cost.
    assert videos(emulator, mark) == CLIPS - started
    assert len({body for route, body in paid(emulator) if route == "predictLongRunning"}) == CLIPS
    for segment, before in ready.items():
        after = _clip(library, job.id, segment)
        assert after.status is StepStatus.DONE
        assert (after.operation_name, after.cost_usd) == (before.operation_name, before.cost_usd)
    polls = [r for r in emulator.requests()[mark:] if r.route == "fetchPredictOperation"]
    assert len(polls) >= len(ready) + CLIPS - started  # each clip fetched at least once
    # Resuming again finds everything in place: nothing more to make.
    assert fresh.redo_plan(job.id).anything is False


async def test_a_deleted_steps_folder_pays_for_nothing_again(
    library: LibraryRepository, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    job, _clip1 = await _submit_and_pause(library, tmp_path, emulator, make_queue)
    painted, started = images(emulator), videos(emulator)
    layout = make_queue().layout(library.get_project(job.project_id))
    shutil.rmtree(layout.steps_dir)

    fresh = make_queue()
    plan = fresh.redo_plan(job.id)
    assert plan.lost == () and plan.rebuilt == ("the character image",)
    assert plan.needs_consent is False
    (done,) = await fresh.resume_unfinished()

    assert done.status is JobStatus.DONE, done.error
    assert (images(emulator), videos(emulator)) == (IMAGES, CLIPS)  # each paid for once
    assert painted < IMAGES and started < CLIPS  # some of them after the resume
    assert len(set(paid(emulator))) == len(paid(emulator))  # no request paid twice


async def test_a_clip_google_no_longer_holds_is_made_again_once(
    library: LibraryRepository, tmp_path: Path, emulator: Emulator, make_queue: QueueFactory
) -> None:
    job, clip = await _submit_and_pause(library, tmp_path, emulator, make_queue)
    started = videos(emulator)
    shutil.rmtree(make_queue().layout(library.get_project(job.project_id)).root)
    emulator.expire_operations()
    fresh = make_queue()
    plan = fresh.redo_plan(job.id)
    mark = len(emulator.requests())

    (done,) = await fresh.resume_unfinished()

    assert done.status is JobStatus.DONE, done.error
    # Every clip started before the pause is started again (Google forgot them all), once.
    assert videos(emulator, mark) == CLIPS
    again = _clip(library, job.id, 1)
    assert again.operation_name != clip.operation_name
    assert again.cost_usd == pytest.approx(2 * clip.cost_usd)  # paid twice, and said so:
    assert plan.at_most_usd >= plan.cost_usd + clip.cost_usd
    assert started >= 1


def test_the_cli_shows_the_cost_and_pays_again_only_with_yes(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with AppContext.open() as ctx:

        def make() -> RenderQueue:
            engine = google_on(emulator.base_url)
            return RenderQueue(ctx.library, ctx.workspace, ctx.dirs.data, lambda _name: engine)

        project = make_project(ctx.library, ctx.dirs.data, ctx.workspace, SEGMENTS)
        job = asyncio.run(_pause(make, emulator, make().submit(project).id))
        shutil.rmtree(make().layout(project).root)
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    monkeypatch.setenv(BASE_URL_ENV, emulator.base_url)
    mark = len(emulator.requests())

    assert main(["--engine", "google", "jobs", "resume"]) == 1
    err = capsys.readouterr().err
    assert "Files of this job are gone:" in err and "to paint again" in err
    assert "cost: about $" in err and "add --yes" in err and "nothing was paid" in err
    assert paid(emulator, mark) == []
    with AppContext.open() as ctx:
        assert ctx.library.get_job(job.id).status is JobStatus.QUEUED

    assert main(["--engine", "google", "jobs", "resume", "--yes"]) == 0, capsys.readouterr().err
    with AppContext.open() as ctx:
        assert ctx.library.get_job(job.id).status is JobStatus.DONE
