"""When the library will not open: offer its backups instead of stopping the app.

The same restore as `avpe library restore` (avpe_desktop/storage/restore.py), so the damaged
file is kept aside and the dialog says which images or project folders the restored library
misses. Restoring copies a few MB, so it runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.config import APP_NAME, AppDirs, app_dirs
from avpe_desktop.context import AppContext
from avpe_desktop.storage.repository import LibraryError
from avpe_desktop.storage.restore import (
    BackupSummary,
    RestoreResult,
    missing_after_restore,
    restore_library,
    summarise_backups,
)
from avpe_desktop.ui.errors import Banner, readable

_COLUMNS = ("Taken", "Kind", "Holds", "Size")


def open_context_or_recover(dirs: AppDirs | None = None) -> AppContext | None:
    """The app's context; while the library will not open, the recovery dialog is offered.
    None when the creator quits."""
    dirs = dirs or app_dirs()
    while True:
        try:
            return AppContext.open(dirs)
        except LibraryError as exc:
            dialog = LibraryRecoveryDialog(dirs, readable(exc))
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            # Deleted by Qt's loop, not by Python dropping the wrapper mid-teardown: a direct
            # delete of a dialog that ran its own modal loop crashed the process at exit.
            dialog.deleteLater()
            if not accepted:
                return None
        except OSError as exc:
            QMessageBox.critical(
                None, APP_NAME, f"The library cannot be opened.\n\n{readable(exc)}"
            )
            return None


class LibraryRecoveryDialog(QDialog):
    """Lists the backups newest first; "Restore newest", "Restore selected" or "Quit". After a
    restore it shows what was done and what is missing, and "Continue" starts the app."""

    def __init__(self, dirs: AppDirs, problem: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dirs = dirs
        self.result_of_restore: RestoreResult | None = None
        self.setWindowTitle(f"{APP_NAME} — the library cannot be opened")
        self.summaries = summarise_backups(dirs.library_db)

        self.heading = QLabel("<b>The library cannot be opened.</b>")
        self.problem_label = _wrapped(problem)
        self.advice_label = _wrapped(self._advice())
        self.backups_list = QTreeWidget()
        self.backups_list.setHeaderLabels(_COLUMNS)
        self.backups_list.setRootIsDecorated(False)
        for summary in self.summaries:
            self.backups_list.addTopLevelItem(_item(summary))
        for column in range(len(_COLUMNS)):
            self.backups_list.resizeColumnToContents(column)
        self.backups_list.setVisible(bool(self.summaries))
        self.report_label = _wrapped("")
        self.report_label.hide()
        self.banner = Banner()

        self.restore_newest_button = QPushButton("Restore newest")
        self.restore_newest_button.setDefault(True)
        self.restore_newest_button.setEnabled(any(s.usable for s in self.summaries))
        self.restore_newest_button.clicked.connect(lambda: self.restore(None))
        self.restore_selected_button = QPushButton("Restore selected")
        self.restore_selected_button.setEnabled(False)
        self.restore_selected_button.clicked.connect(self._restore_selected)
        self.quit_button = QPushButton("Quit")
        self.quit_button.clicked.connect(self.reject)
        self.continue_button = QPushButton("Continue")
        self.continue_button.clicked.connect(self.accept)
        self.continue_button.hide()
        self.backups_list.itemSelectionChanged.connect(self._selection_changed)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (
            self.restore_newest_button,
            self.restore_selected_button,
            self.quit_button,
            self.continue_button,
        ):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (
            self.heading,
            self.problem_label,
            self.advice_label,
            self.backups_list,
            self.report_label,
            self.banner,
        ):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.resize(760, 360 if self.summaries else 200)

    def restore(self, name: str | None) -> RestoreResult | None:
        """Restores and shows the outcome; a refusal (the library open elsewhere, a backup
        that fails its check) is shown in the dialog and nothing changes."""
        try:
            result = restore_library(self.dirs.library_db, name)
            missing = missing_after_restore(self.dirs)
        except (LibraryError, OSError) as exc:
            self.banner.show_error(readable(exc))
            return None
        self.result_of_restore = result
        self.heading.setText("<b>The library was restored.</b>")
        self.banner.hide()
        self.report_label.setText("\n\n".join([result.describe(), *missing]))
        self.report_label.show()
        self.backups_list.setEnabled(False)
        for button in (
            self.restore_newest_button,
            self.restore_selected_button,
            self.quit_button,
        ):
            button.hide()
        self.continue_button.show()
        self.continue_button.setDefault(True)
        self.continue_button.setFocus()
        return result

    def _advice(self) -> str:
        if not self.summaries:
            return (
                "There are no backups of the library yet, so there is nothing to restore. "
                f"The file is {self.dirs.library_db}; it has not been changed."
            )
        return (
            "Backups of the library are kept in "
            f"{self.dirs.library_db.parent / 'backups'}. Restoring one keeps the current "
            "file aside (renamed, never deleted), so nothing is lost."
        )

    def _selected(self) -> BackupSummary | None:
        items = self.backups_list.selectedItems()
        if not items:
            return None
        return self.summaries[self.backups_list.indexOfTopLevelItem(items[0])]

    def _selection_changed(self) -> None:
        selected = self._selected()
        self.restore_selected_button.setEnabled(selected is not None and selected.usable)

    def _restore_selected(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.restore(selected.backup.name)


def _item(summary: BackupSummary) -> QTreeWidgetItem:
    backup = summary.backup
    item = QTreeWidgetItem(
        [
            backup.local_time().strftime("%Y-%m-%d %H:%M"),
            backup.reason.value.replace("-", " "),
            summary.contents(),
            summary.size_text(),
        ]
    )
    item.setToolTip(0, backup.name)
    if not summary.usable:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
    return item


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
