"""retry_call, the rate limiter and the in-flight limit, without a server."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest
from google.genai import errors

from avpe_desktop.engines.base import CredentialsError, RequestError, TransientError
from avpe_desktop.engines.resilience import (
    InFlightLimit,
    ModelRateLimits,
    RateLimiter,
    RetryPolicy,
    classify,
    retry_call,
)

FAST = RetryPolicy(retries=3, base_delay=0.001, jitter=0.0)


def make_error(code: int, details: list[dict[str, str]] | None = None) -> errors.APIError:
    body: dict[str, object] = {"code": code, "message": f"failure {code}", "status": "X"}
    if details:
        body["details"] = details
    cls = errors.ClientError if code < 500 else errors.ServerError
    return cls(code, {"error": body})


def flaky(failures: list[BaseException], result: str = "ok"):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return result

    return fn, calls


async def test_retries_transient_errors_then_succeeds() -> None:
    fn, calls = flaky([make_error(429), make_error(503), httpx2.ReadTimeout("slow")])
    assert await retry_call(fn, FAST) == "ok"
    assert len(calls) == 4


async def test_gives_up_after_three_retries_with_a_readable_message() -> None:
    fn, calls = flaky([make_error(500)] * 5)
    with pytest.raises(TransientError, match=r"busy or failing.*after 4 attempts") as info:
        await retry_call(fn, FAST, what="script")
    assert "script" in str(info.value)
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("code", "kind"),
    [(400, RequestError), (404, RequestError), (401, CredentialsError), (403, CredentialsError)],
)
async def test_request_errors_are_never_retried(code: int, kind: type[Exception]) -> None:
    fn, calls = flaky([make_error(code)])
    with pytest.raises(kind):
        await retry_call(fn, FAST)
    assert len(calls) == 1


async def test_ambiguous_drop_is_not_retried_for_non_idempotent_calls() -> None:
    fn, calls = flaky([httpx2.RemoteProtocolError("disconnected")])
    with pytest.raises(TransientError, match="pay twice"):
        await retry_call(fn, FAST, idempotent=False)
    assert len(calls) == 1
    fn, calls = flaky([httpx2.ConnectError("refused")])
    assert await retry_call(fn, FAST, idempotent=False) == "ok"
    assert len(calls) == 2


def test_retry_info_and_schedule() -> None:
    error, retryable = classify(
        make_error(
            429, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]
        )
    )
    assert retryable and isinstance(error, TransientError) and error.retry_after == 1.5
    policy = RetryPolicy(jitter=0.0)
    assert [policy.delay(i) for i in range(3)] == [5.0, 10.0, 20.0]
    assert policy.delay(0, retry_after=30.0) == 30.0
    assert policy.delay(0, retry_after=10_000) == policy.max_delay


def test_unknown_exceptions_are_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError):
        classify(ZeroDivisionError())


async def test_rate_limiter_spaces_calls_over_the_window() -> None:
    limiter = RateLimiter(limit=3, period=0.2)
    start = time.monotonic()
    for _ in range(7):
        await limiter.acquire()
    # 7 calls at 3 per 0.2 s need two full windows of waiting.
    assert time.monotonic() - start >= 0.38


async def test_rate_limits_are_per_model() -> None:
    limits = ModelRateLimits(requests_per_minute=1, overrides={"b": 5})
    assert limits.for_model("a") is limits.for_model("a")
    assert limits.for_model("b").limit == 5
    await limits.for_model("a").acquire()
    # Another model's quota is independent, so this does not wait a minute.
    await asyncio.wait_for(limits.for_model("c").acquire(), 0.5)


async def test_in_flight_limit_waits_for_a_finished_operation() -> None:
    limit = InFlightLimit(1)
    await limit.reserve()
    limit.confirm("op-1")
    waiter = asyncio.ensure_future(limit.reserve())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    limit.finish("op-1")
    limit.finish("op-1")  # idempotent
    await asyncio.wait_for(waiter, 0.5)
    assert limit.active == frozenset()
