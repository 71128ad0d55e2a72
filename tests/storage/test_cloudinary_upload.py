"""Uploads through the real cloudinary SDK to the loopback Cloudinary emulator."""

from __future__ import annotations

import hashlib
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("cloudinary")

from avpe_desktop.domain import Character
from avpe_desktop.engines.resilience import RetryPolicy
from avpe_desktop.secrets import SecretName, set_secret
from avpe_desktop.storage import cloudinary_upload as cloud
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.cloudinary_emulator import CloudinaryEmulator

SAMPLE = Path(__file__).parents[2] / "avpe_desktop" / "resources" / "characters" / "floof.png"
FAST = RetryPolicy(retries=3, base_delay=0.5, jitter=0.0)


@pytest.fixture
def emu() -> Iterator[CloudinaryEmulator]:
    with CloudinaryEmulator() as emulator:
        yield emulator


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def uploader(emu: CloudinaryEmulator, waits: list[float]) -> cloud.CloudinaryUploader:
    account = cloud.CloudinaryAccount(emu.cloud_name, emu.api_key, emu.api_secret, emu.base_url)
    return cloud.CloudinaryUploader(account, policy=FAST, sleep=waits.append)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_image_upload_is_signed_and_returns_a_working_url(
    emu: CloudinaryEmulator, uploader: cloud.CloudinaryUploader
) -> None:
    result = uploader.upload_image(SAMPLE, folder="avpe/my-project")

    assert result.public_id == "avpe/my-project/floof"
    assert (result.resource_type, result.format) == ("image", "png")
    assert (result.width, result.height, result.bytes) == (768, 768, SAMPLE.stat().st_size)
    assert result.secure_url.startswith(emu.base_url)
    assert _fetch(result.secure_url) == SAMPLE.read_bytes()
    [request] = emu.requests
    assert request.signature_valid
    assert request.params["folder"] == "avpe/my-project"
    assert request.params["public_id"] == "floof"
    assert "api_secret" not in request.params


def test_the_emulator_checks_signatures_the_way_the_sdk_makes_them(
    emu: CloudinaryEmulator,
) -> None:
    """Cross-checked against the SDK's own signing function, for both hash algorithms."""
    from cloudinary.utils import api_sign_request

    params = {"timestamp": "1700000000", "public_id": "a&b", "folder": "x/y", "overwrite": "1"}
    for algorithm in ("sha1", "sha256"):
        signature = api_sign_request(params, emu.api_secret, algorithm)
        assert emu._signature_valid(params, signature)
        assert not emu._signature_valid({**params, "folder": "other"}, signature)
    manual = "folder=x/y&overwrite=1&public_id=a%26b&timestamp=1700000000" + emu.api_secret
    assert emu._signature_valid(params, hashlib.sha1(manual.encode()).hexdigest())


def test_a_wrong_secret_is_refused_without_retrying(emu: CloudinaryEmulator) -> None:
    account = cloud.CloudinaryAccount(emu.cloud_name, emu.api_key, "not-the-secret", emu.base_url)
    uploader = cloud.CloudinaryUploader(account, policy=FAST, sleep=lambda _s: None)
    with pytest.raises(cloud.UploadCredentialsError, match="refused the credentials"):
        uploader.upload_image(SAMPLE, folder="f")
    [request] = emu.requests
    assert (request.status, request.signature_valid) == (401, False)


def test_server_errors_and_dropped_connections_are_retried_with_backoff(
    emu: CloudinaryEmulator, uploader: cloud.CloudinaryUploader, waits: list[float]
) -> None:
    emu.fail(500)
    emu.fail(503)
    emu.drop()
    result = uploader.upload_video(SAMPLE.with_name("grumble.jpg"), folder="avpe/exports")

    assert [r.status for r in emu.requests] == [500, 503, None, 200]
    assert all(r.signature_valid for r in emu.requests)
    assert waits == [0.5, 1.0, 2.0]  # the policy's exponential schedule
    assert result.public_id == "avpe/exports/grumble"
    assert result.resource_type == "video"
    assert emu.asset("avpe/exports/grumble", "video") is not None


def test_client_errors_are_not_retried(
    emu: CloudinaryEmulator, uploader: cloud.CloudinaryUploader
) -> None:
    emu.fail(400, message="Invalid image file")
    with pytest.raises(cloud.UploadError, match="rejected the upload"):
        uploader.upload_image(SAMPLE, folder="f")
    assert len(emu.requests) == 1


def test_gives_up_after_the_policy_retries(
    emu: CloudinaryEmulator, uploader: cloud.CloudinaryUploader
) -> None:
    emu.fail(503, times=-1)
    with pytest.raises(cloud.UploadError, match="after 4 attempts"):
        uploader.upload_image(SAMPLE, folder="f")
    assert len(emu.requests) == 4


def test_large_files_go_up_in_chunks(emu: CloudinaryEmulator) -> None:
    account = cloud.CloudinaryAccount(emu.cloud_name, emu.api_key, emu.api_secret, emu.base_url)
    uploader = cloud.CloudinaryUploader(
        account, single_request_limit=50_000, chunk_size=40_000, sleep=lambda _s: None
    )
    result = uploader.upload_video(SAMPLE, folder="avpe/big", public_id="clip")
    assert [r.chunk for r in emu.requests] == [
        "bytes 0-39999/107603",
        "bytes 40000-79999/107603",
        "bytes 80000-107602/107603",
    ]
    assert result.public_id == "avpe/big/clip"
    assert _fetch(result.secure_url) == SAMPLE.read_bytes()


def test_upload_character_stores_the_url_in_the_library(
    tmp_path: Path, emu: CloudinaryEmulator, uploader: cloud.CloudinaryUploader
) -> None:
    (tmp_path / "characters").mkdir()
    (tmp_path / "characters" / "image.png").write_bytes(SAMPLE.read_bytes())
    character = Character(name="Floof Junior", image="characters/image.png")
    with SqliteLibrary(tmp_path / "library.db") as library:
        library.add_character(character)
        updated = cloud.upload_character(library, tmp_path, character, uploader)
        assert library.get_character(character.id).cloud_url == updated.cloud_url
    assert updated.cloud_url is not None
    assert f"avpe/characters/floof_junior-{character.id[:8]}.png" in updated.cloud_url
    assert _fetch(updated.cloud_url) == SAMPLE.read_bytes()


def test_account_comes_from_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(cloud.UploadCredentialsError, match="CLOUDINARY_API_SECRET"):
        cloud.CloudinaryAccount.from_secrets()
    set_secret(SecretName.CLOUDINARY_CLOUD_NAME, "demo")
    set_secret(SecretName.CLOUDINARY_API_KEY, "key123")
    set_secret(SecretName.CLOUDINARY_API_SECRET, "secret456")
    monkeypatch.setenv(cloud.UPLOAD_PREFIX_ENV, "http://127.0.0.1:9/")
    account = cloud.CloudinaryAccount.from_secrets()
    assert account.options() == {
        "cloud_name": "demo",
        "api_key": "key123",
        "api_secret": "secret456",
        "upload_prefix": "http://127.0.0.1:9",
    }
    assert "secret456" not in repr(account)


def test_public_ids_are_safe() -> None:
    assert cloud.public_id_for("Floof's Mysterious Discovery (final)") == (
        "floofs_mysterious_discovery_final"
    )
    assert cloud.public_id_for("../../etc") == "etc"
    assert cloud.public_id_for("日本") == "file"


def test_without_the_sdk_an_upload_says_what_to_install(
    emu: CloudinaryEmulator, uploader: cloud.CloudinaryUploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cloudinary", None)  # what a missing package looks like
    with pytest.raises(cloud.UploadError, match=r"avpe-desktop\[cloud\]"):
        uploader.upload_image(SAMPLE, folder="avpe/x")
    assert emu.requests == []
