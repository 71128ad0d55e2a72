"""The MongoDB library backend (pymongo), for creators who keep their library on a server.

Each domain object is stored as a native subdocument (`doc`, from `model_dump(mode="json")`, so
other tools can read it) beside the fields queries need. Those fields are computed exactly as
the SQLite backend computes its columns (casefolded names, fixed-width UTC timestamp text), so
both backends order and search identically and one contract test suite covers both.

A job's `changed_ms` is the writer's clock when it or one of its steps was last saved, for
`job_changes`; each poll looks back `CLOCK_SLACK_MS` further, so clocks a little apart and
writes still in flight when a poll runs are not missed.

MongoDB has no row ids, so projects, jobs and steps get a `seq` number from a counter when first
saved; it breaks ties the way SQLite's rowid does and keeps steps in the order first saved.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import unquote

from bson.errors import BSONError
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError
from pymongo.topology_description import TOPOLOGY_TYPE

from avpe_desktop.domain import Character, Job, JobStatus, Project, Step, StepStatus
from avpe_desktop.secrets import mask_uri, uri_password
from avpe_desktop.storage.repository import (
    DuplicateError,
    JobChanges,
    LibraryError,
    LibraryOpenError,
    NotFoundError,
    SchemaTooNewError,
)

# The same folding and timestamp text as the SQLite backend: identical search and ordering.
from avpe_desktop.storage.sqlite_library import _fold, _timestamp

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Document = dict[str, Any]

DEFAULT_DATABASE = "avpe_db"  # the seed's MONGODB_DB_NAME
SCHEMA_VERSION = 1

SERVER_SELECTION_TIMEOUT_MS = 3_000  # an unreachable server is reported in seconds, not 30 s
CONNECT_TIMEOUT_MS = 3_000
SOCKET_TIMEOUT_MS = 30_000  # a server that stops answering mid-call cannot hang a window

CLOCK_SLACK_MS = 5_000
"""How far apart the clocks of computers sharing a library may be (NTP keeps them much
closer); changes this recent are reported again by the next poll."""

_SEQUENCED = ("projects", "jobs", "steps")

_TRANSACTION_TOPOLOGIES = {
    TOPOLOGY_TYPE.ReplicaSetWithPrimary,
    TOPOLOGY_TYPE.Sharded,
    TOPOLOGY_TYPE.LoadBalanced,
}


class MongoLibrary:
    """A LibraryRepository on a MongoDB database.

    `database` is used when the URI names none (`mongodb://host/mydb` wins). pymongo's client
    is thread-safe and pools connections, so worker threads share this object freely.
    """

    def __init__(self, uri: str, database: str = DEFAULT_DATABASE) -> None:
        self.uri = uri
        self._where = mask_uri(uri)
        try:
            self._client: MongoClient[Document] = MongoClient(
                uri,
                serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
                connectTimeoutMS=CONNECT_TIMEOUT_MS,
                socketTimeoutMS=SOCKET_TIMEOUT_MS,
                appname="avpe-desktop",
            )
        except (PyMongoError, ValueError) as exc:  # malformed URI, unknown option, SRV lookup
            raise LibraryOpenError(
                f"The MongoDB address {self._where} cannot be used: {self._describe(exc)}"
            ) from exc
        try:
            self._client.admin.command("ping")
            self._db = self._client.get_default_database(default=database)
            self.database = self._db.name
            self._check_schema()
            self._prepare_collections()
            # Standalone servers refuse multi-document transactions; see delete_project.
            self._transactions = (
                self._client.topology_description.topology_type in _TRANSACTION_TOPOLOGIES
            )
        except LibraryError:
            self._client.close()
            raise
        except PyMongoError as exc:
            self._client.close()
            raise LibraryOpenError(
                f"Cannot reach the MongoDB library at {self._where}: {self._describe(exc)}"
            ) from exc
        self._characters = self._db["characters"]
        self._projects = self._db["projects"]
        self._jobs = self._db["jobs"]
        self._steps = self._db["steps"]
        self._counters = self._db["counters"]

    # Opening and schema

    def _check_schema(self) -> None:
        """Refuses a database written by a newer app, as the SQLite backend refuses its file;
        marks a new database with this version."""
        meta = self._db["meta"]
        found = meta.find_one({"_id": "schema"})
        if found is None:
            meta.update_one(
                {"_id": "schema"}, {"$setOnInsert": {"version": SCHEMA_VERSION}}, upsert=True
            )
        elif int(found.get("version", 0)) > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"The MongoDB library {self.database!r} at {self._where} was saved by a newer "
                f"version of AVPE Desktop (schema {found['version']}; this version understands "
                f"up to {SCHEMA_VERSION}). Update the app to open it; nothing has been changed."
            )

    def _prepare_collections(self) -> None:
        """Indexes and counters. Idempotent: MongoDB skips an index that already exists."""
        db = self._db
        db["characters"].create_index([("sort_name", ASCENDING), ("_id", ASCENDING)])
        db["projects"].create_index([("updated_at", DESCENDING), ("seq", DESCENDING)])
        db["jobs"].create_index([("project_id", ASCENDING), ("created_at", DESCENDING)])
        db["jobs"].create_index([("status", ASCENDING), ("created_at", DESCENDING)])
        db["jobs"].create_index([("created_at", DESCENDING), ("seq", DESCENDING)])
        db["jobs"].create_index([("changed_ms", ASCENDING)])
        db["steps"].create_index(
            [("job_id", ASCENDING), ("key", ASCENDING)], unique=True, name="one_step_per_key"
        )
        db["steps"].create_index([("job_id", ASCENDING), ("seq", ASCENDING)])
        db["steps"].create_index(
            [("key", ASCENDING), ("status", ASCENDING), ("finished_at", DESCENDING)]
        )
        # Counters exist before the first save: concurrent upserts of one missing document
        # can race (one loses with a duplicate key), increments of an existing one cannot.
        for name in _SEQUENCED:
            with contextlib.suppress(DuplicateKeyError):  # another client created it first
                db["counters"].update_one({"_id": name}, {"$setOnInsert": {"n": 0}}, upsert=True)

    def close(self) -> None:
        self._client.close()  # idempotent in pymongo

    def __enter__(self) -> MongoLibrary:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """A lost server becomes a LibraryError (the one type the UI catches), with the URI's
        credentials masked."""
        try:
            yield
        except (PyMongoError, BSONError, OverflowError) as exc:
            raise LibraryError(
                f"The MongoDB library at {self._where} failed: {self._describe(exc)}"
            ) from exc

    def _describe(self, exc: BaseException) -> str:
        """The first line of a driver error (pymongo appends topology dumps), with the URI
        and its password masked should the driver have quoted them."""
        text = str(exc).split(", Timeout:")[0]
        text = text.splitlines()[0] if text else type(exc).__name__
        text = text.replace(self.uri, self._where)
        if password := uri_password(self.uri):
            text = text.replace(password, "****").replace(unquote(password), "****")
        return text

    # Characters

    def add_character(self, character: Character) -> None:
        with self._errors():
            try:
                self._characters.insert_one(_character_document(character))
            except DuplicateKeyError as exc:
                raise DuplicateError(
                    f"A character with id {character.id!r} is already in the library"
                ) from exc

    def get_character(self, character_id: str) -> Character:
        return self._get(Character, self._characters, "Character", character_id)

    def list_characters(self, search: str = "") -> list[Character]:
        needle = _fold(search.strip())
        query: Document = {}
        if needle:
            # A plain substring test, like SQLite's instr(): no regex or wildcard meaning.
            query = {"$expr": {"$gte": [{"$indexOfCP": ["$search_text", needle]}, 0]}}
        with self._errors():
            rows = self._characters.find(query, {"doc": 1}).sort(
                [("sort_name", ASCENDING), ("_id", ASCENDING)]
            )
            return _parse(Character, rows)

    def update_character(self, character: Character) -> None:
        with self._errors():
            result = self._characters.replace_one(
                {"_id": character.id}, _character_document(character)
            )
        if result.matched_count == 0:
            raise NotFoundError("Character", character.id)

    def delete_character(self, character_id: str) -> None:
        with self._errors():
            deleted = self._characters.delete_one({"_id": character_id}).deleted_count
        if deleted == 0:
            raise NotFoundError("Character", character_id)

    # Projects

    def save_project(self, project: Project) -> None:
        with self._errors():
            self._upsert(
                self._projects,
                project.id,
                {"updated_at": _timestamp(project.updated_at), "doc": _dump(project)},
            )

    def get_project(self, project_id: str) -> Project:
        return self._get(Project, self._projects, "Project", project_id)

    def list_projects(self) -> list[Project]:
        with self._errors():
            rows = self._projects.find({}, {"doc": 1}).sort(
                [("updated_at", DESCENDING), ("seq", DESCENDING)]
            )
            return _parse(Project, rows)

    def delete_project(self, project_id: str) -> None:
        """In a transaction where the server offers them (replica sets, Atlas). A standalone
        server cannot, so children go first: an interrupted delete leaves the project
        listed, and deleting it again finishes the work; no job is ever left orphaned."""

        def work(session: ClientSession | None) -> None:
            if self._projects.find_one({"_id": project_id}, {"_id": 1}, session=session) is None:
                raise NotFoundError("Project", project_id)
            job_ids = self._jobs.distinct("_id", {"project_id": project_id}, session=session)
            self._steps.delete_many({"job_id": {"$in": job_ids}}, session=session)
            self._jobs.delete_many({"project_id": project_id}, session=session)
            self._projects.delete_one({"_id": project_id}, session=session)

        with self._errors():
            self._atomically(work)

    # Jobs

    def save_job(self, job: Job) -> None:
        with self._errors():
            self._require(self._projects, "Project", job.project_id)
            self._upsert(
                self._jobs,
                job.id,
                {
                    "project_id": job.project_id,
                    "status": job.status.value,
                    "created_at": _timestamp(job.created_at),
                    "changed_ms": _now_ms(),
                    "doc": _dump(job),
                },
            )

    def get_job(self, job_id: str) -> Job:
        return self._get(Job, self._jobs, "Job", job_id)

    def list_jobs(
        self, status: set[JobStatus] | None = None, project_id: str | None = None
    ) -> list[Job]:
        query: Document = {}
        if status is not None:
            if not status:
                return []
            query["status"] = {"$in": sorted(JobStatus(s).value for s in status)}
        if project_id is not None:
            query["project_id"] = project_id
        with self._errors():
            rows = self._jobs.find(query, {"doc": 1}).sort(
                [("created_at", DESCENDING), ("seq", DESCENDING)]
            )
            return _parse(Job, rows)

    def job_changes(self, since: int = 0) -> JobChanges:
        mark = _now_ms()
        query: Document = {"changed_ms": {"$gt": since - CLOCK_SLACK_MS}} if since else {}
        with self._errors():
            rows = self._jobs.find(query, {"doc": 1}).sort("changed_ms", ASCENDING)
            return JobChanges(_parse(Job, rows), mark)

    # Steps

    def save_step(self, step: Step) -> None:
        with self._errors():
            self._require(self._jobs, "Job", step.job_id)
            try:
                self._upsert(
                    self._steps,
                    step.id,
                    {
                        "job_id": step.job_id,
                        "key": step.key,
                        "status": step.status.value,
                        "finished_at": _timestamp(step.finished_at) if step.finished_at else None,
                        "doc": _dump(step),
                    },
                )
            except DuplicateKeyError as exc:
                raise DuplicateError(
                    f"Job {step.job_id!r} already has a step with key {step.key!r}"
                ) from exc
            self._jobs.update_one({"_id": step.job_id}, {"$set": {"changed_ms": _now_ms()}})

    def get_step_by_key(self, job_id: str, key: str) -> Step | None:
        with self._errors():
            row = self._steps.find_one({"job_id": job_id, "key": key}, {"doc": 1})
        return Step.model_validate(row["doc"]) if row else None

    def find_done_step(self, key: str) -> Step | None:
        with self._errors():
            rows = (
                self._steps.find({"key": key, "status": StepStatus.DONE.value}, {"doc": 1})
                .sort([("finished_at", DESCENDING), ("seq", DESCENDING)])
                .limit(1)
            )
            found = _parse(Step, rows)
        return found[0] if found else None

    def list_steps(self, job_id: str) -> list[Step]:
        with self._errors():
            rows = self._steps.find({"job_id": job_id}, {"doc": 1}).sort("seq", ASCENDING)
            return _parse(Step, rows)

    # Shared helpers

    def _get(self, model: type[M], collection: Collection[Document], kind: str, item_id: str) -> M:
        with self._errors():
            row = collection.find_one({"_id": item_id}, {"doc": 1})
        if row is None:
            raise NotFoundError(kind, item_id)
        return model.model_validate(row["doc"])

    def _require(self, collection: Collection[Document], kind: str, item_id: str) -> None:
        """Checked by hand (MongoDB has no foreign keys) so the message names what is missing."""
        if collection.find_one({"_id": item_id}, {"_id": 1}) is None:
            raise NotFoundError(kind, item_id)

    def _upsert(self, collection: Collection[Document], item_id: str, fields: Document) -> None:
        """Inserts or replaces, keeping the `seq` of the first save. A whole-document replace
        (not `$set`) so keys such as "a.b" or "$x" inside free-form dicts are stored as they
        are."""
        existing = collection.find_one({"_id": item_id}, {"seq": 1})
        seq = existing["seq"] if existing else self._next_seq(collection.name)
        collection.replace_one({"_id": item_id}, {**fields, "seq": seq}, upsert=True)

    def _next_seq(self, name: str) -> int:
        counter = self._counters.find_one_and_update(
            {"_id": name}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
        )
        if counter is None:  # only if someone deleted it since opening
            raise LibraryError(f"The {name} counter is missing from the MongoDB library.")
        return int(counter["n"])

    def _atomically(self, work: Callable[[ClientSession | None], T]) -> T:
        if not self._transactions:
            return work(None)
        with self._client.start_session() as session:
            return session.with_transaction(work)


def _character_document(character: Character) -> Document:
    return {
        "_id": character.id,
        "sort_name": _fold(character.name),
        "search_text": _fold(f"{character.name}\n{character.details.personality}"),
        "doc": _dump(character),
    }


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _dump(model: BaseModel) -> Document:
    return model.model_dump(mode="json")


def _parse(model: type[M], rows: Iterable[Document]) -> list[M]:
    return [model.model_validate(row["doc"]) for row in rows]
