"""The export dialog: names that carry the ratio, choices remembered across dialogs and app
restarts, sizes for the platforms, and the suggestion to render 9:16 natively. The projects
are short synthetic renders, so each export takes about a second."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_helpers import rendered_project
from pytestqt.qtbot import QtBot

from avpe_desktop.config import load_settings
from avpe_desktop.context import AppContext
from avpe_desktop.domain import AspectRatio, Project
from avpe_desktop.domain.settings import ExportChoices
from avpe_desktop.media.probe import probe
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.export_dialog import ExportDialog

EXPORT_TIMEOUT_MS = 60_000


@pytest.fixture
def landscape(tmp_path: Path) -> tuple[Project, ProjectLayout]:
    return rendered_project(tmp_path / "workspace", AspectRatio.LANDSCAPE)


def open_dialog(
    qtbot: QtBot, ctx: AppContext, rendered: tuple[Project, ProjectLayout]
) -> ExportDialog:
    dialog = ExportDialog(*rendered, ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def export(qtbot: QtBot, dialog: ExportDialog) -> Path:
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.exported is not None, timeout=EXPORT_TIMEOUT_MS)
    assert dialog.exported is not None
    return dialog.exported


def choose(dialog: ExportDialog, aspect: AspectRatio, size: str = "", mode: str = "") -> None:
    dialog.aspect_combo.setCurrentIndex(dialog.aspect_combo.findData(aspect.value))
    if size:
        dialog.size_combo.setCurrentIndex(dialog.size_combo.findData(size))
    if mode:
        dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData(mode))


def test_a_9x16_and_then_a_1x1_export_sit_side_by_side(
    qtbot: QtBot, ctx: AppContext, landscape: tuple[Project, ProjectLayout], tmp_path: Path
) -> None:
    first = open_dialog(qtbot, ctx, landscape)
    assert Path(first.destination_edit.text()).name == "Floof's Garden 16x9.mp4"
    first.destination_edit.setText(str(tmp_path / "exports" / "Floof's Garden 16x9.mp4"))
    choose(first, AspectRatio.PORTRAIT)
    assert first.destination_edit.text() == str(tmp_path / "exports" / "Floof's Garden 9x16.mp4")
    vertical = export(qtbot, first)

    second = open_dialog(qtbot, ctx, landscape)
    choose(second, AspectRatio.SQUARE)
    square = export(qtbot, second)

    assert vertical.name == "Floof's Garden 9x16.mp4"
    assert square == vertical.with_name("Floof's Garden 1x1.mp4")
    assert probe(vertical).size == (1080, 1920)
    assert probe(square).size == (1080, 1080)


def test_the_last_choices_come_back_in_the_next_dialog_and_after_a_restart(
    qtbot: QtBot, ctx: AppContext, landscape: tuple[Project, ProjectLayout], tmp_path: Path
) -> None:
    folder = tmp_path / "for phones"
    dialog = open_dialog(qtbot, ctx, landscape)
    choose(dialog, AspectRatio.FEED, size="rendered", mode="pad")
    dialog.destination_edit.setText(str(folder / "whatever.mp4"))
    out = export(qtbot, dialog)
    assert probe(out).size == (1280, 1600)  # the whole 1280×720 frame on a 4:5 canvas

    expected = ExportChoices(
        aspect_ratio=AspectRatio.FEED, size="rendered", reframe="pad", folder=str(folder)
    )
    assert load_settings(ctx.dirs.settings_file).export == expected  # what a restart reads
    again = open_dialog(qtbot, ctx, landscape)
    assert again.choices() == expected
    assert again.destination_edit.text() == str(folder / "Floof's Garden 4x5.mp4")
    assert again.size_combo.currentText() == "As rendered (1280×1600)"


def test_cancelling_remembers_nothing(
    qtbot: QtBot, ctx: AppContext, landscape: tuple[Project, ProjectLayout]
) -> None:
    dialog = open_dialog(qtbot, ctx, landscape)
    choose(dialog, AspectRatio.SQUARE, size="rendered")
    dialog.reject()
    assert load_settings(ctx.dirs.settings_file).export == ExportChoices()


def test_a_name_the_creator_typed_stays_when_the_ratio_changes(
    qtbot: QtBot, ctx: AppContext, landscape: tuple[Project, ProjectLayout], tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, ctx, landscape)
    typed = str(tmp_path / "my cut.mp4")
    dialog.destination_edit.setText(typed)
    choose(dialog, AspectRatio.SQUARE)
    assert dialog.destination_edit.text() == typed


def test_sizes_are_offered_in_pixels_and_16x9_keeps_the_render_size(
    qtbot: QtBot, ctx: AppContext, landscape: tuple[Project, ProjectLayout]
) -> None:
    dialog = open_dialog(qtbot, ctx, landscape)
    choose(dialog, AspectRatio.PORTRAIT, mode="crop")
    assert dialog.size_combo.itemText(0) == "For the platforms (1080×1920)"
    assert dialog.size_combo.itemText(1) == "As rendered (396×704)"
    assert dialog.size_combo.isEnabled()
    choose(dialog, AspectRatio.LANDSCAPE)
    assert not dialog.size_combo.isEnabled()
    assert not dialog.mode_combo.isEnabled()


def test_a_vertical_export_of_a_16x9_render_suggests_rendering_9x16(
    qtbot: QtBot, ctx: AppContext, landscape: tuple[Project, ProjectLayout]
) -> None:
    dialog = open_dialog(qtbot, ctx, landscape)
    choose(dialog, AspectRatio.LANDSCAPE)
    assert dialog.native_note.isHidden()
    choose(dialog, AspectRatio.SQUARE)
    assert dialog.native_note.isHidden()
    choose(dialog, AspectRatio.PORTRAIT)
    assert not dialog.native_note.isHidden()
    assert "rendered 16:9" in dialog.native_note.text()
    assert not dialog.native_button.isHidden()

    dialog.native_button.click()
    assert ctx.settings.render.aspect_ratio is AspectRatio.PORTRAIT
    assert load_settings(ctx.dirs.settings_file).render.aspect_ratio is AspectRatio.PORTRAIT
    assert dialog.native_button.isHidden()
    assert "next render is set to 9:16" in dialog.native_note.text()


def test_no_suggestion_for_a_render_that_is_already_vertical(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path
) -> None:
    portrait = rendered_project(tmp_path / "workspace", AspectRatio.PORTRAIT)
    dialog = open_dialog(qtbot, ctx, portrait)
    choose(dialog, AspectRatio.PORTRAIT)
    assert dialog.native_note.isHidden() and dialog.native_button.isHidden()
