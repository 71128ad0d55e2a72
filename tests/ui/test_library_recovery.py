"""A library that will not open: the app offers its backups, restores one and starts normally.

    AVPE_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/ui/test_library_recovery.py

writes the dialog's screenshot for the docs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from avpe_desktop.characters import import_character
from avpe_desktop.config import AppDirs, app_dirs
from avpe_desktop.context import AppContext
from avpe_desktop.storage.backups import BackupReason, backups_folder
from avpe_desktop.storage.repository import LibraryOpenError
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.ui.library_recovery import LibraryRecoveryDialog, open_context_or_recover
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.resources import sample_characters

GARBAGE = b"\x00this library was overwritten\xff" * 200


@pytest.fixture
def damaged_library() -> Iterator[AppDirs]:
    """Backups from three days (the middle one damaged since), the newest holding two
    sample characters, then the library overwritten."""
    dirs = app_dirs()
    now = datetime.now(UTC)
    first, second = sample_characters()[:2]
    with SqliteLibrary(dirs.library_db) as library:
        import_character(library, dirs.data, first, first.stem.title())
        library.backup(BackupReason.DAILY, now=now - timedelta(days=2))
        import_character(library, dirs.data, second, second.stem.title())
        damaged = library.backup(BackupReason.DAILY, now=now - timedelta(days=1))
        library.backup()
    damaged.path.write_bytes(GARBAGE)
    dirs.library_db.write_bytes(GARBAGE)
    yield dirs


def _row(dialog: LibraryRecoveryDialog, number: int) -> QTreeWidgetItem:
    item = dialog.backups_list.topLevelItem(number)
    assert item is not None
    return item


def _problem(dirs: AppDirs) -> str:
    with pytest.raises(LibraryOpenError) as failure:
        AppContext.open(dirs)
    return str(failure.value)


@pytest.mark.usefixtures("qloop")  # the main window runs its start-up on the asyncio loop
def test_the_dialog_lists_backups_restores_the_newest_and_the_app_starts(
    qtbot: QtBot, damaged_library: AppDirs, tmp_path: Path
) -> None:
    dirs = damaged_library
    problem = _problem(dirs)
    assert "not an AVPE library" in problem
    dialog = LibraryRecoveryDialog(dirs, problem)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    rows = [_row(dialog, i) for i in range(3)]
    assert [row.text(1) for row in rows] == ["manual", "daily", "daily"]
    assert rows[0].text(2) == "2 characters, 0 projects"
    assert rows[1].text(2).startswith("damaged") and rows[1].isDisabled()
    assert rows[2].text(2) == "1 character, 0 projects"
    assert dialog.restore_newest_button.isEnabled()
    assert not dialog.restore_selected_button.isEnabled()
    folder = Path(os.environ.get("AVPE_SCREENSHOTS", tmp_path)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    qtbot.wait(100)
    assert dialog.grab().save(str(folder / "library_recovery.png"))

    dialog.restore_newest_button.click()
    assert dialog.continue_button.isVisible() and not dialog.quit_button.isVisible()
    qtbot.wait(100)
    assert dialog.grab().save(str(folder / "library_recovery_restored.png"))
    report = dialog.report_label.text()
    assert "Restored the library" in report and "damaged-" in report
    (aside,) = dirs.data.glob("library.sqlite3.damaged-*")
    assert aside.read_bytes() == GARBAGE
    dialog.continue_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted

    ctx = AppContext.open(dirs)
    window = MainWindow(ctx)
    try:
        window.show()
        qtbot.waitUntil(lambda: window.ready)
        model = window.library_view.model
        shown = [model.character_at(row) for row in range(model.rowCount())]
        names = [character.name for character in shown if character is not None]
        assert sorted(names) == sorted(p.stem.title() for p in sample_characters()[:2])
    finally:
        window.queue.interrupt()
        qtbot.waitUntil(lambda: not window.queue.running, timeout=30_000)
        window.close()
        window.deleteLater()
        ctx.close()


def test_start_up_offers_the_dialog_and_opens_the_restored_library(
    qtbot: QtBot, damaged_library: AppDirs
) -> None:
    """What `avpe-desktop` runs before its main window: the dialog is modal, driven here as
    a person would, and the context it returns holds the restored characters."""

    def restore_then_continue() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LibraryRecoveryDialog):
            QTimer.singleShot(50, restore_then_continue)
            return
        dialog.restore_newest_button.click()
        dialog.continue_button.click()

    QTimer.singleShot(0, restore_then_continue)
    ctx = open_context_or_recover(damaged_library)
    assert ctx is not None
    with ctx:
        assert len(ctx.library.list_characters()) == 2


def test_the_restored_library_names_missing_images_in_the_dialog(
    qtbot: QtBot, damaged_library: AppDirs
) -> None:
    lost = next(damaged_library.characters.rglob("image.png"))
    lost.unlink()
    dialog = LibraryRecoveryDialog(damaged_library, _problem(damaged_library))
    qtbot.addWidget(dialog)
    _row(dialog, 1).setSelected(True)  # the damaged one
    assert not dialog.restore_selected_button.isEnabled()
    _row(dialog, 0).setSelected(True)
    assert dialog.restore_selected_button.isEnabled()
    dialog.restore_selected_button.click()
    assert "1 character's image is missing:" in dialog.report_label.text()
    assert str(lost) in dialog.report_label.text()


def test_without_backups_only_quit_is_offered_and_nothing_changes(qtbot: QtBot) -> None:
    dirs = app_dirs()
    dirs.data.mkdir(parents=True)
    dirs.library_db.write_bytes(GARBAGE)

    def quit_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LibraryRecoveryDialog):
            QTimer.singleShot(50, quit_dialog)
            return
        assert not dialog.restore_newest_button.isEnabled()
        assert "no backups" in dialog.advice_label.text()
        dialog.quit_button.click()

    QTimer.singleShot(0, quit_dialog)
    assert open_context_or_recover(dirs) is None
    assert dirs.library_db.read_bytes() == GARBAGE
    assert not backups_folder(dirs.library_db).exists()
