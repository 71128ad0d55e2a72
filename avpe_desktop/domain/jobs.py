"""Render jobs, their paid steps, and the seed-shaped render result."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from avpe_desktop.domain._base import Model, new_id, utc_now
from avpe_desktop.domain.settings import RenderSettings


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CANCELLED = "cancelled"
    FAILED = "failed"
    PARTIAL = "partial"
    DONE = "done"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class StepKind(StrEnum):
    SCRIPT = "script"
    KEYFRAME = "keyframe"
    VIDEO = "video"
    THUMBNAIL = "thumbnail"
    MERGE = "merge"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class Step(Model):
    """One unit of work, usually paid; `key` is the content hash of its inputs."""

    id: str = Field(default_factory=new_id)
    job_id: str
    kind: StepKind
    key: str
    segment: int | None = None
    status: StepStatus = StepStatus.PENDING
    attempts: int = Field(default=0, ge=0)
    operation_name: str | None = None
    result_path: str | None = None
    result_sha256: str | None = None
    """The result file's hash, so a reused result is checked, not trusted."""
    cost_usd: float = Field(default=0.0, ge=0)
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class MergedVideo(Model):
    success: bool
    output_filename: str | None = None
    path: str | None = None
    error: str | None = None
    partial: bool = False
    """Merged from only the segments that rendered, under a name that says so: a video that
    misses segments must never pass for the whole one."""


class RenderResult(Model):
    """Mirrors the seed's generate-daily-character-videos response."""

    success_count: int = Field(ge=0)
    total_segments: int = Field(ge=0)
    video_urls: list[str] = Field(default_factory=list)
    merged_video: MergedVideo | None = None
    thumbnail: str | None = None
    errors: dict[int, str] = Field(default_factory=dict)

    @property
    def failed_segments(self) -> list[int]:
        return sorted(self.errors)

    def to_json(self) -> str:
        """The seed's response plus `failed_segments`, so a script sees which to retry."""
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps({**data, "failed_segments": self.failed_segments}, indent=2)

    def summary(self) -> str:
        """One line for a progress bar, a queue card or a terminal."""
        text = f"{self.success_count} of {self.total_segments} segments rendered"
        merged = self.merged_video
        if merged is not None and merged.success:
            text += "; partial video merged" if merged.partial else "; merged video ready"
        return text


class Job(Model):
    id: str = Field(default_factory=new_id)
    project_id: str
    engine: str
    status: JobStatus = JobStatus.QUEUED
    settings: RenderSettings = Field(default_factory=RenderSettings)
    cost_estimate_usd: float = Field(default=0.0, ge=0)
    cost_spent_usd: float = Field(default=0.0, ge=0)
    error: str | None = None
    result: RenderResult | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
