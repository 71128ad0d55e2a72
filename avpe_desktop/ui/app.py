"""`avpe-desktop`: one asyncio loop running inside Qt's, and the main window on top.

qasync's QEventLoop is an asyncio loop whose scheduling is done by Qt, so engine coroutines
are awaited while the window keeps painting. The loop runs until the application quits.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

import qasync
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from avpe_desktop import __version__
from avpe_desktop.config import APP_AUTHOR, APP_NAME
from avpe_desktop.context import AppContext
from avpe_desktop.log_file import configure_logging
from avpe_desktop.storage.repository import LibraryError
from avpe_desktop.ui.errors import install_excepthook, report
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.resources import icon, theme_qss
from avpe_desktop.workers import abandon_pools

log = logging.getLogger(__name__)

SMOKE_TEST_FLAG = "--smoke-test"
"""Starts normally, then quits once the main window is up and its start-up has run: the
packaging smoke check (build_scripts/smoke.py) runs the frozen app with it, offscreen."""
SMOKE_TEST_SHOWN = "avpe-desktop: main window shown"
SMOKE_TEST_DELAY_MS = 1000
STARTUP_PROBE_FLAG = "--startup-probe"
"""Quits at the first paint of the library list after start-up has read the library, having
printed STARTUP_PROBE_PAINTED: bench/startup.py times a real process to that line."""
STARTUP_PROBE_PAINTED = "avpe-desktop: library painted"


def create_application(argv: Sequence[str], themed: bool = True) -> QApplication:
    """`themed=False` leaves the stylesheet to `apply_theme`, for a caller about to build a
    whole window: Qt polishes a widget again each time it is reparented under a stylesheet,
    so the main window builds in about a third of the time before the theme is set."""
    app = QApplication.instance() or QApplication(list(argv))
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("app"))
    app.setStyle("Fusion")
    if themed:
        apply_theme(app)
    return app


def apply_theme(app: QApplication) -> None:
    app.setStyleSheet(theme_qss())


def install_loop(app: QApplication) -> qasync.QEventLoop:
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return loop


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    app = create_application(argv, themed=False)
    ctx = _open_context(app)
    if ctx is None:
        return 1
    log_file = configure_logging(ctx.dirs.logs)
    log.info("AVPE Desktop %s starting; log file %s", __version__, log_file)
    loop = install_loop(app)
    window = MainWindow(ctx)
    apply_theme(app)
    install_excepthook(window.show_error)
    loop.set_exception_handler(
        lambda _loop, context: report(
            context.get("exception") or RuntimeError(context.get("message", "")),
            window.show_error,
        )
    )
    window.show()
    if SMOKE_TEST_FLAG in argv:
        QTimer.singleShot(SMOKE_TEST_DELAY_MS, lambda: _end_smoke_test(window))
    if STARTUP_PROBE_FLAG in argv:
        window.library_view.grid.viewport().installEventFilter(_StartupProbe(window))
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    try:
        with loop:
            loop.run_until_complete(closed.wait())
    finally:
        ctx.close()
        abandon_pools()
    log.info("AVPE Desktop quit")
    return 0


def _open_context(app: QApplication) -> AppContext | None:
    """The library nearly always opens at the first try; the recovery dialog and the restore
    code are loaded only when it does not."""
    try:
        return AppContext.open()
    except (LibraryError, OSError):
        from avpe_desktop.ui.library_recovery import open_context_or_recover

        apply_theme(app)
        return open_context_or_recover()


def _end_smoke_test(window: MainWindow) -> None:
    """Reports the window (to stdout and the log, as a windowed Windows app may have no
    stdout), then quits the normal way so shutdown is exercised too."""
    if window.isVisible():
        log.info(SMOKE_TEST_SHOWN)
        print(SMOKE_TEST_SHOWN, flush=True)
    window.close()
    QApplication.quit()


class _StartupProbe(QObject):
    """Watches the library list's paints; the first one after `MainWindow.start` shows the
    characters it read."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._done = False

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Paint and self._window.ready and not self._done:
            self._done = True
            listed = self._window.library_view.model.rowCount()
            print(f"{STARTUP_PROBE_PAINTED} with {listed} characters", flush=True)
            QTimer.singleShot(0, self._window.close)
        return False


if __name__ == "__main__":
    sys.exit(main())
