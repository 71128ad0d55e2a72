"""Veo 3.1 first-and-last-frame clips as long-running operations that survive a restart."""

from __future__ import annotations

import re
from typing import Any

from google.genai import errors as genai_errors
from google.genai import types

from avpe_desktop.engines.base import (
    CredentialsError,
    EngineError,
    OperationFailedError,
    OperationNotFoundError,
    RequestError,
    ResponseFormatError,
    SafetyFilteredError,
    VideoRequest,
    VideoStatus,
)
from avpe_desktop.engines.google.models import validate_video_settings
from avpe_desktop.engines.google.runtime import GoogleRuntime

_SAFETY_WORDS = re.compile(r"safety|responsible ai|usage guidelines|rai|prohibited", re.I)

# google.rpc.Code values an operation's `error` carries.
_TRANSIENT_CODES = {1, 4, 8, 10, 13, 14}  # cancelled, deadline, exhausted, aborted, internal
_CREDENTIAL_CODES = {7, 16}  # permission denied, unauthenticated
_REQUEST_CODES = {3, 5, 9, 11, 12}  # invalid argument, not found, precondition, range, unimpl.


def operation_error(error: dict[str, Any], name: str) -> EngineError:
    """A finished operation's `error` as the engine error it means. The SDK returns such an
    operation without raising, so without this a failed clip would look like a missing one."""
    code = int(error.get("code") or 0)
    message = str(error.get("message") or "no message")
    text = f"Veo could not make the clip ({message}) [operation {name.rsplit('/', 1)[-1]}]."
    if _SAFETY_WORDS.search(message):
        return SafetyFilteredError(text, message)
    if code in _TRANSIENT_CODES:
        return OperationFailedError(text)
    if code in _CREDENTIAL_CODES:
        return CredentialsError(text)
    if code in _REQUEST_CODES:
        return RequestError(text)
    return EngineError(text)


def _png(data: bytes) -> types.Image:
    return types.Image(image_bytes=data, mime_type="image/png")


class VeoVideoMaker:
    """`start` returns the operation name as soon as Google accepts the job, and `poll` needs
    nothing but that name, so a render queue can persist it and resume after a crash on a
    fresh client."""

    def __init__(self, runtime: GoogleRuntime, output_gcs_uri: str | None = None) -> None:
        self.runtime = runtime
        self.output_gcs_uri = output_gcs_uri

    @property
    def model(self) -> str:
        return self.runtime.models.video

    async def start(self, request: VideoRequest) -> str:
        self.runtime.client.credentials.require_video()
        validate_video_settings(
            self.model,
            duration=request.duration,
            resolution=request.resolution,
            aspect_ratio=request.aspect_ratio,
            generate_audio=request.generate_audio,
            seed=request.seed,
        )
        source = types.GenerateVideosSource(
            prompt=self._prompt(request), image=_png(request.first_frame)
        )
        config = types.GenerateVideosConfig(
            last_frame=_png(request.last_frame),
            duration_seconds=request.duration,
            aspect_ratio=request.aspect_ratio.value,
            resolution=request.resolution.value,
            negative_prompt=request.negative_prompt or None,
            generate_audio=request.generate_audio,
            seed=request.seed,
            number_of_videos=1,
            output_gcs_uri=self.output_gcs_uri,
        )
        await self.runtime.in_flight.reserve()
        try:
            operation = await self.runtime.call(
                self.model,
                lambda: self.runtime.client.aio.models.generate_videos(
                    model=self.model, source=source, config=config
                ),
                "video start",
                idempotent=False,
            )
        except BaseException:
            self.runtime.in_flight.cancel_reservation()
            raise
        if not operation.name:
            self.runtime.in_flight.cancel_reservation()
            raise ResponseFormatError("Veo accepted the clip but returned no operation name.")
        self.runtime.in_flight.confirm(operation.name)
        return operation.name

    def _prompt(self, request: VideoRequest) -> str:
        prompt = request.prompt
        if request.creature_sounds and request.generate_audio:
            voice = f" in a {request.creature_language} voice" if request.creature_language else ""
            prompt += f" Sounds{voice}: {', '.join(request.creature_sounds)}."
        return prompt

    async def poll(self, operation: str) -> VideoStatus:
        self.runtime.client.credentials.require_video()
        pending = types.GenerateVideosOperation(name=operation)  # type: ignore[call-arg]  # `name` comes from the SDK's Operation base, which pydantic's mypy plugin does not see
        try:
            current = await self.runtime.call(
                self.model,
                lambda: self.runtime.client.aio.operations.get(pending),
                "video poll",
                rate_limited=False,
            )
        except RequestError as exc:
            cause = exc.__cause__
            if isinstance(cause, genai_errors.APIError) and cause.code == 404:
                self.runtime.in_flight.finish(operation)
                raise OperationNotFoundError(
                    f"Google no longer knows video operation {operation} (expired or from "
                    "another account); the clip has to be generated again."
                ) from exc
            raise
        if not current.done:
            return VideoStatus(done=False, progress=_progress(current.metadata))
        try:
            video = await self._result(current, operation)
        finally:
            self.runtime.in_flight.finish(operation)
        return VideoStatus(done=True, video=video, progress=1.0, extra={"operation": operation})

    async def _result(self, current: types.GenerateVideosOperation, name: str) -> bytes:
        if current.error:
            raise operation_error(current.error, name)
        result = current.response or current.result
        videos = (result.generated_videos if result else None) or []
        if not videos or videos[0].video is None:
            reasons = (result.rai_media_filtered_reasons if result else None) or []
            if result is not None and (result.rai_media_filtered_count or reasons):
                reason = "; ".join(reasons) or "filtered by Veo's safety checks"
                raise SafetyFilteredError(
                    f"Veo filtered this clip ({reason}). Edit the segment's scene or action "
                    "and render it again.",
                    reason,
                )
            raise ResponseFormatError(f"Veo finished operation {name} without a video.")
        video = videos[0].video
        if video.video_bytes:
            return video.video_bytes
        if video.uri:
            uri = video.uri
            return await self.runtime.call(
                self.model,
                lambda: self.runtime.client.download(uri),
                "video download",
                rate_limited=False,
            )
        raise ResponseFormatError(f"Veo's video for operation {name} has neither bytes nor URI.")


def _progress(metadata: dict[str, Any] | None) -> float | None:
    value = (metadata or {}).get("progressPercent")
    return float(value) / 100 if isinstance(value, int | float) else None
