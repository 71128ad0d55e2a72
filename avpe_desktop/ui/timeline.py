"""Segments as clips on a horizontal track, each with its keyframes once they are painted."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSizePolicy, QWidget

from avpe_desktop.domain import Content, Segment
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.thumbnails import ThumbnailCache

CARD_SIZE = QSize(240, 170)
FRAME_SIZE = QSize(106, 60)


class SegmentStatus(StrEnum):
    NO_FRAMES = "No frames"
    FRAMES = "Frames"
    VIDEO = "Video"
    FAILED = "Failed"


_BADGE_COLOURS = {
    SegmentStatus.NO_FRAMES: ("#2c313c", "#a9aebd"),
    SegmentStatus.FRAMES: ("#2a3550", "#9db8ff"),
    SegmentStatus.VIDEO: ("#1d3b30", "#3ecf8e"),
    SegmentStatus.FAILED: ("#3a2227", "#ff8a8a"),
}


def segment_status(layout: ProjectLayout, number: int, failed: set[int]) -> SegmentStatus:
    """What is on disk for this segment; a failure reported by the last render wins."""
    if number in failed:
        return SegmentStatus.FAILED
    if layout.segment_video(number).exists():
        return SegmentStatus.VIDEO
    if layout.first_frame(number).exists() or layout.last_frame(number).exists():
        return SegmentStatus.FRAMES
    return SegmentStatus.NO_FRAMES


class ClipCard(QWidget):
    """Painted by hand, the same on every OS, and into a cached pixmap: the card is drawn
    again only when what it shows changes (text, badge, selection, a keyframe's picture), so
    the refreshes a running render asks for, and scrolling, cost a blit."""

    clicked = Signal(int)
    doubleClicked = Signal(int)  # noqa: N815 (Qt naming)

    def __init__(
        self, index: int, thumbnails: ThumbnailCache, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.index = index
        self._thumbnails = thumbnails
        self.segment: Segment | None = None
        self.layout_paths: ProjectLayout | None = None
        self.status = SegmentStatus.NO_FRAMES
        self.selected = False
        self._shown: tuple[object, ...] | None = None
        self._drawn: QPixmap | None = None
        self.setFixedSize(CARD_SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def show_segment(
        self, segment: Segment, layout: ProjectLayout, status: SegmentStatus, selected: bool
    ) -> None:
        if (segment, status) != (self.segment, self.status):
            self.setToolTip(f"{segment.scene}\n\n{segment.action}")
        self.segment, self.layout_paths, self.status = segment, layout, status
        self.selected = selected
        self.frames_changed()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.frames_changed()

    def frame_paths(self) -> tuple[Path, Path] | None:
        if self.segment is None or self.layout_paths is None:
            return None
        number = self.segment.segment
        return self.layout_paths.first_frame(number), self.layout_paths.last_frame(number)

    def frames_changed(self) -> None:
        """Repaints when anything the card shows differs from what it drew: a keyframe file
        counts by its thumbnail key (path and modification time) and whether its picture
        has been decoded yet."""
        paths = self.frame_paths()
        frames: tuple[object, ...] = ()
        if paths is not None:
            for path in paths:
                key, pixmap = self._thumbnails.pixmap(path)
                frames += (key, pixmap is not None)
        shown = (self.segment, self.status, self.selected, *frames)
        if shown != self._shown:
            self._shown = shown
            self._drawn = None
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        self.doubleClicked.emit(self.index)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        if self.segment is None or self.layout_paths is None:
            return
        if self._drawn is None:
            ratio = self.devicePixelRatioF()
            self._drawn = QPixmap(self.size() * ratio)
            self._drawn.setDevicePixelRatio(ratio)
            self._drawn.fill(Qt.GlobalColor.transparent)
            self._draw(self._drawn)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._drawn)
        painter.end()

    def _draw(self, target: QPixmap) -> None:
        assert self.segment is not None and self.layout_paths is not None
        painter = QPainter(target)
        painter.setFont(self.font())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(
            QPen(QColor("#6c5ce7" if self.selected else "#2c313c"), 2 if self.selected else 1)
        )
        painter.setBrush(QColor("#232033" if self.selected else "#1c1f26"))
        painter.drawRoundedRect(card, 10, 10)

        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#f3f4f8"))
        painter.drawText(
            QRect(12, 8, 40, 22), Qt.AlignmentFlag.AlignVCenter, str(self.segment.segment)
        )
        self._paint_badge(painter)

        number = self.segment.segment
        first = QRect(10, 36, FRAME_SIZE.width(), FRAME_SIZE.height())
        last = QRect(first.right() + 9, 36, FRAME_SIZE.width(), FRAME_SIZE.height())
        self._paint_frame(painter, first, self.layout_paths.first_frame(number), "first")
        self._paint_frame(painter, last, self.layout_paths.last_frame(number), "last")

        painter.setFont(self.font())
        painter.setPen(QColor("#e3e6ee"))
        text_rect = QRect(12, first.bottom() + 8, self.width() - 24, 20)
        metrics = painter.fontMetrics()
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(self.segment.scene, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        painter.setPen(QColor("#8a90a2"))
        action_rect = QRect(12, text_rect.bottom() + 2, self.width() - 24, 40)
        painter.drawText(
            action_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
            self._two_lines(self.segment.action, metrics, action_rect.width()),
        )
        painter.end()

    def _paint_badge(self, painter: QPainter) -> None:
        background, foreground = _BADGE_COLOURS[self.status]
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(self.status.value) + 18
        badge = QRectF(self.width() - width - 10, 9, width, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(badge, 10, 10)
        painter.setPen(QColor(foreground))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, self.status.value)

    def _paint_frame(self, painter: QPainter, rect: QRect, path: Path, label: str) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#111318"))
        painter.drawRoundedRect(QRectF(rect), 6, 6)
        _key, pixmap = self._thumbnails.pixmap(path)
        if pixmap is None:
            painter.setPen(QColor("#4a4f5c"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{label} frame")
            return
        # Thumbnails are decoded at twice the frame's size: 1:1 on a HiDPI card, a cheap
        # filtered halving elsewhere (no per-draw SmoothTransformation copy).
        size = pixmap.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(rect.center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)

    @staticmethod
    def _two_lines(text: str, metrics: QFontMetrics, width: int) -> str:
        """Elides to what fits in two lines, so long actions do not spill off the card."""
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width * 2 - 20)


class TimelineView(QScrollArea):
    """The track; it shows a script and reports which clip is selected."""

    currentChanged = Signal(int)  # noqa: N815 (Qt naming)
    activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(CARD_SIZE.height() + 34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._track = QWidget()
        self._track.setObjectName("scrollBody")
        self._row = QHBoxLayout(self._track)
        self._row.setContentsMargins(8, 8, 8, 8)
        self._row.setSpacing(10)
        self._row.addStretch(1)
        self.setWidget(self._track)
        self.thumbnails = ThumbnailCache(FRAME_SIZE * 2, parent=self)
        self.thumbnails.ready.connect(self._repaint_cards)
        self.cards: list[ClipCard] = []
        self.current = 0

    def show_content(self, content: Content, layout: ProjectLayout, failed: set[int]) -> None:
        segments = content.segments
        while len(self.cards) < len(segments):
            card = ClipCard(len(self.cards), self.thumbnails)
            card.clicked.connect(self.select)
            card.doubleClicked.connect(self.activated)
            self._row.insertWidget(len(self.cards), card)
            self.cards.append(card)
        while len(self.cards) > len(segments):
            self.cards.pop().deleteLater()
        self.current = min(self.current, len(segments) - 1)
        for card, segment in zip(self.cards, segments, strict=True):
            status = segment_status(layout, segment.segment, failed)
            card.show_segment(segment, layout, status, card.index == self.current)

    def select(self, index: int) -> None:
        if not 0 <= index < len(self.cards):
            return
        self.current = index
        for card in self.cards:
            card.set_selected(card.index == index)
        self.ensureWidgetVisible(self.cards[index])
        self.currentChanged.emit(index)

    def _repaint_cards(self) -> None:
        """A decoded keyframe: only the cards showing it draw again."""
        for card in self.cards:
            card.frames_changed()
