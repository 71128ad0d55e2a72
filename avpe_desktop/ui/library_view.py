"""The character library: a grid to drop images on, search, and the details editor."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.characters import (
    CharacterError,
    analyse_character,
    clean_name,
    import_character,
    remove_character,
)
from avpe_desktop.domain import Character
from avpe_desktop.media.images import ImageRejectedError
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.character_editor import CharacterEditor
from avpe_desktop.ui.character_model import ICON_SIZE, CharacterListModel
from avpe_desktop.ui.errors import readable
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.services import Services
from avpe_desktop.ui.widgets import scrollable
from avpe_desktop.workers import run_in_thread

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp)"


class _CharacterGrid(QListView):
    """An icon grid that says what to do when the library is empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setIconSize(ICON_SIZE)
        self.setGridSize(QSize(ICON_SIZE.width() + 36, ICON_SIZE.height() + 52))
        self.setSpacing(6)
        self.setWordWrap(True)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.empty_text = ""

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(40, 40, -40, -40),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()


class LibraryView(QWidget):
    """Dropped or chosen images become characters; each is analysed right after import."""

    charactersChanged = Signal()  # noqa: N815 (Qt naming)

    EMPTY_TEXT = "Drop character images here (PNG, JPEG or WebP), or click Add."
    NO_MATCH_TEXT = "No character matches this search."

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.setAcceptDrops(True)
        self._services = services
        self._ctx = services.ctx
        self.tasks = TaskRunner(services.show_error, self)

        self.model = CharacterListModel(self._ctx.dirs.data, self)
        self.grid = _CharacterGrid()
        self.grid.setModel(self.model)
        self.grid.selectionModel().currentChanged.connect(self._current_changed)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search by name or personality")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.reload)
        self.search_edit.textChanged.connect(self._search_timer.start)

        self.add_button = QPushButton(icon("add"), "Add")
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self._choose_files)

        title = QLabel("Characters")
        title.setObjectName("title")
        self._count = QLabel()
        self._count.setObjectName("subtitle")
        # Title and count above each other, search on a line of its own: the list keeps a
        # narrow window's width for its cards and the editor beside it.
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(title)
        titles.addWidget(self._count)
        header = QHBoxLayout()
        header.addLayout(titles)
        header.addStretch(1)
        header.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)

        self.editor = CharacterEditor(self._ctx.dirs.data)
        self.editor.saveRequested.connect(self._save)
        self.editor.analyseRequested.connect(self.analyse)
        self.editor.deleteRequested.connect(self._confirm_delete)
        self.editor.invalid.connect(services.show_error)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(12)
        left_layout.addLayout(header)
        left_layout.addWidget(self.search_edit)
        left_layout.addWidget(self.grid, 1)

        editor_area = scrollable(self.editor)
        self.editor.ensurePolished()
        scroll_bar = editor_area.verticalScrollBar().sizeHint().width()
        editor_area.setMinimumWidth(self.editor.minimumSizeHint().width() + scroll_bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(editor_area)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(splitter)

    # Listing

    def reload(self, select_id: str | None = None) -> None:
        """Searching is the library's job (it also matches personality), not a proxy model's."""
        current = self.editor.character
        search = self.search_edit.text().strip()
        characters = self._ctx.library.list_characters(search)
        self.model.set_characters(characters)
        self.grid.empty_text = self.NO_MATCH_TEXT if search else self.EMPTY_TEXT
        count = len(characters)
        self._count.setText(f"{count} character{'s' if count != 1 else ''}")
        wanted = select_id or (current.id if current else None)
        row = self.model.row_of(wanted) if wanted else -1
        if row >= 0:
            self.grid.selectionModel().setCurrentIndex(
                self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        else:
            self.editor.set_character(None)
        self.grid.viewport().update()

    def _current_changed(self) -> None:
        index = self.grid.currentIndex()
        character = self.model.character_at(index.row()) if index.isValid() else None
        self.editor.set_character(character)

    # Adding

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add characters", str(Path.home()), IMAGE_FILTER
        )
        if paths:
            self.add_files([Path(p) for p in paths])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
            self._set_dropping(True)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 (Qt API)
        self._set_dropping(False)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt API)
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        self._set_dropping(False)
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    def _set_dropping(self, dropping: bool) -> None:
        """Outlines the grid while files hover over it, so a drop target is obvious."""
        self.grid.setProperty("dropping", dropping)
        self.grid.style().unpolish(self.grid)
        self.grid.style().polish(self.grid)

    def add_files(self, paths: list[Path]) -> None:
        """Each file is checked on its own: one bad file is reported and the rest go in."""
        self.tasks.start(self._import(paths))

    async def _import(self, paths: list[Path]) -> None:
        imported: list[Character] = []
        problems: list[str] = []
        for path in paths:
            try:
                name = self._unique_name(path.stem)
                character = await run_in_thread(
                    import_character, self._ctx.library, self._ctx.dirs.data, path, name
                )
            except (ImageRejectedError, CharacterError) as exc:
                problems.append(readable(exc))
                continue
            imported.append(character)
        if problems:
            self._services.show_error("\n".join(problems))
        if not imported:
            return
        self.reload(select_id=imported[-1].id)
        self.charactersChanged.emit()
        for character in imported:
            await self._analyse(character)

    def _unique_name(self, stem: str) -> str:
        """File names clash often ("character.png"); a number keeps both instead of refusing."""
        base = clean_name(stem.replace("_", " ").replace("-", " ").strip().title() or "Character")
        taken = {c.name.casefold() for c in self._ctx.library.list_characters()}
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{base} {n}", n + 1
        return name

    # Editing

    def analyse(self, character: Character) -> None:
        self.tasks.start(self._analyse(character))

    async def _analyse(self, character: Character) -> None:
        self._set_busy(character, f"Analysing {character.name}…")
        try:
            engine = self._services.engine()
            updated = await analyse_character(
                self._ctx.library, self._ctx.dirs.data, character, engine.analyst
            )
        finally:
            self._set_busy(character, None)
        self.reload()
        if self.editor.character is not None and self.editor.character.id == updated.id:
            self.editor.set_character(updated)
        self.charactersChanged.emit()

    def _set_busy(self, character: Character, message: str | None) -> None:
        if self.editor.character is not None and self.editor.character.id == character.id:
            self.editor.set_busy(message)

    def _save(self, character: Character) -> None:
        clash = [
            c
            for c in self._ctx.library.list_characters()
            if c.id != character.id and c.name.casefold() == character.name.casefold()
        ]
        if clash:
            self._services.show_error(
                f"There is already a character named '{clash[0].name}'. Pick another name."
            )
            return
        self._ctx.library.update_character(character)
        self.reload(select_id=character.id)
        self.editor.set_character(character)
        self._services.show_info(f"Saved {character.name}.")
        self.charactersChanged.emit()

    def _confirm_delete(self, character: Character) -> None:
        answer = QMessageBox.question(
            self,
            "Delete character",
            f"Delete {character.name} from the library?\n\n"
            "Projects made with this character keep their videos.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(character)

    def delete(self, character: Character) -> None:
        remove_character(self._ctx.library, self._ctx.dirs.data, character)
        self.editor.set_character(None)
        self.reload()
        self.charactersChanged.emit()
