"""What the four Google roles share: one client, one retry policy, one set of rate limits,
and the structured-output call that scripts and character analysis both make."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from string import Template
from typing import Any, TypeVar

from google.genai import types
from pydantic import BaseModel, ValidationError

from avpe_desktop.engines.base import ResponseFormatError
from avpe_desktop.engines.google.client import GoogleClient
from avpe_desktop.engines.google.models import GoogleModels
from avpe_desktop.engines.resilience import (
    DEFAULT_POLICY,
    InFlightLimit,
    ModelRateLimits,
    retry_call,
)
from avpe_desktop.retry_policy import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

PROMPTS = "resources/prompts/google"


@dataclass
class GoogleRuntime:
    client: GoogleClient
    models: GoogleModels = field(default_factory=GoogleModels)
    policy: RetryPolicy = DEFAULT_POLICY
    limits: ModelRateLimits = field(default_factory=ModelRateLimits)
    in_flight: InFlightLimit = field(default_factory=InFlightLimit)

    async def call(
        self,
        model: str,
        fn: Callable[[], Awaitable[T]],
        what: str,
        *,
        idempotent: bool = True,
        rate_limited: bool = True,
    ) -> T:
        """Every SDK call goes through here so retries and quotas apply uniformly."""
        limiter = self.limits.for_model(model) if rate_limited else None
        return await retry_call(fn, self.policy, limiter=limiter, what=what, idempotent=idempotent)

    async def structured(
        self,
        model: str,
        contents: list[Any],
        schema: type[M],
        convert: Callable[[M], R],
        *,
        system: str,
        seed: int | None,
        what: str,
    ) -> R:
        """Ask for JSON in `schema`, convert it, and if the answer does not validate ask once
        more with the error fed back; the model usually fixes a near miss when told what it
        was. A second failure is a ResponseFormatError."""
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_schema=schema,
            temperature=0.9,
            seed=seed,
        )
        conversation: list[Any] = [types.Content(role="user", parts=_parts(contents))]
        problem = ""
        for attempt in (1, 2):
            sent = list(conversation)
            response = await self.call(
                model,
                functools.partial(
                    self.client.aio.models.generate_content,
                    model=model,
                    contents=sent,
                    config=config,
                ),
                what,
            )
            text = response.text or ""
            try:
                parsed = response.parsed
                if not isinstance(parsed, schema):
                    parsed = schema.model_validate_json(text)
                return convert(parsed)
            except (ValidationError, ValueError) as exc:
                problem = _short_error(exc)
                log.info("%s: answer %d did not validate: %s", what, attempt, problem)
            conversation += [
                types.Content(role="model", parts=[types.Part.from_text(text=text or "(empty)")]),
                types.Content(
                    role="user",
                    parts=[
                        types.Part.from_text(
                            text=(
                                "Your previous answer could not be used: "
                                f"{problem}\nAnswer again with JSON only, following the "
                                "schema and every rule above."
                            )
                        )
                    ],
                ),
            ]
        raise ResponseFormatError(
            f"Gemini's answer for the {what} did not have the expected shape twice "
            f"({problem}). Try again, or change the idea or model."
        )


def _parts(contents: list[Any]) -> list[types.Part]:
    return [types.Part.from_text(text=c) if isinstance(c, str) else c for c in contents]


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        issues = [
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors()[:5]
        ]
        return "; ".join(issues)
    return str(exc)[:500]


def prompt_template(name: str) -> Template:
    path = resources.files("avpe_desktop").joinpath(f"{PROMPTS}/{name}.txt")
    return Template(path.read_text(encoding="utf-8"))


def json_block(title: str, value: Any) -> str:
    """A titled JSON block: structured input the model reads reliably, and the emulator
    reads back to answer in kind."""
    return f"### {title}\n```json\n{json.dumps(value, ensure_ascii=False, indent=1)}\n```\n"
