"""An open project: its script, its undo history, and autosave.

Every change goes through the undo stack and then, a moment later, to disk: the library row
and the seed-shaped `content.json` in the project folder, so the folder alone can be rendered
elsewhere. Saving is debounced so typing a sentence writes once, not once per key.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from avpe_desktop.domain import Content, Project
from avpe_desktop.domain._base import utc_now
from avpe_desktop.storage.atomic import atomic_write_text
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.repository import LibraryRepository
from avpe_desktop.ui.undo_commands import ContentChange

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 800


class ProjectDocument(QObject):
    contentChanged = Signal()  # noqa: N815 (Qt naming)
    saved = Signal()

    def __init__(
        self,
        library: LibraryRepository,
        workspace: Path,
        project: Project,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self.project = project
        self.layout = ProjectLayout.from_relative(workspace, project.folder)
        self.undo_stack = QUndoStack(self)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.save)

    @property
    def content(self) -> Content:
        return self.project.content

    @property
    def dirty(self) -> bool:
        return self._autosave.isActive()

    def apply(self, after: Content, text: str, merge_key: str | None = None) -> None:
        """Records the edit (which also applies it) unless it changes nothing."""
        if after == self.content:
            return
        self.undo_stack.push(ContentChange(self, self.content, after, text, merge_key))

    def set_content(self, content: Content) -> None:
        """Called by the undo commands only; everything else goes through `apply`."""
        self.project = self.project.model_copy(
            update={"content": content, "title": content.title, "updated_at": utc_now()}
        )
        self.contentChanged.emit()
        self._autosave.start()

    def save(self) -> None:
        self._autosave.stop()
        self._library.save_project(self.project)
        atomic_write_text(self.layout.content_json, self.content.to_seed_json())
        log.info("Saved project %s", self.project.id)
        self.saved.emit()

    def flush(self) -> None:
        """Saves now if an edit is waiting; called before closing or switching projects."""
        if self.dirty:
            self.save()
