"""The details panel beside the library grid: what the analyst found, for the creator to edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.characters import CharacterError, clean_name
from avpe_desktop.domain import Character
from avpe_desktop.domain._base import utc_now
from avpe_desktop.domain.character import (
    DEFAULT_CREATURE_LANGUAGE,
    MEASUREMENTS,
    appearance_label,
    appearance_lines,
    appearance_value_text,
)
from avpe_desktop.ui.resources import icon

CREATURE_LANGUAGES = [
    DEFAULT_CREATURE_LANGUAGE,
    "Deep and Rumbly",
    "Chirpy and Bright",
    "Purring and Gentle",
    "Robotic Beeps and Boops",
]
"""Suggestions only: the field is free text, and the offline engine matches keywords."""

PREVIEW_SIDE = 180


def appearance_text(appearance: dict[str, Any]) -> str:
    """Headed lines in words ("Main colour: dark teal"), the way a person would jot the
    analyst's findings down; measurements are not shown."""
    return "\n".join(appearance_lines(appearance))


def parse_appearance(text: str, original: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `appearance_text`: headings map back to the original keys, untouched
    lines keep their original (possibly structured) value and the hidden measurements stay,
    so opening and saving never flattens or loses what the analyst returned."""
    keys = {appearance_label(key).casefold(): key for key in original}
    parsed = {key: value for key, value in original.items() if key in MEASUREMENTS}
    notes: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        heading, sep, value = line.partition(":")
        heading, value = heading.strip(), value.strip()
        if not sep or not heading:
            notes.append(line.strip())
            continue
        key = keys.get(heading.casefold(), heading.casefold().replace(" ", "_"))
        if key in original and appearance_value_text(original[key]) == value:
            parsed[key] = original[key]
        else:
            parsed[key] = value
    if notes:
        parsed["notes"] = " ".join(notes)
    return parsed


def _text_box(placeholder: str, lines: int) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 18)
    return box


class CharacterEditor(QWidget):
    """Edits one character; the library view decides what saving, analysing and deleting do."""

    saveRequested = Signal(object)  # noqa: N815 (Qt naming) Character with the edits
    analyseRequested = Signal(object)  # noqa: N815
    deleteRequested = Signal(object)  # noqa: N815
    invalid = Signal(str)

    def __init__(self, library_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._library_dir = library_dir
        self._character: Character | None = None

        self._preview = QLabel()
        self._preview.setFixedSize(PREVIEW_SIDE, PREVIEW_SIDE)
        self._preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._size_label = QLabel()
        self._size_label.setObjectName("hint")
        self._size_label.setWordWrap(True)

        self.name_edit = QLineEdit()
        self.language_combo = QComboBox()
        self.language_combo.setEditable(True)
        self.language_combo.addItems(CREATURE_LANGUAGES)
        self.appearance_edit = _text_box(
            "Body: round and fluffy, with short legs\nColours: soft pink with cream paws", 7
        )
        self.personality_edit = _text_box("Curious, gentle, easily startled…", 3)
        self.prompt_edit = _text_box("How a video model should draw this character", 5)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Name", self.name_edit)
        form.addRow("Creature language", self.language_combo)
        form.addRow("Appearance", self.appearance_edit)
        form.addRow("Personality", self.personality_edit)
        form.addRow("Video prompt", self.prompt_edit)

        self._busy_bar = QProgressBar()
        self._busy_bar.setRange(0, 0)
        self._busy_bar.setFixedHeight(6)
        self._busy_label = QLabel()
        self._busy_label.setObjectName("hint")

        self.analyse_button = QPushButton(icon("analyse"), "Analyse image")
        self.analyse_button.setToolTip("Fill the details in from the picture")
        self.save_button = QPushButton(icon("save"), "Save")
        self.save_button.setObjectName("primary")
        self.delete_button = QPushButton(icon("delete"), "Delete")
        self.delete_button.setObjectName("danger")
        self.analyse_button.clicked.connect(self._analyse)
        self.save_button.clicked.connect(self._save)
        self.delete_button.clicked.connect(self._delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.analyse_button)
        buttons.addWidget(self.save_button)

        header = QHBoxLayout()
        header.addWidget(self._preview)
        header_text = QVBoxLayout()
        self._title = QLabel()
        self._title.setObjectName("title")
        self._title.setWordWrap(True)
        header_text.addWidget(self._title)
        header_text.addWidget(self._size_label)
        header_text.addStretch(1)
        header_text.addWidget(self._busy_label)
        header_text.addWidget(self._busy_bar)
        header.addLayout(header_text, 1)

        self._empty = QLabel("Select a character to see and edit its details.")
        self._empty.setObjectName("hint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)

        self._content = QWidget()
        content_layout = QVBoxLayout(self._content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(12)
        content_layout.addLayout(header)
        content_layout.addLayout(form)
        content_layout.addStretch(1)
        content_layout.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addWidget(self._empty, 1)
        layout.addWidget(self._content, 1)
        self.set_character(None)
        self.set_busy(None)

    @property
    def character(self) -> Character | None:
        return self._character

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """As wide as the details need even while none is shown: the splitter beside it keeps
        that room, so selecting a character never squeezes its fields out of sight."""
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        layout = self.layout()
        if layout is not None:
            margins = layout.contentsMargins()
        details = self._content.minimumSizeHint().width() + margins.left() + margins.right()
        return QSize(max(hint.width(), details), hint.height())

    def set_character(self, character: Character | None) -> None:
        self._character = character
        self._empty.setVisible(character is None)
        self._content.setVisible(character is not None)
        if character is None:
            return
        self._title.setText(character.name)
        alpha = " · transparent background" if character.has_alpha else ""
        self._size_label.setText(f"{character.width}×{character.height} px{alpha}")
        pixmap = QPixmap(str(self._library_dir / (character.thumbnail or character.image)))
        self._preview.setPixmap(
            pixmap.scaled(
                PREVIEW_SIDE,
                PREVIEW_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        details = character.details
        self.name_edit.setText(character.name)
        self.language_combo.setCurrentText(details.creature_language)
        self.appearance_edit.setPlainText(appearance_text(details.physical_appearance))
        self.personality_edit.setPlainText(details.personality)
        self.prompt_edit.setPlainText(details.video_prompt_description)

    def set_busy(self, message: str | None) -> None:
        """A message means work is running on this character: buttons wait until it ends."""
        busy = message is not None
        self._busy_label.setText(message or "")
        self._busy_label.setVisible(busy)
        self._busy_bar.setVisible(busy)
        for button in (self.analyse_button, self.save_button, self.delete_button):
            button.setEnabled(not busy)

    def edited_character(self) -> Character:
        """The character with the form's values; raises CharacterError for a bad name."""
        if self._character is None:
            raise ValueError("No character is selected.")
        original = self._character.details
        details = original.model_copy(
            update={
                "physical_appearance": parse_appearance(
                    self.appearance_edit.toPlainText(), original.physical_appearance
                ),
                "personality": self.personality_edit.toPlainText().strip(),
                "video_prompt_description": self.prompt_edit.toPlainText().strip(),
                "creature_language": self.language_combo.currentText().strip()
                or DEFAULT_CREATURE_LANGUAGE,
            }
        )
        return self._character.model_copy(
            update={
                "name": clean_name(self.name_edit.text()),
                "details": details,
                "updated_at": utc_now(),
            }
        )

    def _save(self) -> None:
        if self._character is None:
            return
        try:
            edited = self.edited_character()
        except CharacterError as exc:
            self.invalid.emit(str(exc))
            return
        self.saveRequested.emit(edited)

    def _analyse(self) -> None:
        if self._character is not None:
            self.analyseRequested.emit(self._character)

    def _delete(self) -> None:
        if self._character is not None:
            self.deleteRequested.emit(self._character)
