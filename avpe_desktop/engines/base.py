"""The four engine roles, their request types and the errors every engine raises.

The pipeline only knows these protocols, so the offline engine, the Google engine and test
doubles are interchangeable, and an error means the same thing whichever engine raised it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from avpe_desktop.domain import (
    AspectRatio,
    Brief,
    CharacterDetails,
    Content,
    Resolution,
    Segment,
    frame_size,
)


class EngineError(Exception):
    """Base of every engine failure; `str()` is a message a creator can read."""


class TransientError(EngineError):
    """Worth retrying: rate limit, overload, server error, timeout, dropped connection."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[TransientError], tuple[str, float | None]]:
        return (type(self), (str(self), self.retry_after))


class OperationFailedError(TransientError):
    """A video operation that finished in failure for a reason that may pass (an internal
    error, a deadline). Starting the clip again may well succeed; polling the finished
    operation again never will, it only reports the same failure, so its name must not be
    kept for a retry."""


class RequestError(EngineError):
    """The request itself is wrong (400-class); retrying the same request cannot help."""


class CredentialsError(EngineError):
    """Missing, invalid or insufficient credentials (for example an AI Studio key for Veo)."""


class SafetyFilteredError(EngineError):
    """The model refused to produce this output; `reason` says why in the model's terms."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[SafetyFilteredError], tuple[str, str]]:
        """Survives the trip back from a worker process with its reason."""
        return (type(self), (str(self), self.reason))


class OperationNotFoundError(EngineError):
    """A stored operation name the engine no longer knows (expired, or from another engine)."""


class ResponseFormatError(EngineError):
    """The engine answered, but not in the shape we asked for (bad JSON, no image)."""


@dataclass(frozen=True)
class FrameRequest:
    """A keyframe to paint. `references[0]` is the character; `references[1]`, when present,
    is the previous keyframe (the seed's dual reference for last frames)."""

    description: str
    references: tuple[bytes, ...]
    resolution: Resolution = Resolution.P720
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    character_description: str = ""
    caption: str | None = None
    seed: int = 0

    @property
    def size(self) -> tuple[int, int]:
        return frame_size(self.resolution, self.aspect_ratio)


@dataclass(frozen=True)
class VideoRequest:
    """A clip interpolated from `first_frame` to `last_frame` (PNG bytes)."""

    prompt: str
    first_frame: bytes
    last_frame: bytes
    duration: int = 8
    resolution: Resolution = Resolution.P720
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    negative_prompt: str = ""
    generate_audio: bool = True
    seed: int | None = None
    creature_sounds: tuple[str, ...] = ()
    creature_language: str = ""


@dataclass(frozen=True)
class VideoStatus:
    """One poll of a video operation: not done yet, or done with MP4 bytes."""

    done: bool
    video: bytes | None = None
    progress: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ScriptWriter(Protocol):
    async def write(self, brief: Brief, character: CharacterDetails) -> Content:
        """A script of `brief.num_segments` segments whose frame descriptions chain."""
        ...

    async def rewrite_segment(
        self, brief: Brief, character: CharacterDetails, content: Content, number: int
    ) -> Segment:
        """A new version of segment `number` that still joins its neighbours' frames."""
        ...


@runtime_checkable
class CharacterAnalyst(Protocol):
    async def analyse(self, image: bytes, name: str) -> CharacterDetails:
        """Details a creator starts from and then edits."""
        ...


@runtime_checkable
class FramePainter(Protocol):
    async def paint(self, request: FrameRequest) -> bytes:
        """A PNG of exactly `request.size` pixels."""
        ...


@runtime_checkable
class VideoMaker(Protocol):
    async def start(self, request: VideoRequest) -> str:
        """Begin a clip and return its operation name at once, so it can be stored before
        anything else happens (a restart resumes it instead of paying again)."""
        ...

    async def poll(self, operation: str) -> VideoStatus:
        """Where the operation stands; raises OperationNotFoundError for an unknown name and
        an EngineError subclass when the operation ended in failure."""
        ...


@dataclass(frozen=True)
class Engine:
    """One engine's four roles, under the name jobs record it by."""

    name: str
    writer: ScriptWriter
    analyst: CharacterAnalyst
    painter: FramePainter
    video: VideoMaker
    poll_interval: float = 10.0
    """Seconds between polls of a video operation: Veo takes minutes, the local engine seconds."""
