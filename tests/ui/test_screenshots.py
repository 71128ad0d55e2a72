"""Screenshots of each main screen with real content: the sample characters, a script by the
offline engine and its render.

    AVPE_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/ui/test_screenshots.py

writes them for the docs; without the variable they go to a temporary folder, so the suite
still checks every screen can be built and painted with content.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from ui_helpers import add_samples, write_project

from avpe_desktop.secrets import SecretName, set_secret
from avpe_desktop.ui.main_window import MINIMUM_SIZE, MainWindow

WINDOW = QSize(1440, 900)
SIZES = (MINIMUM_SIZE, QSize(1920, 1080))
"""The project page, queue shown, at the smallest window and at full HD."""


def _save(qtbot: QtBot, widget: QWidget, folder: Path, name: str) -> Path:
    """Lets pending layout and paint events settle first (a hidden banner frees space)."""
    qtbot.wait(100)
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path


@pytest.mark.needs_playback
def test_screenshots_of_every_main_screen(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    folder = Path(os.environ.get("AVPE_SCREENSHOTS", tmp_path)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    window.resize(WINDOW)
    shots: list[Path] = []

    characters = add_samples(qtbot, window)
    floof = next(c for c in characters if c.name == "Floof")
    window.library_view.reload(select_id=floof.id)
    qtbot.waitUntil(lambda: window.library_view.model.thumbnails.wait_idle(50), timeout=5_000)
    window.banner.hide()
    shots.append(_save(qtbot, window, folder, "library"))

    dialog = window.new_video()
    dialog.idea_edit.setPlainText("Floof discovers a mysterious box")
    dialog.segments_spin.setValue(4)
    dialog.resize(dialog.sizeHint())
    shots.append(_save(qtbot, dialog, folder, "new_video"))
    dialog.reject()
    write_project(qtbot, window, segments=4)

    job = window.render_project()
    assert job is not None
    qtbot.waitUntil(lambda: sum(p >= 1 for p in job.segment_progress) >= 1, timeout=120_000)
    window.banner.hide()
    shots.append(_save(qtbot, window, folder, "render_queue"))
    qtbot.waitUntil(lambda: not job.active and job.status.finished, timeout=120_000)

    view = window.project_view
    view.timeline.select(1)
    qtbot.waitUntil(lambda: view.timeline.thumbnails.wait_idle(50), timeout=5_000)
    from avpe_desktop.ui.playback import PreviewPlayer

    preview = view.preview
    assert isinstance(preview, PreviewPlayer)
    preview.player.play()
    qtbot.waitUntil(lambda: preview.player.position() > 1500, timeout=15_000)
    preview.player.pause()
    qtbot.wait(200)
    window.banner.hide()
    shots.append(_save(qtbot, window, folder, "timeline"))
    shots.append(_save(qtbot, preview, folder, "preview"))
    for size in SIZES:
        window.resize(size)
        qtbot.waitUntil(lambda s=size: window.size() == s)
        named = f"{size.width()}x{size.height()}"
        shots.append(_save(qtbot, window, folder, f"timeline_{named}"))
        window.show_library()
        shots.append(_save(qtbot, window, folder, f"library_{named}"))
        window.show_project()
    window.resize(WINDOW)

    export = window.export_project()
    assert export is not None
    export.resize(export.sizeHint())
    shots.append(_save(qtbot, export, folder, "export"))
    export.reject()

    set_secret(SecretName.GOOGLE_API_KEY, "AIzaSyDEMO-key-for-the-screenshot-4821")
    settings = window.open_settings()
    settings.resize(settings.sizeHint())
    shots.append(_save(qtbot, settings, folder, "settings"))
    settings.reject()

    assert all(path.stat().st_size > 10_000 for path in shots)
