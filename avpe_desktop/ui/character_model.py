"""The character library as a Qt list model, thumbnails loaded only for rows a view asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPainter, QPixmap

from avpe_desktop.domain import Character
from avpe_desktop.ui.thumbnails import ThumbnailCache

ICON_SIZE = QSize(128, 128)

CharacterRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


def _placeholder(size: QSize) -> QPixmap:
    """Shown while a thumbnail decodes: a quiet rounded tile, not a broken-image icon."""
    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#23262e"))
    painter.drawRoundedRect(pixmap.rect().adjusted(8, 8, -8, -8), 14, 14)
    painter.end()
    return pixmap


class CharacterListModel(QAbstractListModel):
    def __init__(self, library_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library_dir = library_dir
        self._characters: list[Character] = []
        self._rows_by_key: dict[str, int] = {}
        self._thumbnails = ThumbnailCache(ICON_SIZE, parent=self)
        self._thumbnails.ready.connect(self._thumbnail_ready)
        self._placeholder = _placeholder(ICON_SIZE)

    @property
    def thumbnails(self) -> ThumbnailCache:
        return self._thumbnails

    def set_characters(self, characters: list[Character]) -> None:
        self.beginResetModel()
        self._characters = list(characters)
        self._rows_by_key.clear()
        self.endResetModel()

    def character_at(self, row: int) -> Character | None:
        return self._characters[row] if 0 <= row < len(self._characters) else None

    def row_of(self, character_id: str) -> int:
        for row, character in enumerate(self._characters):
            if character.id == character_id:
                return row
        return -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self._characters)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        character = self.character_at(index.row()) if index.isValid() else None
        if character is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return character.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(index.row(), character)
        if role == Qt.ItemDataRole.ToolTipRole:
            return character.details.personality or character.name
        if role == CharacterRole:
            return character
        return None

    def _decoration(self, row: int, character: Character) -> QPixmap:
        """Called by the view for visible rows only, which is what makes loading lazy."""
        path = self._library_dir / (character.thumbnail or character.image)
        key, pixmap = self._thumbnails.pixmap(path)
        if key is not None and pixmap is None:
            self._rows_by_key[key] = row
        return pixmap or self._placeholder

    def _thumbnail_ready(self, key: str) -> None:
        row = self._rows_by_key.pop(key, -1)
        if 0 <= row < len(self._characters):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
