"""Settings: secrets go to the keyring (masked, never in the file), the rest to the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from avpe_desktop.config import EngineChoice, GoogleMode, load_settings
from avpe_desktop.secrets import SERVICE, SecretName
from avpe_desktop.testing.memory_keyring import MemoryKeyring
from avpe_desktop.ui.main_window import MainWindow
from avpe_desktop.ui.settings_dialog import SettingsDialog

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


def choose_engine(dialog: SettingsDialog, engine: str, mode: str) -> None:
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData(engine))
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData(mode))


def warning(dialog: SettingsDialog) -> str | None:
    note = dialog.credentials_note
    return None if note.isHidden() else note.text()


def test_choosing_google_without_a_key_warns_at_once(
    qtbot: QtBot, window: MainWindow, memory_keyring: MemoryKeyring
) -> None:
    dialog = window.open_settings()
    choose_engine(dialog, "local", "vertex_express")
    assert warning(dialog) is None
    choose_engine(dialog, "google", "vertex_express")
    assert "no API key is set: paste a Vertex AI API key" in (warning(dialog) or "")

    key = dialog.secret_fields[SecretName.GOOGLE_API_KEY]
    key.edit.setText(KEY)
    assert warning(dialog) is None
    dialog.accept()

    again = window.open_settings()
    assert warning(again) is None  # the stored key counts
    again.secret_fields[SecretName.GOOGLE_API_KEY].clear_button.click()
    assert "no API key" in (warning(again) or "")
    choose_engine(again, "google", "developer")
    assert "paste an AI Studio API key" in (warning(again) or "")
    again.secret_fields[SecretName.GOOGLE_API_KEY].edit.setText(KEY)
    assert "cannot make videos" in (warning(again) or "")


def test_vertex_without_a_project_or_a_sign_in_warns_at_once(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    dialog = window.open_settings()
    choose_engine(dialog, "google", "vertex")
    dialog.project_edit.clear()
    assert "fill in Cloud project" in (warning(dialog) or "")
    dialog.project_edit.setText("my-project")
    assert "gcloud auth application-default login" in (warning(dialog) or "")

    (gcloud / "application_default_credentials.json").write_text("{}")
    choose_engine(dialog, "local", "vertex")
    choose_engine(dialog, "google", "vertex")
    assert warning(dialog) is None


def test_automatic_without_credentials_says_it_renders_offline(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = window.open_settings()
    choose_engine(dialog, "auto", "vertex_express")
    assert warning(dialog) == (
        "No Google credentials yet, so Automatic renders with the offline engine."
    )
