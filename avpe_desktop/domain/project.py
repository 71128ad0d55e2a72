"""A project: one video being made from a script and a character."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from avpe_desktop.domain._base import Model, new_id, utc_now
from avpe_desktop.domain.content import Brief, Content
from avpe_desktop.domain.settings import RenderSettings


class Project(Model):
    id: str = Field(default_factory=new_id)
    title: str
    folder: str = Field(description="Project folder, relative to the workspace.")
    character_id: str | None = None
    brief: Brief | None = None
    content: Content
    settings: RenderSettings = Field(default_factory=RenderSettings)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
