"""The Google engine: Gemini scripts and analysis, Gemini image / Imagen keyframes, Veo 3.1
clips, all on the official google-genai SDK and all through `engines.resilience`.

The model table (`models`) is plain data the pipeline and Settings read at start-up; the SDK
takes half a second to import, so the names that need it load on first use (PEP 562).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from avpe_desktop.engines.google.models import GoogleModels, estimate_cost, validate_video_settings

if TYPE_CHECKING:
    from avpe_desktop.engines.google.analyst import GeminiCharacterAnalyst
    from avpe_desktop.engines.google.client import ClientOptions, GoogleCredentials
    from avpe_desktop.engines.google.engine import google_engine
    from avpe_desktop.engines.google.painter import GeminiFramePainter
    from avpe_desktop.engines.google.runtime import GoogleRuntime
    from avpe_desktop.engines.google.script import GeminiScriptWriter
    from avpe_desktop.engines.google.video import VeoVideoMaker

__all__ = [
    "ClientOptions",
    "GeminiCharacterAnalyst",
    "GeminiFramePainter",
    "GeminiScriptWriter",
    "GoogleCredentials",
    "GoogleModels",
    "GoogleRuntime",
    "VeoVideoMaker",
    "estimate_cost",
    "google_engine",
    "validate_video_settings",
]


_LAZY_MODULES = {
    "ClientOptions": "client",
    "GoogleCredentials": "client",
    "google_engine": "engine",
    "GeminiCharacterAnalyst": "analyst",
    "GeminiFramePainter": "painter",
    "GoogleRuntime": "runtime",
    "GeminiScriptWriter": "script",
    "VeoVideoMaker": "video",
}
"""Which submodule holds each SDK-backed name. PyInstaller still collects them all: the
registry imports `engine` by name, and `engine` imports the others."""


def __getattr__(name: str) -> object:
    module = _LAZY_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
