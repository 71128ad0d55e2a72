"""A character: the image a creator brings and the details that describe it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import Field

from avpe_desktop.domain._base import Model, NonEmptyText, new_id, utc_now

DEFAULT_CREATURE_LANGUAGE = "Soft and High-Pitched"

MEASUREMENTS = frozenset(
    {"size_px", "aspect_ratio", "palette", "colour_names", "transparent_background"}
)
"""Numbers an earlier offline analyst stored in the appearance: kept in the data, never shown
to the creator as if they described the character."""

_LABELS = {"colors": "Colours", "primary_color": "Main colour"}


def appearance_label(key: str) -> str:
    """`distinctive_features` -> "Distinctive features": how a person would head the line."""
    return _LABELS.get(key) or key.replace("_", " ").strip().capitalize()


def appearance_value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def appearance_lines(appearance: dict[str, Any]) -> list[str]:
    """One headed line per finding ("Body: A round shape…"), measurements left out."""
    return [
        f"{appearance_label(key)}: {appearance_value_text(value)}"
        for key, value in appearance.items()
        if key not in MEASUREMENTS
    ]


class CharacterDetails(Model):
    """What the seed's add-character-from-image returns as `character_details`."""

    physical_appearance: dict[str, Any] = Field(default_factory=dict)
    personality: str = ""
    video_prompt_description: str = ""
    creature_language: str = DEFAULT_CREATURE_LANGUAGE


class Character(Model):
    id: str = Field(default_factory=new_id)
    name: NonEmptyText = Field(max_length=120)
    image: str = Field(description="Image path, relative to the library folder.")
    thumbnail: str = Field(default="", description="Thumbnail path, relative to the library.")
    image_sha256: str = ""
    width: int = Field(default=0, ge=0)
    height: int = Field(default=0, ge=0)
    has_alpha: bool = False
    details: CharacterDetails = Field(default_factory=CharacterDetails)
    cloud_url: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
