"""Running the core's coroutines on the qasync loop from Qt code.

Widgets start work and return at once; a task keeps a strong reference (asyncio only keeps a
weak one, so an unreferenced task can vanish mid-flight) and its failure reaches the banner
instead of disappearing into "Task exception was never retrieved".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from avpe_desktop.ui.errors import report

T = TypeVar("T")


class TaskRunner(QObject):
    """Owns the tasks one part of the UI starts, and says when it is busy."""

    busyChanged = Signal(bool)  # noqa: N815 (Qt naming)

    def __init__(self, notify: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._notify = notify
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def start(
        self,
        coro: Coroutine[Any, Any, T],
        on_done: Callable[[T], None] | None = None,
    ) -> asyncio.Task[T]:
        """`on_done` runs on the loop with the result; errors go to the banner, and a
        cancelled task just ends."""
        task = asyncio.get_event_loop().create_task(coro)
        was_busy = self.busy
        self._tasks.add(task)
        if not was_busy:
            self.busyChanged.emit(True)
        task.add_done_callback(lambda t: self._finished(t, on_done))
        return task

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def _finished(self, task: asyncio.Task[T], on_done: Callable[[T], None] | None) -> None:
        self._tasks.discard(task)
        try:
            if task.cancelled():
                return
            exc = task.exception()
            if exc is not None:
                report(exc, self._notify)
            elif on_done is not None:
                try:
                    on_done(task.result())
                except Exception as callback_exc:
                    report(callback_exc, self._notify)
        finally:
            if not self.busy:
                self.busyChanged.emit(False)
