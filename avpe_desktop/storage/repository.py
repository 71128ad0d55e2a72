"""The library's storage contract, shared by the SQLite default and the MongoDB backend.

Backends keep domain objects as JSON documents (`model_dump_json`) beside the few fields that
queries need, so a backend is a thin shell around a document store and every backend returns
exactly the objects it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from avpe_desktop.domain import Character, Job, JobStatus, Project, Step


class LibraryError(Exception):
    """Base of every storage error, so the UI can catch one type and show its message."""


class NotFoundError(KeyError, LibraryError):
    """A lookup by id found nothing; a KeyError so mapping-style callers work unchanged."""

    def __init__(self, kind: str, item_id: str) -> None:
        super().__init__(f"{kind} {item_id!r} was not found in the library")
        self.kind = kind
        self.item_id = item_id

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and wrap it in quotes.
        return str(self.args[0])

    def __reduce__(self) -> tuple[type[NotFoundError], tuple[str, str]]:
        """Rebuilds from kind and id, so the error survives a process pool's pickling."""
        return (type(self), (self.kind, self.item_id))


class DuplicateError(LibraryError):
    """An insert would overwrite something that already exists."""


class LibraryOpenError(LibraryError):
    """The library file cannot be used; it has been left exactly as it was."""


class SchemaTooNewError(LibraryOpenError):
    """The library was written by a newer app; opening it here could damage it."""


@dataclass(frozen=True)
class JobChanges:
    """What `job_changes` found: the jobs changed since the mark it was given, each once and
    as saved now (read their steps for the detail), and the mark for the next call."""

    jobs: list[Job]
    mark: int


@runtime_checkable
class LibraryRepository(Protocol):
    """Synchronous on purpose: calls are fast local lookups, safe from worker threads.

    Objects are stored as given: callers own ids and timestamps (`updated_at` included), so
    every backend returns an equal object from a round trip.
    """

    # Characters

    def add_character(self, character: Character) -> None:
        """Raises DuplicateError when the id is taken."""

    def get_character(self, character_id: str) -> Character:
        """Raises NotFoundError."""

    def list_characters(self, search: str = "") -> list[Character]:
        """Case-insensitive substring match on name or personality, ordered by name."""

    def update_character(self, character: Character) -> None:
        """Raises NotFoundError, so an edit never resurrects a deleted character."""

    def delete_character(self, character_id: str) -> None:
        """Raises NotFoundError. Projects keep their `character_id`; they hold their own copy
        of everything a render needs."""

    # Projects

    def save_project(self, project: Project) -> None:
        """Inserts or replaces."""

    def get_project(self, project_id: str) -> Project:
        """Raises NotFoundError."""

    def list_projects(self) -> list[Project]:
        """Most recently updated first."""

    def delete_project(self, project_id: str) -> None:
        """Deletes its jobs and their steps too, in one transaction. Raises NotFoundError."""

    # Jobs

    def save_job(self, job: Job) -> None:
        """Inserts or replaces. Raises NotFoundError when its project does not exist."""

    def get_job(self, job_id: str) -> Job:
        """Raises NotFoundError."""

    def list_jobs(
        self, status: set[JobStatus] | None = None, project_id: str | None = None
    ) -> list[Job]:
        """Newest (by `created_at`) first, optionally filtered by status and project."""

    def job_changes(self, since: int = 0) -> JobChanges:
        """Jobs saved, or with a step saved, after the mark `since` (0: every job), by this
        process or any other. Cheap when nothing changed, so a window can poll it to show
        renders another process runs. A job may be reported again (never missed)."""

    # Steps

    def save_step(self, step: Step) -> None:
        """Inserts or replaces by id. Raises NotFoundError when its job does not exist and
        DuplicateError when another step of the job already has this key."""

    def get_step_by_key(self, job_id: str, key: str) -> Step | None:
        """None when the job has no step with this key yet."""

    def find_done_step(self, key: str) -> Step | None:
        """A DONE step with this content-hash key from any job (the latest finished), so a
        re-render reuses work already paid for. Callers still check its result file exists."""

    def list_steps(self, job_id: str) -> list[Step]:
        """In the order the steps were first saved."""

    def close(self) -> None:
        """Idempotent."""
