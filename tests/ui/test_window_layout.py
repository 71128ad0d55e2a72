"""The window at its minimum size and at full HD, with a project open and a job in the queue:
no widget drawn over another, none cut off by its parent, no button or label cut short; the
banner closing moves nothing."""

from __future__ import annotations

from layout_checks import layout_problems
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QToolBar
from pytestqt.qtbot import QtBot
from ui_helpers import (
    RENDER_TIMEOUT_MS,
    WindowFactory,
    render_to_end,
    sample_project,
    wait_until_ended,
)

from avpe_desktop.ui.app import apply_theme
from avpe_desktop.ui.main_window import MINIMUM_SIZE, MainWindow
from avpe_desktop.ui.render_queue import JobView
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.widgets import TextWhenRoom, tool_button_style

FULL_HD = QSize(1920, 1080)


def rendered_project(qtbot: QtBot, window: MainWindow) -> JobView:
    sample_project(qtbot, window, segments=4)
    job = render_to_end(qtbot, window)
    qtbot.waitUntil(window.queue_dock.isVisible)
    return job


def settle(qtbot: QtBot, window: MainWindow, size: QSize) -> None:
    window.resize(size)
    qtbot.waitUntil(lambda: window.size() == size)
    qtbot.wait(100)  # posted layout requests


def test_every_page_fits_the_minimum_size_and_full_hd(qtbot: QtBot, window: MainWindow) -> None:
    rendered_project(qtbot, window)

    for size in (MINIMUM_SIZE, FULL_HD):
        settle(qtbot, window, size)
        for page in (window.show_project, window.show_library):
            page()
            qtbot.wait(100)
            assert layout_problems(window) == [], (size, page.__name__)
            assert window.toolbar_fit.text_shown  # it has room for its words at both sizes
            for action in window.toolbar.actions():
                if action.isVisible() and not action.isSeparator():
                    assert window.toolbar.widgetForAction(action).isVisible(), action.text()


def test_the_window_goes_no_smaller_than_its_minimum(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(640, 420)
    qtbot.wait(100)

    assert window.size() == MINIMUM_SIZE


def test_the_segment_tools_keep_their_words_while_they_fit(
    qtbot: QtBot, window: MainWindow
) -> None:
    sample_project(qtbot, window, segments=2)
    window.queue_dock.show()
    insert = window.project_view.insert_button

    settle(qtbot, window, FULL_HD)
    assert insert.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    settle(qtbot, window, MINIMUM_SIZE)
    assert window.project_view.tools_row.width() < window.project_view.tools_fit.text_width
    assert insert.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonIconOnly
    assert insert.toolTip()
    assert layout_problems(window.project_view) == []


def test_the_segment_tools_fit_when_the_theme_comes_after_the_window(
    qtbot: QtBot, open_window: WindowFactory, qapp: QApplication
) -> None:
    """As `avpe-desktop` starts: the window is built first and themed after, which changes
    every button's size."""
    qapp.setStyleSheet("")
    try:
        window = open_window()
    finally:
        apply_theme(qapp)
    sample_project(qtbot, window, segments=2)
    window.queue_dock.show()

    settle(qtbot, window, MINIMUM_SIZE)

    assert layout_problems(window.project_view) == []
    assert window.project_view.tools_row.minimumWidth() == window.project_view.tools_fit.icons_width


def test_the_queue_panel_never_takes_half_the_window(qtbot: QtBot, window: MainWindow) -> None:
    rendered_project(qtbot, window)

    for size in (MINIMUM_SIZE, FULL_HD):
        settle(qtbot, window, size)
        window.resizeDocks([window.queue_dock], [size.width()], Qt.Orientation.Horizontal)
        qtbot.wait(100)
        assert window.queue_dock.width() < size.width() / 2
        assert window.centralWidget().width() > window.queue_dock.width()


def test_closing_the_banner_moves_nothing(qtbot: QtBot, window: MainWindow) -> None:
    sample_project(qtbot, window, segments=2)
    settle(qtbot, window, MINIMUM_SIZE)
    window.banner.show_info("Wrote the script. Edit the segments, then press Render.")
    qtbot.wait(100)
    before = window.pages.geometry()

    window.banner.close_button.click()
    qtbot.wait(100)

    assert window.banner.text == ""
    assert window.pages.geometry() == before


def test_a_queue_card_keeps_its_footer_on_one_line_beside_its_action(
    qtbot: QtBot, window: MainWindow
) -> None:
    sample_project(qtbot, window, segments=4)
    job = window.render_project()
    assert job is not None
    qtbot.waitUntil(lambda: job.fraction > 0, timeout=RENDER_TIMEOUT_MS)
    window.queue.cancel(job)
    wait_until_ended(qtbot, job)
    card = window.queue_panel.card(job)
    settle(qtbot, window, MINIMUM_SIZE)
    window.resizeDocks([window.queue_dock], [0], Qt.Orientation.Horizontal)  # its narrowest
    qtbot.wait(100)

    assert card.retry_button.isVisible() and card.retry_button.text() == "Continue"
    assert card.cost.text().startswith("Free · offline engine")
    one_line = 2 * card.cost.fontMetrics().lineSpacing()
    assert card.cost.heightForWidth(card.cost.width()) < one_line
    assert layout_problems(window.queue_panel) == []


def test_a_tool_bar_without_room_for_its_words_shows_icons(qtbot: QtBot) -> None:
    toolbar = QToolBar()
    qtbot.addWidget(toolbar)
    for name in ("Library", "Project", "New video", "Render", "Export", "Settings"):
        toolbar.addAction(icon("render"), name)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    fit = TextWhenRoom(toolbar, lambda text: toolbar.setToolButtonStyle(tool_button_style(text)))
    assert fit.icons_width < fit.text_width
    toolbar.show()

    toolbar.resize(fit.text_width - 1, toolbar.height())
    qtbot.waitUntil(lambda: not fit.text_shown)
    assert toolbar.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonIconOnly
    toolbar.resize(fit.text_width, toolbar.height())
    qtbot.waitUntil(lambda: fit.text_shown)
    assert toolbar.toolButtonStyle() is Qt.ToolButtonStyle.ToolButtonTextBesideIcon
