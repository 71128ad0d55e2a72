"""`avpe library copy` and `avpe upload`: the CLI side of MongoDB and Cloudinary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymongo")
pytest.importorskip("cloudinary")

from avpe_desktop import cli
from avpe_desktop.secrets import SecretName, set_secret
from avpe_desktop.storage.cloudinary_upload import UPLOAD_PREFIX_ENV
from avpe_desktop.storage.mongo_library import MongoLibrary
from avpe_desktop.testing.cloudinary_emulator import CloudinaryEmulator

SAMPLE = Path(__file__).parents[1] / "avpe_desktop" / "resources" / "characters" / "grumble.jpg"


def test_library_copy_round_trip(mongo_uri: str, capsys: pytest.CaptureFixture[str]) -> None:
    set_secret(SecretName.MONGODB_URI, mongo_uri)
    assert cli.main(["character", "add", str(SAMPLE), "--name", "Grumble", "--no-analyse"]) == 0
    assert cli.main(["library", "copy", "--to", "mongodb"]) == 0
    assert "Copied the sqlite library to mongodb: 1 characters copied" in capsys.readouterr().out
    with MongoLibrary(mongo_uri) as remote:
        assert [c.name for c in remote.list_characters()] == ["Grumble"]
    assert cli.main(["library", "copy", "--to", "sqlite"]) == 0
    assert "0 characters copied (1 already there)" in capsys.readouterr().out


def test_library_copy_without_a_uri_is_one_readable_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["library", "copy", "--to", "mongodb"]) == cli.EXIT_USER_ERROR
    assert capsys.readouterr().err.startswith("avpe: No MongoDB URI is stored.")


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudinaryEmulator]:
    """The emulator's account in the keyring and its address where the CLI looks for it."""
    with CloudinaryEmulator() as emulator:
        set_secret(SecretName.CLOUDINARY_CLOUD_NAME, emulator.cloud_name)
        set_secret(SecretName.CLOUDINARY_API_KEY, emulator.api_key)
        set_secret(SecretName.CLOUDINARY_API_SECRET, emulator.api_secret)
        monkeypatch.setenv(UPLOAD_PREFIX_ENV, emulator.base_url)
        yield emulator


def test_upload_video_prints_the_url(
    emu: CloudinaryEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["upload", "video", str(SAMPLE), "--folder", "avpe/cli"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith(f"{emu.base_url}/{emu.cloud_name}/video/upload/")
    assert url.endswith("/avpe/cli/grumble.jpg")


def test_a_rejected_character_upload_is_one_readable_line(
    emu: CloudinaryEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["character", "add", str(SAMPLE), "--name", "Grumble", "--no-analyse"]) == 0
    capsys.readouterr()
    emu.fail(400, message="Invalid image file")
    assert cli.main(["upload", "character", "Grumble"]) == cli.EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert err.startswith("avpe: Cloudinary rejected the upload")
    assert err.count("\n") == 1
    assert emu.api_secret not in err


def test_upload_without_keys_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["upload", "video", str(SAMPLE)]) == cli.EXIT_USER_ERROR
    assert "Cloudinary is not set up" in capsys.readouterr().err
