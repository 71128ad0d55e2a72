"""The emulator answers the real SDK on the routes it really calls, in all three modes."""

from __future__ import annotations

import json

import google.oauth2.credentials
import httpx2
import pytest
from google import genai
from google.genai import errors, types

from avpe_desktop.engines.google.runtime import json_block
from avpe_desktop.testing.emulator import Emulator

KEY = "AIza-emulator-key-abcdef"


@pytest.fixture
def emulator():  # type: ignore[no-untyped-def]
    with Emulator() as emu:
        yield emu


def client(emu: Emulator, mode: str) -> genai.Client:
    options = types.HttpOptions(
        base_url=emu.base_url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    if mode == "developer":
        return genai.Client(api_key=KEY, http_options=options)
    if mode == "vertex_express":
        return genai.Client(vertexai=True, api_key=KEY, http_options=options)
    token = google.oauth2.credentials.Credentials(token="t")
    return genai.Client(
        vertexai=True, project="p", location="europe-west4", credentials=token, http_options=options
    )


@pytest.mark.parametrize(
    ("mode", "path"),
    [
        ("developer", "/v1/models/gemini-3.5-flash:generateContent"),
        ("vertex_express", "/v1beta1/publishers/google/models/gemini-3.5-flash:generateContent"),
        (
            "vertex",
            "/v1beta1/projects/p/locations/europe-west4/publishers/google/models/"
            "gemini-3.5-flash:generateContent",
        ),
    ],
)
async def test_generate_content_routes(emulator: Emulator, mode: str, path: str) -> None:
    response = await client(emulator, mode).aio.models.generate_content(
        model="gemini-3.5-flash", contents="hello"
    )
    assert response.text
    [logged] = emulator.requests()
    assert (logged.method, logged.path, logged.model, logged.status) == (
        "POST",
        path,
        "gemini-3.5-flash",
        200,
    )
    assert KEY not in logged.key and (logged.key == "bearer" or logged.key.startswith("AIza"))


async def test_structured_answer_follows_the_requested_schema(emulator: Emulator) -> None:
    from pydantic import BaseModel

    class Answer(BaseModel):
        name: str
        count: int
        tags: list[str]

    response = await client(emulator, "vertex_express").aio.models.generate_content(
        model="m",
        contents="x",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=Answer
        ),
    )
    assert isinstance(response.parsed, Answer)


async def test_errors_unknown_routes_and_missing_auth(emulator: Emulator) -> None:
    emulator.fail("generateContent", 429, retry_after=3, retry_delay=2)
    with pytest.raises(errors.ClientError) as info:
        await client(emulator, "vertex_express").aio.models.generate_content(
            model="m", contents="x"
        )
    assert info.value.code == 429 and info.value.response.headers["retry-after"] == "3"
    assert "RetryInfo" in str(info.value.details)
    async with httpx2.AsyncClient() as http:
        assert (
            await http.post(f"{emulator.base_url}/v1/models/m:generateContent", json={})
        ).status_code == 401
        nowhere = await http.get(f"{emulator.base_url}/nowhere", headers={"x-goog-api-key": "k"})
        assert nowhere.status_code == 404


async def test_unknown_operation_is_404_and_drop_closes_the_socket(emulator: Emulator) -> None:
    sdk = client(emulator, "vertex")
    with pytest.raises(errors.ClientError) as info:
        await sdk.aio.operations.get(
            types.GenerateVideosOperation(
                name="projects/p/locations/l/publishers/google/models/veo/operations/none"
            )
        )
    assert info.value.code == 404
    emulator.drop(None)
    with pytest.raises(httpx2.TransportError):
        await sdk.aio.models.generate_content(model="m", contents="x")
    assert emulator.requests()[-1].status is None


def test_only_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Emulator(host="0.0.0.0")


async def test_json_mode_without_a_schema_still_answers_json(emulator: Emulator) -> None:
    """A real Gemini model in JSON mode answers JSON whether or not a schema is given."""
    sdk = client(emulator, "developer")
    json_mode = types.GenerateContentConfig(response_mime_type="application/json")
    plain = await sdk.aio.models.generate_content(model="m", contents="hello", config=json_mode)
    assert isinstance(json.loads(plain.text or ""), dict)
    brief = {"idea": "Floof finds a box", "character_name": "Floof", "num_segments": 2}
    asked = await sdk.aio.models.generate_content(
        model="m", contents="Write the script.\n" + json_block("BRIEF", brief), config=json_mode
    )
    script = json.loads(asked.text or "")
    assert len(script["segments"]) == 2 and script["title"]
    text = await sdk.aio.models.generate_content(model="m", contents="hello")
    assert text.text == "This is the Google emulator."
