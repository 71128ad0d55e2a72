"""Putting a backup back in place of the library, and saying what the backups hold.

Shared by `avpe library restore` and the desktop app's recovery dialog. The library being
replaced is never deleted: it and its -wal/-shm files are renamed as a set
(`library.sqlite3.damaged-2026-12-05T101500`, `...-wal`, `...-shm`), so renaming the first
back to `library.sqlite3` gives back exactly what was there.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from avpe_desktop.config import AppDirs, load_settings
from avpe_desktop.storage import sqlite_library
from avpe_desktop.storage.atomic import atomic_output
from avpe_desktop.storage.backups import (
    BackupFile,
    backups_folder,
    has_sqlite_header,
    integrity_problem,
    list_backups,
    open_read_only,
)
from avpe_desktop.storage.repository import LibraryError, LibraryRepository
from avpe_desktop.storage.sqlite_library import SqliteLibrary

_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""SQLite's files for one database; a stale -wal left beside a restored file would be
replayed into it, so they move together."""


class RestoreError(LibraryError):
    """Nothing was restored and the library was left as it was."""


@dataclass(frozen=True)
class BackupSummary:
    """A backup as the listing shows it, counted from the backup file itself."""

    backup: BackupFile
    size: int
    characters: int = 0
    projects: int = 0
    problem: str | None = None
    """Why this backup cannot be restored, in words; None for a good one."""

    @property
    def usable(self) -> bool:
        return self.problem is None

    def size_text(self) -> str:
        mb = self.size / 1_000_000
        return f"{mb:.1f} MB" if mb >= 1 else f"{self.size // 1000} KB"

    def contents(self) -> str:
        """ "3 characters, 1 project", or why the backup cannot be used."""
        if self.problem is not None:
            return self.problem
        return f"{_count(self.characters, 'character')}, {_count(self.projects, 'project')}"


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupSummary
    kept_aside: list[Path]
    """The previous library's files under their new names (empty when there was none)."""

    def describe(self) -> str:
        backup = self.restored
        when = backup.backup.local_time().strftime("%Y-%m-%d %H:%M")
        text = (
            f"Restored the library from the backup of {when} ({backup.backup.name}): "
            f"{backup.contents()}."
        )
        if self.kept_aside:
            text += f" The previous library was kept as {self.kept_aside[0]}."
        return text


def summarise_backups(library_path: Path) -> list[BackupSummary]:
    """Every backup beside the library, newest first, each opened read-only and checked."""
    return [summarise_backup(b) for b in list_backups(backups_folder(library_path))]


def summarise_backup(backup: BackupFile) -> BackupSummary:
    size = backup.path.stat().st_size
    problem = integrity_problem(backup.path)
    if problem is not None:
        return BackupSummary(backup, size, problem=f"damaged ({problem})")
    try:
        with contextlib.closing(open_read_only(backup.path)) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(sqlite_library.MIGRATIONS):
                return BackupSummary(
                    backup, size, problem="made by a newer version of AVPE Desktop"
                )
            characters = db.execute("SELECT count(*) FROM characters").fetchone()[0]
            projects = db.execute("SELECT count(*) FROM projects").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return BackupSummary(backup, size, problem=f"not an AVPE library ({exc})")
    return BackupSummary(backup, size, characters, projects)


def restore_library(
    library_path: Path, name: str | None = None, now: datetime | None = None
) -> RestoreResult:
    """Replaces the library with the named backup, or the newest good one.

    Atomic: the backup is copied to a temporary file beside the library and checked there,
    the current files are moved aside, and the copy is renamed into place (on failure the
    current files are moved back). Refuses while another program has the library open,
    which SQLite's own locks show: an open connection holds a shared lock on the file, so
    an exclusive lock cannot be had.
    """
    chosen = _choose(summarise_backups(library_path), name, library_path)
    state = _probe(library_path)
    if state is _State.IN_USE:
        raise RestoreError(
            f"The library at {library_path} is open in another AVPE Desktop window or `avpe` "
            "command. Close it, then restore again; nothing was changed."
        )
    stamp = (now or datetime.now()).astimezone().strftime("%Y-%m-%dT%H%M%S")
    moved: list[tuple[Path, Path]] = []
    try:
        with atomic_output(library_path) as tmp:
            shutil.copyfile(chosen.backup.path, tmp)
            problem = integrity_problem(tmp)
            if problem is not None:
                raise RestoreError(
                    f"The copy of {chosen.backup.name} failed its check ({problem}); "
                    "nothing was changed."
                )
            moved = _move_aside(library_path, f"{state.value}-{stamp}")
    except BaseException:
        for original, aside in moved:
            aside.replace(original)
        raise
    return RestoreResult(chosen, [aside for _original, aside in moved])


def _choose(summaries: list[BackupSummary], name: str | None, library_path: Path) -> BackupSummary:
    if not summaries:
        raise RestoreError(
            f"There are no backups of the library in {backups_folder(library_path)}; "
            "nothing was changed."
        )
    if name is None:
        good = [s for s in summaries if s.usable]
        if not good:
            raise RestoreError(
                f"None of the {len(summaries)} backups can be restored "
                f"({summaries[0].backup.name}: {summaries[0].problem}); nothing was changed."
            )
        return good[0]
    wanted = name.strip()
    for summary in summaries:
        if wanted in (summary.backup.name, summary.backup.path.stem):
            if summary.problem is not None:
                raise RestoreError(
                    f"{summary.backup.name} cannot be restored: {summary.problem}. "
                    "Nothing was changed."
                )
            return summary
    raise RestoreError(f"There is no backup named {wanted!r}; `avpe library backups` lists them.")


class _State(Enum):
    ABSENT = "absent"
    IN_USE = "in use"
    DAMAGED = "damaged"
    SOUND = "replaced"


def _probe(library_path: Path) -> _State:
    """Whether another program has the library open, and whether it is a sound database.

    An exclusive lock is refused while any other connection has the file open (each holds a
    shared lock), and in exclusive locking mode SQLite keeps its WAL index in memory, so
    the probe leaves no -shm file behind.
    """
    if not library_path.exists():
        return _State.ABSENT
    if not has_sqlite_header(library_path):
        return _State.DAMAGED  # SQLite would delete a -wal beside it
    probe = sqlite3.connect(library_path, timeout=0, isolation_level=None)
    try:
        probe.execute("PRAGMA locking_mode = EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        sound = probe.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        probe.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        busy = (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        return _State.IN_USE if busy else _State.DAMAGED
    finally:
        probe.close()
    return _State.SOUND if sound else _State.DAMAGED


def _move_aside(library_path: Path, suffix: str) -> list[tuple[Path, Path]]:
    """A second restore in the same second gets a counter: a file kept aside is never
    overwritten."""
    name, counter = f"{library_path.name}.{suffix}", 1
    while any(library_path.with_name(name + c).exists() for c in _COMPANIONS):
        counter += 1
        name = f"{library_path.name}.{suffix}-{counter}"
    moved: list[tuple[Path, Path]] = []
    for companion in _COMPANIONS:
        original = library_path.with_name(library_path.name + companion)
        if original.exists():
            aside = library_path.with_name(name + companion)
            original.replace(aside)
            moved.append((original, aside))
    return moved


def missing_after_restore(dirs: AppDirs) -> list[str]:
    """`missing_files` for the local library just restored, in the workspace from Settings."""
    workspace = load_settings(dirs.settings_file).workspace_path(dirs)
    with SqliteLibrary(dirs.library_db) as library:
        return missing_files(library, dirs.data, workspace)


def missing_files(library: LibraryRepository, data_dir: Path, workspace: Path) -> list[str]:
    """What a restored library points at that is not on disk, one line per kind.

    Images and project folders are files the backup does not copy (they are files already),
    so one deleted since the backup was taken shows up here, by name and path.
    """
    lost_images = [
        f"{c.name} ({data_dir / c.image})"
        for c in library.list_characters()
        if not (data_dir / c.image).is_file()
    ]
    lost_folders = [
        f"{p.title} ({workspace / p.folder})"
        for p in library.list_projects()
        if not (workspace / p.folder).is_dir()
    ]
    lines: list[str] = []
    if lost_images:
        whose = "character's image is" if len(lost_images) == 1 else "characters' images are"
        lines.append(f"{len(lost_images)} {whose} missing: {', '.join(lost_images)}")
    if lost_folders:
        which = "project folder is" if len(lost_folders) == 1 else "project folders are"
        lines.append(f"{len(lost_folders)} {which} missing: {', '.join(lost_folders)}")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
