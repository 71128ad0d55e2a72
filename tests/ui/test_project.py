"""New video -> timeline: editing, undo/redo, insert/move/delete, regenerate, autosave."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_helpers import sample_project

from avpe_desktop.context import AppContext
from avpe_desktop.domain import Content
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.timeline import SegmentStatus


def _saved(window: MainWindow) -> Content:
    assert window.document is not None
    return window.ctx.library.get_project(window.document.project.id).content


def test_new_video_writes_a_script_and_opens_it_in_the_timeline(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    document = sample_project(qtbot, window, segments=3)
    assert window.pages.currentWidget() is window.project_view
    assert [s.segment for s in document.content.segments] == [1, 2, 3]
    assert Content.from_seed_json(document.layout.content_json.read_bytes()) == document.content
    assert ctx.settings.last_project_id == document.project.id
    cards = window.project_view.timeline.cards
    assert len(cards) == 3
    assert {card.status for card in cards} == {SegmentStatus.NO_FRAMES}
    assert (
        window.project_view.inspector.fields["scene"].text() == document.content.segments[0].scene
    )

    again = MainWindow(ctx)
    qtbot.addWidget(again)
    again.start()
    assert again.document is not None and again.document.project.id == document.project.id


def test_edits_are_undoable_and_autosaved(qtbot: QtBot, window: MainWindow) -> None:
    document = sample_project(qtbot, window, segments=2)
    view = window.project_view
    original = document.content

    scene = view.inspector.fields["scene"]
    scene.setFocus()
    scene.setPlainText("A windy beach at dawn")
    qtbot.waitUntil(lambda: document.content.segments[0].scene == "A windy beach at dawn")
    qtbot.waitUntil(lambda: _saved(window) == document.content, timeout=5_000)
    on_disk = Content.from_seed_json(document.layout.content_json.read_bytes())
    assert on_disk.segments[0].scene == "A windy beach at dawn"

    window.undo_action.trigger()
    assert document.content == original
    assert scene.text() == original.segments[0].scene
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    view.timeline.setFocus()
    qtbot.keyClick(
        view.timeline,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert document.content.segments[0].scene == "A windy beach at dawn"

    view.inspector.fields["camera"].setText("slow dolly left")
    view.inspector.fields["camera"].editingFinished.emit()
    assert document.content.segments[0].camera == "slow dolly left"

    view.insert_button.click()
    assert len(document.content.segments) == 3
    assert view.timeline.current == 1
    inserted = document.content.segments[1]
    assert inserted.first_frame_description == document.content.segments[0].last_frame_description
    view.right_button.click()
    assert document.content.segments[2] == inserted.model_copy(update={"segment": 3})
    assert [s.segment for s in document.content.segments] == [1, 2, 3]
    view.delete_button.click()
    assert len(document.content.segments) == 2

    for _ in range(3):
        window.undo_action.trigger()
    assert document.content.segments[0].camera == "slow dolly left"
    assert len(document.content.segments) == 2
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert document.content == original
    qtbot.waitUntil(lambda: _saved(window) == original, timeout=5_000)


def test_rule_breaking_edits_are_refused_with_a_message(qtbot: QtBot, window: MainWindow) -> None:
    document = sample_project(qtbot, window, segments=1)
    view = window.project_view
    before = document.content

    view.edit_field(0, "scene", "   ")
    assert "scene of a segment cannot be empty" in window.banner.text
    assert document.content == before
    assert view.inspector.fields["scene"].text() == before.segments[0].scene
    assert not view.delete_button.isEnabled()
    assert document.undo_stack.count() == 0


def test_regenerate_rewrites_one_segment_undoably(qtbot: QtBot, window: MainWindow) -> None:
    document = sample_project(qtbot, window, segments=3)
    view = window.project_view
    before = document.content
    view.timeline.select(1)

    view.regenerate_button.click()
    qtbot.waitUntil(lambda: not view.tasks.busy, timeout=10_000)

    after = document.content
    assert after.segments[0] == before.segments[0]
    assert after.segments[2] == before.segments[2]
    assert after.segments[1] != before.segments[1]
    window.undo_action.trigger()
    assert document.content == before


def test_typing_then_picking_another_segment_keeps_the_edit(
    qtbot: QtBot, window: MainWindow
) -> None:
    document = sample_project(qtbot, window, segments=2)
    view = window.project_view
    second = document.content.segments[1]

    view.inspector.fields["action"].setPlainText("Runs around in happy circles")
    qtbot.mouseClick(view.timeline.cards[1], Qt.MouseButton.LeftButton)

    assert document.content.segments[0].action == "Runs around in happy circles"
    assert document.content.segments[1] == second
    assert view.inspector.index == 1
    assert view.inspector.fields["action"].text() == second.action
