"""Pydantic models shared by every layer; the seed's JSON shapes live here."""

from avpe_desktop.domain.character import Character, CharacterDetails
from avpe_desktop.domain.content import Brief, Content, CreatureSound, Format, Segment
from avpe_desktop.domain.jobs import (
    Job,
    JobStatus,
    MergedVideo,
    RenderResult,
    Step,
    StepKind,
    StepStatus,
)
from avpe_desktop.domain.project import Project
from avpe_desktop.domain.settings import AspectRatio, RenderSettings, Resolution, frame_size
from avpe_desktop.domain.soundtrack import LoudnessPreset, Soundtrack, SoundtrackSettings

__all__ = [
    "AspectRatio",
    "Brief",
    "Character",
    "CharacterDetails",
    "Content",
    "CreatureSound",
    "Format",
    "Job",
    "JobStatus",
    "LoudnessPreset",
    "MergedVideo",
    "Project",
    "RenderResult",
    "RenderSettings",
    "Resolution",
    "Segment",
    "Soundtrack",
    "SoundtrackSettings",
    "Step",
    "StepKind",
    "StepStatus",
    "frame_size",
]
