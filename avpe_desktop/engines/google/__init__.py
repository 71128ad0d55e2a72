"""The Google engine: Gemini scripts and analysis, Gemini image / Imagen keyframes, Veo 3.1
clips, all on the official google-genai SDK and all through `engines.resilience`.

The model table (`models`) is plain data the pipeline and Settings read at start-up; the SDK
takes half a second to import, so the names that need it load on first use (PEP 562).
"""

from __future__ import annotations

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


def __getattr__(name: str) -> object:
    """Imports written out, not looked up by name, so PyInstaller sees them."""
    if name in ("ClientOptions", "GoogleCredentials"):
        from avpe_desktop.engines.google import client

        return getattr(client, name)
    if name == "google_engine":
        from avpe_desktop.engines.google import engine

        return engine.google_engine
    if name == "GeminiCharacterAnalyst":
        from avpe_desktop.engines.google import analyst

        return analyst.GeminiCharacterAnalyst
    if name == "GeminiFramePainter":
        from avpe_desktop.engines.google import painter

        return painter.GeminiFramePainter
    if name == "GoogleRuntime":
        from avpe_desktop.engines.google import runtime

        return runtime.GoogleRuntime
    if name == "GeminiScriptWriter":
        from avpe_desktop.engines.google import script

        return script.GeminiScriptWriter
    if name == "VeoVideoMaker":
        from avpe_desktop.engines.google import video

        return video.VeoVideoMaker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
