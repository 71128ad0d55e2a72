"""A project's song: checked, copied into the project folder, named in content.json; how it is
mixed; and what its beats are.

The copy is named by a hash of its bytes, so replacing a soundtrack writes the new song beside
the old one and switches content.json over to it: whatever moment the app stops at,
content.json names a complete song that is on disk. Replaced songs stay in the folder, so an
undo in the app (or an older content.json brought back) still finds its song.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from pathlib import Path

from avpe_desktop.domain import Content, Soundtrack, SoundtrackSettings
from avpe_desktop.input_files import describe_os_error
from avpe_desktop.media.audio_check import AudioFileError, AudioInfo, check_audio_file
from avpe_desktop.media.beats import MusicAnalysis, analyse_song
from avpe_desktop.media.mix import MixReport, MixSettings, mix_soundtrack
from avpe_desktop.storage.atomic import atomic_output, atomic_write_text
from avpe_desktop.storage.layout import ProjectLayout

SOUNDTRACK_STEM = "soundtrack"
_HASH_CHARS = 12


def attach_soundtrack(
    layout: ProjectLayout, source: str | Path, settings: SoundtrackSettings | None = None
) -> tuple[Content, AudioInfo]:
    """Makes `source` the project's soundtrack with `settings` (the current soundtrack's, else
    the defaults), saves content.json and returns the saved script with what the check found.
    A song that fails the check raises AudioFileError and leaves the project exactly as it
    was. The caller saves the returned script to the library."""
    content = _read_content(layout)
    previous = content.soundtrack
    if settings is None:
        settings = previous.settings if previous is not None else SoundtrackSettings()
    soundtrack, info = import_song(layout, source, settings)
    updated = content.model_copy(update={"soundtrack": soundtrack})
    try:
        atomic_write_text(layout.content_json, updated.to_seed_json())
    except OSError as exc:
        if previous is None or previous.file != soundtrack.file:
            soundtrack_path(layout, soundtrack).unlink(missing_ok=True)
        raise AudioFileError(describe_os_error(exc)) from exc
    return updated, info


def import_song(
    layout: ProjectLayout, source: str | Path, settings: SoundtrackSettings
) -> tuple[Soundtrack, AudioInfo]:
    """Checks `source` and copies it into the project folder (once: the same song is one
    file); content.json is not touched, so the app can record the change as an undoable edit.
    """
    info = check_audio_file(source)
    name = f"{SOUNDTRACK_STEM}-{_digest(info.path)}{info.suffix}"
    target = layout.root / name
    try:
        if not target.is_file():
            with atomic_output(target) as tmp:
                shutil.copyfile(info.path, tmp)
    except OSError as exc:
        raise AudioFileError(describe_os_error(exc)) from exc
    return Soundtrack(file=name, **settings.model_dump()), info


def mix_settings(settings: SoundtrackSettings, fade_out: float | None = None) -> MixSettings:
    """The mixer's settings for a soundtrack; `fade_out` replaces the creator's fade where the
    edit decides it (a music video ends with the song's last bar)."""
    return MixSettings(
        music_start=settings.start,
        music_gain_db=settings.gain_db,
        fade_in=settings.fade_in,
        fade_out=settings.fade_out if fade_out is None else fade_out,
        keep_clip_audio=settings.keep_clip_audio,
        duck_db=settings.duck_db if settings.ducking else 0.0,
        duck_attack_ms=settings.duck_attack_ms,
        duck_release_ms=settings.duck_release_ms,
        loudness=settings.loudness.target,
    )


def score_video(layout: ProjectLayout, content: Content, video: Path, out: Path) -> MixReport:
    """Writes `out`: `video`'s picture copied bit for bit, under the project's song mixed and
    levelled as its soundtrack settings say. Raises ValueError when the project has no song."""
    if content.soundtrack is None:
        raise ValueError("the project has no soundtrack to mix")
    return mix_soundtrack(
        video, soundtrack_path(layout, content.soundtrack), out, project_mix(content)
    )


def project_mix(content: Content) -> MixSettings:
    """The mixer's settings for the project's soundtrack (the defaults when it has none)."""
    settings = content.soundtrack.settings if content.soundtrack else SoundtrackSettings()
    return mix_settings(settings)


def song_analysis(layout: ProjectLayout, soundtrack: Soundtrack) -> MusicAnalysis:
    """Tempo, beats and energy of the project's song, analysed once and kept beside it (the
    song's file name carries its hash, so the cache can never describe another song). A cache
    that cannot be read or written only costs the analysis again. Raises MusicAnalysisError
    for a song with no beat."""
    cache = layout.root / f"{Path(soundtrack.file).stem}.beats.json"
    try:
        return MusicAnalysis.from_json(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    analysis = analyse_song(soundtrack_path(layout, soundtrack))
    with contextlib.suppress(OSError):
        atomic_write_text(cache, analysis.to_json())
    return analysis


def soundtrack_path(layout: ProjectLayout, soundtrack: Soundtrack) -> Path:
    """Where the project's song is on disk."""
    return layout.root / soundtrack.file


def _read_content(layout: ProjectLayout) -> Content:
    try:
        return Content.from_seed_json(layout.content_json.read_bytes())
    except OSError as exc:
        raise AudioFileError(
            f"The project's script cannot be read, so no song was attached. "
            f"{describe_os_error(exc)}"
        ) from exc
    except ValueError as exc:
        raise AudioFileError(
            f"The project's script ({layout.content_json.name}) is damaged, so no song was "
            "attached: the project folder was left as it is."
        ) from exc


def _digest(path: Path) -> str:
    """The song's identity: the same song attached twice is one file, a new one never
    overwrites the old."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:_HASH_CHARS]
