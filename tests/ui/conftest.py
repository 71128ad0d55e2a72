"""UI fixtures: a real qasync loop, an app context on the offline engine, the main window.

How async code is driven under pytest-qt
----------------------------------------
The app runs one asyncio loop inside Qt's (qasync). In tests the QApplication already exists
(pytest-qt's `qapp`) and nobody calls `exec()`, so the loop is built with
`qasync.QEventLoop(qapp, already_running=True)`: qasync schedules asyncio callbacks on Qt
timers and socket notifiers, and Qt's own event processing, which `qtbot.waitUntil` and
`qtbot.wait` keep spinning, runs them. A test starts work exactly as the app does (a button,
a drop, a task) and waits with `qtbot.waitUntil(condition)`; no test calls
`run_until_complete`.

One loop serves the whole session. `QEventLoop.stop()` calls `QApplication.exit()`, after
which a second loop's timers never fire in the same process, so loops are not made per test:
each test attaches the session loop as asyncio's running loop, and at teardown cancels and
waits out its pending tasks and detaches the loop again (other test folders run their own
asyncio loops through pytest-asyncio).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_helpers import TINY_RENDER, WindowFactory

from avpe_desktop.config import EngineChoice
from avpe_desktop.context import AppContext
from avpe_desktop.ui.app import create_application
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.preview import playback_problem


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_playback: plays video through Qt Multimedia; skipped where it cannot load"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skips playback tests on machines where Qt Multimedia cannot load, with the same words
    the app shows there (what is missing and how to get it); they run everywhere else."""
    if item.get_closest_marker("needs_playback") is not None:
        problem = playback_problem()
        if problem is not None:
            pytest.skip(problem)


@pytest.fixture(scope="session")
def session_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """One qasync loop for the whole session: stopping one calls `QApplication.exit()`, after
    which a new loop's timers no longer fire, so the loop is made once and only attached to
    (and detached from) each test."""
    create_application([])
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)
    yield loop
    loop.stop()
    loop.close()


@pytest.fixture
def qloop(session_loop: qasync.QEventLoop, qtbot: QtBot) -> Iterator[qasync.QEventLoop]:
    """The session loop as asyncio's running loop for one test; other test folders run their
    own asyncio loops, so it is detached again afterwards."""
    asyncio.events._set_running_loop(session_loop)
    asyncio.set_event_loop(session_loop)
    yield session_loop
    pending = [task for task in asyncio.all_tasks(session_loop) if not task.done()]
    for task in pending:
        task.cancel()
    qtbot.waitUntil(lambda: all(task.done() for task in pending), timeout=30_000)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def ctx(qloop: qasync.QEventLoop) -> Iterator[AppContext]:
    context = AppContext.open()
    context.settings = context.settings.model_copy(
        update={"engine": EngineChoice.LOCAL, "render": TINY_RENDER}
    )
    context.save_settings()
    yield context
    context.close()


@pytest.fixture
def open_window(qtbot: QtBot, ctx: AppContext) -> Iterator[WindowFactory]:
    """Opens main windows on the test's context, as starting the app again would, each
    shown and through its start-up. They are closed here rather than by qtbot, whose teardown
    runs first: renders are interrupted and waited for, so the window closes without asking."""
    opened: list[MainWindow] = []

    def open_one() -> MainWindow:
        main = MainWindow(ctx)
        opened.append(main)
        main.show()
        qtbot.waitExposed(main)
        qtbot.waitUntil(lambda: main.ready)
        return main

    yield open_one
    for main in opened:
        main.queue.interrupt()
        qtbot.waitUntil(lambda m=main: not m.queue.running, timeout=30_000)
        main.close()
        main.deleteLater()


@pytest.fixture
def window(open_window: WindowFactory) -> MainWindow:
    return open_window()
