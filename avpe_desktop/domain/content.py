"""Briefs and scripts, in the JSON shapes of the seed's generate-daily-character API."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from avpe_desktop.domain._base import Model, NonEmptyText
from avpe_desktop.domain.character import DEFAULT_CREATURE_LANGUAGE
from avpe_desktop.domain.soundtrack import Soundtrack

MAX_SEGMENTS = 20
MAX_TITLE = 200


class Format(StrEnum):
    DAILY_CHARACTER = "daily_character"
    STORY = "story"
    MEME = "meme"
    MUSIC_VIDEO = "music_video"


class Brief(Model):
    """The seed's generate-daily-character request, plus the format and a seed."""

    idea: NonEmptyText = Field(max_length=2000)
    character_name: NonEmptyText = Field(max_length=120)
    creature_language: str = DEFAULT_CREATURE_LANGUAGE
    num_segments: int = Field(default=7, ge=1, le=MAX_SEGMENTS)
    allow_dialogue: bool = False
    format: Format = Format.DAILY_CHARACTER
    seed: int = Field(default=0, ge=0)


class CreatureSound(Model):
    """One vocalisation; unknown keys from other tools are kept so they round-trip."""

    model_config = ConfigDict(extra="allow")

    sound: NonEmptyText
    timing: str | None = None
    emotion: str | None = None


class Segment(Model):
    """One clip of the video: the seed's segment object plus optional camera, dialogue, duration."""

    model_config = ConfigDict(extra="allow")

    segment: int = Field(ge=1, le=MAX_SEGMENTS)
    first_frame_description: NonEmptyText
    last_frame_description: NonEmptyText
    scene: NonEmptyText
    action: NonEmptyText
    creature_sounds: list[CreatureSound | str] = Field(default_factory=list)
    camera: str | None = None
    dialogue: str | None = None
    duration: Literal[4, 6, 8] | None = None

    def sound_names(self) -> list[str]:
        return [s if isinstance(s, str) else s.sound for s in self.creature_sounds]

    def video_prompt(self, character_description: str = "") -> str:
        """The text a video model gets for this segment, character first so it anchors identity."""
        parts = [character_description, f"Scene: {self.scene}.", f"Action: {self.action}."]
        if self.camera:
            parts.append(f"Camera: {self.camera}.")
        sounds = self.sound_names()
        if sounds:
            parts.append("Creature sounds: " + ", ".join(sounds) + ".")
        if self.dialogue:
            parts.append(f'Dialogue: "{self.dialogue}"')
        return " ".join(p for p in parts if p)


class Content(Model):
    """A script: a title and numbered segments. Serialises to the seed's response body; the
    soundtrack is an optional key of our own that is left out when there is none, so a seed
    script reads and writes exactly as before."""

    title: NonEmptyText = Field(max_length=MAX_TITLE)
    segments: list[Segment] = Field(min_length=1, max_length=MAX_SEGMENTS)
    format: Format | None = None
    soundtrack: Soundtrack | None = None

    @model_validator(mode="after")
    def _numbered_in_order(self) -> Self:
        numbers = [s.segment for s in self.segments]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"segments must be numbered 1..{len(numbers)} in order, got {numbers}")
        return self

    def renumbered(self, segments: list[Segment]) -> Content:
        """A copy with these segments numbered 1..n, for inserts, deletes and moves."""
        fixed = [s.model_copy(update={"segment": i}) for i, s in enumerate(segments, start=1)]
        return Content(
            title=self.title, segments=fixed, format=self.format, soundtrack=self.soundtrack
        )

    def to_seed_dict(self) -> dict[str, Any]:
        return {"content": self.model_dump(mode="json", exclude_none=True)}

    def to_seed_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_seed_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_seed(cls, data: dict[str, Any]) -> Content:
        """Accepts the seed's `{"content": {...}}` body or the bare content object."""
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        inner = data.get("content", data)
        return cls.model_validate(inner)

    @classmethod
    def from_seed_json(cls, text: str | bytes) -> Content:
        return cls.from_seed(json.loads(text))
