"""Where the app keeps things, and the settings a creator changes in Settings.

Secrets never live here (see secrets.py): the settings file is plain JSON a creator may share.
`AVPE_HOME` puts everything under one folder, which is how the CLI, CI and tests stay out of the
user's real directories.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import platformdirs
from pydantic import Field, ValidationError

from avpe_desktop.domain import RenderSettings
from avpe_desktop.domain._base import Model
from avpe_desktop.domain.settings import ExportChoices
from avpe_desktop.storage.atomic import atomic_write_text

APP_NAME = "AVPE Desktop"
APP_AUTHOR = "AVPE"
HOME_ENV = "AVPE_HOME"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppDirs:
    data: Path
    config: Path
    logs: Path
    default_workspace: Path

    @property
    def library_db(self) -> Path:
        return self.data / "library.sqlite3"

    @property
    def characters(self) -> Path:
        return self.data / "characters"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"


def app_dirs() -> AppDirs:
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return AppDirs(root / "data", root / "config", root / "logs", root / "workspace")
    return AppDirs(
        data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        default_workspace=Path(platformdirs.user_videos_dir()) / APP_NAME,
    )


class EngineChoice(StrEnum):
    AUTO = "auto"
    LOCAL = "local"
    GOOGLE = "google"


class GoogleMode(StrEnum):
    DEVELOPER = "developer"
    VERTEX_EXPRESS = "vertex_express"
    VERTEX = "vertex"


class LibraryBackend(StrEnum):
    """Where the library lives: the local SQLite file, or MongoDB (its URI is a secret)."""

    SQLITE = "sqlite"
    MONGODB = "mongodb"


class Settings(Model):
    engine: EngineChoice = EngineChoice.AUTO
    google_mode: GoogleMode = GoogleMode.VERTEX_EXPRESS
    google_project: str = ""
    google_location: str = "us-central1"
    models: dict[str, str] = Field(default_factory=dict)
    requests_per_minute: int = Field(default=15, ge=1, le=10_000)
    videos_in_flight: int = Field(default=4, ge=1, le=32)
    workspace: str = ""
    render: RenderSettings = Field(default_factory=RenderSettings)
    export: ExportChoices = Field(default_factory=ExportChoices)
    last_project_id: str | None = None
    library_backend: LibraryBackend = LibraryBackend.SQLITE

    def workspace_path(self, dirs: AppDirs) -> Path:
        return Path(self.workspace).expanduser() if self.workspace else dirs.default_workspace

    def with_env_overrides(self) -> Settings:
        """GOOGLE_PROJECT_ID / GOOGLE_CLOUD_LOCATION win over the file, for CLI and CI."""
        update: dict[str, str] = {}
        if project := os.environ.get("GOOGLE_PROJECT_ID"):
            update["google_project"] = project
        if location := os.environ.get("GOOGLE_CLOUD_LOCATION"):
            update["google_location"] = location
        return self.model_copy(update=update) if update else self


def load_settings(path: Path) -> Settings:
    """A missing file means defaults. A damaged one is moved aside (never overwritten or
    deleted, the creator may want it back) and defaults are used, with a warning."""
    if not path.exists():
        return Settings()
    try:
        return Settings.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError, UnicodeDecodeError) as exc:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = path.with_name(f"{path.name}.damaged-{stamp}")
        path.replace(backup)
        log.warning(
            "Settings file %s could not be read (%s); kept it as %s and started from defaults.",
            path,
            _first_line(exc),
            backup.name,
        )
        return Settings()


def save_settings(settings: Settings, path: Path) -> None:
    atomic_write_text(path, settings.model_dump_json(indent=2))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
