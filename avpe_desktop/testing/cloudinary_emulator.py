"""A loopback HTTP server that speaks Cloudinary's Upload API as the official SDK calls it.

Point the SDK at it with the `upload_prefix` option (`upload_prefix=emu.base_url`) and uploads
run end to end without network or an account. Routes (from cloudinary 1.46's uploader):

Upload:    POST /v1_1/{cloud}/{resource_type}/upload   multipart form: the signed params,
           `api_key`, `signature`, `file`; chunked when sent with Content-Range and
           X-Unique-Upload-Id headers (`uploader.upload_large`)
Delivery:  GET  /{cloud}/{resource_type}/upload/v{version}/{public_id}.{format}
           (the `secure_url` of an upload; the bytes that were stored)

Signed requests are verified as Cloudinary does: every form field except `file`, `api_key`,
`signature`, `resource_type` and `cloud_name`, as sorted `key=value` pairs joined with `&`
("&" inside a pair written `%26`), followed by the API secret, hashed with SHA-1 (40 hex digits)
or SHA-256 (64). A wrong key or signature, or a timestamp more than an hour old, is a 401.
Faults answer the next requests with a status (500, 503, 401...) or drop the connection. Every
request is logged with the API key masked and whether its signature was valid.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
import uuid
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import PurePosixPath
from typing import Any

from PIL import Image, UnidentifiedImageError

from avpe_desktop.secrets import mask
from avpe_desktop.testing.loopback import LoopbackHandler, LoopbackServer

_UNSIGNED_FIELDS = {"file", "api_key", "signature", "resource_type", "cloud_name"}
STALE_AFTER_SECONDS = 3600


@dataclass
class Fault:
    """What to do to the next `times` upload requests (-1: forever)."""

    times: int = 1
    status: int | None = None
    message: str | None = None
    drop: bool = False  # close the socket without answering


@dataclass(frozen=True)
class LoggedUpload:
    path: str
    resource_type: str
    params: dict[str, str]  # the signed params as received, without the signature
    key: str  # masked API key
    signature_valid: bool
    file_bytes: int
    chunk: str | None  # the Content-Range of a chunked upload
    status: int | None  # None when the connection was dropped


@dataclass
class StoredAsset:
    public_id: str
    resource_type: str
    format: str
    version: int
    data: bytes


@dataclass
class _State:
    faults: list[Fault] = field(default_factory=list)
    assets: dict[tuple[str, str], StoredAsset] = field(default_factory=dict)
    chunks: dict[str, _ChunkedUpload] = field(default_factory=dict)


@dataclass
class _ChunkedUpload:
    public_id: str  # from the first chunk: later chunks repeat the id the first reply gave
    parts: dict[int, bytes] = field(default_factory=dict)


class _ReplyError(Exception):
    """Raised inside the handler to answer with Cloudinary's error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class CloudinaryEmulator(LoopbackServer[LoggedUpload]):
    """`with CloudinaryEmulator() as emu:` serves on 127.0.0.1 in a background thread, for the
    account `cloud_name` / `api_key` / `api_secret` (fake values by default)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        cloud_name: str = "avpe-emulator",
        api_key: str = "123456789012345",
        api_secret: str = "emulator-secret-not-real",
    ) -> None:
        super().__init__(_Handler, host, port, "cloudinary-emulator")
        self.cloud_name = cloud_name
        self.api_key = api_key
        self.api_secret = api_secret
        self._state = _State()

    # Faults, log and stored files -----------------------------------------------------------

    def fail(self, status: int, *, times: int = 1, message: str | None = None) -> Fault:
        return self._add(Fault(times, status=status, message=message))

    def drop(self, *, times: int = 1) -> Fault:
        return self._add(Fault(times, drop=True))

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._state.faults.append(fault)
        return fault

    @property
    def requests(self) -> list[LoggedUpload]:
        return self._logged()

    def asset(self, public_id: str, resource_type: str = "image") -> StoredAsset | None:
        with self._lock:
            return self._state.assets.get((resource_type, public_id))

    # Internals used by the handler ----------------------------------------------------------

    def _take_fault(self) -> Fault | None:
        with self._lock:
            for fault in self._state.faults:
                if fault.times != 0:
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def _signature_valid(self, params: dict[str, str], signature: str) -> bool:
        to_sign = "&".join(sorted(f"{k}={v}".replace("&", "%26") for k, v in params.items() if v))
        algorithm = hashlib.sha256 if len(signature) == 64 else hashlib.sha1
        expected = algorithm((to_sign + self.api_secret).encode("utf-8")).hexdigest()
        return hmac.compare_digest(expected, signature)

    def _add_chunk(
        self, upload_id: str, public_id: str, start: int, data: bytes, total: int
    ) -> tuple[str, bytes | None]:
        """The upload's public id, and the whole file once every byte has arrived."""
        with self._lock:
            upload = self._state.chunks.setdefault(upload_id, _ChunkedUpload(public_id))
            upload.parts[start] = data
            if sum(len(p) for p in upload.parts.values()) < total:
                return upload.public_id, None
            del self._state.chunks[upload_id]
        return upload.public_id, b"".join(upload.parts[at] for at in sorted(upload.parts))

    def _store(self, public_id: str, resource_type: str, fmt: str, data: bytes) -> StoredAsset:
        with self._lock:
            previous = self._state.assets.get((resource_type, public_id))
            version = max(int(time.time()), previous.version + 1 if previous else 0)
            asset = StoredAsset(public_id, resource_type, fmt, version, data)
            self._state.assets[(resource_type, public_id)] = asset
        return asset


class _Handler(LoopbackHandler):
    emulator: CloudinaryEmulator

    def _serve(self, method: str) -> None:
        if method == "POST":
            self._upload_request()
        else:
            self._deliver()

    def _deliver(self) -> None:
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        # {cloud}/{resource_type}/upload/v{version}/{public_id...}.{format}
        if len(parts) >= 5 and parts[0] == self.emulator.cloud_name and parts[2] == "upload":
            public_id = str(PurePosixPath(*parts[4:]).with_suffix(""))
            asset = self.emulator.asset(public_id, parts[1])
            if asset is not None:
                self._send(200, asset.data, "application/octet-stream")
                return
        self._send(404, b"Resource not found", "text/plain")

    def _upload_request(self) -> None:
        upload = _Upload(self.path, self.headers.get("Content-Type", ""), self._body())
        try:
            upload.read(self.emulator)
            fault = self.emulator._take_fault()
            if fault is not None and fault.drop:
                self._record(upload, None)
                self._drop()
                return
            if fault is not None and fault.status:
                message = fault.message or _DEFAULT_MESSAGES.get(fault.status, "")
                raise _ReplyError(fault.status, message)
            status, result = 200, self._upload(upload)
        except _ReplyError as reply:
            status, result = reply.status, {"error": {"message": str(reply)}}
        self._record(upload, status)
        self._send(status, json.dumps(result).encode())

    def _upload(self, upload: _Upload) -> dict[str, Any]:
        if upload.resource_type is None:
            raise _ReplyError(404, f"No such route: {self.path}")
        if upload.cloud != self.emulator.cloud_name:
            raise _ReplyError(401, f"Invalid cloud_name {upload.cloud}")
        if upload.api_key != self.emulator.api_key:
            raise _ReplyError(401, f"Unknown API key {upload.api_key}")
        if not upload.signature_valid:
            raise _ReplyError(401, f"Invalid Signature {upload.signature}.")
        params = upload.params
        if abs(time.time() - int(params.get("timestamp") or 0)) > STALE_AFTER_SECONDS:
            raise _ReplyError(400, "Stale request - reported time is more than 1 hour ago")
        data = upload.data
        if data is None:
            raise _ReplyError(400, "Missing required parameter - file")

        public_id = params.get("public_id") or uuid.uuid4().hex[:20]
        if folder := params.get("folder"):
            public_id = f"{folder.strip('/')}/{public_id}"
        if content_range := self.headers.get("Content-Range"):
            public_id, whole = self._chunk(content_range, public_id, data)
            if whole is None:
                return {"public_id": public_id, "done": False}
            data = whole
        fmt = PurePosixPath(upload.file_name or "").suffix.lstrip(".").lower() or "bin"
        asset = self.emulator._store(public_id, upload.resource_type, fmt, data)
        return self._result(asset, upload.file_name)

    def _chunk(self, content_range: str, public_id: str, data: bytes) -> tuple[str, bytes | None]:
        """`bytes START-END/TOTAL` with X-Unique-Upload-Id, as upload_large sends them."""
        try:
            span, total = content_range.removeprefix("bytes ").split("/")
            start = int(span.split("-")[0])
            upload_id = self.headers["X-Unique-Upload-Id"]
            return self.emulator._add_chunk(upload_id, public_id, start, data, int(total))
        except (ValueError, KeyError, TypeError) as exc:
            raise _ReplyError(400, f"Invalid chunked upload headers ({exc})") from exc

    def _result(self, asset: StoredAsset, file_name: str | None) -> dict[str, Any]:
        path = (
            f"{self.emulator.cloud_name}/{asset.resource_type}/upload/v{asset.version}/"
            f"{asset.public_id}.{asset.format}"
        )
        result: dict[str, Any] = {
            "asset_id": hashlib.md5(path.encode(), usedforsecurity=False).hexdigest(),
            "public_id": asset.public_id,
            "version": asset.version,
            "signature": hashlib.sha1(asset.data, usedforsecurity=False).hexdigest(),
            "format": asset.format,
            "resource_type": asset.resource_type,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tags": [],
            "bytes": len(asset.data),
            "type": "upload",
            "etag": hashlib.md5(asset.data, usedforsecurity=False).hexdigest(),
            "placeholder": False,
            "url": f"{self.emulator.base_url}/{path}",
            "secure_url": f"{self.emulator.base_url}/{path}",
            "original_filename": PurePosixPath(file_name or "file").stem,
        }
        if asset.resource_type == "image":
            try:
                with Image.open(io.BytesIO(asset.data)) as image:
                    result["width"], result["height"] = image.size
            except (UnidentifiedImageError, OSError) as exc:
                raise _ReplyError(400, "Invalid image file") from exc
        return result

    def _record(self, upload: _Upload, status: int | None) -> None:
        self.emulator._record(
            LoggedUpload(
                path=self.path,
                resource_type=upload.resource_type or "",
                params=upload.params,
                key=mask(upload.api_key),
                signature_valid=upload.signature_valid,
                file_bytes=len(upload.data or b""),
                chunk=self.headers.get("Content-Range"),
                status=status,
            )
        )

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        self._reply(status, payload, content_type, {"X-Request-Id": uuid.uuid4().hex})


class _Upload:
    """One upload request as received: route, signed params, credentials and file."""

    def __init__(self, path: str, content_type: str, body: bytes) -> None:
        self.content_type = content_type
        self.body = body
        parts = path.split("?", 1)[0].strip("/").split("/")
        routed = len(parts) == 4 and parts[0] == "v1_1" and parts[3] == "upload"
        self.cloud = parts[1] if routed else ""
        self.resource_type: str | None = parts[2] if routed else None
        self.params: dict[str, str] = {}
        self.api_key = ""
        self.signature = ""
        self.signature_valid = False
        self.file_name: str | None = None
        self.data: bytes | None = None

    def read(self, emulator: CloudinaryEmulator) -> None:
        fields, self.file_name, self.data = _parse_form(self.content_type, self.body)
        self.signature = fields.pop("signature", "")
        self.api_key = fields.pop("api_key", "")
        self.params = {k: v for k, v in fields.items() if k not in _UNSIGNED_FIELDS}
        self.signature_valid = bool(self.signature) and emulator._signature_valid(
            self.params, self.signature
        )


_DEFAULT_MESSAGES = {
    401: "Invalid Signature. String to sign - ''.",
    420: "Rate Limit Exceeded",
    500: "General Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], str | None, bytes | None]:
    """Form fields, the file's name and the file's bytes of a multipart/form-data body.
    List params arrive as `key[]` fields and are signed as one comma-joined value."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    )
    if not message.is_multipart():
        raise _ReplyError(400, "Expected a multipart/form-data upload")
    fields: dict[str, list[str]] = {}
    file_name: str | None = None
    data: bytes | None = None
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if name == "file":
            file_name = part.get_filename()
            data = payload
        else:
            fields.setdefault(name.removesuffix("[]"), []).append(payload.decode("utf-8"))
    return {k: ",".join(v) for k, v in fields.items()}, file_name, data
