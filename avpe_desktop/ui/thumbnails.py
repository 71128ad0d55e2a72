"""Thumbnails decoded off the UI thread and cached, so grids of hundreds scroll smoothly.

Workers are plain Python threads that decode with Pillow and touch no Qt object at all: a Qt
call or signal emitted from a worker while the GUI thread holds the GIL inside Qt can
deadlock the two (seen as a hang closing the main window). The GUI thread collects finished
decodes on a short timer, turns them into QPixmaps once and keeps them. Keys include the
file's modification time, so a re-painted keyframe shows its new picture. Pillow is imported
by the first decode, in a worker, rather than on the GUI thread while the window starts.
"""

from __future__ import annotations

import concurrent.futures
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

COLLECT_INTERVAL_MS = 30

_Decoded = tuple[bytes, int, int] | None


def _decode(path: Path, width: int, height: int) -> _Decoded:
    """RGBA bytes of the image scaled to fit (width, height); None when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            rgba = image.convert("RGBA")
    except (OSError, ValueError):
        return None
    rgba.thumbnail((width, height), Image.Resampling.LANCZOS)
    return rgba.tobytes(), rgba.width, rgba.height


class ThumbnailCache(QObject):
    """`pixmap()` answers at once from the cache or returns None and decodes in the
    background; `ready` says when a key's pixmap has arrived."""

    ready = Signal(str)

    def __init__(self, size: QSize, limit: int = 2000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._limit = limit
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: dict[str, concurrent.futures.Future[_Decoded]] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="avpe-thumbs")
        self._collector = QTimer(self)
        self._collector.setInterval(COLLECT_INTERVAL_MS)
        self._collector.timeout.connect(self._collect)
        pool = self._pool  # not self: the wrapper may be gone when `destroyed` fires
        self.destroyed.connect(lambda: pool.shutdown(wait=False, cancel_futures=True))

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
            self._pending[key] = self._pool.submit(
                _decode, path, self._size.width(), self._size.height()
            )
            self._collector.start()
        return key, None

    @property
    def cached(self) -> int:
        return len(self._pixmaps)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """For tests and shutdown: let the decoders finish, and take in what they made."""
        _done, running = concurrent.futures.wait(self._pending.values(), timeout=msecs / 1000)
        self._collect()
        return not running

    def _collect(self) -> None:
        finished = [key for key, future in self._pending.items() if future.done()]
        for key in finished:
            future = self._pending.pop(key)
            decoded = None if future.cancelled() else future.result()
            if decoded is not None:
                self._store(key, decoded)
        if not self._pending:
            self._collector.stop()

    def _store(self, key: str, decoded: tuple[bytes, int, int]) -> None:
        data, width, height = decoded
        image = QImage(data, width, height, width * 4, QImage.Format.Format_RGBA8888)
        self._pixmaps[key] = QPixmap.fromImage(image)
        while len(self._pixmaps) > self._limit:
            self._pixmaps.popitem(last=False)
        self.ready.emit(key)
