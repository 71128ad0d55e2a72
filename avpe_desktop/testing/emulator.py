"""A loopback HTTP server that speaks the Google routes the google-genai SDK really calls.

Point the real SDK at it with `HttpOptions(base_url=emu.base_url)` and the Google engine runs
end to end without network or credentials. Routes (captured from google-genai 3.6):

Vertex, project + location:  POST /v1beta1/projects/{p}/locations/{l}/{model path}:{method}
Vertex express (API key):    POST /v1beta1/{model path}:{method}
  where {model path} is publishers/google/models/{m}
Developer API (AI Studio):   POST /v1/models/{m}:generateContent      (v1beta with that version)
  {method} is generateContent, predict (Imagen), predictLongRunning (Veo) or
  fetchPredictOperation (Veo poll, body {"operationName": ...}).
Operation GET:               GET  /{version}/{operation name}
Video by reference:          GET  /storage/v1/b/{bucket}/o/{object}?alt=media  (gs:// URIs)
                             GET  /emulator/files/{id}                         (http URIs)

Faults (`Fault`) make chosen requests slow, fail with a status (429 with Retry-After or
RetryInfo, 500, 503...), drop the connection, return a malformed body, return JSON that fails
the schema, or filter images and videos for safety. Every request is logged (`requests`) with
its model and a hash of its body, and the API key masked, so tests can assert what was and
was not sent twice.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import re
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from avpe_desktop.secrets import mask
from avpe_desktop.testing.google_media import OfflineMedia
from avpe_desktop.testing.loopback import LoopbackHandler, LoopbackServer

log = logging.getLogger(__name__)

_VERSION = r"(?P<version>v1beta1|v1beta|v1alpha|v1)"
_MODEL_CALL = re.compile(
    rf"^/{_VERSION}/(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"(?P<publisher>publishers/[^/]+/)?models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)
_OPERATION_GET = re.compile(rf"^/{_VERSION}/(?P<name>.+/operations/(?P<op>[^/]+))$")
_GCS_OBJECT = re.compile(r"^/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<object>.+)$")
_FILE = re.compile(r"^/emulator/files/(?P<id>[^/]+)$")

Route = Literal[
    "generateContent",
    "predict",
    "predictLongRunning",
    "fetchPredictOperation",
    "operations.get",
    "download",
]

GCS_BUCKET = "avpe-emulator"


@dataclass
class Fault:
    """What to do to the next `times` requests matching `route` and `model` (None: any).
    `times=-1` applies forever."""

    route: str | None = None
    model: str | None = None
    times: int = 1
    latency: float = 0.0
    status: int | None = None
    message: str | None = None
    retry_after: float | None = None  # Retry-After header, seconds
    retry_delay: float | None = None  # google.rpc.RetryInfo in the error body, seconds
    drop: bool = False  # close the socket without answering
    malformed: bool = False  # 200 with a body that is not JSON
    invalid_output: bool = False  # JSON that does not match the requested schema
    finish_reason: str | None = None  # image answer without an image (IMAGE_SAFETY, NO_IMAGE)
    block_reason: str | None = None  # promptFeedback.blockReason
    rai_reasons: tuple[str, ...] | None = None  # Veo result filtered, or Imagen raiFilteredReason
    operation_error: dict[str, Any] | None = None  # Veo operation finishes with this error

    def matches(self, route: str, model: str | None) -> bool:
        return (
            self.times != 0
            and (self.route is None or self.route == route)
            and (self.model is None or self.model == model)
        )


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    route: str
    model: str | None
    body_sha256: str
    timestamp: float
    key: str  # masked API key, "bearer" for OAuth tokens, "" for none
    status: int | None = None  # None when the connection was dropped
    answered_at: float | None = None  # when the answer was sent (time.time())


ABANDONED = 499
"""Logged (nginx's convention) for a request whose client hung up before the answer: no
answer was delivered, so nothing was paid for."""


@dataclass
class _Operation:
    name: str
    model: str
    future: Future[bytes]
    polls: int = 0
    started: float = field(default_factory=time.monotonic)
    storage_uri: str | None = None
    fault: Fault | None = None


@dataclass
class _State:
    faults: list[Fault] = field(default_factory=list)
    operations: dict[str, _Operation] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


class _ReplyError(Exception):
    """Raised inside a handler to answer with an error status."""

    def __init__(self, status: int, message: str, status_text: str, details: Any = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "error": {"code": status, "message": message, "status": status_text}
        }
        if details:
            self.body["error"]["details"] = details


_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class Emulator(LoopbackServer[LoggedRequest]):
    """`with Emulator() as emu:` serves on 127.0.0.1 in a background thread until the block
    ends. `polls_to_finish` is how many fetches a Veo operation needs before it reports done
    (the last one waits for the render); `video_seconds` is how long after its start it
    reports done at the earliest, like Veo's render time, however often it is polled (so a
    benchmark can fix the clip's duration independently of the poller); `video_delivery`
    picks inline bytes or a URI."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        media: OfflineMedia | None = None,
        polls_to_finish: int = 1,
        video_seconds: float = 0.0,
        video_delivery: Literal["inline", "gcs", "http"] = "inline",
        api_keys: set[str] | None = None,
        render_timeout: float = 120.0,
    ) -> None:
        super().__init__(_Handler, host, port, "google-emulator")
        self.media = media or OfflineMedia()
        self.polls_to_finish = polls_to_finish
        self.video_seconds = video_seconds
        self.video_delivery = video_delivery
        self.api_keys = api_keys
        self.render_timeout = render_timeout
        self._state = _State()
        self._answers = threading.Lock()
        self._renders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-render")

    def stop(self) -> None:
        super().stop()
        # A render nobody will poll finishes in its worker thread; do not wait for it here.
        self._renders.shutdown(wait=False, cancel_futures=True)

    # Faults ---------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._state.faults.append(fault)
        return fault

    def fail(
        self,
        route: str | None,
        status: int,
        *,
        times: int = 1,
        model: str | None = None,
        retry_after: float | None = None,
        retry_delay: float | None = None,
        message: str | None = None,
    ) -> Fault:
        return self.add_fault(
            Fault(
                route,
                model,
                times,
                status=status,
                retry_after=retry_after,
                retry_delay=retry_delay,
                message=message,
            )
        )

    def drop(self, route: str | None, *, times: int = 1, model: str | None = None) -> Fault:
        return self.add_fault(Fault(route, model, times, drop=True))

    def malformed(self, route: str | None, *, times: int = 1) -> Fault:
        return self.add_fault(Fault(route, None, times, malformed=True))

    def invalid_output(self, *, times: int = 1, model: str | None = None) -> Fault:
        return self.add_fault(Fault("generateContent", model, times, invalid_output=True))

    def slow(self, route: str | None, seconds: float, *, times: int = -1) -> Fault:
        return self.add_fault(Fault(route, None, times, latency=seconds))

    def filter_image(
        self,
        finish_reason: str = "IMAGE_SAFETY",
        *,
        times: int = 1,
        block_reason: str | None = None,
    ) -> Fault:
        return self.add_fault(
            Fault(
                "generateContent",
                None,
                times,
                finish_reason=finish_reason,
                block_reason=block_reason,
            )
        )

    def filter_imagen(self, reason: str, *, times: int = 1) -> Fault:
        return self.add_fault(Fault("predict", None, times, rai_reasons=(reason,)))

    def filter_video(self, *reasons: str, times: int = 1) -> Fault:
        return self.add_fault(Fault("predictLongRunning", None, times, rai_reasons=reasons))

    def fail_operation(self, code: int, message: str, *, times: int = 1) -> Fault:
        error = {"code": code, "message": message}
        return self.add_fault(Fault("predictLongRunning", None, times, operation_error=error))

    def wait_for_renders(self) -> None:
        """Blocks until every clip started so far is rendered, so a test can have the next
        poll of any of them answer at once."""
        with self._lock:
            futures = [op.future for op in self._state.operations.values()]
        for future in futures:
            future.exception(timeout=self.render_timeout)

    def expire_operations(self) -> None:
        """Forgets every Veo operation and its stored clip, as Veo does about two days after
        the render: polling one then answers 404."""
        with self._lock:
            self._state.operations.clear()
            self._state.files.clear()

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()

    # Request log ----------------------------------------------------------------------------

    def requests(self, route: str | None = None, model: str | None = None) -> list[LoggedRequest]:
        return [
            r
            for r in self._logged()
            if (route is None or r.route == route) and (model is None or r.model == model)
        ]

    def count(self, route: str | None = None, model: str | None = None) -> int:
        return len(self.requests(route, model))

    # Internals used by the handler ----------------------------------------------------------

    def _take_fault(self, route: str, model: str | None) -> Fault | None:
        """The first matching fault, with one use consumed; latency-only faults stack with
        one behavioural fault, so a slow route can still fail."""
        with self._lock:
            chosen: Fault | None = None
            delay = 0.0
            for fault in self._state.faults:
                if not fault.matches(route, model):
                    continue
                is_latency = fault.latency and not _behaviour(fault)
                if is_latency:
                    delay += fault.latency
                elif chosen is None:
                    chosen = fault
                else:
                    continue
                if fault.times > 0:
                    fault.times -= 1
        if delay:
            time.sleep(delay)
        if chosen is not None and chosen.latency:
            time.sleep(chosen.latency)
        return chosen

    @contextlib.contextmanager
    def answers_held(self) -> Iterator[None]:
        """No answer leaves while the block runs. A test that kills a client inside it knows
        every answer either reached the client before, or finds it gone (logged ABANDONED)."""
        with self._answers:
            yield

    def _set_status(self, index: int, status: int) -> None:
        with self._lock:
            entry = self._log[index]
            self._log[index] = LoggedRequest(
                **{**entry.__dict__, "status": status, "answered_at": time.time()}
            )

    def _new_operation(self, op: _Operation) -> None:
        with self._lock:
            self._state.operations[op.name.rsplit("/", 1)[-1]] = op

    def _operation(self, op_id: str) -> _Operation | None:
        with self._lock:
            return self._state.operations.get(op_id)

    def _store_file(self, key: str, data: bytes) -> None:
        with self._lock:
            self._state.files[key] = data

    def _file(self, key: str) -> bytes | None:
        with self._lock:
            return self._state.files.get(key)


def _behaviour(fault: Fault) -> bool:
    return any(
        (
            fault.status,
            fault.drop,
            fault.malformed,
            fault.invalid_output,
            fault.finish_reason,
            fault.block_reason,
            fault.rai_reasons,
            fault.operation_error,
        )
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    """The SDK sends inline bytes URL-safe encoded and Image bytes standard-encoded;
    Google accepts both, so the emulator does too."""
    return base64.b64decode(text.replace("-", "+").replace("_", "/"))


def _inline_images(contents: list[dict[str, Any]]) -> list[bytes]:
    images = []
    for content in contents:
        for part in content.get("parts", []):
            inline = part.get("inlineData") or part.get("inline_data")
            if inline and str(inline.get("mimeType") or inline.get("mime_type")).startswith(
                "image/"
            ):
                images.append(_unb64(inline["data"]))
    return images


def _first_user_text(contents: list[dict[str, Any]]) -> str:
    """The task prompt; a follow-up turn (a retry with feedback) does not replace it."""
    for content in contents:
        if content.get("role", "user") == "user":
            texts = [p["text"] for p in content.get("parts", []) if "text" in p]
            if texts:
                return "\n".join(texts)
    return ""


class _Handler(LoopbackHandler):
    emulator: Emulator

    def _serve(self, method: str) -> None:
        raw = self._body()
        parsed = urlparse(self.path)
        path = parsed.path
        route, model, params = self._route(method, path)
        key = self.headers.get("x-goog-api-key")
        logged_key = mask(key) if key else ("bearer" if self.headers.get("Authorization") else "")
        entry = self.emulator._record(
            LoggedRequest(
                method=method,
                path=path,
                route=route,
                model=model,
                body_sha256=hashlib.sha256(raw).hexdigest(),
                timestamp=time.time(),
                key=logged_key,
            )
        )
        fault = self.emulator._take_fault(route, model) if route != "unknown" else None
        if fault is not None and fault.drop:
            self._drop()
            return
        try:
            if fault is not None and fault.status:
                raise _fault_reply(fault)
            if fault is not None and fault.malformed:
                self._send(200, b'{"candidates": [{"content": ', "application/json", entry)
                return
            self._check_auth(key, route)
            body = json.loads(raw) if raw else {}
            status, payload, content_type = self._dispatch(route, model, params, body, fault)
        except _ReplyError as reply:
            status, payload, content_type = reply.status, reply.body, "application/json"
        except (ValueError, KeyError, TypeError) as exc:
            status, content_type = 400, "application/json"
            payload = _ReplyError(400, f"Bad request: {exc}", "INVALID_ARGUMENT").body
        except Exception as exc:  # the emulator must answer, like a server would
            log.exception("emulator failed on %s %s", method, path)
            status, content_type = 500, "application/json"
            payload = _ReplyError(500, f"Emulator error: {exc}", "INTERNAL").body
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {}
        if fault is not None and fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        self._send(status, data, content_type, entry, headers)

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str,
        entry: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        with self.emulator._answers:
            if self._client_gone():
                self.emulator._set_status(entry, ABANDONED)
                self.close_connection = True
                return
            self.emulator._set_status(entry, status)
            self._reply(status, data, content_type, headers)

    def _client_gone(self) -> bool:
        """True when the client closed its end (a killed process, a timeout) while waiting;
        a client waiting for its answer sends nothing, so a readable socket means EOF."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except (OSError, ValueError):
            return True

    def _route(self, method: str, path: str) -> tuple[str, str | None, dict[str, str]]:
        if method == "POST" and (match := _MODEL_CALL.match(path)):
            return match["method"], match["model"], match.groupdict()
        if method == "GET" and (match := _GCS_OBJECT.match(path)):
            return "download", None, match.groupdict()
        if method == "GET" and (match := _FILE.match(path)):
            return "download", None, match.groupdict()
        if method == "GET" and (match := _OPERATION_GET.match(path)):
            return "operations.get", _model_of(match["name"]), match.groupdict()
        return "unknown", None, {}

    def _check_auth(self, key: str | None, route: str) -> None:
        if route == "unknown":
            raise _ReplyError(404, f"No such route: {self.path}", "NOT_FOUND")
        if key is None and not self.headers.get("Authorization"):
            raise _ReplyError(
                401, "Request is missing an API key or OAuth token.", "UNAUTHENTICATED"
            )
        keys = self.emulator.api_keys
        if key is not None and keys is not None and key not in keys:
            raise _ReplyError(
                400,
                "API key not valid. Please pass a valid API key.",
                "INVALID_ARGUMENT",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                    }
                ],
            )

    def _dispatch(
        self,
        route: str,
        model: str | None,
        params: dict[str, str],
        body: dict[str, Any],
        fault: Fault | None,
    ) -> tuple[int, Any, str]:
        if route == "generateContent":
            return 200, self._generate_content(body, fault), "application/json"
        if route == "predict":
            return 200, self._predict(body, fault), "application/json"
        if route == "predictLongRunning":
            if params.get("publisher") is None:
                raise _ReplyError(404, "Veo is served only by Vertex AI.", "NOT_FOUND")
            return 200, self._start_video(model or "", params, body, fault), "application/json"
        if route == "fetchPredictOperation":
            return 200, self._poll(str(body.get("operationName", ""))), "application/json"
        if route == "operations.get":
            return 200, self._poll(params["name"]), "application/json"
        return 200, self._download(params), "video/mp4"

    # Gemini -------------------------------------------------------------------------------

    def _generate_content(self, body: dict[str, Any], fault: Fault | None) -> dict[str, Any]:
        contents = body.get("contents", [])
        config = body.get("generationConfig", {})
        prompt = _first_user_text(contents)
        images = _inline_images(contents[:1])
        usage = {"promptTokenCount": max(1, len(prompt) // 4), "candidatesTokenCount": 0}
        if "IMAGE" in [m.upper() for m in config.get("responseModalities", [])]:
            if fault is not None and (fault.finish_reason or fault.block_reason):
                answer: dict[str, Any] = {"candidates": [], "usageMetadata": usage}
                if fault.finish_reason:
                    answer["candidates"] = [{"finishReason": fault.finish_reason, "index": 0}]
                if fault.block_reason:
                    answer["promptFeedback"] = {"blockReason": fault.block_reason}
                return answer
            aspect = config.get("imageConfig", {}).get("aspectRatio", "16:9")
            png = self.emulator.media.image(prompt, images, aspect, int(config.get("seed", 0)))
            part = {"inlineData": {"mimeType": "image/png", "data": _b64(png)}}
            usage["candidatesTokenCount"] = 1290
            return _candidate([part], usage)
        schema = config.get("responseSchema") or config.get("responseJsonSchema")
        if config.get("responseMimeType") == "application/json":
            if fault is not None and fault.invalid_output:
                text = json.dumps({"unexpected": "this does not follow the schema"})
            elif schema:
                text = json.dumps(self.emulator.media.structured(schema, prompt, images))
            else:
                text = json.dumps(self.emulator.media.unstructured(prompt, images))
        else:
            text = "This is the Google emulator."
        usage["candidatesTokenCount"] = max(1, len(text) // 4)
        return _candidate([{"text": text}], usage)

    # Imagen -------------------------------------------------------------------------------

    def _predict(self, body: dict[str, Any], fault: Fault | None) -> dict[str, Any]:
        instance = (body.get("instances") or [{}])[0]
        parameters = body.get("parameters", {})
        count = int(parameters.get("sampleCount", 1))
        if fault is not None and fault.rai_reasons:
            return {"predictions": [{"raiFilteredReason": r} for r in fault.rai_reasons]}
        prompt = str(instance.get("prompt", ""))
        aspect = str(parameters.get("aspectRatio", "1:1"))
        seed = int(parameters.get("seed", 0))
        predictions = [
            {
                "bytesBase64Encoded": _b64(self.emulator.media.image(prompt, [], aspect, seed + i)),
                "mimeType": "image/png",
            }
            for i in range(count)
        ]
        return {"predictions": predictions}

    # Veo ----------------------------------------------------------------------------------

    def _start_video(
        self, model: str, params: dict[str, str], body: dict[str, Any], fault: Fault | None
    ) -> dict[str, Any]:
        instance = (body.get("instances") or [{}])[0]
        parameters = body.get("parameters", {})
        first = instance.get("image")
        last = instance.get("lastFrame")
        if last and not first:
            raise _ReplyError(400, "lastFrame requires image.", "INVALID_ARGUMENT")
        if not first:
            raise _ReplyError(400, "The emulator renders image-to-video only.", "INVALID_ARGUMENT")
        duration = int(parameters.get("durationSeconds", 8))
        if duration not in (4, 6, 8):
            raise _ReplyError(
                400, f"durationSeconds {duration} is not supported.", "INVALID_ARGUMENT"
            )
        first_png = _unb64(first["bytesBase64Encoded"])
        last_png = _unb64(last["bytesBase64Encoded"]) if last else first_png
        prefix = ""
        if params.get("project"):
            prefix = f"projects/{params['project']}/locations/{params['location']}/"
        name = f"{prefix}publishers/google/models/{model}/operations/{uuid.uuid4()}"
        future: Future[bytes] = Future()
        if fault is None or not (fault.operation_error or fault.rai_reasons):
            future = self.emulator._renders.submit(
                self.emulator.media.video,
                first_png,
                last_png,
                duration=duration,
                resolution=str(parameters.get("resolution", "720p")),
                aspect_ratio=str(parameters.get("aspectRatio", "16:9")),
                generate_audio=bool(parameters.get("generateAudio", True)),
                seed=parameters.get("seed"),
            )
        self.emulator._new_operation(
            _Operation(name, model, future, storage_uri=parameters.get("storageUri"), fault=fault)
        )
        return {"name": name}

    def _poll(self, name: str) -> dict[str, Any]:
        op = self.emulator._operation(name.rsplit("/", 1)[-1])
        if op is None:
            raise _ReplyError(404, f"Operation {name} not found.", "NOT_FOUND")
        op.polls += 1
        emu = self.emulator
        by_polls = op.polls / emu.polls_to_finish
        by_time = (time.monotonic() - op.started) / emu.video_seconds if emu.video_seconds else 1
        if by_polls < 1 or by_time < 1:
            progress = int(100 * min(by_polls, by_time))
            return {"name": op.name, "done": False, "metadata": {"progressPercent": progress}}
        fault = op.fault
        if fault is not None and fault.operation_error:
            return {"name": op.name, "done": True, "error": fault.operation_error}
        response: dict[str, Any] = {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
        }
        if fault is not None and fault.rai_reasons:
            response.update(
                raiMediaFilteredCount=len(fault.rai_reasons),
                raiMediaFilteredReasons=list(fault.rai_reasons),
            )
            return {"name": op.name, "done": True, "response": response}
        try:
            video = op.future.result(timeout=self.emulator.render_timeout)
        except Exception as exc:  # a failed render is a failed operation, as on Veo
            return {"name": op.name, "done": True, "error": {"code": 13, "message": str(exc)}}
        response["videos"] = [self._deliver(op, video)]
        return {"name": op.name, "done": True, "response": response}

    def _deliver(self, op: _Operation, video: bytes) -> dict[str, Any]:
        op_id = op.name.rsplit("/", 1)[-1]
        if op.storage_uri or self.emulator.video_delivery == "gcs":
            prefix = (op.storage_uri or f"gs://{GCS_BUCKET}/videos/").rstrip("/")
            uri = f"{prefix}/{op_id}.mp4"
            parsed = urlparse(uri)
            self.emulator._store_file(f"{parsed.netloc}/{parsed.path.lstrip('/')}", video)
            return {"gcsUri": uri, "mimeType": "video/mp4"}
        if self.emulator.video_delivery == "http":
            self.emulator._store_file(op_id, video)
            return {
                "gcsUri": f"{self.emulator.base_url}/emulator/files/{op_id}",
                "mimeType": "video/mp4",
            }
        return {"bytesBase64Encoded": _b64(video), "mimeType": "video/mp4"}

    def _download(self, params: dict[str, str]) -> bytes:
        if "bucket" in params:
            key = f"{params['bucket']}/{unquote(params['object'])}"
        else:
            key = params["id"]
        data = self.emulator._file(key)
        if data is None:
            raise _ReplyError(404, f"No such object: {key}", "NOT_FOUND")
        return data


def _candidate(parts: list[dict[str, Any]], usage: dict[str, int]) -> dict[str, Any]:
    usage["totalTokenCount"] = usage["promptTokenCount"] + usage["candidatesTokenCount"]
    return {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": usage,
        "modelVersion": "emulator",
    }


def _model_of(name: str) -> str | None:
    match = re.search(r"models/([^/]+)/operations/", name)
    return match.group(1) if match else None


def _fault_reply(fault: Fault) -> _ReplyError:
    status = fault.status or 500
    text = _STATUS_TEXT.get(status, "UNKNOWN")
    message = fault.message or {
        429: "Resource has been exhausted (e.g. check quota).",
        500: "Internal error encountered.",
        503: "The service is currently unavailable.",
    }.get(status, f"Emulated {status}.")
    details = None
    if fault.retry_delay is not None:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{fault.retry_delay:g}s",
            }
        ]
    return _ReplyError(status, message, text, details)


def serve(host: str = "127.0.0.1", port: int = 8765, **options: Any) -> None:
    """Run the emulator in the foreground until interrupted (for `avpe emulator` and demos).
    Only loopback addresses are accepted: it has no authentication worth the name."""
    emu = Emulator(host=host, port=port, **options)
    emu.start()
    print(f"Google emulator listening on {emu.base_url}", flush=True)
    print(f"Use it with: HttpOptions(base_url='{emu.base_url}')", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
