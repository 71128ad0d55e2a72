"""Every test runs with its own app home, an in-memory keyring and no real credentials."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from avpe_desktop.secrets import SecretName
from avpe_desktop.testing import mongo_server as mongo_test_server
from avpe_desktop.testing.memory_keyring import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_CREDENTIAL_VARS = [name.env_var for name in SecretName] + [
    "GOOGLE_PROJECT_ID",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GEMINI_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "CLOUDINARY_URL",
]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("avpe-home")
    monkeypatch.setenv("AVPE_HOME", str(home))
    for var in _CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[mongo_test_server.MongoTestServer]:
    """One MongoDB-compatible server on a loopback port for the whole session (it takes about
    a second to start); tests get their own database from `mongo_uri`."""
    if not mongo_test_server.available():
        pytest.skip("SecantusDB (the dev extra) is needed for the MongoDB tests")
    with mongo_test_server.MongoTestServer() as server:
        yield server


@pytest.fixture
def mongo_uri(mongo_server: mongo_test_server.MongoTestServer) -> Iterator[str]:
    """A URI naming a fresh, empty database, dropped after the test."""
    pymongo = pytest.importorskip("pymongo")
    name = f"avpe_test_{uuid.uuid4().hex[:12]}"
    yield mongo_server.database_uri(name)
    with pymongo.MongoClient(mongo_server.uri, serverSelectionTimeoutMS=3000) as client:
        client.drop_database(name)
