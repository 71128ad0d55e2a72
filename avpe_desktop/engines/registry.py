"""Choosing an engine from the settings: Google when credentials are set, else offline.

Each engine is imported when it is built: their SDK and image libraries take most of a second
to load, and choosing (or showing the choice) needs none of them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from avpe_desktop.config import EngineChoice, GoogleMode, Settings
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


def application_default_credentials_found() -> bool:
    """Whether `gcloud auth application-default login` (or GOOGLE_APPLICATION_CREDENTIALS)
    left credentials on this computer. Only the files are looked for: google-auth's own
    search would also probe the cloud metadata server over the network."""
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return Path(explicit).is_file()
    config = os.environ.get("CLOUDSDK_CONFIG")
    if not config:
        base = os.environ.get("APPDATA", "") if sys.platform == "win32" else "~/.config"
        config = str(Path(base).expanduser() / "gcloud")
    return (Path(config) / "application_default_credentials.json").is_file()


def missing_google_credentials(mode: GoogleMode, has_api_key: bool, project: str) -> str | None:
    """What the chosen Google access still lacks, in the creator's words; None when nothing
    visible is missing (the key itself is only checked by a call)."""
    if mode is GoogleMode.VERTEX:
        if not project.strip():
            return "Vertex AI needs your Google Cloud project: fill in Cloud project."
        if not application_default_credentials_found():
            return (
                "This computer is not signed in to Google Cloud: run `gcloud auth "
                "application-default login` once, or choose Vertex AI express mode with an "
                "API key."
            )
        return None
    if not has_api_key:
        kind = "an AI Studio" if mode is GoogleMode.DEVELOPER else "a Vertex AI"
        return (
            f"Google is chosen but no API key is set: paste {kind} API key below, or every "
            "render will stop at its first step."
        )
    if mode is GoogleMode.DEVELOPER:
        return (
            "An AI Studio key writes scripts and paints keyframes but cannot make videos "
            "(Veo needs Vertex AI): choose Vertex AI express mode for renders."
        )
    return None


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
