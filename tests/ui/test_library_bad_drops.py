"""Dropping the wrong things on the library: each one is named in the banner in words (a
folder, an empty file, an image renamed to another format) and the good files still go in."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pytestqt.qtbot import QtBot
from ui_helpers import drop_files, sample_characters

from avpe_desktop.ui.main_window import MainWindow


def test_a_folder_an_empty_file_and_a_renamed_gif_are_named_and_the_rest_imports(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    empty = tmp_path / "empty.png"
    empty.touch()
    gif = tmp_path / "wave.png"
    Image.new("RGB", (64, 64), (10, 200, 90)).save(gif, format="GIF")
    good = sample_characters()[0]

    drop_files(window.library_view, [folder, empty, gif, good])
    qtbot.waitUntil(
        lambda: window.banner.isVisible() and not window.library_view.tasks.busy, timeout=30_000
    )

    text = window.banner.text
    assert window.banner.kind == "error"
    assert "'holiday photos' is a folder, not an image. Choose a file inside it." in text
    assert "'empty.png' is empty (0 bytes), so it is not an image." in text
    assert "'wave.png' is a GIF image renamed .png; use a PNG, JPEG or WebP file." in text
    assert "Errno" not in text
    assert [c.name for c in window.ctx.library.list_characters()] == [good.stem.title()]
