"""Quit always quits: whatever the renders are doing when the creator confirms, the window
closes within seconds and every unfinished job is left for the next start to resume.

The "Quit now?" question is answered by a stand-in for `QMessageBox.question` that keeps Qt's
events flowing while it is "open" (as the real modal dialog's own loop does), so a render can
end behind it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from ui_helpers import RENDER_TIMEOUT_MS, WindowFactory, ended, sample_project, write_project

from avpe_desktop.context import AppContext
from avpe_desktop.domain import JobStatus
from avpe_desktop.ui.main_window import QUIT_ABANDON_MS, QUIT_PAUSE_MS, MainWindow
from avpe_desktop.ui.render_queue import JobView

CLOSED_SOON_MS = QUIT_PAUSE_MS + QUIT_ABANDON_MS + 2_000
"""The window's own deadlines plus slack for a loaded machine: a guard, not a timing."""


def answer_yes_once(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, while_open: Callable[[], bool]
) -> list[str]:
    """Answers Yes once `while_open` holds, spinning Qt's events until then; returns the
    questions asked."""
    asked: list[str] = []

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        qtbot.waitUntil(while_open, timeout=RENDER_TIMEOUT_MS)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def rendering(qtbot: QtBot, open_window: WindowFactory) -> tuple[MainWindow, JobView]:
    """A window rendering a two-segment project, past its start."""
    window = open_window()
    sample_project(qtbot, window, segments=2)
    job = window.render_project()
    assert job is not None
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=RENDER_TIMEOUT_MS)
    return window, job


def resumes_and_finishes(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext, job_id: str
) -> None:
    """Starting the app again resumes the job left in the queue, and it finishes."""
    resumed = open_window().queue.view(job_id)
    assert resumed is not None and resumed.active
    qtbot.waitUntil(lambda: ended(resumed), timeout=RENDER_TIMEOUT_MS)
    assert ctx.library.get_job(job_id).status is JobStatus.DONE


def test_a_render_that_ends_while_the_quit_question_is_open_lets_the_window_quit(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, job = rendering(qtbot, open_window)
    asked = answer_yes_once(qtbot, monkeypatch, lambda: ended(job))

    window.close()

    assert asked, "a running render asks before quitting"
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=CLOSED_SOON_MS)
    assert ctx.library.get_job(job.id).status is JobStatus.DONE


def test_quitting_as_one_render_ends_and_the_next_starts_leaves_the_next_resumable(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    sample_project(qtbot, window, segments=2)
    first = window.render_project()
    assert first is not None
    write_project(qtbot, window, segments=4)  # returns at once: a project is already open
    qtbot.waitUntil(
        lambda: window.document is not None and window.document.project.id != first.project_id,
        timeout=RENDER_TIMEOUT_MS,
    )
    second = window.render_project()
    assert second is not None
    answer_yes_once(qtbot, monkeypatch, lambda: ended(first) and second.status is JobStatus.RUNNING)

    window.close()

    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RENDER_TIMEOUT_MS)
    assert ctx.library.get_job(first.id).status is JobStatus.DONE
    assert ctx.library.get_job(second.id).status is JobStatus.QUEUED

    resumes_and_finishes(qtbot, open_window, ctx, second.id)


def test_quit_again_while_pausing_stops_the_renders_and_quits(
    qtbot: QtBot, open_window: WindowFactory, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, job = rendering(qtbot, open_window)
    answer_yes_once(qtbot, monkeypatch, lambda: True)

    window.close()
    assert window.isVisible() and "Pausing the renders" in window.banner.text
    window.close()

    qtbot.waitUntil(lambda: not window.isVisible(), timeout=CLOSED_SOON_MS)
    assert ctx.library.get_job(job.id).status is JobStatus.QUEUED

    resumes_and_finishes(qtbot, open_window, ctx, job.id)
