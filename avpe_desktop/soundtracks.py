"""Attaching a song to a project: checked, copied into the project folder, named in
content.json.

The copy is named by a hash of its bytes, so replacing a soundtrack writes the new song beside
the old one and switches content.json over to it before the old file goes: whatever moment
the app stops at, content.json names a complete song that is on disk.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from avpe_desktop.domain import Content, Soundtrack, SoundtrackSettings
from avpe_desktop.input_files import describe_os_error
from avpe_desktop.media.audio_check import AudioFileError, AudioInfo, check_audio_file
from avpe_desktop.storage.atomic import atomic_output, atomic_write_text
from avpe_desktop.storage.layout import ProjectLayout

SOUNDTRACK_STEM = "soundtrack"
_HASH_CHARS = 12


def attach_soundtrack(
    layout: ProjectLayout, source: str | Path, settings: SoundtrackSettings | None = None
) -> tuple[Content, AudioInfo]:
    """Makes `source` the project's soundtrack with `settings` (the current soundtrack's, else
    the defaults) and returns the saved script with what the check found. A song that fails
    the check raises AudioFileError and leaves the project exactly as it was."""
    info = check_audio_file(source)
    content = _read_content(layout)
    previous = content.soundtrack
    if settings is None:
        settings = previous.settings if previous is not None else SoundtrackSettings()
    name = f"{SOUNDTRACK_STEM}-{_digest(info.path)}{info.suffix}"
    target = layout.root / name
    try:
        if not target.is_file():
            with atomic_output(target) as tmp:
                shutil.copyfile(info.path, tmp)
        soundtrack = Soundtrack(file=name, **settings.model_dump())
        updated = content.model_copy(update={"soundtrack": soundtrack})
        atomic_write_text(layout.content_json, updated.to_seed_json())
    except OSError as exc:
        if previous is None or previous.file != name:
            target.unlink(missing_ok=True)
        raise AudioFileError(describe_os_error(exc)) from exc
    if previous is not None and previous.file != name:
        (layout.root / previous.file).unlink(missing_ok=True)
    return updated, info


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
