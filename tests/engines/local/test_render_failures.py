"""A clip render that still fails: words for the creator, the traceback for the log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import pytest
from local_engine_helpers import png_bytes

from avpe_desktop.engines.base import EngineError, VideoRequest
from avpe_desktop.engines.local.video import LocalVideoMaker
from avpe_desktop.log_file import configure_logging
from avpe_desktop.workers import run_in_process


def _failing_request() -> VideoRequest:
    """A request that breaks inside the worker, as an unforeseen bug would: an aspect ratio
    no frame size exists for (no check on the way catches it, so the render raises)."""
    frame = png_bytes(np.full((90, 160, 3), 120, np.uint8))
    return VideoRequest(
        prompt="walks",
        first_frame=frame,
        last_frame=frame,
        duration=4,
        aspect_ratio="7:3",  # type: ignore[arg-type]  # deliberately not an AspectRatio
    )


async def _render_failure() -> tuple[str, EngineError]:
    """The operation's name and what polling it raised."""
    maker = LocalVideoMaker()
    try:
        name = await maker.start(_failing_request())
        with pytest.raises(EngineError) as failure:
            while not (await maker.poll(name)).done:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0)  # the failure is logged as the render ends, by a callback
    finally:
        await maker.aclose()
    return name, failure.value


async def test_a_failed_render_is_told_in_words_and_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="avpe_desktop"):
        name, error = await _render_failure()
    message = str(error)
    assert "could not animate this clip" in message and "retry" in message
    assert "Error" not in message and "7:3" not in message
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and name in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    # The worker's own traceback, down to where it broke, came along as the cause.
    assert "Traceback" in caplog.text and "in frame_size" in caplog.text


def test_a_failed_render_reaches_the_app_log_file_with_its_traceback(tmp_path: Path) -> None:
    """The desktop app's log file (set up as the app does), not only a test's capture."""
    log_file = configure_logging(tmp_path)
    root = logging.getLogger()
    handler = root.handlers[-1]
    try:
        name, _ = asyncio.run(_render_failure())
    finally:
        root.removeHandler(handler)
        handler.close()
    text = log_file.read_text()
    assert f"ERROR avpe_desktop.engines.local.video: Offline render {name} failed" in text
    assert "Traceback" in text and "in frame_size" in text


def _log_in_a_worker(level: int, message: str) -> int:
    logging.getLogger("avpe_desktop.engines.local.fallback").log(level, message)
    return 42


async def test_what_a_worker_logs_is_logged_by_the_app(caplog: pytest.LogCaptureFixture) -> None:
    """The process pool's workers have no log file: their records come back with the result
    and go to the app's handlers, at the app's levels."""
    with caplog.at_level(logging.INFO, logger="avpe_desktop"):
        assert (
            await run_in_process(_log_in_a_worker, logging.INFO, "fell back to a crossfade") == 42
        )
    relayed = [r for r in caplog.records if r.getMessage() == "fell back to a crossfade"]
    assert [r.name for r in relayed] == ["avpe_desktop.engines.local.fallback"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="avpe_desktop"):
        await run_in_process(_log_in_a_worker, logging.INFO, "not wanted at WARNING")
    assert "not wanted" not in caplog.text


def _log_and_fail(message: str) -> None:
    logging.getLogger("avpe_desktop.engines.local.fallback").info(message)
    raise ValueError("broke after logging")


async def test_what_a_worker_logged_before_failing_is_logged_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="avpe_desktop"),
        pytest.raises(ValueError, match="broke after logging"),
    ):
        await run_in_process(_log_and_fail, "fell back, then broke")
    assert "fell back, then broke" in caplog.text
