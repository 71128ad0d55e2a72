"""Choosing an engine from the settings: Google when credentials are set, else offline.

Each engine is imported when it is built: their SDK and image libraries take most of a second
to load, and choosing (or showing the choice) needs none of them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from avpe_desktop.config import EngineChoice, Settings
from avpe_desktop.engines.base import CredentialsError, Engine
from avpe_desktop.secrets import SecretName, get_secret

if TYPE_CHECKING:
    from avpe_desktop.engines.google.client import GoogleCredentials

BASE_URL_ENV = "AVPE_GOOGLE_BASE_URL"
"""Points the Google engine at another endpoint, such as `avpe emulator`, for demos and CI."""


def google_configured(settings: Settings) -> bool:
    return bool(get_secret(SecretName.GOOGLE_API_KEY) or settings.google_project)


def resolve_choice(settings: Settings, override: str | None = None) -> EngineChoice:
    choice = EngineChoice(override) if override else settings.engine
    if choice is EngineChoice.AUTO:
        return EngineChoice.GOOGLE if google_configured(settings) else EngineChoice.LOCAL
    return choice


def google_credentials(settings: Settings) -> GoogleCredentials:
    from avpe_desktop.engines.google.client import GoogleCredentials

    mode = settings.google_mode.value
    key = get_secret(SecretName.GOOGLE_API_KEY)
    if mode == "vertex":
        if not settings.google_project:
            raise CredentialsError(
                "Vertex mode needs a Google Cloud project: set it in Settings or in "
                "GOOGLE_PROJECT_ID."
            )
        return GoogleCredentials(mode, None, settings.google_project, settings.google_location)
    if not key:
        raise CredentialsError(
            "No Google API key is set: add one in Settings (it is kept in the system keyring) "
            "or in GOOGLE_API_KEY, or use the offline engine."
        )
    return GoogleCredentials(mode, key, None, settings.google_location)


def create_engine(settings: Settings, override: str | None = None) -> Engine:
    if resolve_choice(settings, override) is EngineChoice.LOCAL:
        from avpe_desktop.engines.local import local_engine

        return local_engine()
    from avpe_desktop.engines.google.client import ClientOptions
    from avpe_desktop.engines.google.engine import google_engine

    return google_engine(
        google_credentials(settings),
        models=settings.models,
        requests_per_minute=settings.requests_per_minute,
        videos_in_flight=settings.videos_in_flight,
        options=ClientOptions(base_url=os.environ.get(BASE_URL_ENV) or None),
    )
