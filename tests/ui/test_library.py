"""Start-up and the character library: drops, bad files, analysis, editing, search, delete."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot
from ui_helpers import add_samples, drop_files

from avpe_desktop.context import AppContext
from avpe_desktop.ui.character_editor import appearance_text, parse_appearance
from avpe_desktop.ui.main_window import MainWindow


def test_window_opens_on_the_library_and_remembers_its_geometry(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    assert window.pages.currentWidget() is window.library_view
    assert window.library_view.model.rowCount() == 0
    assert "Drop character images here" in window.library_view.grid.empty_text

    window.resize(760, 560)
    window.shutdown()
    again = MainWindow(ctx)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (window.width(), window.height())


def test_dropping_images_adds_analysed_characters_with_thumbnails(
    qtbot: QtBot, window: MainWindow
) -> None:
    characters = add_samples(qtbot, window)

    library = window.library_view
    assert library.model.rowCount() == 2
    assert all(c.details.video_prompt_description for c in characters)
    for row in range(2):
        library.model.data(library.model.index(row), 1)  # DecorationRole asks for it
    qtbot.waitUntil(
        lambda: (
            library.model.thumbnails.wait_idle(100)
            and all(
                library.model.thumbnails.pixmap(window.ctx.dirs.data / c.thumbnail)[1] is not None
                for c in characters
            )
        ),
        timeout=10_000,
    )
    assert library.editor.character is not None
    assert library.editor.prompt_edit.toPlainText()


def test_a_bad_file_is_explained_and_changes_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    add_samples(qtbot, window, count=1)
    before = window.ctx.library.list_characters()
    folders_before = sorted((window.ctx.dirs.data / "characters").iterdir())
    bad = tmp_path / "holiday.png"
    bad.write_text("this is not a picture")

    drop_files(window.library_view, [bad])
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)

    assert window.banner.kind == "error"
    assert "holiday.png" in window.banner.text and "not an image" in window.banner.text
    assert window.ctx.library.list_characters() == before
    assert sorted((window.ctx.dirs.data / "characters").iterdir()) == folders_before
    assert window.library_view.model.rowCount() == 1


def test_edit_search_and_delete(qtbot: QtBot, window: MainWindow) -> None:
    add_samples(qtbot, window)
    library = window.library_view
    floof = next(c for c in window.ctx.library.list_characters() if c.name == "Floof")
    library.reload(select_id=floof.id)

    library.editor.name_edit.setText("Floof the Brave")
    library.editor.personality_edit.setPlainText("Bold, curious and kind")
    library.editor.language_combo.setCurrentText("Deep and Rumbly")
    library.editor.save_button.click()
    saved = window.ctx.library.get_character(floof.id)
    assert saved.name == "Floof the Brave"
    assert saved.details.personality == "Bold, curious and kind"
    assert saved.details.creature_language == "Deep and Rumbly"
    assert saved.details.physical_appearance == floof.details.physical_appearance

    library.search_edit.setText("brave")
    qtbot.waitUntil(lambda: library.model.rowCount() == 1)
    assert library.model.character_at(0).id == floof.id
    library.search_edit.setText("nobody-has-this-name")
    qtbot.waitUntil(lambda: library.model.rowCount() == 0)
    assert library.grid.empty_text == library.NO_MATCH_TEXT
    library.search_edit.clear()
    qtbot.waitUntil(lambda: library.model.rowCount() == 2)

    library.delete(saved)
    assert [c.name for c in window.ctx.library.list_characters()] == ["Grumble"]
    assert not (window.ctx.dirs.data / "characters" / floof.id).exists()


def test_a_clashing_name_is_refused_with_a_message(qtbot: QtBot, window: MainWindow) -> None:
    add_samples(qtbot, window)
    library = window.library_view
    floof = next(c for c in window.ctx.library.list_characters() if c.name == "Floof")
    library.reload(select_id=floof.id)
    library.editor.name_edit.setText("grumble")
    library.editor.save_button.click()
    assert "already a character named 'Grumble'" in window.banner.text
    assert window.ctx.library.get_character(floof.id).name == "Floof"


def test_appearance_text_round_trips_untouched_values() -> None:
    original = {"body_shape": "round", "colors": ["pink", "white"], "size": {"cm": 20}}
    text = appearance_text(original)
    assert parse_appearance(text, original) == original
    edited = text.replace("round", "oval") + "\nfluffy all over"
    parsed = parse_appearance(edited, original)
    assert parsed["body_shape"] == "oval"
    assert parsed["colors"] == ["pink", "white"]
    assert parsed["notes"] == "fluffy all over"


def test_hundreds_of_characters_decode_only_what_is_visible(
    qtbot: QtBot, window: MainWindow
) -> None:
    characters = add_samples(qtbot, window, count=1)
    data = window.ctx.dirs.data
    source = data / characters[0].thumbnail
    many = []
    for i in range(300):
        relative = f"characters/bulk/{i}.png"
        (data / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, data / relative)
        many.append(
            characters[0].model_copy(
                update={"id": f"bulk{i}", "name": f"Bulk {i:03}", "thumbnail": relative}
            )
        )
    library = window.library_view
    library.model.set_characters(many)
    qtbot.waitUntil(lambda: library.model.thumbnails.wait_idle(50), timeout=10_000)
    qtbot.wait(50)

    decoded = library.model.thumbnails.cached
    assert 0 < decoded < 100
    library.grid.scrollToBottom()
    qtbot.waitUntil(lambda: library.model.thumbnails.wait_idle(50), timeout=10_000)
    qtbot.wait(50)
    assert decoded < library.model.thumbnails.cached < 200
