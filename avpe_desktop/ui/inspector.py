"""The selected segment's text fields. Edits are committed as the creator types (after a short
pause) and when a field loses focus; each commit becomes an undoable edit of the script."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.domain import Segment

COMMIT_DELAY_MS = 600


class _TextBox(QPlainTextEdit):
    """A plain-text field that commits after a typing pause and on focus out."""

    committed = Signal()

    def __init__(self, lines: int, placeholder: str) -> None:
        super().__init__()
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 18)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COMMIT_DELAY_MS)
        self._timer.timeout.connect(self.committed)
        self.textChanged.connect(self._timer.start)

    def text(self) -> str:
        return self.toPlainText()

    def set_text_quietly(self, text: str) -> None:
        """Replaces the text without committing, and only when it differs, so an undo never
        moves the cursor of a field that did not change."""
        if self.toPlainText() != text:
            self.blockSignals(True)
            self.setPlainText(text)
            self.blockSignals(False)

    def commit_pending(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.committed.emit()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt API)
        super().focusOutEvent(event)
        self.commit_pending()


class _Line(QLineEdit):
    committed = Signal()

    def __init__(self, placeholder: str) -> None:
        super().__init__()
        self.setPlaceholderText(placeholder)
        self.editingFinished.connect(self.committed)

    def commit_pending(self) -> None:
        """Line edits commit on Enter and focus out, so nothing is ever waiting."""

    def set_text_quietly(self, text: str) -> None:
        """A long value shows its beginning, as the text boxes do (QLineEdit leaves the
        cursor at the end, which scrolls the start out of sight)."""
        if self.text() != text:
            self.blockSignals(True)
            self.setText(text)
            self.setCursorPosition(0)
            self.blockSignals(False)


class Inspector(QWidget):
    fieldEdited = Signal(int, str, str)  # noqa: N815 (Qt naming) segment index, field, text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._index = -1
        self.fields: dict[str, _TextBox | _Line] = {
            "scene": _TextBox(2, "Where it happens"),
            "action": _TextBox(2, "What the character does"),
            "first_frame_description": _TextBox(3, "The opening picture of this segment"),
            "last_frame_description": _TextBox(3, "The closing picture of this segment"),
            "creature_sounds": _Line("curious squeak, happy trill"),
            "camera": _Line("slow push-in, eye level"),
            "dialogue": _Line("Only when the brief allows dialogue"),
        }
        labels = {
            "scene": "Scene",
            "action": "Action",
            "first_frame_description": "First frame",
            "last_frame_description": "Last frame",
            "creature_sounds": "Sounds",
            "camera": "Camera",
            "dialogue": "Dialogue",
        }
        self._heading = QLabel("Segment")
        self._heading.setObjectName("section")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setVerticalSpacing(8)
        for name, widget in self.fields.items():
            widget.committed.connect(lambda name=name: self._commit(name))
            form.addRow(labels[name], widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(self._heading)
        layout.addLayout(form)
        layout.addStretch(1)

    @property
    def index(self) -> int:
        return self._index

    def show_segment(self, index: int, segment: Segment) -> None:
        self._index = index
        self._heading.setText(f"Segment {segment.segment}")
        values = {
            "scene": segment.scene,
            "action": segment.action,
            "first_frame_description": segment.first_frame_description,
            "last_frame_description": segment.last_frame_description,
            "creature_sounds": ", ".join(segment.sound_names()),
            "camera": segment.camera or "",
            "dialogue": segment.dialogue or "",
        }
        for name, value in values.items():
            self.fields[name].set_text_quietly(value)

    def commit_pending(self) -> None:
        """Commits what was typed but not yet committed, to the segment it was typed for;
        called before another segment is shown and before the project is saved or left."""
        for field in self.fields.values():
            field.commit_pending()

    def _commit(self, name: str) -> None:
        if self._index >= 0:
            self.fieldEdited.emit(self._index, name, self.fields[name].text())
