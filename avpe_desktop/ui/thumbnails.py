"""Thumbnails decoded off the UI thread and cached, so grids of hundreds scroll smoothly.

Only QImage may be used outside the GUI thread; workers decode and scale a QImage, the GUI
thread turns it into a QPixmap once and keeps it. Keys include the file's modification time,
so a re-painted keyframe shows its new picture.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap


class _Signals(QObject):
    loaded = Signal(str, QImage)


class _Decode(QRunnable):
    def __init__(self, key: str, path: Path, size: QSize, signals: _Signals) -> None:
        super().__init__()
        self._key, self._path, self._size, self._signals = key, path, size, signals

    def run(self) -> None:
        image = QImage(str(self._path))
        if not image.isNull():
            image = image.scaled(
                self._size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self._signals.loaded.emit(self._key, image)


class ThumbnailCache(QObject):
    """`pixmap()` answers at once from the cache or returns None and decodes in the
    background; `ready` says when a key's pixmap has arrived."""

    ready = Signal(str)

    def __init__(self, size: QSize, limit: int = 2000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._limit = limit
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._signals = _Signals(self)
        self._signals.loaded.connect(self._store)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)

    @staticmethod
    def key_for(path: Path) -> str | None:
        """None when the file does not exist (yet)."""
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        return f"{path}|{stamp}"

    def pixmap(self, path: Path) -> tuple[str | None, QPixmap | None]:
        key = self.key_for(path)
        if key is None:
            return None, None
        cached = self._pixmaps.get(key)
        if cached is not None:
            self._pixmaps.move_to_end(key)
            return key, cached
        if key not in self._pending:
            self._pending.add(key)
            self._pool.start(_Decode(key, path, self._size, self._signals))
        return key, None

    @property
    def cached(self) -> int:
        return len(self._pixmaps)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """For tests and shutdown: let the decoders finish."""
        return self._pool.waitForDone(msecs)

    def _store(self, key: str, image: QImage) -> None:
        self._pending.discard(key)
        if image.isNull():
            return
        self._pixmaps[key] = QPixmap.fromImage(image)
        while len(self._pixmaps) > self._limit:
            self._pixmaps.popitem(last=False)
        self.ready.emit(key)
