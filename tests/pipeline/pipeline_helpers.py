"""Shared set-up for pipeline and reliability tests: a library with a character and a
project, and Google engines on the loopback emulator (through the real SDK)."""

from __future__ import annotations

from pathlib import Path

from avpe_desktop.characters import import_character
from avpe_desktop.domain import Project, RenderSettings
from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.google import ClientOptions, GoogleCredentials, google_engine
from avpe_desktop.engines.resilience import RetryPolicy
from avpe_desktop.projects import create_project
from avpe_desktop.storage.repository import LibraryRepository
from avpe_desktop.testing.emulator import Emulator
from avpe_desktop.testing.google_media import sample_character
from avpe_desktop.testing.sample_script import garden_script

FAST = RetryPolicy(retries=3, base_delay=0.001, max_delay=0.05, jitter=0.0)
KEY = "AIza-test-key-0123456789"
SETTINGS = RenderSettings(duration=4, seed=7)
PAID_ROUTES = ("generateContent", "predictLongRunning")


def google_on(base_url: str, policy: RetryPolicy = FAST) -> Engine:
    return google_engine(
        GoogleCredentials("vertex_express", api_key=KEY),
        options=ClientOptions(base_url=base_url, storage_base_url=base_url, timeout_ms=120_000),
        policy=policy,
        poll_interval=0.05,
        requests_per_minute=10_000,
    )


def make_project(
    library: LibraryRepository,
    library_dir: Path,
    workspace: Path,
    segments: int = 3,
    settings: RenderSettings = SETTINGS,
) -> Project:
    image = library_dir / "floof-source.png"
    library_dir.mkdir(parents=True, exist_ok=True)
    image.write_bytes(sample_character())
    character = import_character(library, library_dir, image, "Floof")
    project, _layout = create_project(
        library, workspace, garden_script(segments), settings, character.id
    )
    return project


def paid(emulator: Emulator, since: int = 0) -> list[tuple[str, str]]:
    """(route, body hash) of paid requests that were answered with success."""
    return [
        (r.route, r.body_sha256)
        for r in emulator.requests()[since:]
        if r.route in PAID_ROUTES and r.status == 200
    ]


def images(emulator: Emulator, since: int = 0) -> int:
    return sum(1 for route, _ in paid(emulator, since) if route == "generateContent")


def videos(emulator: Emulator, since: int = 0) -> int:
    return sum(1 for route, _ in paid(emulator, since) if route == "predictLongRunning")
