"""Settings: secrets go to the keyring (masked, never in the file), the rest to the file."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from avpe_desktop.config import EngineChoice, GoogleMode, load_settings
from avpe_desktop.secrets import SERVICE, SecretName
from avpe_desktop.testing.memory_keyring import MemoryKeyring
from avpe_desktop.ui.main_window import MainWindow

KEY = "AIzaSyTEST-not-a-real-key-7890"
MONGO = "mongodb+srv://maker:hunter22@cluster0.example.net/avpe"


def test_secrets_go_to_the_keyring_and_settings_to_the_file(
    qtbot: QtBot, window: MainWindow, memory_keyring: MemoryKeyring
) -> None:
    dialog = window.open_settings()
    dialog.secret_fields[SecretName.GOOGLE_API_KEY].edit.setText(KEY)
    dialog.secret_fields[SecretName.MONGODB_URI].edit.setText(MONGO)
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("google"))
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("vertex_express"))
    dialog.rpm_spin.setValue(30)
    dialog.model_edits["video"].setText("veo-3.1-generate-001")
    dialog.duration_combo.setCurrentText("6")
    dialog.accept()

    assert memory_keyring.store[(SERVICE, "google_api_key")] == KEY
    assert memory_keyring.store[(SERVICE, "mongodb_uri")] == MONGO
    text = window.ctx.dirs.settings_file.read_text()
    assert KEY not in text and "hunter22" not in text
    saved = load_settings(window.ctx.dirs.settings_file)
    assert saved.engine is EngineChoice.GOOGLE
    assert saved.google_mode is GoogleMode.VERTEX_EXPRESS
    assert saved.requests_per_minute == 30
    assert saved.models == {"video": "veo-3.1-generate-001"}
    assert saved.render.duration == 6
    assert window.banner.text == "Settings saved."

    again = window.open_settings()
    field = again.secret_fields[SecretName.GOOGLE_API_KEY]
    assert field.edit.text() == ""
    assert field.edit.placeholderText() == "Saved: AIza…7890 — type to replace"
    again.secret_fields[SecretName.MONGODB_URI].clear_button.click()
    again.accept()
    assert (SERVICE, "mongodb_uri") not in memory_keyring.store
    assert memory_keyring.store[(SERVICE, "google_api_key")] == KEY


def test_connection_test_reports_in_words(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.open_settings()
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("local"))
    dialog.test_button.click()
    assert dialog.test_result.text() == "The offline engine is ready."

    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("google"))
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("vertex"))
    dialog.project_edit.clear()
    dialog.test_button.click()
    message = dialog.test_result.text()
    assert "project" in message.lower()
    assert "Traceback" not in message
