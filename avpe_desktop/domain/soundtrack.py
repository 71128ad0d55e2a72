"""The song under a project's video and how it is mixed, kept in content.json.

Only the settings live here; the song itself is a file in the project folder, named by
`Soundtrack.file`, so the folder alone is enough to export the project again elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from pydantic import Field, field_validator

from avpe_desktop.domain._base import Model, NonEmptyText


@dataclass(frozen=True)
class LoudnessTarget:
    """Integrated loudness (ITU-R BS.1770, LUFS) and the true-peak ceiling (dBTP) of a
    delivered file."""

    integrated_lufs: float
    true_peak_dbtp: float


class LoudnessPreset(StrEnum):
    """Where the video goes decides how loud it must be: platforms turn louder files down and
    quieter ones sound weak next to everything else in the feed."""

    SOCIAL = "social"
    PODCAST = "podcast"
    BROADCAST = "broadcast"

    @property
    def target(self) -> LoudnessTarget:
        return _TARGETS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_TARGETS = {
    LoudnessPreset.SOCIAL: LoudnessTarget(-14.0, -1.0),
    LoudnessPreset.PODCAST: LoudnessTarget(-16.0, -1.0),
    LoudnessPreset.BROADCAST: LoudnessTarget(-23.0, -1.0),
}
_LABELS = {
    LoudnessPreset.SOCIAL: "Social and streaming",
    LoudnessPreset.PODCAST: "Podcast",
    LoudnessPreset.BROADCAST: "Broadcast",
}


class SoundtrackSettings(Model):
    """How the song is laid under the clips; a creator picks these before or after choosing
    the song, so they exist without a file."""

    start: float = Field(default=0.0, ge=0.0, le=3600.0)
    """Seconds into the song where the video's first frame falls."""
    gain_db: float = Field(default=0.0, ge=-40.0, le=20.0)
    fade_in: float = Field(default=0.0, ge=0.0, le=30.0)
    fade_out: float = Field(default=2.0, ge=0.0, le=30.0)
    keep_clip_audio: bool = True
    """The clips' own sound (Veo's audio, the offline engine's creature sounds) stays in the
    mix; off, only the song is heard."""
    ducking: bool = True
    duck_db: float = Field(default=10.0, ge=0.0, le=40.0)
    """How far the song dips while clip sound or speech plays."""
    duck_attack_ms: float = Field(default=20.0, ge=0.01, le=2000.0)
    duck_release_ms: float = Field(default=400.0, ge=0.01, le=9000.0)
    loudness: LoudnessPreset = LoudnessPreset.SOCIAL


class Soundtrack(SoundtrackSettings):
    """A song attached to a project: the settings plus the song's file in the project folder."""

    file: NonEmptyText = Field(max_length=255)

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        """A name, never a path: a content.json from elsewhere must not point the export at a
        file outside its project folder."""
        if PurePath(value).name != value or "\\" in value or value in {".", ".."}:
            raise ValueError(f"the soundtrack must be a file name in the project folder: {value!r}")
        return value

    @property
    def settings(self) -> SoundtrackSettings:
        return SoundtrackSettings.model_validate(self.model_dump(exclude={"file"}))
