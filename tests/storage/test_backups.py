"""Library backups and restore: real SQLite files on disk, damaged the way disks damage them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_sqlite_library import make_character, make_project

from avpe_desktop.config import app_dirs
from avpe_desktop.context import AppContext
from avpe_desktop.storage import sqlite_library
from avpe_desktop.storage.backups import (
    BackupError,
    BackupFile,
    BackupReason,
    backups_folder,
    backups_to_keep,
    list_backups,
    prune_backups,
)
from avpe_desktop.storage.repository import LibraryOpenError
from avpe_desktop.storage.restore import (
    RestoreError,
    missing_files,
    restore_library,
    summarise_backups,
)
from avpe_desktop.storage.sqlite_library import SqliteLibrary

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # ISO week 49 of 2026


def _library(path: Path, names: tuple[str, ...] = ("Floof", "Blob"), projects: int = 1) -> None:
    with SqliteLibrary(path) as library:
        for name in names:
            library.add_character(make_character(name))
        for number in range(projects):
            library.save_project(make_project(f"Video {number + 1}"))


def _names(path: Path) -> list[str]:
    with SqliteLibrary(path) as library:
        return [c.name for c in library.list_characters()]


def _fake(folder: Path, taken: datetime, reason: BackupReason = BackupReason.DAILY) -> BackupFile:
    return BackupFile(folder / f"{taken:%Y%m%d%H%M}-{reason.value}", taken, reason)


# Pruning


def test_keeps_the_newest_of_each_of_the_last_7_days_and_4_weeks(tmp_path: Path) -> None:
    # Two backups a day for 40 days, the newest on a Monday evening.
    backups = [
        _fake(tmp_path, MONDAY - timedelta(days=day, hours=hour))
        for day in range(40)
        for hour in (0, 6)
    ]
    kept = backups_to_keep(backups, UTC)
    kept_times = sorted((b.taken_at for b in backups if b.path in kept), reverse=True)

    daily = [MONDAY - timedelta(days=day) for day in range(7)]
    # Weeks 49 (this Monday), 48, 47 and 46: the newest of each is its Sunday, but week 49's
    # and week 48's are already among the daily ones.
    weekly = [MONDAY - timedelta(days=8), MONDAY - timedelta(days=15)]
    assert kept_times == daily + weekly


def test_days_without_backups_do_not_count_and_upgrades_are_kept(tmp_path: Path) -> None:
    """A creator away for a month: the last 7 days *that have a backup* are kept."""
    days = [0, 1, 30, 31, 32, 60, 61, 62, 90]
    backups = [_fake(tmp_path, MONDAY - timedelta(days=d)) for d in days]
    upgrade = _fake(tmp_path, MONDAY - timedelta(days=200), BackupReason.BEFORE_UPGRADE)
    kept = backups_to_keep([*backups, upgrade], UTC)
    kept_days = sorted((MONDAY - b.taken_at).days for b in backups if b.path in kept)
    assert kept_days == [0, 1, 30, 31, 32, 60, 61]
    assert upgrade.path in kept


def test_manual_backups_count_like_the_rest_and_pruning_deletes_files(tmp_path: Path) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    with SqliteLibrary(library_path) as library:
        for day in range(10):
            library.backup(BackupReason.DAILY, now=MONDAY - timedelta(days=10 - day))
        manual = library.backup(BackupReason.MANUAL, now=MONDAY)
        later = library.backup(BackupReason.MANUAL, now=MONDAY + timedelta(minutes=1))

    folder = backups_folder(library_path)
    remaining = list_backups(folder)
    assert remaining[0] == later and manual not in remaining
    assert len({b.local_time().date() for b in remaining}) == len(remaining)
    assert len(remaining) <= 7 + 4
    assert sorted(p.name for p in folder.iterdir()) == sorted(b.name for b in remaining)
    assert prune_backups(folder) == []


# Writing and checking


def test_a_backup_is_a_checked_self_contained_copy(tmp_path: Path) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    with SqliteLibrary(library_path) as library:
        library.add_character(make_character("Written just now"))  # still in the -wal file
        made = library.backup()

    assert made.reason is BackupReason.MANUAL
    assert [p.name for p in made.path.parent.iterdir()] == [made.name]  # no -wal, no temp
    (summary,) = summarise_backups(library_path)
    assert summary.usable
    assert (summary.characters, summary.projects) == (3, 1)
    assert summary.contents() == "3 characters, 1 project"


def test_a_copy_that_fails_its_integrity_check_is_removed_and_reported(tmp_path: Path) -> None:
    """Pages damaged on disk open fine (only the header is read at start-up) but are copied
    as they are; the check of the copy catches them."""
    library_path = tmp_path / "library.sqlite3"
    _library(library_path, names=tuple(f"Character {n}" for n in range(300)))
    page_size = 4096
    with library_path.open("r+b") as handle:
        handle.seek(3 * page_size)
        handle.write(b"\xde\xad" * (page_size // 2))

    with (
        SqliteLibrary(library_path) as library,
        pytest.raises(BackupError, match="failed SQLite's integrity check") as failure,
    ):
        library.backup()
    assert "removed" in str(failure.value)
    folder = backups_folder(library_path)
    assert list(folder.iterdir()) == []  # neither a backup nor a temporary file


def test_the_start_up_backup_is_made_once_a_day(tmp_path: Path) -> None:
    dirs = app_dirs()
    _library(dirs.library_db)
    folder = backups_folder(dirs.library_db)
    assert list_backups(folder) == []  # opening the library directly makes none

    AppContext.open().close()
    AppContext.open().close()
    (first,) = list_backups(folder)
    assert first.reason is BackupReason.DAILY

    with SqliteLibrary(dirs.library_db) as library:
        assert library.backup_if_due() is None
        tomorrow = library.backup_if_due(now=datetime.now(UTC) + timedelta(days=1))
    assert tomorrow is not None
    assert list_backups(folder) == [tomorrow, first]


def test_an_empty_library_is_not_backed_up_at_start_up() -> None:
    AppContext.open().close()
    assert list_backups(backups_folder(app_dirs().library_db)) == []


def test_an_upgrade_is_preceded_by_a_backup_of_the_old_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    old_version = len(sqlite_library.MIGRATIONS)

    def add_tags(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE tags (name TEXT PRIMARY KEY)")

    monkeypatch.setattr(sqlite_library, "MIGRATIONS", (*sqlite_library.MIGRATIONS, add_tags))
    SqliteLibrary(library_path).close()

    (backup,) = list_backups(backups_folder(library_path))
    assert backup.reason is BackupReason.BEFORE_UPGRADE
    copy = sqlite3.connect(backup.path)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == old_version
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
    assert "tags" not in tables
    assert copy.execute("SELECT count(*) FROM characters").fetchone()[0] == 2
    copy.close()
    SqliteLibrary(library_path).close()  # already upgraded: no second backup
    assert len(list_backups(backups_folder(library_path))) == 1


def test_no_upgrade_without_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    backups_folder(library_path).write_text("a file where the backups folder should be")
    monkeypatch.setattr(sqlite_library, "MIGRATIONS", (*sqlite_library.MIGRATIONS, lambda db: None))
    with pytest.raises(LibraryOpenError, match="only done after a backup"):
        SqliteLibrary(library_path)
    monkeypatch.undo()
    assert _names(library_path) == ["Blob", "Floof"]


# Restoring


def test_restore_brings_back_a_library_overwritten_with_garbage(tmp_path: Path) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    with SqliteLibrary(library_path) as library:
        library.backup()
    garbage = b"\x00garbage\xff" * 500
    library_path.write_bytes(garbage)
    (tmp_path / "library.sqlite3-wal").write_bytes(b"stale wal")
    with pytest.raises(LibraryOpenError, match="not an AVPE library"):
        SqliteLibrary(library_path)

    result = restore_library(library_path, now=datetime(2026, 12, 5, 10, 15, tzinfo=UTC))

    assert _names(library_path) == ["Blob", "Floof"]
    stamp = datetime(2026, 12, 5, 10, 15, tzinfo=UTC).astimezone().strftime("%Y-%m-%dT%H%M%S")
    damaged = tmp_path / f"library.sqlite3.damaged-{stamp}"
    assert result.kept_aside == [damaged, tmp_path / f"library.sqlite3.damaged-{stamp}-wal"]
    assert damaged.read_bytes() == garbage
    assert "2 characters, 1 project" in result.describe()
    assert str(damaged) in result.describe()


def test_restore_brings_back_a_deleted_library(tmp_path: Path) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    with SqliteLibrary(library_path) as library:
        library.backup()
    library_path.unlink()

    result = restore_library(library_path)

    assert result.kept_aside == []
    assert "previous library" not in result.describe()
    assert _names(library_path) == ["Blob", "Floof"]


def test_restore_takes_the_newest_good_backup_or_the_one_named(tmp_path: Path) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path, names=("Floof",))
    with SqliteLibrary(library_path) as library:
        oldest = library.backup(now=MONDAY - timedelta(days=2))
        library.add_character(make_character("Blob"))
        good = library.backup(now=MONDAY - timedelta(days=1))
        damaged = library.backup(now=MONDAY)
    damaged.path.write_bytes(b"not a database at all" * 100)

    summaries = summarise_backups(library_path)
    assert [s.usable for s in summaries] == [False, True, True]
    assert summaries[0].contents().startswith("damaged")

    same_second = datetime(2026, 12, 5, 10, 15, tzinfo=UTC)
    assert restore_library(library_path, now=same_second).restored.backup == good
    assert _names(library_path) == ["Blob", "Floof"]
    assert restore_library(library_path, oldest.path.stem, same_second).restored.backup == oldest
    assert _names(library_path) == ["Floof"]
    # Sound libraries are kept too, as "replaced"; the second one does not overwrite the first.
    first, second = sorted(tmp_path.glob("library.sqlite3.replaced-*"))
    assert second.name == f"{first.name}-2"
    assert _names(second) == ["Blob", "Floof"]

    with pytest.raises(RestoreError, match="cannot be restored: damaged"):
        restore_library(library_path, damaged.name)
    with pytest.raises(RestoreError, match="no backup named 'nope'"):
        restore_library(library_path, "nope")
    assert _names(library_path) == ["Floof"]


def test_restore_refuses_while_the_library_is_open(tmp_path: Path) -> None:
    library_path = tmp_path / "library.sqlite3"
    _library(library_path)
    with SqliteLibrary(library_path) as library:
        library.backup()
        with pytest.raises(RestoreError, match="is open in another"):
            restore_library(library_path)
        assert [c.name for c in library.list_characters()] == ["Blob", "Floof"]
    assert list(tmp_path.glob("library.sqlite3.*")) == []


def test_restore_without_backups_or_with_only_newer_ones_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library_path = tmp_path / "library.sqlite3"
    library_path.write_bytes(b"garbage")
    with pytest.raises(RestoreError, match="no backups"):
        restore_library(library_path)

    other = tmp_path / "newer" / "library.sqlite3"
    monkeypatch.setattr(sqlite_library, "MIGRATIONS", (*sqlite_library.MIGRATIONS, lambda db: None))
    _library(other)
    with SqliteLibrary(other) as library:
        made = library.backup()
    monkeypatch.undo()
    backups_folder(library_path).mkdir()
    made.path.rename(backups_folder(library_path) / made.name)
    with pytest.raises(RestoreError, match="newer version of AVPE Desktop"):
        restore_library(library_path)
    assert library_path.read_bytes() == b"garbage"


def test_missing_images_and_project_folders_are_named(tmp_path: Path) -> None:
    data, workspace = tmp_path / "data", tmp_path / "workspace"
    with SqliteLibrary(data / "library.sqlite3") as library:
        for name in ("Floof", "Blob", "Kept"):
            character = make_character(name)
            library.add_character(character)
            if name == "Kept":
                (data / character.image).parent.mkdir(parents=True)
                (data / character.image).write_bytes(b"png")
        gone, there = make_project("Gone"), make_project("There")
        library.save_project(gone)
        library.save_project(there)
        (workspace / there.folder).mkdir(parents=True)

        lines = missing_files(library, data, workspace)

    assert lines == [
        "2 characters' images are missing: "
        f"Blob ({data / 'characters/Blob/image.png'}), "
        f"Floof ({data / 'characters/Floof/image.png'})",
        f"1 project folder is missing: Gone ({workspace / gone.folder})",
    ]
