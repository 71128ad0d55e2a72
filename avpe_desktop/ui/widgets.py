"""Small widget helpers shared by several views."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
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

    `show_text(True/False)` switches the row's buttons. Both widths are measured when first
    needed and again after a change of style or font (the app's theme is applied once the
    window is built, and changes every button's size); the row's minimum width follows
    `icons_width`, the least it needs."""

    _RESTYLED = (QEvent.Type.StyleChange, QEvent.Type.FontChange)

    def __init__(self, row: QWidget, show_text: Callable[[bool], None]) -> None:
        super().__init__(row)
        self._row = row
        self._show_text = show_text
        self._widths: tuple[int, int] | None = None
        self._text_shown = True
        self._measured()
        row.installEventFilter(self)

    @property
    def text_shown(self) -> bool:
        return self._text_shown

    @property
    def icons_width(self) -> int:
        return self._measured()[0]

    @property
    def text_width(self) -> int:
        return self._measured()[1]

    def _measured(self) -> tuple[int, int]:
        if self._widths is None:
            self._row.ensurePolished()
            self._widths = (self._measure(False), self._measure(True))
            self._show_text(self._text_shown)
            self._row.setMinimumWidth(self._widths[0])
        return self._widths

    def _measure(self, text: bool) -> int:
        """A tool bar's layout keeps its size hint until it is told to look again."""
        self._show_text(text)
        layout = self._row.layout()
        if layout is not None:
            layout.invalidate()
        return self._row.sizeHint().width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is not self._row:
            return False
        if event.type() in self._RESTYLED:
            self._widths = None
            QTimer.singleShot(0, self, self._fit_current_width)  # dropped if the row is gone
        elif event.type() == QEvent.Type.Resize:
            assert isinstance(event, QResizeEvent)
            self._fit(event.size().width())
        return False

    def _fit_current_width(self) -> None:
        self._fit(self._row.width())

    def _fit(self, width: int) -> None:
        wanted = width >= self.text_width
        if wanted != self._text_shown:
            self._text_shown = wanted
            self._show_text(wanted)
