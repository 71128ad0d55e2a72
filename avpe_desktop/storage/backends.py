"""Choosing the library backend, falling back to the local one, and copying between them.

The local SQLite library is always there, so a creator whose MongoDB server is down (or whose
URI is wrong) can still open the app and work; the reason is returned for the UI to show and
logged with the URI's credentials masked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from avpe_desktop.config import AppDirs, LibraryBackend, Settings
from avpe_desktop.secrets import SecretName, get_secret
from avpe_desktop.storage.backups import BackupError
from avpe_desktop.storage.repository import (
    DuplicateError,
    LibraryOpenError,
    LibraryRepository,
    NotFoundError,
)
from avpe_desktop.storage.sqlite_library import SqliteLibrary

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class OpenedLibrary:
    library: LibraryRepository
    backend: LibraryBackend
    """The backend actually open, which differs from Settings after a fallback."""
    notice: str | None = None
    """Why the backend chosen in Settings is not the one open, in words for the creator."""


def open_backend(backend: LibraryBackend, dirs: AppDirs) -> LibraryRepository:
    """Exactly the backend asked for, or LibraryOpenError (used where falling back would be
    wrong, such as the target of a copy)."""
    if backend is LibraryBackend.SQLITE:
        return SqliteLibrary(dirs.library_db)
    uri = get_secret(SecretName.MONGODB_URI)
    if not uri:
        raise LibraryOpenError(
            "No MongoDB URI is stored. Add it in Settings (it is kept in the system keyring) "
            f"or set {SecretName.MONGODB_URI.env_var}."
        )
    try:
        from avpe_desktop.storage.mongo_library import MongoLibrary
    except ImportError as exc:  # pymongo comes with the optional `cloud` extra
        raise LibraryOpenError(
            "MongoDB support is not installed; install AVPE Desktop with the 'cloud' extra."
        ) from exc
    return MongoLibrary(uri)


def open_library(settings: Settings, dirs: AppDirs) -> OpenedLibrary:
    """The library Settings asks for; MongoDB that cannot be opened falls back to SQLite.

    A SQLite failure is not caught: there is nothing further to fall back to, and its error
    already says what is wrong with the file. The local library gets its daily backup here.
    """
    wanted = settings.library_backend
    notice: str | None = None
    if wanted is LibraryBackend.MONGODB:
        try:
            return OpenedLibrary(open_backend(wanted, dirs), wanted)
        except LibraryOpenError as exc:
            notice = (
                f"{exc} Working in the library on this computer instead; "
                "MongoDB is used again once it can be reached at the next start."
            )
            log.warning("%s", notice)  # the message masks the URI's credentials already
    local = SqliteLibrary(dirs.library_db)
    problem = _start_up_backup(local)
    if problem:
        notice = f"{notice} {problem}" if notice else problem
    return OpenedLibrary(local, LibraryBackend.SQLITE, notice)


def _start_up_backup(library: SqliteLibrary) -> str | None:
    """A failed backup must not keep a creator from working: it is logged (the CLI prints
    warnings), returned as the library notice, and tried again at the next start."""
    try:
        library.backup_if_due()
    except BackupError as exc:
        log.warning("Start-up backup failed: %s", exc)
        return str(exc)
    return None


@dataclass
class CopyReport:
    """Per kind: how many objects were written, and how many the target already had as they
    are. A second copy of an unchanged library writes nothing."""

    written: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("characters", "projects", "jobs", "steps"), 0)
    )
    unchanged: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("characters", "projects", "jobs", "steps"), 0)
    )
    conflicts: list[str] = field(default_factory=list)
    """Steps the target refused because another step of that job already has their key."""

    def summary(self) -> str:
        parts = [
            f"{self.written[kind]} {kind} copied ({self.unchanged[kind]} already there)"
            for kind in self.written
        ]
        text = ", ".join(parts)
        if self.conflicts:
            text += f"; {len(self.conflicts)} steps skipped (the target has its own for them)"
        return text


def copy_library(src: LibraryRepository, dst: LibraryRepository) -> CopyReport:
    """Copies every character, project, job and step from `src` into `dst`, keeping ids.

    Idempotent: objects already equal in `dst` are left alone and changed ones replaced, so a
    copy can be re-run after an interruption. Oldest first, so `dst` lists everything in the
    same order as `src`. Only library records move; the image and video files they point at
    stay on this computer (upload them to Cloudinary to share them).
    """
    report = CopyReport()
    for character in reversed(src.list_characters()):
        try:
            existing = dst.get_character(character.id)
        except NotFoundError:
            dst.add_character(character)
            report.written["characters"] += 1
            continue
        if existing == character:
            report.unchanged["characters"] += 1
        else:
            dst.update_character(character)
            report.written["characters"] += 1

    for project in reversed(src.list_projects()):
        _copy(report, "projects", project, _lookup(dst.get_project, project.id), dst.save_project)
    for job in reversed(src.list_jobs()):
        _copy(report, "jobs", job, _lookup(dst.get_job, job.id), dst.save_job)
        for step in src.list_steps(job.id):
            try:
                _copy(report, "steps", step, dst.get_step_by_key(job.id, step.key), dst.save_step)
            except DuplicateError:
                report.conflicts.append(f"{job.id}/{step.key}")
    log.info("Library copy: %s", report.summary())
    return report


def _lookup(get: Callable[[str], T], item_id: str) -> T | None:
    try:
        return get(item_id)
    except NotFoundError:
        return None


def _copy(
    report: CopyReport, kind: str, item: T, existing: T | None, save: Callable[[T], None]
) -> None:
    if existing == item:
        report.unchanged[kind] += 1
        return
    save(item)
    report.written[kind] += 1
