"""Building a google-genai client from the creator's credentials.

Three modes, because Google serves the models through two front doors:
- "developer": an AI Studio key (Gemini Developer API). Scripts, analysis, Gemini images.
  No Veo and no Imagen: the SDK refuses both outside Vertex mode.
- "vertex_express": `vertexai=True` with a Vertex AI API key. Everything, no project needed.
- "vertex": `vertexai=True` with a project and location and application default credentials.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlparse

from google import genai
from google.auth.credentials import Credentials as AuthCredentials
from google.genai import errors as genai_errors
from google.genai import types
from google.genai.client import AsyncClient

from avpe_desktop.engines.base import CredentialsError, RequestError

Mode = Literal["developer", "vertex_express", "vertex"]
MODES: tuple[str, ...] = ("developer", "vertex_express", "vertex")

DEFAULT_TIMEOUT_MS = 120_000
GCS_BASE_URL = "https://storage.googleapis.com"
_CLOUD_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

VIDEO_NEEDS_VERTEX = (
    "Video generation (Veo) is only available through Vertex AI, and the current Google "
    "setting is an AI Studio (Gemini Developer API) key, which covers scripts and images but "
    "not video. In Settings > Google, choose 'Vertex AI express' and paste a Vertex AI API key, "
    "or choose 'Vertex AI' with your Google Cloud project and location (after running "
    "`gcloud auth application-default login`). Or render this job with the offline engine."
)


@dataclass(frozen=True)
class GoogleCredentials:
    """What the creator configured. `repr` never shows the key, so it cannot leak into logs
    or tracebacks."""

    mode: str
    api_key: str | None = None
    project: str | None = None
    location: str = "us-central1"
    auth: AuthCredentials | None = None  # explicit credentials instead of ADC (tests, CI)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise CredentialsError(
                f"Unknown Google mode '{self.mode}'; choose one of {', '.join(MODES)}."
            )

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return (
            f"GoogleCredentials(mode={self.mode!r}, api_key=<{key}>, "
            f"project={self.project!r}, location={self.location!r})"
        )

    @property
    def vertex(self) -> bool:
        return self.mode != "developer"

    def require_video(self) -> None:
        if not self.vertex:
            raise CredentialsError(VIDEO_NEEDS_VERTEX)

    def require_imagen(self) -> None:
        if not self.vertex:
            raise CredentialsError(
                "Imagen keyframes are only available through Vertex AI; with an AI Studio key "
                "choose a Gemini image model in Settings, or switch to Vertex AI."
            )


@dataclass(frozen=True)
class ClientOptions:
    """Where and how to talk to Google. `base_url` points the real SDK at the emulator;
    `storage_base_url` is where gs:// video URIs are fetched from."""

    base_url: str | None = None
    storage_base_url: str | None = None
    timeout_ms: int = DEFAULT_TIMEOUT_MS


class GoogleClient:
    """The SDK client plus what the SDK does not do for us: fetching a video by URI."""

    def __init__(self, credentials: GoogleCredentials, options: ClientOptions | None = None):
        self.credentials = credentials
        self.options = options or ClientOptions()
        self.sdk = build_sdk_client(credentials, self.options)
        self._auth = credentials.auth

    @property
    def aio(self) -> AsyncClient:
        return self.sdk.aio

    async def close(self) -> None:
        await self.sdk.aio.aclose()
        self.sdk.close()

    def download_url(self, uri: str) -> str:
        """gs:// objects go through the Cloud Storage JSON API; http(s) URIs (Developer API
        file downloads, signed URLs) are fetched as they are."""
        parsed = urlparse(uri)
        if parsed.scheme == "gs":
            base = (self.options.storage_base_url or GCS_BASE_URL).rstrip("/")
            obj = quote(parsed.path.lstrip("/"), safe="")
            return f"{base}/storage/v1/b/{parsed.netloc}/o/{obj}?alt=media"
        if parsed.scheme in ("http", "https"):
            return uri
        raise RequestError(f"Cannot download a video from '{uri}'.")

    async def auth_headers(self) -> dict[str, str]:
        if self.credentials.api_key:
            return {"x-goog-api-key": self.credentials.api_key}
        if self._auth is None:
            self._auth = await asyncio.to_thread(_default_credentials)
        if not self._auth.valid:
            await asyncio.to_thread(_refresh, self._auth)
        return {"Authorization": f"Bearer {self._auth.token}"}

    async def download(self, uri: str) -> bytes:
        """Raw bytes of a video the operation returned by reference. Transport and HTTP errors
        surface as the same exceptions the SDK raises, so `retry_call` treats them alike."""
        url = self.download_url(uri)
        headers = await self.auth_headers()
        timeout = self.options.timeout_ms / 1000
        async with _async_http_client(timeout=timeout, follow_redirects=True) as http:
            response = await http.get(url, headers=headers)
            await genai_errors.APIError.raise_for_async_response(response)
            return bytes(response.content)


def _async_http_client(**kwargs: Any) -> Any:
    """The SDK ships with httpx2 (or httpx on older installs); use whichever it uses."""
    try:
        import httpx2 as http
    except ImportError:  # pragma: no cover - depends on the installed SDK generation
        import httpx as http  # type: ignore[no-redef]  # the same client under its older name
    return http.AsyncClient(**kwargs)


def _default_credentials() -> AuthCredentials:
    import google.auth

    credentials, _ = google.auth.default(scopes=[_CLOUD_SCOPE])
    return credentials


def _refresh(credentials: AuthCredentials) -> None:
    from google.auth.transport.requests import Request

    credentials.refresh(Request())  # type: ignore[no-untyped-call]  # google-auth leaves refresh unannotated


def build_sdk_client(credentials: GoogleCredentials, options: ClientOptions) -> genai.Client:
    """A genai.Client with the SDK's retry switched off (one attempt) so `retry_call` is the
    only retry layer, and the timeout given in milliseconds as HttpOptions expects."""
    http_options = types.HttpOptions(
        base_url=options.base_url,
        timeout=options.timeout_ms,
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    mode = credentials.mode
    if mode in ("developer", "vertex_express") and not credentials.api_key:
        kind = "an AI Studio" if mode == "developer" else "a Vertex AI"
        raise CredentialsError(f"No Google API key is set; paste {kind} API key in Settings.")
    if mode == "vertex" and not credentials.project:
        raise CredentialsError(
            "Vertex AI needs a Google Cloud project id; set it in Settings > Google."
        )
    try:
        if mode == "developer":
            return genai.Client(api_key=credentials.api_key, http_options=http_options)
        if mode == "vertex_express":
            return genai.Client(
                vertexai=True, api_key=credentials.api_key, http_options=http_options
            )
        return genai.Client(
            vertexai=True,
            project=credentials.project,
            location=credentials.location,
            credentials=credentials.auth,
            http_options=http_options,
        )
    except ValueError as exc:
        raise CredentialsError(f"Google client could not be set up: {exc}") from exc
