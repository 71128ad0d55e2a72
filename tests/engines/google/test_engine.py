"""Every Google engine method through the real google-genai SDK against the emulator."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import cv2
import numpy as np
import pytest
from PIL import Image

from avpe_desktop.domain import AspectRatio, Brief, CharacterDetails, Format
from avpe_desktop.engines.base import (
    CredentialsError,
    Engine,
    EngineError,
    FrameRequest,
    OperationNotFoundError,
    RequestError,
    ResponseFormatError,
    SafetyFilteredError,
    TransientError,
    VideoRequest,
)
from avpe_desktop.engines.google import ClientOptions, GoogleCredentials, google_engine
from avpe_desktop.engines.google.client import VIDEO_NEEDS_VERTEX
from avpe_desktop.engines.local.painter import render_frame
from avpe_desktop.engines.resilience import RetryPolicy
from avpe_desktop.media.probe import read_frame
from avpe_desktop.testing.emulator import Emulator

EngineFactory = Callable[..., Engine]

needs_local_script = pytest.mark.skipif(
    __import__("importlib").util.find_spec("avpe_desktop.engines.local.script") is None,
    reason="the offline script writer the emulator answers with is not there yet",
)


def frame(character: bytes, *refs: bytes, text: str = "Floof in a sunny kitchen") -> FrameRequest:
    return FrameRequest(text, (character, *refs), aspect_ratio=AspectRatio.LANDSCAPE, seed=1)


async def finish(engine, name: str, limit: int = 50):  # type: ignore[no-untyped-def]
    for _ in range(limit):
        status = await engine.video.poll(name)
        if status.done:
            return status
        await asyncio.sleep(0.01)
    raise AssertionError("operation never finished")


# Scripts and analysis ----------------------------------------------------------------------


@needs_local_script
@pytest.mark.parametrize("fmt", list(Format))
async def test_script_in_every_format(engine, emulator: Emulator, brief: Brief, fmt: Format):
    content = await engine.writer.write(brief.model_copy(update={"format": fmt}), _details())
    assert content.format is fmt
    assert [s.segment for s in content.segments] == [1, 2, 3]
    for before, after in zip(content.segments, content.segments[1:], strict=False):
        assert after.first_frame_description == before.last_frame_description
    assert all(s.dialogue is None for s in content.segments)
    assert emulator.count("generateContent") == 1


@needs_local_script
async def test_script_that_fails_the_schema_is_retried_once_with_feedback(
    engine, emulator: Emulator, brief: Brief
) -> None:
    emulator.invalid_output(times=1)
    content = await engine.writer.write(brief, _details())
    assert len(content.segments) == 3
    calls = emulator.requests("generateContent")
    assert len(calls) == 2 and calls[0].body_sha256 != calls[1].body_sha256


async def test_script_that_fails_twice_is_a_response_format_error(
    engine, emulator: Emulator, brief: Brief
) -> None:
    emulator.invalid_output(times=2)
    with pytest.raises(ResponseFormatError, match="expected shape twice"):
        await engine.writer.write(brief, _details())
    assert emulator.count("generateContent") == 2


@needs_local_script
async def test_rewrite_segment_keeps_the_neighbours_frames(engine, brief: Brief) -> None:
    content = await engine.writer.write(brief, _details())
    segment = await engine.writer.rewrite_segment(brief, _details(), content, 2)
    assert segment.segment == 2
    assert segment.first_frame_description == content.segments[0].last_frame_description
    assert segment.last_frame_description == content.segments[2].first_frame_description


async def test_character_analysis(engine, emulator: Emulator, character_png: bytes) -> None:
    details = await engine.analyst.analyse(character_png, "Floof")
    assert "Floof" in details.video_prompt_description
    assert details.personality and details.physical_appearance["body"]
    assert emulator.requests("generateContent")[0].model == "gemini-3.5-flash"


# Keyframes ---------------------------------------------------------------------------------


async def test_gemini_keyframe_with_dual_reference_is_exactly_the_requested_size(
    engine, emulator: Emulator, character_png: bytes
) -> None:
    first = await engine.painter.paint(frame(character_png))
    request = FrameRequest(
        "Floof opens the box", (character_png, first), aspect_ratio=AspectRatio.SQUARE
    )
    last = await engine.painter.paint(request)
    assert Image.open(io.BytesIO(first)).size == (1280, 720)
    assert Image.open(io.BytesIO(last)).size == request.size == (720, 720)
    assert emulator.count("generateContent", model="gemini-3.1-flash-image") == 2


@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "NO_IMAGE"])
async def test_image_finish_reasons_are_safety_errors(
    engine, emulator: Emulator, character_png: bytes, reason: str
) -> None:
    emulator.filter_image(reason)
    with pytest.raises(SafetyFilteredError, match=reason) as info:
        await engine.painter.paint(frame(character_png))
    assert info.value.reason == reason
    assert emulator.count("generateContent") == 1


async def test_blocked_prompt_is_a_safety_error(engine, emulator: Emulator, character_png: bytes):
    emulator.filter_image(None, block_reason="PROHIBITED_CONTENT")  # type: ignore[arg-type]
    with pytest.raises(SafetyFilteredError, match="refused the frame description"):
        await engine.painter.paint(frame(character_png))


async def test_imagen_keyframes_on_vertex_and_refused_with_a_studio_key(
    make_engine: EngineFactory, emulator: Emulator, character_png: bytes
) -> None:
    imagen = {"image": "imagen-4.0-fast-generate-001"}
    png = await make_engine("vertex", models=imagen).painter.paint(frame(character_png))
    assert png.startswith(b"\x89PNG")
    assert emulator.requests("predict")[0].path.startswith("/v1beta1/projects/demo/locations/")
    emulator.filter_imagen("Filtered: person")
    with pytest.raises(SafetyFilteredError, match="person"):
        await make_engine(models=imagen).painter.paint(frame(character_png))
    with pytest.raises(CredentialsError, match="Imagen"):
        await make_engine("developer", models=imagen).painter.paint(frame(character_png))


# Retries and faults -----------------------------------------------------------------------


async def test_429_with_retry_after_is_retried_then_succeeds(
    engine, emulator: Emulator, character_png: bytes
) -> None:
    emulator.fail("generateContent", 429, times=2, retry_after=0.05)
    start = asyncio.get_running_loop().time()
    await engine.painter.paint(frame(character_png))
    assert asyncio.get_running_loop().time() - start >= 0.1  # honoured twice
    statuses = [r.status for r in emulator.requests("generateContent")]
    assert statuses == [429, 429, 200]


async def test_503_and_500_give_up_after_three_retries(
    engine, emulator: Emulator, character_png: bytes
) -> None:
    emulator.fail("generateContent", 503, times=-1, retry_delay=0.001)
    with pytest.raises(TransientError, match=r"503 UNAVAILABLE.*after 4 attempts"):
        await engine.painter.paint(frame(character_png))
    assert emulator.count("generateContent") == 4


async def test_dropped_connection_and_malformed_body_are_retried(
    engine, emulator: Emulator, character_png: bytes
) -> None:
    emulator.drop("generateContent")
    emulator.malformed("generateContent")
    details = await engine.analyst.analyse(character_png, "Floof")
    assert details.video_prompt_description
    assert [r.status for r in emulator.requests()] == [None, 200, 200]


async def test_malformed_body_every_time_is_a_response_format_error(
    engine, emulator: Emulator, character_png: bytes
) -> None:
    emulator.malformed("generateContent", times=-1)
    with pytest.raises(ResponseFormatError, match="malformed body"):
        await engine.analyst.analyse(character_png, "Floof")


async def test_latency_beyond_the_timeout_is_a_timeout(
    credentials, emulator: Emulator, character_png: bytes
) -> None:
    emulator.slow("generateContent", 2.0, times=1)
    engine = google_engine(
        credentials(),
        options=ClientOptions(base_url=emulator.base_url, timeout_ms=1_000),
        policy=RetryPolicy(retries=1, base_delay=0.001, jitter=0.0),
    )
    details = await engine.analyst.analyse(character_png, "Floof")  # second attempt is fast
    assert details.personality
    assert emulator.count("generateContent") == 2


async def test_bad_key_and_missing_credentials_are_credentials_errors(
    credentials, api_key: str, character_png: bytes
) -> None:
    with Emulator(api_keys={"another-key"}) as strict:
        engine = google_engine(credentials(), options=ClientOptions(base_url=strict.base_url))
        with pytest.raises(CredentialsError, match="API key not valid"):
            await engine.analyst.analyse(character_png, "Floof")
        assert strict.count() == 1
        assert api_key not in repr(strict.requests())
        assert strict.requests()[0].key.startswith("AIza")
    with pytest.raises(CredentialsError, match="API key"):
        google_engine(GoogleCredentials("vertex_express"))
    assert api_key not in repr(GoogleCredentials("developer", api_key=api_key))


async def test_rate_limiter_paces_calls_per_model(
    make_engine: EngineFactory, emulator: Emulator, character_png: bytes
) -> None:
    engine = make_engine(requests_per_minute=2, rate_limit_period=0.3)
    start = asyncio.get_running_loop().time()
    await asyncio.gather(*(engine.analyst.analyse(character_png, "Floof") for _ in range(3)))
    assert asyncio.get_running_loop().time() - start >= 0.3
    stamps = [r.timestamp for r in emulator.requests("generateContent")]
    assert stamps[2] - stamps[0] >= 0.25


# Video ------------------------------------------------------------------------------------


@pytest.fixture
def frames(character_png: bytes) -> tuple[bytes, bytes]:
    first = render_frame(FrameRequest("Floof in a kitchen, left", (character_png,), seed=1))
    last = render_frame(FrameRequest("Floof in a garden at night, right", (character_png,), seed=2))
    return first, last


def clip(frames: tuple[bytes, bytes], **kwargs: object) -> VideoRequest:
    return VideoRequest("Floof walks across", frames[0], frames[1], duration=4, **kwargs)


async def test_video_resumes_from_its_stored_name_on_a_new_client(
    make_engine: EngineFactory, emulator: Emulator, frames: tuple[bytes, bytes], tmp_path
) -> None:
    emulator.polls_to_finish = 3
    name = await make_engine("vertex").video.start(clip(frames, seed=7))
    assert name.startswith("projects/demo/locations/us-central1/publishers/google/models/")
    fresh = make_engine("vertex")  # as after a restart: nothing but the name survives
    first = await fresh.video.poll(name)
    assert not first.done and first.progress == pytest.approx(1 / 3, abs=0.01)
    status = await finish(fresh, name)
    assert status.done and status.video
    assert emulator.count("predictLongRunning") == 1
    assert emulator.count("fetchPredictOperation") == 3
    path = tmp_path / "clip.mp4"
    path.write_bytes(status.video)
    for which, png in (("first", frames[0]), ("last", frames[1])):
        sent = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), 1), cv2.COLOR_BGR2RGB)
        got = read_frame(path, which).astype(int)
        assert np.abs(got - sent).mean() < 8, which


async def test_emulated_video_takes_its_render_time_however_often_it_is_polled(
    engine, emulator: Emulator, frames: tuple[bytes, bytes]
) -> None:
    emulator.video_seconds = 0.5  # polls_to_finish stays 1: time alone holds the clip back
    name = await engine.video.start(clip(frames))
    first = await engine.video.poll(name)
    assert not first.done and first.progress is not None and first.progress < 1
    status = await finish(engine, name, limit=1000)
    assert status.done and status.video


@pytest.mark.parametrize("delivery", ["gcs", "http"])
async def test_video_by_uri_is_downloaded(
    make_engine: EngineFactory, emulator: Emulator, frames: tuple[bytes, bytes], delivery: str
) -> None:
    emulator.video_delivery = delivery  # type: ignore[assignment]
    engine = make_engine()
    status = await finish(engine, await engine.video.start(clip(frames, generate_audio=False)))
    assert status.video and status.video[4:8] == b"ftyp"
    assert emulator.count("download") == 1


async def test_video_start_is_not_repeated_after_a_dropped_connection(
    engine, emulator: Emulator, frames: tuple[bytes, bytes]
) -> None:
    emulator.drop("predictLongRunning")
    with pytest.raises(TransientError, match="pay twice"):
        await engine.video.start(clip(frames))
    assert emulator.count("predictLongRunning") == 1
    emulator.fail("predictLongRunning", 429, retry_after=0.01)
    assert await engine.video.start(clip(frames))  # a 429 was never accepted: retried
    assert emulator.count("predictLongRunning") == 3


async def test_operation_error_and_rai_filtering_raise(
    engine, emulator: Emulator, frames: tuple[bytes, bytes]
) -> None:
    emulator.fail_operation(3, "Image aspect ratio does not match")
    name = await engine.video.start(clip(frames))
    with pytest.raises(RequestError, match="aspect ratio"):
        await finish(engine, name)
    emulator.fail_operation(13, "Internal error")
    with pytest.raises(TransientError, match="Internal error"):
        await finish(engine, await engine.video.start(clip(frames)))
    emulator.filter_video("Filtered: the prompt may contain a celebrity")
    with pytest.raises(SafetyFilteredError, match="celebrity") as info:
        await finish(engine, await engine.video.start(clip(frames)))
    assert "celebrity" in info.value.reason
    assert isinstance(info.value, EngineError)


async def test_unknown_operation_is_not_found(engine) -> None:
    with pytest.raises(OperationNotFoundError):
        await engine.video.poll("publishers/google/models/veo-3.1-fast-generate-001/operations/x")


async def test_studio_key_asked_for_video_says_what_to_configure(
    make_engine: EngineFactory, emulator: Emulator, frames: tuple[bytes, bytes]
) -> None:
    engine = make_engine("developer")
    with pytest.raises(CredentialsError) as info:
        await engine.video.start(clip(frames))
    assert str(info.value) == VIDEO_NEEDS_VERTEX
    assert "Vertex AI express" in str(info.value) and "AI Studio" in str(info.value)
    with pytest.raises(CredentialsError):
        await engine.video.poll("publishers/google/models/m/operations/x")
    assert emulator.count() == 0


async def test_invalid_settings_are_refused_before_any_call(
    engine, emulator: Emulator, frames: tuple[bytes, bytes]
) -> None:
    with pytest.raises(RequestError, match="1080p"):
        await engine.video.start(clip(frames, resolution="1080p"))
    assert emulator.count() == 0


async def test_videos_in_flight_are_bounded(
    make_engine: EngineFactory, emulator: Emulator, frames: tuple[bytes, bytes]
) -> None:
    engine = make_engine(videos_in_flight=1)
    first = await engine.video.start(clip(frames))
    second = asyncio.ensure_future(engine.video.start(clip(frames)))
    await asyncio.sleep(0.05)
    assert not second.done() and emulator.count("predictLongRunning") == 1
    await finish(engine, first)
    await finish(engine, await asyncio.wait_for(second, 5))


def _details() -> CharacterDetails:
    return CharacterDetails(
        physical_appearance={"body": "round"},
        personality="curious",
        video_prompt_description="Floof, a round pink creature",
    )
