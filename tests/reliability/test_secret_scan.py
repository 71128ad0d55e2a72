"""Secrets never reach a file: plant fake keys, do real work with them, then grep everything.

The work is a render (the CLI's offline demo), a Cloudinary upload through the SDK to the
emulator, a MongoDB sync over TCP with a password in the URI, and a failed MongoDB connection
(whose error is logged), all with DEBUG logging to a file through the app's redacting filter.
Then the settings file, both databases, the log and every file under AVPE_HOME are scanned.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pymongo = pytest.importorskip("pymongo")
pytest.importorskip("cloudinary")

from bson import json_util  # noqa: E402

from avpe_desktop import cli  # noqa: E402
from avpe_desktop.config import LibraryBackend, Settings, app_dirs, save_settings  # noqa: E402
from avpe_desktop.secrets import SecretName, SecretRedactor, set_secret  # noqa: E402
from avpe_desktop.storage import mongo_library  # noqa: E402
from avpe_desktop.storage.backends import open_library  # noqa: E402
from avpe_desktop.storage.cloudinary_upload import UPLOAD_PREFIX_ENV  # noqa: E402
from avpe_desktop.testing.cloudinary_emulator import CloudinaryEmulator  # noqa: E402
from avpe_desktop.testing.mongo_server import MongoTestServer  # noqa: E402

GOOGLE_KEY = "AIzaSyFAKE-google-key-7d1e0c5b9a"
CLOUDINARY_KEY = "739184650273918"
CLOUDINARY_SECRET = "cld-FAKE-secret-4QmZ8wX2pL"
MONGO_USER, MONGO_PASSWORD = "avpe", "mongo-FAKE-pw-5Kq9Zr"


@pytest.fixture
def debug_log(isolated_home: Path) -> Iterator[Path]:
    """The app's file logging: DEBUG, through SecretRedactor, under AVPE_HOME/logs."""
    path = app_dirs().logs / "avpe.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(SecretRedactor())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()


@pytest.fixture
def mongo_with_password(mongo_server: MongoTestServer) -> Iterator[tuple[str, str]]:
    """A database whose URI carries a user and password the server checks (SCRAM)."""
    database = "avpe_secret_scan"
    with pymongo.MongoClient(mongo_server.uri) as admin:
        admin[database].command("createUser", MONGO_USER, pwd=MONGO_PASSWORD, roles=["readWrite"])
        yield (
            f"mongodb://{MONGO_USER}:{MONGO_PASSWORD}@127.0.0.1:{mongo_server.port}/{database}",
            database,
        )
        admin.drop_database(database)


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_secret_reaches_any_file(
    isolated_home: Path,
    debug_log: Path,
    mongo_server: MongoTestServer,
    mongo_with_password: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mongo_uri, database = mongo_with_password
    with CloudinaryEmulator(api_key=CLOUDINARY_KEY, api_secret=CLOUDINARY_SECRET) as emu:
        secrets = {
            SecretName.GOOGLE_API_KEY: GOOGLE_KEY,
            SecretName.CLOUDINARY_CLOUD_NAME: emu.cloud_name,
            SecretName.CLOUDINARY_API_KEY: CLOUDINARY_KEY,
            SecretName.CLOUDINARY_API_SECRET: CLOUDINARY_SECRET,
            SecretName.MONGODB_URI: mongo_uri,
        }
        for name, value in secrets.items():
            set_secret(name, value)
        monkeypatch.setenv(UPLOAD_PREFIX_ENV, emu.base_url)

        # A render (offline: the planted Google key is not real), an upload, a sync.
        assert cli.main(["--engine", "local", "demo", "--segments", "1", "--duration", "4"]) == 0
        assert cli.main(["upload", "character", "Floof"]) == 0
        cloud_url = capsys.readouterr().out.strip().splitlines()[-1]
        assert cloud_url.startswith(emu.base_url)
        assert cli.main(["library", "copy", "--to", "mongodb"]) == 0
        assert "1 characters copied" in capsys.readouterr().out
        assert all(r.signature_valid and r.status == 200 for r in emu.requests)
        assert all(CLOUDINARY_SECRET not in str(r.params) for r in emu.requests)

    # MongoDB chosen in Settings (saved to the settings file) but unreachable: the error,
    # quoting the URI, is logged and returned.
    save_settings(Settings(library_backend=LibraryBackend.MONGODB), app_dirs().settings_file)
    monkeypatch.setattr(mongo_library, "SERVER_SELECTION_TIMEOUT_MS", 200)
    dead_uri = mongo_uri.replace(f":{mongo_server.port}/", f":{_dead_port()}/")
    set_secret(SecretName.MONGODB_URI, dead_uri)
    opened = open_library(Settings(library_backend=LibraryBackend.MONGODB), app_dirs())
    opened.library.close()
    assert opened.notice is not None
    logging.getLogger("avpe_desktop.scan").info("synced with %s", mongo_uri)

    with pymongo.MongoClient(mongo_server.uri) as client:
        documents = [
            json_util.dumps(doc)
            for name in client[database].list_collection_names()
            for doc in client[database][name].find()
        ]
    assert any(cloud_url in doc for doc in documents)  # the sync really happened

    files = [p for p in isolated_home.rglob("*") if p.is_file()]
    assert app_dirs().settings_file in files
    assert any(p.name.startswith("library.sqlite3") for p in files)
    assert any(p.suffix == ".mp4" for p in files)
    haystacks = {str(p.relative_to(isolated_home)): p.read_bytes() for p in files}
    haystacks["mongodb documents"] = "\n".join(documents).encode()
    haystacks["notice shown to the creator"] = opened.notice.encode()
    planted = [GOOGLE_KEY, CLOUDINARY_KEY, CLOUDINARY_SECRET, MONGO_PASSWORD, mongo_uri]
    leaks = [
        (secret, where)
        for where, content in haystacks.items()
        for secret in planted
        if secret.encode() in content
    ]
    assert leaks == []

    log_text = debug_log.read_text(encoding="utf-8")
    assert f"mongodb://{MONGO_USER}:****@127.0.0.1:" in log_text  # masked, still readable
    assert "Cannot reach the MongoDB library" in log_text
    assert "Uploading image.png" in log_text  # the upload did log, at INFO
