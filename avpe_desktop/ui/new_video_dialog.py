"""New video: the brief, then the script written right here with a visible wait."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.domain import Brief, Character, Content, Format
from avpe_desktop.domain.content import MAX_SEGMENTS
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.character_editor import CREATURE_LANGUAGES
from avpe_desktop.ui.errors import readable

FORMAT_NAMES = {
    Format.DAILY_CHARACTER: "Daily character",
    Format.STORY: "Story",
    Format.MEME: "Meme",
    Format.MUSIC_VIDEO: "Music video",
}

ScriptWriterFn = Callable[[Brief, Character], Coroutine[Any, Any, Content]]


class NewVideoDialog(QDialog):
    """Stays open while the script is written, so a failure can be fixed and retried with
    the brief still filled in; `content` and `brief` hold the result once accepted."""

    def __init__(
        self,
        characters: list[Character],
        write: ScriptWriterFn,
        engine_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New video")
        self.setMinimumWidth(520)
        self._characters = characters
        self._write = write
        self._runner = TaskRunner(self._show_problem, self)
        self._runner.busyChanged.connect(self._set_writing)
        self.content: Content | None = None
        self.brief: Brief | None = None

        self.idea_edit = QPlainTextEdit()
        self.idea_edit.setPlaceholderText("Floof discovers a mysterious box")
        self.idea_edit.setFixedHeight(84)
        self.character_combo = QComboBox()
        for character in characters:
            self.character_combo.addItem(character.name, character.id)
        self.format_combo = QComboBox()
        for fmt, name in FORMAT_NAMES.items():
            self.format_combo.addItem(name, fmt.value)
        self.segments_spin = QSpinBox()
        self.segments_spin.setRange(1, MAX_SEGMENTS)
        self.segments_spin.setValue(7)
        self.dialogue_check = QCheckBox("Characters may speak")
        self.language_combo = QComboBox()
        self.language_combo.setEditable(True)
        self.language_combo.addItems(CREATURE_LANGUAGES)
        self.character_combo.currentIndexChanged.connect(self._character_chosen)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Idea", self.idea_edit)
        form.addRow("Character", self.character_combo)
        form.addRow("Format", self.format_combo)
        form.addRow("Segments", self.segments_spin)
        form.addRow("Dialogue", self.dialogue_check)
        form.addRow("Creature language", self.language_combo)

        self.status = QLabel(f"The script is written by the {engine_name} engine.")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFixedHeight(6)
        self.progress.hide()

        self.buttons = QDialogButtonBox()
        self.write_button = QPushButton("Write script")
        self.write_button.setObjectName("primary")
        self.write_button.setDefault(True)
        self.buttons.addButton(self.write_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.write_button.clicked.connect(self.start_writing)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        if not characters:
            empty = QLabel("Add a character in the library first; every video needs one.")
            empty.setObjectName("hint")
            layout.addWidget(empty)
            self.write_button.setEnabled(False)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self._character_chosen()

    def selected_character(self) -> Character | None:
        index = self.character_combo.currentIndex()
        return self._characters[index] if 0 <= index < len(self._characters) else None

    def make_brief(self) -> Brief:
        character = self.selected_character()
        if character is None:
            raise ValueError("Choose a character.")
        idea = self.idea_edit.toPlainText().strip()
        if not idea:
            raise ValueError("Write the idea first, in one sentence.")
        return Brief(
            idea=idea,
            character_name=character.name,
            creature_language=self.language_combo.currentText().strip()
            or character.details.creature_language,
            num_segments=self.segments_spin.value(),
            allow_dialogue=self.dialogue_check.isChecked(),
            format=Format(self.format_combo.currentData()),
        )

    def start_writing(self) -> None:
        character = self.selected_character()
        try:
            brief = self.make_brief()
        except ValueError as exc:
            self._show_problem(readable(exc))
            return
        assert character is not None
        self.brief = brief
        self._runner.start(self._write(brief, character), on_done=self._written)

    def reject(self) -> None:
        """Cancel also stops a script being written; nothing has been created yet."""
        self._runner.cancel_all()
        super().reject()

    def _written(self, content: Content) -> None:
        self.content = content
        self.accept()

    def _set_writing(self, writing: bool) -> None:
        self.progress.setVisible(writing)
        self.write_button.setEnabled(not writing)
        for widget in (
            self.idea_edit,
            self.character_combo,
            self.format_combo,
            self.segments_spin,
            self.dialogue_check,
            self.language_combo,
        ):
            widget.setEnabled(not writing)
        if writing:
            self._set_status("Writing the script…", problem=False)

    def _show_problem(self, message: str) -> None:
        self._set_status(message, problem=True)

    def _set_status(self, text: str, problem: bool) -> None:
        self.status.setStyleSheet("color: #ff8a8a;" if problem else "")
        self.status.setText(text)

    def _character_chosen(self) -> None:
        character = self.selected_character()
        if character is not None:
            self.language_combo.setCurrentText(character.details.creature_language)
