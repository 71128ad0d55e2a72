"""Common model configuration and helpers for the domain models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Model(BaseModel):
    """Strict about types, forgiving about extra keys from other tools' JSON."""

    model_config = ConfigDict(
        extra="ignore",
        validate_assignment=True,
        str_strip_whitespace=True,
        populate_by_name=True,
        defer_build=True,
    )


def new_id() -> str:
    """Ids are opaque strings so a MongoDB backend can store them as they are."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    return datetime.now(UTC)


NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
