"""Uploads to Cloudinary with the official SDK: character images and exported videos.

The returned `secure_url` is what the seed called `character_keyframe_uri` / `cloudinary_url`:
stored on the character (`Character.cloud_url`) and usable wherever a public image URL is
wanted. Uploads are signed with the API key and secret from the keyring; the secret only ever
feeds the signature and is never sent, logged or written.

The SDK's global `cloudinary.config()` is never touched: the account travels with each call as
options, so two accounts (or the tests' emulator) cannot leak into each other. The emulator in
`avpe_desktop.testing.cloudinary_emulator` is reached through the SDK's own `upload_prefix`
option (`AVPE_CLOUDINARY_UPLOAD_PREFIX` for the CLI).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from avpe_desktop.domain import Character, Project
from avpe_desktop.domain._base import utc_now
from avpe_desktop.retry_policy import RetryPolicy
from avpe_desktop.secrets import SecretName, get_secret
from avpe_desktop.storage.layout import file_stem
from avpe_desktop.storage.repository import LibraryRepository

log = logging.getLogger(__name__)

UPLOAD_PREFIX_ENV = "AVPE_CLOUDINARY_UPLOAD_PREFIX"
CHARACTERS_FOLDER = "avpe/characters"
SINGLE_REQUEST_LIMIT = 100 * 1024 * 1024
"""Cloudinary's size limit for one upload request; larger files go up in chunks."""
CHUNK_SIZE = 20_000_000  # the SDK's own default chunk

UPLOAD_POLICY = RetryPolicy(retries=3, base_delay=2.0, max_delay=30.0)

ResourceType = Literal["image", "video"]


class UploadError(Exception):
    """An upload failed; the message says why in words a creator understands."""


class UploadCredentialsError(UploadError):
    """Cloudinary is not configured, or refused the credentials."""


@dataclass(frozen=True)
class CloudinaryAccount:
    cloud_name: str
    api_key: str
    api_secret: str = field(repr=False)
    upload_prefix: str | None = None
    """The Upload API's base URL; None means Cloudinary's own (https://api.cloudinary.com)."""

    @classmethod
    def from_secrets(cls) -> CloudinaryAccount:
        """From the keyring (or the environment), with the emulator's address when
        `AVPE_CLOUDINARY_UPLOAD_PREFIX` is set."""
        names = (
            SecretName.CLOUDINARY_CLOUD_NAME,
            SecretName.CLOUDINARY_API_KEY,
            SecretName.CLOUDINARY_API_SECRET,
        )
        values = {name: get_secret(name) for name in names}
        missing = [name.env_var for name, value in values.items() if not value]
        if missing:
            raise UploadCredentialsError(
                "Cloudinary is not set up: add the cloud name, API key and API secret in "
                f"Settings (missing: {', '.join(missing)})."
            )
        return cls(
            cloud_name=str(values[SecretName.CLOUDINARY_CLOUD_NAME]),
            api_key=str(values[SecretName.CLOUDINARY_API_KEY]),
            api_secret=str(values[SecretName.CLOUDINARY_API_SECRET]),
            upload_prefix=os.environ.get(UPLOAD_PREFIX_ENV) or None,
        )

    def options(self) -> dict[str, str]:
        options = {
            "cloud_name": self.cloud_name,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
        }
        if self.upload_prefix:
            options["upload_prefix"] = self.upload_prefix.rstrip("/")
        return options


@dataclass(frozen=True)
class UploadResult:
    secure_url: str
    public_id: str
    version: int
    resource_type: str
    format: str
    bytes: int
    width: int | None = None
    height: int | None = None


class CloudinaryUploader:
    """Signed uploads, retried on what another attempt can fix (5xx, 420/429 rate limits,
    timeouts, dropped connections) and never on what it cannot (bad request, credentials).

    Retrying is safe: every upload names its `public_id` and overwrites, so a request that
    did reach Cloudinary before the connection dropped is replaced, not duplicated.
    """

    def __init__(
        self,
        account: CloudinaryAccount,
        *,
        policy: RetryPolicy = UPLOAD_POLICY,
        timeout: float = 300.0,
        chunk_size: int = CHUNK_SIZE,
        single_request_limit: int = SINGLE_REQUEST_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.policy = policy
        self.timeout = timeout
        self.chunk_size = chunk_size
        self.single_request_limit = single_request_limit
        self._sleep = sleep

    def upload_image(
        self, path: Path, *, folder: str, public_id: str | None = None
    ) -> UploadResult:
        return self.upload(path, resource_type="image", folder=folder, public_id=public_id)

    def upload_video(
        self, path: Path, *, folder: str, public_id: str | None = None
    ) -> UploadResult:
        return self.upload(path, resource_type="video", folder=folder, public_id=public_id)

    def upload(
        self,
        path: Path,
        *,
        resource_type: ResourceType,
        folder: str,
        public_id: str | None = None,
    ) -> UploadResult:
        """`public_id` defaults to one derived from the file name."""
        try:
            from cloudinary import uploader  # the optional `cloud` extra; only uploads need it
        except ImportError as exc:
            raise UploadError(
                "Uploading needs the Cloudinary SDK, which this installation lacks: "
                "pip install 'avpe-desktop[cloud]'."
            ) from exc

        if not path.is_file():
            raise UploadError(f"There is no file to upload at {path}.")
        size = path.stat().st_size
        public_id = public_id or public_id_for(path.stem)
        log.info(
            "Uploading %s (%d bytes) to Cloudinary as %s/%s", path.name, size, folder, public_id
        )
        attempt = 0
        while True:
            options: dict[str, Any] = {
                **self.account.options(),
                "resource_type": resource_type,
                "folder": folder,
                "public_id": public_id,
                "overwrite": True,
                "filename": path.name,  # not the full local path, which the SDK would send
                "timeout": self.timeout,
            }
            try:
                if size > self.single_request_limit:
                    reply = uploader.upload_large(str(path), chunk_size=self.chunk_size, **options)
                else:
                    reply = uploader.upload(str(path), **options)
                return _result(reply)
            except Exception as exc:  # the SDK raises its own Error family; see _classify
                error, retryable = _classify(exc)
                if not retryable:
                    raise error from exc
                if attempt >= self.policy.retries:
                    raise UploadError(
                        f"{error} Gave up on uploading {path.name} after {attempt + 1} attempts."
                    ) from exc
                wait = self.policy.delay(attempt)
                log.info(
                    "Upload of %s failed (%s); retry %d in %.2fs",
                    path.name,
                    error,
                    attempt + 1,
                    wait,
                )
                attempt += 1
                self._sleep(wait)


_STATUS_IN_PARSE_ERROR = re.compile(r"^Error parsing server response \((\d{3})\)")


def _classify(exc: Exception) -> tuple[UploadError, bool]:
    """The SDK reports HTTP statuses only as exception classes (cloudinary 1.46:
    400 BadRequest, 401 AuthorizationRequired, 403 NotAllowed, 404 NotFound, 409 AlreadyExists,
    420/429 RateLimited, 500/503 GeneralError); other statuses, socket errors and timeouts
    arrive as its base `Error`, and a body that is not JSON as "Error parsing server response
    (status)". An unknown 4xx with a JSON body is therefore retried too: bounded and harmless."""
    from cloudinary import exceptions as cloudinary_errors

    if isinstance(exc, cloudinary_errors.AuthorizationRequired | cloudinary_errors.NotAllowed):
        return UploadCredentialsError(
            f"Cloudinary refused the credentials ({exc}). Check the cloud name, API key and "
            "API secret in Settings."
        ), False
    if isinstance(
        exc,
        cloudinary_errors.BadRequest | cloudinary_errors.NotFound | cloudinary_errors.AlreadyExists,
    ):
        return UploadError(f"Cloudinary rejected the upload ({exc})."), False
    if isinstance(exc, cloudinary_errors.RateLimited):
        return UploadError(f"Cloudinary is rate-limiting uploads ({exc})."), True
    if isinstance(exc, cloudinary_errors.GeneralError):
        return UploadError(f"Cloudinary's service is failing ({exc})."), True
    if isinstance(exc, cloudinary_errors.Error):
        match = _STATUS_IN_PARSE_ERROR.match(str(exc))
        if match and match.group(1).startswith("4"):
            return UploadError(f"Cloudinary rejected the upload (HTTP {match.group(1)})."), False
        return UploadError(f"The connection to Cloudinary failed ({_short(exc)})."), True
    if isinstance(exc, OSError):
        return UploadError(f"The file could not be read for upload ({exc})."), False
    raise exc


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] or type(exc).__name__


def _result(reply: dict[str, Any]) -> UploadResult:
    try:
        return UploadResult(
            secure_url=str(reply["secure_url"]),
            public_id=str(reply["public_id"]),
            version=int(reply["version"]),
            resource_type=str(reply["resource_type"]),
            format=str(reply.get("format", "")),
            bytes=int(reply.get("bytes", 0)),
            width=reply.get("width"),
            height=reply.get("height"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UploadError(f"Cloudinary's answer lacks the uploaded file's URL ({exc}).") from exc


def public_id_for(name: str) -> str:
    """A Cloudinary-safe public id (ASCII letters, digits, `_` and `-`) from a file name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", file_stem(name)).strip("_") or "file"


def project_folder(project: Project) -> str:
    """One Cloudinary folder per project, readable and unique."""
    return f"avpe/{public_id_for(project.title)}-{project.id[:8]}"


def upload_character(
    library: LibraryRepository,
    library_dir: Path,
    character: Character,
    uploader: CloudinaryUploader,
) -> Character:
    """Uploads the character's image and stores its URL on the character, so the library
    (on MongoDB too) carries a public URL other tools can use as `character_keyframe_uri`."""
    result = uploader.upload_image(
        library_dir / character.image,
        folder=CHARACTERS_FOLDER,
        public_id=f"{public_id_for(character.name)}-{character.id[:8]}",
    )
    updated = character.model_copy(update={"cloud_url": result.secure_url, "updated_at": utc_now()})
    library.update_character(updated)
    return updated
