"""An emulator per test and engines wired to it; backoff in milliseconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from avpe_desktop.domain import Brief
from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.google import ClientOptions, GoogleCredentials, google_engine
from avpe_desktop.engines.resilience import RetryPolicy
from avpe_desktop.testing.emulator import Emulator
from avpe_desktop.testing.google_media import sample_character

FAST = RetryPolicy(retries=3, base_delay=0.001, max_delay=0.05, jitter=0.0)
KEY = "AIza-test-key-0123456789"

EngineFactory = Callable[..., Engine]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def _credentials(mode: str = "vertex_express") -> GoogleCredentials:
    if mode == "vertex":
        import google.oauth2.credentials

        token = google.oauth2.credentials.Credentials(token="test-token")
        return GoogleCredentials("vertex", project="demo", location="us-central1", auth=token)
    return GoogleCredentials(mode, api_key=KEY)


@pytest.fixture
def make_engine(emulator: Emulator) -> EngineFactory:
    def make(mode: str = "vertex_express", **kwargs: Any) -> Engine:
        options = ClientOptions(
            base_url=emulator.base_url, storage_base_url=emulator.base_url, timeout_ms=120_000
        )
        kwargs.setdefault("policy", FAST)
        return google_engine(_credentials(mode), options=options, **kwargs)

    return make


@pytest.fixture
def engine(make_engine: EngineFactory) -> Engine:
    return make_engine()


@pytest.fixture(scope="session")
def character_png() -> bytes:
    return sample_character()


@pytest.fixture
def brief() -> Brief:
    return Brief(idea="Floof finds a mysterious box", character_name="Floof", num_segments=3)


@pytest.fixture
def credentials() -> Callable[[str], GoogleCredentials]:
    return _credentials


@pytest.fixture
def api_key() -> str:
    return KEY
