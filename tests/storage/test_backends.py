"""Choosing the library backend, the fallback to the local library, and copying between them."""

from __future__ import annotations

import logging
import socket

import pytest

from avpe_desktop.config import AppDirs, LibraryBackend, Settings, app_dirs, save_settings
from avpe_desktop.context import AppContext
from avpe_desktop.domain import (
    Character,
    Content,
    Job,
    Project,
    Segment,
    Step,
    StepKind,
    StepStatus,
)
from avpe_desktop.secrets import SecretName, set_secret
from avpe_desktop.storage import mongo_library
from avpe_desktop.storage.backends import copy_library, open_backend, open_library
from avpe_desktop.storage.repository import LibraryOpenError, LibraryRepository
from avpe_desktop.storage.sqlite_library import SqliteLibrary

MONGO = Settings(library_backend=LibraryBackend.MONGODB)


def _unreachable_uri() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"mongodb://creator:s3cret-pass-word@127.0.0.1:{port}/avpe_db"


def _fill(library: LibraryRepository) -> tuple[Character, Project, Job, list[Step]]:
    character = Character(name="Floof", image="characters/floof/image.png")
    segment = Segment(
        segment=1,
        first_frame_description="a",
        last_frame_description="b",
        scene="c",
        action="d",
    )
    project = Project(title="Box", folder="Box", content=Content(title="Box", segments=[segment]))
    job = Job(project_id=project.id, engine="local")
    steps = [
        Step(job_id=job.id, kind=StepKind.VIDEO, key=f"k{i}", status=StepStatus.DONE)
        for i in (3, 1, 2)
    ]
    library.add_character(character)
    library.save_project(project)
    library.save_job(job)
    for step in steps:
        library.save_step(step)
    return character, project, job, steps


def test_sqlite_is_the_default(isolated_home: object) -> None:
    opened = open_library(Settings(), app_dirs())
    with opened.library:
        assert isinstance(opened.library, SqliteLibrary)
        assert (opened.backend, opened.notice) == (LibraryBackend.SQLITE, None)


def test_mongodb_when_settings_ask_and_a_uri_is_stored(mongo_uri: str) -> None:
    set_secret(SecretName.MONGODB_URI, mongo_uri)
    opened = open_library(MONGO, app_dirs())
    opened.library.close()
    assert isinstance(opened.library, mongo_library.MongoLibrary)
    assert (opened.backend, opened.notice) == (LibraryBackend.MONGODB, None)


def test_no_uri_falls_back_to_sqlite_with_a_notice() -> None:
    opened = open_library(MONGO, app_dirs())
    opened.library.close()
    assert opened.backend is LibraryBackend.SQLITE
    assert opened.notice is not None
    assert "No MongoDB URI is stored" in opened.notice


def test_an_unreachable_server_falls_back_and_logs_the_uri_masked(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(mongo_library, "SERVER_SELECTION_TIMEOUT_MS", 200)
    set_secret(SecretName.MONGODB_URI, _unreachable_uri())
    save_settings(MONGO, app_dirs().settings_file)
    with caplog.at_level(logging.WARNING):
        ctx = AppContext.open()
    with ctx:
        assert isinstance(ctx.library, SqliteLibrary)
        assert ctx.library_notice is not None
        assert "Cannot reach the MongoDB library" in ctx.library_notice
        assert "on this computer instead" in ctx.library_notice
    assert "mongodb://creator:****@127.0.0.1" in caplog.text
    assert "s3cret-pass-word" not in caplog.text + ctx.library_notice


def test_open_backend_does_not_fall_back() -> None:
    with pytest.raises(LibraryOpenError, match="No MongoDB URI"):
        open_backend(LibraryBackend.MONGODB, app_dirs())


def test_settings_keep_the_choice(tmp_path: object) -> None:
    assert Settings().library_backend is LibraryBackend.SQLITE
    text = MONGO.model_dump_json()
    assert Settings.model_validate_json(text).library_backend is LibraryBackend.MONGODB


def test_copy_to_mongodb_and_back_is_complete_ordered_and_idempotent(
    mongo_uri: str, isolated_home: object
) -> None:
    dirs: AppDirs = app_dirs()
    with SqliteLibrary(dirs.library_db) as local, mongo_library.MongoLibrary(mongo_uri) as remote:
        character, project, job, steps = _fill(local)
        first = copy_library(local, remote)
        assert first.written == {"characters": 1, "projects": 1, "jobs": 1, "steps": 3}
        assert remote.get_character(character.id) == character
        assert remote.get_project(project.id) == project
        assert remote.list_jobs() == [job]
        assert remote.list_steps(job.id) == steps  # the order first saved, not by key

        again = copy_library(local, remote)
        assert sum(again.written.values()) == 0
        assert again.unchanged == {"characters": 1, "projects": 1, "jobs": 1, "steps": 3}

        renamed = character.model_copy(update={"name": "Floofina"})
        remote.update_character(renamed)
        with SqliteLibrary(dirs.data / "other.sqlite3") as fresh:
            back = copy_library(remote, fresh)
            assert back.written == {"characters": 1, "projects": 1, "jobs": 1, "steps": 3}
            assert fresh.list_characters() == [renamed]
            assert fresh.list_steps(job.id) == steps
        assert "1 characters copied (0 already there)" in back.summary()


def test_copy_skips_steps_the_target_made_itself(tmp_path: object, isolated_home: object) -> None:
    dirs = app_dirs()
    with SqliteLibrary(dirs.library_db) as src, SqliteLibrary(dirs.data / "dst.db") as dst:
        _character, _project, job, steps = _fill(src)
        copy_library(src, dst)
        dst.save_step(Step(job_id=job.id, kind=StepKind.MERGE, key="own"))
        src.save_step(Step(job_id=job.id, kind=StepKind.MERGE, key="own"))
        report = copy_library(src, dst)
        assert report.conflicts == [f"{job.id}/own"]
        assert "1 steps skipped" in report.summary()
        assert len(dst.list_steps(job.id)) == len(steps) + 1
