"""Choosing an engine from the settings: Google when credentials are set, else offline."""

from __future__ import annotations

from avpe_desktop.config import EngineChoice, Settings
from avpe_desktop.engines.base import CredentialsError, Engine
from avpe_desktop.engines.local import local_engine
from avpe_desktop.secrets import SecretName, get_secret


def google_configured(settings: Settings) -> bool:
    return bool(get_secret(SecretName.GOOGLE_API_KEY) or settings.google_project)


def resolve_choice(settings: Settings, override: str | None = None) -> EngineChoice:
    choice = EngineChoice(override) if override else settings.engine
    if choice is EngineChoice.AUTO:
        return EngineChoice.GOOGLE if google_configured(settings) else EngineChoice.LOCAL
    return choice


def create_engine(settings: Settings, override: str | None = None) -> Engine:
    choice = resolve_choice(settings, override)
    if choice is EngineChoice.LOCAL:
        return local_engine()
    raise CredentialsError(
        "The Google engine is not part of this build yet; use the offline engine "
        "(--engine local)."
    )
