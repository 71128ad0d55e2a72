"""Settings survive damage without losing the file; secrets stay in the keyring."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from avpe_desktop.config import Settings, app_dirs, load_settings, save_settings
from avpe_desktop.secrets import (
    SERVICE,
    SecretName,
    SecretRedactor,
    delete_secret,
    get_secret,
    mask,
    set_secret,
)
from avpe_desktop.testing.memory_keyring import MemoryKeyring


def test_app_dirs_follow_avpe_home(isolated_home: Path) -> None:
    dirs = app_dirs()
    assert dirs.library_db.is_relative_to(isolated_home)
    assert dirs.settings_file.is_relative_to(isolated_home)
    assert dirs.default_workspace.is_relative_to(isolated_home)


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(requests_per_minute=30, workspace=str(tmp_path / "ws"))
    save_settings(settings, path)
    assert load_settings(path) == settings


def test_missing_settings_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.json") == Settings()


@pytest.mark.parametrize("text", ["{not json", '{"requests_per_minute": -3}', "[]"])
def test_damaged_settings_are_kept_aside(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    with caplog.at_level(logging.WARNING):
        assert load_settings(path) == Settings()
    backups = list(tmp_path.glob("settings.json.damaged-*"))
    assert len(backups) == 1 and backups[0].read_text() == text
    assert "could not be read" in caplog.text


def test_environment_overrides_project_and_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_PROJECT_ID", "my-proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    settings = Settings().with_env_overrides()
    assert (settings.google_project, settings.google_location) == ("my-proj", "europe-west4")


def test_secrets_live_in_the_keyring_not_the_settings(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    set_secret(SecretName.GOOGLE_API_KEY, "  AIzaSecretValue123  ")
    assert memory_keyring.store[(SERVICE, "google_api_key")] == "AIzaSecretValue123"
    assert get_secret(SecretName.GOOGLE_API_KEY) == "AIzaSecretValue123"
    path = tmp_path / "settings.json"
    save_settings(Settings(), path)
    assert "AIzaSecretValue123" not in path.read_text()
    assert "google_api_key" not in json.loads(path.read_text())


def test_environment_wins_over_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    set_secret(SecretName.MONGODB_URI, "mongodb://keyring")
    monkeypatch.setenv("MONGODB_URI", "mongodb://env")
    assert get_secret(SecretName.MONGODB_URI) == "mongodb://env"


def test_setting_blank_deletes_and_delete_is_idempotent(memory_keyring: MemoryKeyring) -> None:
    set_secret(SecretName.CLOUDINARY_API_SECRET, "shh-123456")
    set_secret(SecretName.CLOUDINARY_API_SECRET, "   ")
    assert get_secret(SecretName.CLOUDINARY_API_SECRET) is None
    delete_secret(SecretName.CLOUDINARY_API_SECRET)
    assert memory_keyring.store == {}


def test_mask_hides_the_middle() -> None:
    assert mask("AIzaSyABCDEFGHIJKLMNOP") == "AIza…MNOP"
    assert mask("short") == "•••••"
    assert mask(None) == ""


def test_redactor_masks_known_secrets_in_log_records(caplog: pytest.LogCaptureFixture) -> None:
    set_secret(SecretName.GOOGLE_API_KEY, "AIzaLeakyKey987654")
    logger = logging.getLogger("avpe.test.redact")
    logger.addFilter(SecretRedactor())
    with caplog.at_level(logging.INFO, logger="avpe.test.redact"):
        logger.info("calling with key=%s", "AIzaLeakyKey987654")
    assert "AIzaLeakyKey987654" not in caplog.text
    assert "AIza…7654" in caplog.text


def test_a_secret_read_from_the_keyring_is_masked_from_then_on(
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    """The keyring is not read at start-up; reading a secret is what teaches the filter."""
    memory_keyring.set_password(SERVICE, SecretName.MONGODB_URI.value, "mongodb://u:Hunter2Pass@db")
    logger = logging.getLogger("avpe.test.redact_on_read")
    logger.addFilter(SecretRedactor())
    assert get_secret(SecretName.MONGODB_URI) == "mongodb://u:Hunter2Pass@db"
    with caplog.at_level(logging.INFO, logger="avpe.test.redact_on_read"):
        logger.info("auth failed for Hunter2Pass on mongodb://u:Hunter2Pass@db")
    assert "Hunter2Pass" not in caplog.text
    assert "mongodb://u:****@db" in caplog.text
