"""Driving the UI the way a person does: drops, dialogs, buttons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from avpe_desktop.domain import Character, RenderSettings
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.project_document import ProjectDocument
from avpe_desktop.ui.render_queue import JobView
from avpe_desktop.ui.resources import sample_characters

WindowFactory = Callable[[], MainWindow]
"""The `open_window` fixture: opens a main window as starting the app again would."""

TINY_RENDER = RenderSettings(resolution="720p", aspect_ratio="16:9", duration=4)
"""Two segments of this take a few seconds with the offline engine."""

RENDER_TIMEOUT_MS = 120_000
"""Generous: two shared cores running other tests at the same time render far slower."""


def drop_files(widget: QWidget, paths: list[Path]) -> QDropEvent:
    """What a desktop drag of files delivers: file URLs in the mime data."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(widget.width() / 2, widget.height() / 2)
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, drop)
    return drop


def add_samples(qtbot: QtBot, window: MainWindow, count: int = 2) -> list[Character]:
    """Imports the packaged sample characters through a drop and waits for their analysis."""
    library = window.library_view
    drop_files(library, sample_characters()[:count])
    qtbot.waitUntil(
        lambda: not library.tasks.busy and len(window.ctx.library.list_characters()) == count,
        timeout=30_000,
    )
    return window.ctx.library.list_characters()


def write_project(qtbot: QtBot, window: MainWindow, segments: int = 2) -> None:
    """New video -> script by the offline engine -> project open in the timeline."""
    dialog = window.new_video()
    dialog.idea_edit.setPlainText("Floof discovers a mysterious box")
    dialog.segments_spin.setValue(segments)
    dialog.write_button.click()
    qtbot.waitUntil(lambda: window.document is not None, timeout=30_000)


def sample_project(qtbot: QtBot, window: MainWindow, segments: int = 2) -> ProjectDocument:
    """One sample character and a fresh script for it, open in the timeline."""
    add_samples(qtbot, window, count=1)
    write_project(qtbot, window, segments=segments)
    assert window.document is not None
    return window.document


def ended(job: JobView) -> bool:
    return not job.active and job.status.finished


def wait_until_ended(qtbot: QtBot, job: JobView) -> None:
    qtbot.waitUntil(lambda: ended(job), timeout=RENDER_TIMEOUT_MS)


def render_to_end(qtbot: QtBot, window: MainWindow) -> JobView:
    """Presses Render on the open project and waits for the job to end."""
    job = window.render_project()
    assert job is not None
    wait_until_ended(qtbot, job)
    return job
