"""The preview follows the open project: switching to one with nothing rendered shows no
length and no position of the last one's video."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from ui_helpers import RENDER_TIMEOUT_MS, render_to_end, sample_project, write_project

from avpe_desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.needs_playback


def test_the_preview_resets_when_another_project_opens(qtbot: QtBot, window: MainWindow) -> None:
    from avpe_desktop.ui.playback import PreviewPlayer

    rendered = sample_project(qtbot, window, segments=2)
    project = rendered.project
    render_to_end(qtbot, window)
    preview = window.project_view.preview
    assert isinstance(preview, PreviewPlayer)
    qtbot.waitUntil(lambda: preview.time_label.text() == "0:00 / 0:08", timeout=15_000)
    assert preview.slider.maximum() == 8_000

    write_project(qtbot, window, segments=2)
    qtbot.waitUntil(lambda: window.document is not rendered, timeout=RENDER_TIMEOUT_MS)

    assert preview.time_label.text() == "0:00 / 0:00"
    assert preview.slider.maximum() == 0
    assert preview.source_combo.count() == 0 and not preview.play_button.isEnabled()

    window.open_project(project)

    qtbot.waitUntil(lambda: preview.time_label.text() == "0:00 / 0:08", timeout=15_000)
