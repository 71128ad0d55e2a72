"""Rendering through the persistent queue from the GUI, with the offline engine: progress in
the panel and on the timeline, cancel and continue, resume after a crash or a quit, and the
jobs of an earlier session; then preview and export of the result.

Qt Multimedia is imported only by the test that plays: where it cannot load, that test is
skipped and the others run, as the app itself does without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from ui_helpers import (
    RENDER_TIMEOUT_MS,
    TINY_RENDER,
    WindowFactory,
    render_to_end,
    sample_project,
    wait_until_ended,
)

from avpe_desktop.context import AppContext
from avpe_desktop.domain import JobStatus, StepKind, StepStatus
from avpe_desktop.engines.local import local_engine
from avpe_desktop.media.probe import probe
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.render_questions import RENDER_AGAIN, answer_button
from avpe_desktop.ui.render_queue import JobView
from avpe_desktop.ui.timeline import SegmentStatus


def timeline_statuses(window: MainWindow) -> list[SegmentStatus]:
    return [card.status for card in window.project_view.timeline.cards]


def test_render_shows_progress_then_export(
    qtbot: QtBot, window: MainWindow, ctx: AppContext, tmp_path: Path
) -> None:
    document = sample_project(qtbot, window, segments=2)

    window.render_action.trigger()
    assert len(window.queue.jobs) == 1
    job = window.queue.jobs[0]
    assert ctx.library.get_job(job.id).project_id == document.project.id
    card = window.queue_panel.card(job)
    fractions: list[float] = []
    seen_on_timeline: set[SegmentStatus] = set()

    def changed(view: JobView) -> None:
        if view is job:
            fractions.append(job.fraction)
            seen_on_timeline.update(timeline_statuses(window))

    window.queue.jobChanged.connect(changed)
    assert window.render_project() is None
    assert "already rendering" in window.banner.text

    wait_until_ended(qtbot, job)

    assert job.status is JobStatus.DONE, job.message
    assert ctx.library.get_job(job.id).status is JobStatus.DONE
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(0 < f < 1 for f in fractions)
    assert SegmentStatus.FRAMES in seen_on_timeline  # keyframes showed up before the clips
    assert job.segment_progress == [1.0, 1.0]
    assert card.state.text() == "Done"
    assert card.overall.value() == 1000
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    assert card.cost.text().startswith("Free · offline engine")
    assert not card.cancel_button.isVisible()
    assert not card.retry_button.isVisible() and not card.resume_button.isVisible()
    assert document.layout.merged_video.exists()
    timeline = window.project_view.timeline
    assert timeline_statuses(window) == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]
    assert timeline.thumbnails.key_for(document.layout.first_frame(1)) is not None

    dialog = window.export_project()
    assert dialog is not None
    copy = tmp_path / "exports" / "floof"
    dialog.destination_edit.setText(str(copy))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.exported is not None, timeout=30_000)
    assert dialog.exported == copy.with_suffix(".mp4")
    assert dialog.exported.read_bytes() == document.layout.merged_video.read_bytes()
    assert "Exported to" in window.banner.text

    faded = window.export_project()
    assert faded is not None
    faded.crossfade_spin.setValue(0.5)
    faded.aspect_combo.setCurrentText("1:1")
    assert faded.mode_combo.isEnabled()
    faded.destination_edit.setText(str(tmp_path / "faded.mp4"))
    faded.export_button.click()
    qtbot.waitUntil(lambda: faded.exported is not None, timeout=RENDER_TIMEOUT_MS)
    info = probe(faded.exported)
    assert info.duration < probe(document.layout.merged_video).duration
    assert info.size == (1080, 1080)


@pytest.mark.needs_playback
def test_the_rendered_video_plays_in_the_preview(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtMultimedia import QMediaPlayer

    from avpe_desktop.ui.playback import PreviewPlayer

    document = sample_project(qtbot, window, segments=2)
    render_to_end(qtbot, window)

    preview = window.project_view.preview
    assert isinstance(preview, PreviewPlayer)
    assert [preview.source_combo.itemText(i) for i in range(preview.source_combo.count())] == [
        "Whole video",
        "Segment 1",
        "Segment 2",
    ]
    assert preview.current_source == document.layout.merged_video
    preview.loop_button.click()
    assert preview.player.loops() == QMediaPlayer.Loops.Infinite
    preview.play_button.click()
    qtbot.waitUntil(lambda: not preview.video.frame.isNull(), timeout=15_000)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    assert preview.video.frame.width() == 1280
    qtbot.waitUntil(lambda: preview.player.duration() > 0, timeout=15_000)
    assert preview.player.mediaStatus() in (
        QMediaPlayer.MediaStatus.LoadedMedia,
        QMediaPlayer.MediaStatus.BufferingMedia,
        QMediaPlayer.MediaStatus.BufferedMedia,
    )
    assert abs(preview.player.duration() - 8000) < 500
    preview.play_segment(2)
    qtbot.waitUntil(lambda: preview.current_source == document.layout.segment_video(2))
    preview.player.stop()


def test_cancel_then_continue_finishes_without_paying_twice(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    document = sample_project(qtbot, window, segments=2)
    job = window.render_project()
    assert job is not None
    card = window.queue_panel.card(job)

    qtbot.waitUntil(lambda: job.fraction > 0, timeout=RENDER_TIMEOUT_MS)
    card.cancel_button.click()
    wait_until_ended(qtbot, job)

    assert ctx.library.get_job(job.id).status is JobStatus.CANCELLED
    assert card.state.text() == "Cancelled"
    assert not card.cancel_button.isVisible()
    assert card.retry_button.isVisible() and card.retry_button.text() == "Continue"
    assert document.layout.first_frame(1).exists()
    assert not window.queue.running

    card.retry_button.click()
    assert job.active and not card.retry_button.isVisible()
    wait_until_ended(qtbot, job)

    assert job.status is JobStatus.DONE, job.message
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    assert card.state.text() == "Done"
    steps = ctx.library.list_steps(job.id)
    assert all(step.status is StepStatus.DONE for step in steps)
    assert all(step.attempts <= 1 for step in steps)  # what was done before the cancel was reused
    assert timeline_statuses(window) == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]
    assert document.layout.merged_video.exists()


def test_a_render_a_crash_left_running_is_resumed_at_start_up(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext
) -> None:
    first = open_window()
    project = sample_project(qtbot, first, segments=2).project
    first.close()
    # The app was rendering when it died: the job is saved RUNNING, and nobody runs it.
    core = RenderQueue(ctx.library, ctx.workspace, ctx.dirs.data, lambda _name: local_engine())
    crashed = core.submit(project, TINY_RENDER)
    ctx.library.save_job(crashed.model_copy(update={"status": JobStatus.RUNNING}))

    again = open_window()

    job = again.queue.view(crashed.id)
    assert job is not None
    assert "Resuming 1 render" in again.banner.text
    assert again.queue_dock.isVisible()
    card = again.queue_panel.card(job)
    assert job.active and card.cancel_button.isVisible() and not card.resume_button.isVisible()
    wait_until_ended(qtbot, job)

    assert ctx.library.get_job(crashed.id).status is JobStatus.DONE, job.message
    assert card.state.text() == "Done"
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    assert again.document is not None and again.document.project.id == project.id
    assert timeline_statuses(again) == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]


def test_the_panel_lists_earlier_sessions_jobs_newest_first(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext
) -> None:
    first = open_window()
    sample_project(qtbot, first, segments=2)
    older = render_to_end(qtbot, first)
    assert first.render_project() is None  # nothing changed: it asks first
    assert first.question is not None
    answer_button(first.question, RENDER_AGAIN).click()
    newer = first.queue.jobs[0]
    wait_until_ended(qtbot, newer)  # every step is reused
    assert newer.status is JobStatus.DONE
    videos = [s for s in ctx.library.list_steps(newer.id) if s.kind is StepKind.VIDEO]
    assert videos and all(step.cost_usd == 0 and step.attempts == 0 for step in videos)
    folder = first.queue.layout(newer).root
    first.close()

    again = open_window()

    assert [card.view.id for card in again.queue_panel.cards] == [newer.id, older.id]
    card = again.queue_panel.cards[0]
    qtbot.waitUntil(card.isVisible)  # cards added to a shown list are shown on the next pass
    assert card.title.text() == older.title
    assert card.state.text() == "Done"
    assert card.step.text() == "2 of 2 segments rendered; merged video ready"
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    assert card.cost.text().startswith("Free · offline engine")
    assert not any(
        b.isVisible() for b in (card.cancel_button, card.retry_button, card.resume_button)
    )
    assert card.folder_button.isVisible()
    assert again.queue.layout(card.view).root == folder
    assert timeline_statuses(again) == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]


def test_a_partly_done_job_shows_its_failed_segment_and_retries_it(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext
) -> None:
    first = open_window()
    sample_project(qtbot, first, segments=2)
    rendered = render_to_end(qtbot, first)
    first.close()
    # As if segment 2's clip had failed: the step and the job say so.
    clip = next(
        s
        for s in ctx.library.list_steps(rendered.id)
        if s.kind is StepKind.VIDEO and s.segment == 2
    )
    ctx.library.save_step(
        clip.model_copy(update={"status": StepStatus.FAILED, "error": "the clip came back empty"})
    )
    job = ctx.library.get_job(rendered.id)
    ctx.library.save_job(
        job.model_copy(
            update={"status": JobStatus.PARTIAL, "error": "Segment 2: the clip came back empty"}
        )
    )

    again = open_window()

    card = again.queue_panel.cards[0]
    assert card.state.text() == "1 segment failed"
    assert card.step.text() == "Segment 2: the clip came back empty"
    assert [bar.objectName() for bar in card.segment_bars] == ["segmentDone", "segmentFailed"]
    assert timeline_statuses(again) == [SegmentStatus.VIDEO, SegmentStatus.FAILED]
    assert card.retry_button.text() == "Retry failed segments"
    qtbot.waitUntil(card.retry_button.isVisible)

    card.retry_button.click()
    wait_until_ended(qtbot, card.view)

    assert ctx.library.get_job(rendered.id).status is JobStatus.DONE
    assert card.state.text() == "Done"
    assert [bar.objectName() for bar in card.segment_bars] == ["segmentDone", "segmentDone"]
    assert timeline_statuses(again) == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]


def test_quitting_during_a_render_pauses_it_and_the_next_start_finishes_it(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_window()
    sample_project(qtbot, first, segments=2)
    job = first.render_project()
    assert job is not None
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=RENDER_TIMEOUT_MS)
    asked: list[str] = []

    def answer_yes(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer_yes)

    first.close()

    assert asked and "continue next time you open AVPE" in asked[0]
    assert first.isVisible()  # until the call in flight has been recorded
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=RENDER_TIMEOUT_MS)
    stored = ctx.library.get_job(job.id)
    assert stored.status is JobStatus.QUEUED, stored.error
    finished = {
        step.id: (step.attempts, step.result_sha256)
        for step in ctx.library.list_steps(job.id)
        if step.status is StepStatus.DONE
    }
    assert finished  # the opening keyframe at least

    again = open_window()

    view = again.queue.view(job.id)
    assert view is not None and view.active
    assert "Resuming 1 render" in again.banner.text
    card = again.queue_panel.card(view)
    wait_until_ended(qtbot, view)

    assert ctx.library.get_job(job.id).status is JobStatus.DONE, view.message
    assert card.state.text() == "Done"
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    steps = {step.id: step for step in ctx.library.list_steps(job.id)}
    assert all(step.status is StepStatus.DONE for step in steps.values())
    # What was finished before the quit was reused, not made again.
    assert {key: (steps[key].attempts, steps[key].result_sha256) for key in finished} == finished
    assert timeline_statuses(again) == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]
