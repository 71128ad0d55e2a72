"""Retries, rate limits and in-flight limits shared by every paid engine call.

The SDK's own retry is switched off (see `engines.google.client`), so this is the one place
that decides whether a failure is worth another attempt; two layers would multiply attempts
and hide the real count from the request log.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.auth import exceptions as auth_exceptions
from google.genai import errors as genai_errors

from avpe_desktop.engines.base import (
    CredentialsError,
    EngineError,
    RequestError,
    ResponseFormatError,
    TransientError,
)
from avpe_desktop.retry_policy import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The SDK talks through httpx2 or httpx, whichever is installed; both raise their own
    TransportError family for timeouts, refused connections and dropped sockets."""
    found: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        with contextlib.suppress(ImportError):
            module = __import__(name)
            found.append(module.TransportError)
    return tuple(found)


TRANSPORT_ERRORS = _transport_errors()


def _connect_errors() -> tuple[type[BaseException], ...]:
    """Failures before the request left this machine: always safe to send again."""
    found: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        with contextlib.suppress(ImportError):
            module = __import__(name)
            found += [module.ConnectError, module.ConnectTimeout, module.PoolTimeout]
    return tuple(found)


CONNECT_ERRORS = _connect_errors()

_RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


DEFAULT_POLICY = RetryPolicy()


class RateLimiter:
    """A sliding window: at most `limit` calls in any `period` seconds.

    Google's quotas are per minute per model, so waiting here is cheaper than collecting a
    429 and its backoff.
    """

    def __init__(self, limit: int = 15, period: float = 60.0) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self._calls: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= self.period:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return
                await asyncio.sleep(self._calls[0] + self.period - now)


class ModelRateLimits:
    """One RateLimiter per model id, created on first use."""

    def __init__(
        self,
        requests_per_minute: int = 15,
        overrides: dict[str, int] | None = None,
        period: float = 60.0,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.overrides = dict(overrides or {})
        self.period = period
        self._limiters: dict[str, RateLimiter] = {}

    def for_model(self, model: str) -> RateLimiter:
        if model not in self._limiters:
            limit = self.overrides.get(model, self.requests_per_minute)
            self._limiters[model] = RateLimiter(limit, self.period)
        return self._limiters[model]


class InFlightLimit:
    """Bounds how many video operations run at once.

    A slot is taken before an operation starts and given back when a poll sees it finish, so
    it spans two separate calls and cannot be a plain `async with`.
    """

    def __init__(self, limit: int = 4) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)
        self._active: set[str] = set()

    @property
    def active(self) -> frozenset[str]:
        return frozenset(self._active)

    async def reserve(self) -> None:
        await self._semaphore.acquire()

    def cancel_reservation(self) -> None:
        self._semaphore.release()

    def confirm(self, name: str) -> None:
        self._active.add(name)

    def finish(self, name: str) -> None:
        """Idempotent, because a finished operation may be polled again after a restart."""
        if name in self._active:
            self._active.remove(name)
            self._semaphore.release()


def _retry_after_header(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


def _retry_info_delay(details: Any) -> float | None:
    """`google.rpc.RetryInfo.retryDelay` ("12s", "0.5s") from an error body."""
    error = details.get("error", details) if isinstance(details, dict) else None
    items = error.get("details") if isinstance(error, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
            match = re.fullmatch(r"\s*([0-9.]+)s\s*", str(item.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _api_message(exc: genai_errors.APIError) -> str:
    text = exc.message or (exc.status or "")
    return f"{exc.code} {exc.status or ''}: {text}".replace("  ", " ").strip()


def classify(exc: BaseException, idempotent: bool = True) -> tuple[EngineError, bool]:
    """The engine error a raw failure means, and whether another attempt could succeed.

    A connection that dropped after the request was sent may still have started paid work;
    for a non-idempotent call (starting a video) that is reported instead of retried, so a
    glitch never pays for the same clip twice.
    """
    if isinstance(exc, TransientError):
        return exc, True
    if isinstance(exc, EngineError):
        return exc, False
    if isinstance(exc, genai_errors.APIError):
        code = exc.code or 0
        detail = _api_message(exc)
        if code == 429:
            retry_after = _retry_after_header(exc.response) or _retry_info_delay(exc.details)
            return TransientError(
                f"Google is rate-limiting requests ({detail}); waiting before trying again.",
                retry_after,
            ), True
        if code in _RETRYABLE_STATUS:
            retry_after = _retry_after_header(exc.response)
            return TransientError(
                f"Google's service is busy or failing ({detail}).", retry_after
            ), True
        if code in (401, 403) or "API_KEY_INVALID" in json.dumps(exc.details, default=str):
            return CredentialsError(
                f"Google refused the credentials ({detail}). Check the API key or project "
                "in Settings, and that the API is enabled for it."
            ), False
        return RequestError(f"Google rejected the request ({detail})."), False
    if isinstance(exc, (*TRANSPORT_ERRORS, TimeoutError, ConnectionError)):
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        message = f"The connection to Google failed or timed out ({reason})."
        if idempotent or isinstance(exc, CONNECT_ERRORS):
            return TransientError(message), True
        return TransientError(
            f"{message} The request may already have reached Google, so it was not sent "
            "again automatically (that could pay twice); retry the step if no result appears."
        ), False
    if isinstance(exc, auth_exceptions.TransportError):
        return TransientError(f"Could not reach Google to refresh credentials ({exc})."), True
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return CredentialsError(
            "Google Cloud credentials are missing or invalid. Run `gcloud auth "
            f"application-default login`, or use an API key in Settings. ({exc})"
        ), False
    if isinstance(exc, json.JSONDecodeError | genai_errors.UnknownApiResponseError):
        return ResponseFormatError(f"Google answered with a malformed body ({exc})."), True
    raise exc


async def retry_call(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    limiter: RateLimiter | None = None,
    what: str = "request",
    idempotent: bool = True,
) -> T:
    """Run `fn` until it succeeds, retrying only failures that another attempt can fix.

    Errors come out as `base.EngineError` subclasses with a readable message; the original
    exception is chained as `__cause__` for logs. Unknown exceptions (programming errors)
    are not swallowed.
    """
    attempt = 0
    while True:
        if limiter is not None:
            await limiter.acquire()
        try:
            return await fn()
        except Exception as exc:  # classified below; unknown kinds re-raise
            error, retryable = classify(exc, idempotent)
            if not retryable:
                if error is exc:
                    raise
                raise error from exc
            if attempt >= policy.retries:
                raise _gave_up(error, attempt + 1, what) from exc
            retry_after = error.retry_after if isinstance(error, TransientError) else None
            wait = policy.delay(attempt, retry_after)
            log.info("%s failed (%s); retry %d in %.2fs", what, error, attempt + 1, wait)
            attempt += 1
            await asyncio.sleep(wait)


def _gave_up(error: EngineError, attempts: int, what: str) -> EngineError:
    message = f"{error} Gave up on the {what} after {attempts} attempts."
    if isinstance(error, TransientError):
        return TransientError(message, error.retry_after)
    return type(error)(message)
