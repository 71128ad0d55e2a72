"""Renders another process runs show in the queue panel as they happen: a real `avpe render`
on the offline engine, in a child process sharing the window's AVPE_HOME."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from avpe_desktop.characters import import_character
from avpe_desktop.context import AppContext
from avpe_desktop.domain import JobStatus
from avpe_desktop.domain._base import utc_now
from avpe_desktop.testing.sample_script import garden_script
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.queue_panel import JobCard
from avpe_desktop.ui.render_queue import JobView
from avpe_desktop.ui.resources import sample_characters

START_TIMEOUT_MS = 60_000
"""The child process imports the app before it writes its job."""
SHOWN_WITHIN_SECONDS = 2.0


@pytest.fixture
def command_line_render(ctx: AppContext, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """`avpe render` of a two-segment script with 4 s clips, as someone would type it."""
    import_character(ctx.library, ctx.dirs.data, sample_characters()[0], "Floof")
    script = tmp_path / "script.json"
    script.write_text(garden_script(2).to_seed_json(), encoding="utf-8")
    command = [sys.executable, "-m", "avpe_desktop.cli", "--engine", "local", "render"]
    options = ["--character", "Floof", "--duration", "4", "--resolution", "720p"]
    render = subprocess.Popen(
        [*command, str(script), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its encoders and workers go with it in `kill_render`
    )
    yield render
    if render.poll() is None:
        kill_render(render)
    render.communicate()


def kill_render(render: subprocess.Popen[str]) -> None:
    """The whole process group: its encoder children would keep the output pipes open."""
    os.killpg(render.pid, signal.SIGKILL)
    render.wait()


def first_job_shown(qtbot: QtBot, window: MainWindow) -> tuple[JobView, JobCard]:
    """Waits for the child's job in the panel, and checks it came within 2 s of being saved."""
    qtbot.waitUntil(lambda: bool(window.queue.jobs), timeout=START_TIMEOUT_MS)
    shown = utc_now()
    view = window.queue.jobs[0]
    saved = window.ctx.library.get_job(view.id).created_at
    assert (shown - saved).total_seconds() < SHOWN_WITHIN_SECONDS
    window.queue_dock.show()
    card = window.queue_panel.card(view)
    qtbot.waitUntil(card.isVisible)
    return view, card


def test_a_command_line_render_shows_its_progress_and_cancel_stops_it(
    qtbot: QtBot,
    window: MainWindow,
    ctx: AppContext,
    command_line_render: subprocess.Popen[str],
) -> None:
    view, card = first_job_shown(qtbot, window)
    qtbot.waitUntil(lambda: view.elsewhere, timeout=5_000)
    assert card.state.text() == "Rendering elsewhere"
    qtbot.waitUntil(lambda: any(bar.value() > 0 for bar in card.segment_bars), timeout=30_000)
    assert card.step.text().startswith("Running in another window or on the command line")
    assert card.eta.text().startswith("about ")
    assert card.cancel_button.isVisible()
    assert not card.resume_button.isVisible() and not card.retry_button.isVisible()

    window.queue.retry(view)  # as if its button were still showing from before it started
    assert "running in another window or on the command line" in window.banner.text
    assert not view.active and not window.queue.running

    card.cancel_button.click()
    assert card.state.text() == "Stopping"
    assert not card.cancel_button.isVisible()
    _out, err = command_line_render.communicate(timeout=60)

    assert command_line_render.returncode == 1, err
    assert f"job {view.id[:8]} cancelled: Cancelled; finished results were kept." in err
    assert ctx.library.get_job(view.id).status is JobStatus.CANCELLED
    qtbot.waitUntil(lambda: card.state.text() == "Cancelled", timeout=5_000)
    assert card.retry_button.isVisible() and card.retry_button.text() == "Continue"


def test_a_render_finished_on_the_command_line_shows_done_and_opens_its_folder(
    qtbot: QtBot,
    window: MainWindow,
    command_line_render: subprocess.Popen[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view, card = first_job_shown(qtbot, window)
    _out, err = command_line_render.communicate(timeout=120)
    assert command_line_render.returncode == 0, err

    qtbot.waitUntil(lambda: card.state.text() == "Done", timeout=5_000)
    assert [bar.value() for bar in card.segment_bars] == [100, 100]
    assert card.step.text() == "2 of 2 segments rendered; merged video ready"
    assert not view.elsewhere and not card.cancel_button.isVisible()
    opened: list[QUrl] = []  # the desktop's file manager, which offscreen Qt cannot open
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    card.folder_button.click()
    [url] = opened
    folder = Path(url.toLocalFile())
    assert folder == window.queue.layout(view).root
    assert any(folder.glob("*_complete.mp4"))


def test_a_render_whose_process_died_can_be_resumed_here(
    qtbot: QtBot,
    window: MainWindow,
    command_line_render: subprocess.Popen[str],
) -> None:
    """A killed process leaves its job RUNNING and writes nothing more; the panel notices
    the process is gone and offers Resume."""
    view, card = first_job_shown(qtbot, window)
    qtbot.waitUntil(lambda: view.elsewhere, timeout=5_000)
    kill_render(command_line_render)

    qtbot.waitUntil(lambda: card.state.text() == "Interrupted", timeout=5_000)
    assert view.status is JobStatus.RUNNING and not view.elsewhere
    assert card.resume_button.isVisible() and not card.cancel_button.isVisible()
