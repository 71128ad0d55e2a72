"""Dated copies of the SQLite library in `<data folder>/backups/`, as Anki keeps of a collection.

A backup is written with SQLite's online backup API, so it is a consistent snapshot even
while the app writes, then checked with `PRAGMA integrity_check` before it gets its final
name: a copy that fails the check is removed and reported, never kept as a good one. Backups
are single self-contained files (rollback-journal mode, no -wal beside them), so they can be
opened read-only, copied or mailed as they are.

Names say when (UTC, so they sort by time whatever the clock's zone) and why:
`library-2026-12-05T101500Z-daily.sqlite3`, `...-manual.sqlite3`, `...-before-upgrade.sqlite3`.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from pathlib import Path

from avpe_desktop.storage.atomic import atomic_output
from avpe_desktop.storage.repository import LibraryError

BACKUPS_FOLDER = "backups"
KEEP_DAILY = 7
KEEP_WEEKLY = 4

SQLITE_MAGIC = b"SQLite format 3\x00"

_STAMP = "%Y-%m-%dT%H%M%S"
_NAME = re.compile(
    r"library-(?P<stamp>\d{4}-\d{2}-\d{2}T\d{6})Z-(?P<reason>daily|manual|before-upgrade)"
    r"(?:-(?P<n>\d+))?\.sqlite3"
)


class BackupReason(StrEnum):
    DAILY = "daily"
    """The first start of the app or a CLI command on a local day."""
    MANUAL = "manual"
    """`avpe library backup`."""
    BEFORE_UPGRADE = "before-upgrade"
    """Just before a schema migration: the last copy the previous app version can open."""


class BackupError(LibraryError):
    """A backup could not be written or failed its check; no file was kept for it."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime
    """Aware, in UTC."""
    reason: BackupReason
    sequence: int = 1
    """Orders backups taken in the same second (the name's counter)."""

    @property
    def name(self) -> str:
        return self.path.name

    def local_time(self, tz: tzinfo | None = None) -> datetime:
        """In the computer's zone unless `tz` is given: days and weeks are the creator's."""
        return self.taken_at.astimezone(tz)


def backups_folder(library_path: Path) -> Path:
    return library_path.parent / BACKUPS_FOLDER


def list_backups(folder: Path) -> list[BackupFile]:
    """Newest first; files that do not follow the naming scheme are not backups and are
    ignored (and never pruned)."""
    if not folder.is_dir():
        return []
    found: list[BackupFile] = []
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and path.is_file():
            taken = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
            sequence = int(match["n"] or 1)
            found.append(BackupFile(path, taken, BackupReason(match["reason"]), sequence))
    return sorted(found, key=lambda b: (b.taken_at, b.sequence), reverse=True)


def write_backup(
    db: sqlite3.Connection, folder: Path, reason: BackupReason, now: datetime | None = None
) -> BackupFile:
    """Copies the open library `db` to a new dated file in `folder` and checks the copy.

    The caller holds whatever lock guards `db`. The copy is written under a temporary name
    and renamed only after the check passes, so a crash or a failed check leaves no file
    that looks like a backup.
    """
    taken = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target, sequence = _free_name(folder, taken, reason)
        with atomic_output(target) as tmp:
            copy = sqlite3.connect(tmp)
            try:
                db.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
            problem = integrity_problem(tmp)
            if problem is not None:
                raise BackupError(
                    f"The new backup of the library failed SQLite's integrity check "
                    f"({problem}), so it was removed. The library itself may be damaged: "
                    "keep the existing backups (`avpe library backups`)."
                )
    except sqlite3.Error as exc:
        raise BackupError(f"The library could not be backed up to {folder}: {exc}.") from exc
    except OSError as exc:
        raise BackupError(
            f"The library could not be backed up to {folder}: {exc.strerror or exc}."
        ) from exc
    return BackupFile(target, taken, reason, sequence)


def _free_name(folder: Path, taken: datetime, reason: BackupReason) -> tuple[Path, int]:
    """Two backups in the same second (a manual one right after start-up) get a counter."""
    base = f"library-{taken.strftime(_STAMP)}Z-{reason.value}"
    candidate, sequence = folder / f"{base}.sqlite3", 1
    while candidate.exists():
        sequence += 1
        candidate = folder / f"{base}-{sequence}.sqlite3"
    return candidate, sequence


def integrity_problem(path: Path) -> str | None:
    """None when SQLite finds the file sound; otherwise its first findings, in its words.
    Opened read-only, so checking never changes the file."""
    try:
        with contextlib.closing(open_read_only(path)) as db:
            rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    findings = [str(row[0]) for row in rows]
    return None if findings == ["ok"] else "; ".join(findings[:3])


def has_sqlite_header(path: Path) -> bool:
    """False for a file that is not an SQLite database (an empty one is a new database).
    Raises OSError when the file cannot be read."""
    with path.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    return not magic or magic == SQLITE_MAGIC


def open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def backups_to_keep(backups: Sequence[BackupFile], tz: tzinfo | None = None) -> set[Path]:
    """The retention rule, as restic's `--keep-daily 7 --keep-weekly 4`:

    - the newest backup of each of the last 7 days that have one (days in the computer's
      zone, or `tz`), however far apart those days are, so a creator away for a month still
      has a week of work days;
    - the newest backup of each of the last 4 ISO weeks that have one;
    - the newest backup taken before a schema upgrade, whatever its age: it is the only copy
      the previous version of the app can open.

    Manual backups count like the rest. The two lists overlap (this week's newest is also a
    day's newest), so at most 7 + 4 + 1 files are kept and usually fewer.
    """
    newest_first = sorted(backups, key=lambda b: (b.taken_at, b.sequence), reverse=True)
    kept = _newest_per_period(newest_first, KEEP_DAILY, lambda b: b.local_time(tz).date())
    kept |= _newest_per_period(
        newest_first, KEEP_WEEKLY, lambda b: b.local_time(tz).isocalendar()[:2]
    )
    upgrades = [b for b in newest_first if b.reason is BackupReason.BEFORE_UPGRADE]
    kept |= {b.path for b in upgrades[:1]}
    return kept


def _newest_per_period(
    newest_first: Iterable[BackupFile], periods: int, period_of: Callable[[BackupFile], Hashable]
) -> set[Path]:
    seen: dict[Hashable, Path] = {}
    for backup in newest_first:
        key = period_of(backup)
        if key not in seen:
            if len(seen) == periods:
                break
            seen[key] = backup.path
    return set(seen.values())


def prune_backups(folder: Path, tz: tzinfo | None = None) -> list[Path]:
    """Deletes the backups the rule does not keep; returns them."""
    backups = list_backups(folder)
    keep = backups_to_keep(backups, tz)
    removed = [b.path for b in backups if b.path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def backup_due(folder: Path, now: datetime | None = None, tz: tzinfo | None = None) -> bool:
    """True when no backup was taken on today's local date: the start-up backup is made at
    most once a day, and a listing of a handful of names is all it costs to know."""
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    return all(b.local_time(tz).date() != today for b in list_backups(folder))
