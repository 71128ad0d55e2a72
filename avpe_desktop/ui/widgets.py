"""Small widget helpers shared by several views."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget


def scrollable(widget: QWidget) -> QScrollArea:
    """Panels with many fields scroll instead of forcing a tall window on small screens."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


def tool_button_style(text: bool) -> Qt.ToolButtonStyle:
    """For `TextWhenRoom`: words beside the icon, or the icon alone."""
    if text:
        return Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    return Qt.ToolButtonStyle.ToolButtonIconOnly


class ElidedLabel(QLabel):
    """One line that ends in "…" when it does not fit, with the whole text as its tooltip: a
    long title must neither widen the window's minimum nor be cut mid-letter."""

    MINIMUM_CHARACTERS = 8

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._full = ""
        self.set_full_text(text)

    @property
    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 2, hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        width = self.fontMetrics().averageCharWidth() * self.MINIMUM_CHARACTERS
        return QSize(min(width, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class TextWhenRoom(QObject):
    """Tool buttons show their text beside the icon while the row has room for it, and only
    the icon (the text stays in the tooltip) when it does not: a narrow window keeps every
    button whole instead of cutting their words.

    `show_text(True/False)` switches the row's buttons; both widths are measured once, here,
    so the row must be complete. `icons_width` is the least the row needs."""

    def __init__(self, row: QWidget, show_text: Callable[[bool], None]) -> None:
        super().__init__(row)
        self._row = row
        self._show_text = show_text
        row.ensurePolished()
        self.icons_width = self._measure(False)
        self.text_width = self._measure(True)
        self._text_shown = True
        row.installEventFilter(self)

    @property
    def text_shown(self) -> bool:
        return self._text_shown

    def _measure(self, text: bool) -> int:
        """A tool bar's layout keeps its size hint until it is told to look again."""
        self._show_text(text)
        layout = self._row.layout()
        if layout is not None:
            layout.invalidate()
        return self._row.sizeHint().width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self._row and event.type() == QEvent.Type.Resize:
            assert isinstance(event, QResizeEvent)
            wanted = event.size().width() >= self.text_width
            if wanted != self._text_shown:
                self._text_shown = wanted
                self._show_text(wanted)
        return False
