"""A render that loses a segment, seen in the window: the queue card says how many failed, not
"Done"; the project page says the merged video is partial and offers the retry; the preview
lists it as partial; Export asks first and names the file partial; a retry shows it is
working and what became of the segment. And "Render" on a project rendered exactly so
already asks instead of adding the same job.

Segments fail through the Google emulator on the loopback (the first clip's operation ends in
an error), so the app runs exactly as with Google."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from ui_helpers import (
    WindowFactory,
    render_to_end,
    sample_project,
    wait_until_ended,
)

from avpe_desktop.config import EngineChoice
from avpe_desktop.context import AppContext
from avpe_desktop.domain import JobStatus, StepKind
from avpe_desktop.engines.registry import BASE_URL_ENV
from avpe_desktop.media.probe import probe
from avpe_desktop.testing.emulator import Emulator
from avpe_desktop.ui.export_dialog import ExportDialog
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.render_questions import (
    EXPORT_PARTIAL,
    OPEN_VIDEO,
    RENDER_AGAIN,
    answer_button,
)
from avpe_desktop.ui.render_queue import JobView

CLIP_FAILURE = "The clip could not be rendered"


@pytest.fixture
def emulator(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The app on the Google engine, pointed at the emulator."""
    with Emulator() as emu:
        monkeypatch.setenv("GOOGLE_API_KEY", "AIza-test-key-0123456789")
        monkeypatch.setenv(BASE_URL_ENV, emu.base_url)
        ctx.settings = ctx.settings.model_copy(update={"engine": EngineChoice.GOOGLE})
        ctx.save_settings()
        yield emu


def partial_render(qtbot: QtBot, window: MainWindow, emulator: Emulator) -> JobView:
    """Three segments whose first clip fails."""
    sample_project(qtbot, window, segments=3)
    emulator.fail_operation(13, CLIP_FAILURE)
    return render_to_end(qtbot, window)


def test_a_render_that_lost_a_segment_is_labelled_partial_and_export_asks_first(
    emulator: Emulator, qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    job = partial_render(qtbot, window, emulator)

    assert job.status is JobStatus.PARTIAL
    card = window.queue_panel.card(job)
    assert card.state.text() == "1 segment failed"
    assert card.step.text().startswith("Finished with 1 failed segment (segment 1).")
    assert CLIP_FAILURE in card.step.text()
    assert [bar.objectName() for bar in card.segment_bars] == [
        "segmentFailed",
        "segmentDone",
        "segmentDone",
    ]
    notice = window.project_view.partial_notice
    assert notice.isVisible()
    assert "The merged video is partial: 2 of 3 segments." in notice.label.text()
    assert "1 failed segment" in window.banner.text
    layout = window.queue.layout(job)
    assert layout.partial_video(2, 3).is_file() and not layout.merged_video.exists()

    assert window.export_project() is None
    question = window.question
    assert question is not None and "finished without segment 1" in question.text()
    answer_button(question, EXPORT_PARTIAL).click()
    dialog = window.findChild(ExportDialog)
    assert isinstance(dialog, ExportDialog)
    assert dialog.destination_edit.text().endswith(" partial 2 of 3.mp4")
    assert "partial: 2 of 3 segments" in dialog.status.text()
    dialog.destination_edit.setText(str(tmp_path / "partial.mp4"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.exported is not None, timeout=60_000)
    assert probe(tmp_path / "partial.mp4").duration == pytest.approx(8, abs=0.3)


def test_retry_shows_it_is_working_and_what_became_of_the_segment(
    emulator: Emulator, qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    job = partial_render(qtbot, window, emulator)
    card = window.queue_panel.card(job)
    notice = window.project_view.partial_notice

    emulator.fail_operation(13, CLIP_FAILURE)
    notice.retry_button.click()

    assert job.active and card.state.text() == "Retrying"
    assert card.step.text() == "Retrying segment 1; everything else is reused"
    assert not notice.retry_button.isEnabled() and notice.retry_button.text() == "Retrying…"
    wait_until_ended(qtbot, job)
    assert card.step.text().startswith("Segment 1 failed again: Veo could not make the clip")
    assert CLIP_FAILURE in window.banner.text and window.banner.kind == "error"
    assert card.state.text() == "1 segment failed" and notice.retry_button.isEnabled()

    card.retry_button.click()
    wait_until_ended(qtbot, job)

    assert ctx.library.get_job(job.id).status is JobStatus.DONE
    assert card.state.text() == "Done" and card.step.text() == "Segment 1 rendered."
    assert "Segment 1 rendered." in window.banner.text
    assert not notice.isVisible()
    layout = window.queue.layout(job)
    assert layout.merged_video.is_file() and layout.partial_videos() == []


@pytest.mark.needs_playback
def test_the_preview_lists_a_partial_merge_as_partial(
    emulator: Emulator, qtbot: QtBot, window: MainWindow
) -> None:
    from avpe_desktop.ui.playback import PreviewPlayer

    partial_render(qtbot, window, emulator)

    preview = window.project_view.preview
    assert isinstance(preview, PreviewPlayer)
    combo = preview.source_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Partial video",
        "Segment 2",
        "Segment 3",
    ]


class _Opened(QObject):
    """Receives the URLs the app asks the desktop to open, instead of a real player."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[_Opened]:
    receiver = _Opened()
    QDesktopServices.setUrlHandler("file", receiver, "open")
    yield receiver
    QDesktopServices.unsetUrlHandler("file")


def test_render_on_a_rendered_project_asks_first(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext, opened: _Opened
) -> None:
    window = open_window()
    sample_project(qtbot, window, segments=2)
    first = render_to_end(qtbot, window)
    assert first.status is JobStatus.DONE

    assert window.render_project() is None
    question = window.question
    assert question is not None and "already rendered exactly as it is now" in question.text()
    question.button(QMessageBox.StandardButton.Cancel).click()
    assert len(window.queue.jobs) == 1

    window.render_action.trigger()
    question = window.question
    assert question is not None
    answer_button(question, OPEN_VIDEO).click()
    assert [Path(url.toLocalFile()) for url in opened.urls] == [
        window.queue.layout(first).merged_video
    ]
    assert len(window.queue.jobs) == 1

    window.render_project()
    question = window.question
    assert question is not None
    answer_button(question, RENDER_AGAIN).click()
    assert len(window.queue.jobs) == 2
    again = window.queue.jobs[0]
    wait_until_ended(qtbot, again)
    assert again.status is JobStatus.DONE
    # Re-rendering reuses every clip: none is made (or paid for) again.
    clips = [s for s in ctx.library.list_steps(again.id) if s.kind is StepKind.VIDEO]
    assert clips and all(step.attempts == 0 and step.cost_usd == 0 for step in clips)
