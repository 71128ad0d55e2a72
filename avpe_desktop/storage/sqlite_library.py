"""The default library backend: one SQLite file, crash-safe and shared by worker threads."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar, cast

from pydantic import BaseModel

from avpe_desktop.domain import Character, Job, JobStatus, Project, Step, StepStatus
from avpe_desktop.storage.backups import (
    BackupError,
    BackupFile,
    BackupReason,
    backup_due,
    backups_folder,
    has_sqlite_header,
    prune_backups,
    write_backup,
)
from avpe_desktop.storage.repository import (
    DuplicateError,
    JobChanges,
    LibraryOpenError,
    NotFoundError,
    SchemaTooNewError,
)

M = TypeVar("M", bound=BaseModel)

Migration = Callable[[sqlite3.Connection], None]

BUSY_TIMEOUT_MS = 10_000


def _migrate_v1(db: sqlite3.Connection) -> None:
    """Documents in `doc`; the other columns exist only to be queried or sorted on."""
    for statement in (
        """CREATE TABLE characters (
               id TEXT PRIMARY KEY,
               sort_name TEXT NOT NULL,
               search_text TEXT NOT NULL,
               doc TEXT NOT NULL)""",
        "CREATE INDEX characters_by_name ON characters (sort_name, id)",
        """CREATE TABLE projects (
               id TEXT PRIMARY KEY,
               updated_at TEXT NOT NULL,
               doc TEXT NOT NULL)""",
        "CREATE INDEX projects_by_update ON projects (updated_at)",
        """CREATE TABLE jobs (
               id TEXT PRIMARY KEY,
               project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
               status TEXT NOT NULL,
               created_at TEXT NOT NULL,
               doc TEXT NOT NULL)""",
        "CREATE INDEX jobs_by_project ON jobs (project_id, created_at)",
        "CREATE INDEX jobs_by_status ON jobs (status, created_at)",
        """CREATE TABLE steps (
               id TEXT PRIMARY KEY,
               job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
               key TEXT NOT NULL,
               status TEXT NOT NULL,
               finished_at TEXT,
               doc TEXT NOT NULL,
               UNIQUE (job_id, key))""",
        "CREATE INDEX steps_by_key ON steps (key, status, finished_at)",
    ):
        db.execute(statement)


def _migrate_v2(db: sqlite3.Connection) -> None:
    """A job's revision is set past every earlier one whenever it or one of its steps is
    written, whichever process writes: triggers, so no write path can forget it. Writers are
    serialised, so a reader that has seen revision R sees every later change above R. Kept in
    small tables of their own, so a step's save does not rewrite its job's whole document,
    and counted apart, so deleting the latest job never hands its number out again."""
    count = "UPDATE revision_counter SET n = n + 1;"
    latest = "(SELECT n FROM revision_counter)"
    first = f"{count} INSERT INTO job_revisions (job_id, revision) VALUES (NEW.id, {latest});"
    bump = f"{count} UPDATE job_revisions SET revision = {latest} WHERE job_id = NEW.{{}};"
    for statement in (
        "CREATE TABLE revision_counter (n INTEGER NOT NULL)",
        """CREATE TABLE job_revisions (
               job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
               revision INTEGER NOT NULL)""",
        "CREATE INDEX job_revisions_in_order ON job_revisions (revision)",
        # Jobs saved before count as changed since revision 0.
        "INSERT INTO job_revisions (job_id, revision) SELECT id, rowid FROM jobs",
        "INSERT INTO revision_counter (n) SELECT coalesce(max(rowid), 0) FROM jobs",
        f"CREATE TRIGGER job_inserted AFTER INSERT ON jobs BEGIN {first} END",
        f"CREATE TRIGGER job_updated AFTER UPDATE ON jobs BEGIN {bump.format('id')} END",
        f"CREATE TRIGGER step_inserted AFTER INSERT ON steps BEGIN {bump.format('job_id')} END",
        f"CREATE TRIGGER step_updated AFTER UPDATE ON steps BEGIN {bump.format('job_id')} END",
    ):
        db.execute(statement)


MIGRATIONS: Sequence[Migration] = (_migrate_v1, _migrate_v2)
"""Migration i brings the schema from version i to i + 1; append, never edit or reorder."""


class SqliteLibrary:
    """A LibraryRepository on one SQLite file.

    One connection guarded by a re-entrant lock: SQLite serialises writers anyway, and a
    single connection keeps WAL reads consistent with this process's own writes.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = self._open(self.path)

    # Opening and schema

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        """Reads the header before changing anything, so a foreign or newer file is left as
        it was (switching to WAL alone rewrites the header)."""
        _refuse_foreign_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # first run: the data folder is new
            db = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_MS / 1000,  # this is SQLite's busy_timeout
                isolation_level=None,  # transactions are explicit, see _tx
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as exc:
            raise LibraryOpenError(f"Cannot open the library at {path}: {exc}") from exc
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise SchemaTooNewError(
                    f"The library at {path} was saved by a newer version of AVPE Desktop "
                    f"(schema {version}; this version understands up to {len(MIGRATIONS)}). "
                    "Update the app to open it; the file has not been changed."
                )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            if 0 < version < len(MIGRATIONS):
                _backup_before_upgrade(db, path)
            _migrate(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            if (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
                raise LibraryOpenError(
                    f"{path} is not an AVPE library database ({exc}); it has been left untouched."
                ) from exc
            raise LibraryOpenError(f"Cannot open the library at {path}: {exc}") from exc
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # Backups

    def backup(
        self, reason: BackupReason = BackupReason.MANUAL, now: datetime | None = None
    ) -> BackupFile:
        """A checked copy in the backups folder beside the library, then old ones pruned.
        Raises BackupError; the library itself is never changed by a backup."""
        folder = backups_folder(self.path)
        with self._lock:
            made = write_backup(self._db, folder, reason, now)
        prune_backups(folder)
        return made

    def backup_if_due(self, now: datetime | None = None) -> BackupFile | None:
        """The start-up backup: at most one a day, and none of an empty library (a first run
        has nothing to lose). A few MB copy and check in milliseconds."""
        if not backup_due(backups_folder(self.path), now) or not self._has_records():
            return None
        return self.backup(BackupReason.DAILY, now)

    def _has_records(self) -> bool:
        rows = self._query(
            "SELECT EXISTS (SELECT 1 FROM characters) OR EXISTS (SELECT 1 FROM projects)"
        )
        return bool(rows[0][0])

    def __enter__(self) -> SqliteLibrary:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. IMMEDIATE takes the write lock up front, so two writers
        wait on busy_timeout instead of failing on a read-to-write upgrade."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite may already have rolled back (disk full)
                    self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # Characters

    def add_character(self, character: Character) -> None:
        with self._tx() as db:
            try:
                db.execute(
                    "INSERT INTO characters (id, sort_name, search_text, doc) VALUES (?, ?, ?, ?)",
                    (character.id, *_character_columns(character)),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateError(
                    f"A character with id {character.id!r} is already in the library"
                ) from exc

    def get_character(self, character_id: str) -> Character:
        return self._get(Character, "characters", "Character", character_id)

    def list_characters(self, search: str = "") -> list[Character]:
        needle = _fold(search.strip())
        if not needle:
            return _parse(
                Character, self._query("SELECT doc FROM characters ORDER BY sort_name, id")
            )
        rows = self._query(
            "SELECT doc FROM characters WHERE instr(search_text, ?) > 0 ORDER BY sort_name, id",
            (needle,),
        )
        return _parse(Character, rows)

    def update_character(self, character: Character) -> None:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE characters SET sort_name = ?, search_text = ?, doc = ? WHERE id = ?",
                (*_character_columns(character), character.id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError("Character", character.id)

    def delete_character(self, character_id: str) -> None:
        self._delete("characters", "Character", character_id)

    # Projects

    def save_project(self, project: Project) -> None:
        with self._tx() as db:
            db.execute(
                """INSERT INTO projects (id, updated_at, doc) VALUES (?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,
                                                  doc = excluded.doc""",
                (project.id, _timestamp(project.updated_at), project.model_dump_json()),
            )

    def get_project(self, project_id: str) -> Project:
        return self._get(Project, "projects", "Project", project_id)

    def list_projects(self) -> list[Project]:
        rows = self._query("SELECT doc FROM projects ORDER BY updated_at DESC, rowid DESC")
        return _parse(Project, rows)

    def delete_project(self, project_id: str) -> None:
        # Jobs and steps go with it through ON DELETE CASCADE, inside the same transaction.
        self._delete("projects", "Project", project_id)

    # Jobs

    def save_job(self, job: Job) -> None:
        with self._tx() as db:
            _require(db, "projects", "Project", job.project_id)
            db.execute(
                """INSERT INTO jobs (id, project_id, status, created_at, doc)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id,
                                                  status = excluded.status,
                                                  created_at = excluded.created_at,
                                                  doc = excluded.doc""",
                (
                    job.id,
                    job.project_id,
                    job.status.value,
                    _timestamp(job.created_at),
                    job.model_dump_json(),
                ),
            )

    def get_job(self, job_id: str) -> Job:
        return self._get(Job, "jobs", "Job", job_id)

    def list_jobs(
        self, status: set[JobStatus] | None = None, project_id: str | None = None
    ) -> list[Job]:
        where: list[str] = []
        params: list[object] = []
        if status is not None:
            if not status:
                return []
            where.append(f"status IN ({', '.join('?' * len(status))})")
            params.extend(sorted(JobStatus(s).value for s in status))
        if project_id is not None:
            where.append("project_id = ?")
            params.append(project_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._query(
            f"SELECT doc FROM jobs {clause} ORDER BY created_at DESC, rowid DESC", params
        )
        return _parse(Job, rows)

    def job_changes(self, since: int = 0) -> JobChanges:
        """One seek on the revision index when nothing changed."""
        rows = self._query(
            """SELECT r.revision, j.doc FROM job_revisions AS r JOIN jobs AS j ON j.id = r.job_id
               WHERE r.revision > ? ORDER BY r.revision""",
            (since,),
        )
        mark = cast(int, rows[-1][0]) if rows else since  # an INTEGER column, in order
        return JobChanges(_parse(Job, [row[1:] for row in rows]), mark)

    # Steps

    def save_step(self, step: Step) -> None:
        with self._tx() as db:
            _require(db, "jobs", "Job", step.job_id)
            try:
                db.execute(
                    """INSERT INTO steps (id, job_id, key, status, finished_at, doc)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (id) DO UPDATE SET job_id = excluded.job_id,
                                                      key = excluded.key,
                                                      status = excluded.status,
                                                      finished_at = excluded.finished_at,
                                                      doc = excluded.doc""",
                    (
                        step.id,
                        step.job_id,
                        step.key,
                        step.status.value,
                        _timestamp(step.finished_at) if step.finished_at else None,
                        step.model_dump_json(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateError(
                    f"Job {step.job_id!r} already has a step with key {step.key!r}"
                ) from exc

    def get_step_by_key(self, job_id: str, key: str) -> Step | None:
        rows = self._query("SELECT doc FROM steps WHERE job_id = ? AND key = ?", (job_id, key))
        return _parse(Step, rows)[0] if rows else None

    def find_done_step(self, key: str) -> Step | None:
        rows = self._query(
            """SELECT doc FROM steps WHERE key = ? AND status = ?
               ORDER BY finished_at DESC, rowid DESC LIMIT 1""",
            (key, StepStatus.DONE.value),
        )
        return _parse(Step, rows)[0] if rows else None

    def list_steps(self, job_id: str) -> list[Step]:
        rows = self._query("SELECT doc FROM steps WHERE job_id = ? ORDER BY rowid", (job_id,))
        return _parse(Step, rows)

    # Shared helpers

    def _get(self, model: type[M], table: str, kind: str, item_id: str) -> M:
        rows = self._query(f"SELECT doc FROM {table} WHERE id = ?", (item_id,))
        if not rows:
            raise NotFoundError(kind, item_id)
        return _parse(model, rows)[0]

    def _delete(self, table: str, kind: str, item_id: str) -> None:
        with self._tx() as db:
            if db.execute(f"DELETE FROM {table} WHERE id = ?", (item_id,)).rowcount == 0:
                raise NotFoundError(kind, item_id)


def _migrate(db: sqlite3.Connection) -> None:
    """Each migration runs in its own transaction, re-reading the version inside it so two
    processes opening an old library at once cannot both apply the same step."""
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(MIGRATIONS):
                db.execute("ROLLBACK")
                return
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def _refuse_foreign_file(path: Path) -> None:
    """Checked before SQLite sees the file: on a file that is not a database, SQLite still
    treats a -wal beside it as its own and deletes it on close, and that -wal may hold the
    creator's latest work (a restore keeps it aside with the damaged file)."""
    try:
        foreign = not has_sqlite_header(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return  # a new library, or an error SQLite words better when it opens the path
    except OSError as exc:
        raise LibraryOpenError(f"Cannot open the library at {path}: {exc.strerror}") from exc
    if foreign:
        raise LibraryOpenError(
            f"{path} is not an AVPE library database (file is not a database); "
            "it has been left untouched."
        )


def _backup_before_upgrade(db: sqlite3.Connection, path: Path) -> None:
    """An upgraded library cannot be opened by the previous app version, so the library as
    it was is copied first; without that copy the upgrade does not happen."""
    try:
        write_backup(db, backups_folder(path), BackupReason.BEFORE_UPGRADE)
    except BackupError as exc:
        raise LibraryOpenError(
            f"{exc} The library at {path} needs an upgrade for this version of AVPE Desktop, "
            "which is only done after a backup; it has been left as it was."
        ) from exc
    prune_backups(backups_folder(path))


def _require(db: sqlite3.Connection, table: str, kind: str, item_id: str) -> None:
    """Checked by hand so the caller gets a message naming what is missing."""
    if db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (item_id,)).fetchone() is None:
        raise NotFoundError(kind, item_id)


def _character_columns(character: Character) -> tuple[str, str, str]:
    return (
        _fold(character.name),
        _fold(f"{character.name}\n{character.details.personality}"),
        character.model_dump_json(),
    )


def _fold(text: str) -> str:
    """SQLite's NOCASE and LIKE only fold ASCII; casefold in Python so "ÉMILE" finds "Émile"."""
    return unicodedata.normalize("NFC", text).casefold()


def _timestamp(moment: datetime) -> str:
    """Fixed-width UTC text, so string order is time order (isoformat drops zero micros)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(model: type[M], rows: list[tuple[object, ...]]) -> list[M]:
    return [model.model_validate_json(str(row[0])) for row in rows]
