"""The app's open state (directories, settings, library), shared by the CLI and the GUI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from avpe_desktop.config import AppDirs, Settings, app_dirs, load_settings, save_settings
from avpe_desktop.storage.backends import open_library
from avpe_desktop.storage.repository import LibraryRepository


@dataclass
class AppContext:
    dirs: AppDirs
    settings: Settings
    library: LibraryRepository
    library_notice: str | None = None
    """Set when the library in Settings could not be opened and the local one is used."""

    @classmethod
    def open(cls, dirs: AppDirs | None = None) -> AppContext:
        dirs = dirs or app_dirs()
        dirs.data.mkdir(parents=True, exist_ok=True)
        settings = load_settings(dirs.settings_file).with_env_overrides()
        opened = open_library(settings, dirs)
        return cls(dirs, settings, opened.library, opened.notice)

    @property
    def workspace(self) -> Path:
        return self.settings.workspace_path(self.dirs)

    def save_settings(self) -> None:
        save_settings(self.settings, self.dirs.settings_file)

    def close(self) -> None:
        self.library.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
