"""Render in the queue panel, cancel, preview and export, with the offline engine."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtMultimedia import QMediaPlayer
from pytestqt.qtbot import QtBot
from ui_helpers import add_samples, write_project

from avpe_desktop.domain import JobStatus
from avpe_desktop.media.probe import probe
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.timeline import SegmentStatus

RENDER_TIMEOUT_MS = 120_000


def test_render_shows_progress_then_preview_and_export(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    add_samples(qtbot, window, count=1)
    write_project(qtbot, window, segments=2)
    document = window.document
    assert document is not None

    window.render_action.trigger()
    assert len(window.queue.jobs) == 1
    job = window.queue.jobs[0]
    card = window.queue_panel.cards[0]
    fractions: list[float] = []
    job.changed.connect(lambda: fractions.append(job.fraction))
    assert window.render_project() is None
    assert "already rendering" in window.banner.text

    qtbot.waitUntil(lambda: job.status.finished, timeout=RENDER_TIMEOUT_MS)

    assert job.status is JobStatus.DONE, job.message
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(0 < f < 1 for f in fractions)
    assert job.segment_progress == [1.0, 1.0]
    assert card.overall.value() == 1000
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    assert card.cost.text() == "Free · offline engine"
    assert not card.cancel_button.isVisible()
    assert document.layout.merged_video.exists()
    timeline = window.project_view.timeline
    assert [c.status for c in timeline.cards] == [SegmentStatus.VIDEO, SegmentStatus.VIDEO]
    assert timeline.thumbnails.key_for(document.layout.first_frame(1)) is not None

    preview = window.project_view.preview
    assert [preview.source_combo.itemText(i) for i in range(preview.source_combo.count())] == [
        "Whole video",
        "Segment 1",
        "Segment 2",
    ]
    assert preview.current_source == document.layout.merged_video
    preview.loop_button.click()
    assert preview.player.loops() == QMediaPlayer.Loops.Infinite
    with qtbot.waitSignal(preview.video.sink.videoFrameChanged, timeout=15_000):
        preview.play_button.click()
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
    qtbot.waitUntil(lambda: faded.exported is not None, timeout=60_000)
    info = probe(faded.exported)
    assert info.duration < probe(document.layout.merged_video).duration
    assert info.width == info.height


def test_cancel_stops_the_render_and_keeps_finished_files(qtbot: QtBot, window: MainWindow) -> None:
    add_samples(qtbot, window, count=1)
    write_project(qtbot, window, segments=2)
    document = window.document
    assert document is not None
    job = window.render_project()
    assert job is not None
    card = window.queue_panel.cards[0]

    qtbot.waitUntil(lambda: job.fraction > 0, timeout=RENDER_TIMEOUT_MS)
    card.cancel_button.click()
    qtbot.waitUntil(lambda: job.status.finished, timeout=10_000)

    assert job.status is JobStatus.CANCELLED
    assert card.state.text() == "Cancelled"
    assert not card.cancel_button.isVisible()
    assert document.layout.first_frame(1).exists()
    assert not window.queue.running
    assert window.render_project() is not None
