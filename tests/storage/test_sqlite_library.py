"""The LibraryRepository contract, run against every backend, then SQLite's own promises.

A new backend joins the contract by adding a factory to BACKENDS (skipping when its server or
client library is missing); the `repo` fixture runs every contract test against it.
"""

from __future__ import annotations

import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from avpe_desktop.domain import (
    Brief,
    Character,
    CharacterDetails,
    Content,
    Job,
    JobStatus,
    MergedVideo,
    Project,
    RenderResult,
    Segment,
    Step,
    StepKind,
    StepStatus,
)
from avpe_desktop.storage import sqlite_library
from avpe_desktop.storage.repository import (
    DuplicateError,
    LibraryOpenError,
    LibraryRepository,
    NotFoundError,
    SchemaTooNewError,
)
from avpe_desktop.storage.sqlite_library import SqliteLibrary

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_character(
    name: str = "Floof", personality: str = "curious", **fields: object
) -> Character:
    return Character(
        name=name,
        image=f"characters/{name}/image.png",
        details=CharacterDetails(personality=personality),
        **fields,
    )


def make_project(title: str = "Floof's Mysterious Discovery", **fields: object) -> Project:
    segment = Segment(
        segment=1,
        first_frame_description="Floof looks at a box",
        last_frame_description="Floof opens the box",
        scene="A quiet room",
        action="Floof steps closer",
        camera="slow push in",  # an optional extra must survive the round trip
    )
    return Project(
        title=title,
        folder=f"generated_content/daily_character/{title}",
        content=Content(title=title, segments=[segment]),
        **fields,
    )


def make_job(project: Project, **fields: object) -> Job:
    return Job(project_id=project.id, engine="local", **fields)


def make_step(job: Job, key: str, **fields: object) -> Step:
    return Step(job_id=job.id, kind=StepKind.VIDEO, key=key, segment=1, **fields)


def _sqlite_backend(request: pytest.FixtureRequest, tmp_path: Path) -> LibraryRepository:
    return SqliteLibrary(tmp_path / "library.db")


def _mongo_backend(request: pytest.FixtureRequest, tmp_path: Path) -> LibraryRepository:
    """A fresh database on the session's loopback MongoDB server (skips without SecantusDB)."""
    from avpe_desktop.storage.mongo_library import MongoLibrary

    return MongoLibrary(request.getfixturevalue("mongo_uri"))


BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], LibraryRepository]] = {
    "sqlite": _sqlite_backend,
    "mongodb": _mongo_backend,
}


@pytest.fixture(params=sorted(BACKENDS))
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LibraryRepository]:
    backend = BACKENDS[request.param](request, tmp_path)
    yield backend
    backend.close()


# The contract: every backend


def test_backend_implements_the_protocol(repo: LibraryRepository) -> None:
    assert isinstance(repo, LibraryRepository)


def test_character_round_trip(repo: LibraryRepository) -> None:
    character = make_character(
        width=512, height=768, has_alpha=True, cloud_url="https://example.invalid/floof.png"
    )
    repo.add_character(character)
    assert repo.get_character(character.id) == character


def test_adding_a_character_twice_is_refused(repo: LibraryRepository) -> None:
    character = make_character()
    repo.add_character(character)
    with pytest.raises(DuplicateError, match=character.id):
        repo.add_character(character.model_copy(update={"name": "Impostor"}))
    assert repo.get_character(character.id).name == "Floof"


def test_update_character(repo: LibraryRepository) -> None:
    character = make_character()
    repo.add_character(character)
    renamed = character.model_copy(update={"name": "Floofina", "updated_at": T0})
    repo.update_character(renamed)
    assert repo.get_character(character.id) == renamed
    assert [c.name for c in repo.list_characters("floofina")] == ["Floofina"]


def test_update_of_a_missing_character_does_not_create_it(repo: LibraryRepository) -> None:
    with pytest.raises(NotFoundError):
        repo.update_character(make_character())
    assert repo.list_characters() == []


def test_delete_character(repo: LibraryRepository) -> None:
    keep, drop = make_character("Keep"), make_character("Drop")
    repo.add_character(keep)
    repo.add_character(drop)
    repo.delete_character(drop.id)
    assert repo.list_characters() == [keep]
    with pytest.raises(NotFoundError):
        repo.get_character(drop.id)
    with pytest.raises(NotFoundError):
        repo.delete_character(drop.id)


def test_not_found_errors_read_well(repo: LibraryRepository) -> None:
    with pytest.raises(NotFoundError) as caught:
        repo.get_character("nope")
    assert str(caught.value) == "Character 'nope' was not found in the library"
    assert isinstance(caught.value, KeyError)
    assert (caught.value.kind, caught.value.item_id) == ("Character", "nope")
    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
    for lookup, kind in (
        (repo.get_project, "Project"),
        (repo.get_job, "Job"),
        (repo.delete_project, "Project"),
    ):
        with pytest.raises(NotFoundError, match=f"^{kind} 'ghost' was not found"):
            lookup("ghost")


def test_characters_are_listed_by_name_ignoring_case(repo: LibraryRepository) -> None:
    for name in ("bravo", "Charlie", "Alpha", "alpha two"):
        repo.add_character(make_character(name))
    assert [c.name for c in repo.list_characters()] == ["Alpha", "alpha two", "bravo", "Charlie"]


def test_search_matches_name_or_personality_ignoring_case(repo: LibraryRepository) -> None:
    repo.add_character(make_character("Floof", "Shy but CURIOUS"))
    repo.add_character(make_character("Émile", "grumpy"))
    repo.add_character(make_character("100% Pure", "loud"))
    repo.add_character(make_character("Straße", "calm"))

    def names(search: str) -> list[str]:
        return [c.name for c in repo.list_characters(search)]

    assert names("FLO") == ["Floof"]
    assert names("curious") == ["Floof"]
    assert names("ÉMILE") == ["Émile"]
    assert names("strasse") == ["Straße"]
    assert names("%") == ["100% Pure"]  # SQL wildcards are plain text here
    assert names("_") == []
    assert names("u") == ["100% Pure", "Floof", "Émile"]  # loUd, cUrioUs, grUmpy
    assert names("nobody") == []
    assert len(names("   ")) == 4


def test_project_round_trip_and_replace(repo: LibraryRepository) -> None:
    project = make_project(
        brief=Brief(idea="Floof discovers a mysterious box", character_name="Floof"),
        character_id="c1",
    )
    repo.save_project(project)
    assert repo.get_project(project.id) == project
    assert repo.get_project(project.id).content.segments[0].camera == "slow push in"

    edited = project.model_copy(update={"title": "Floof Again", "updated_at": T0})
    repo.save_project(edited)
    assert repo.get_project(project.id) == edited
    assert repo.list_projects() == [edited]


def test_projects_are_listed_most_recently_updated_first(repo: LibraryRepository) -> None:
    old = make_project("Old", updated_at=T0)
    new = make_project("New", updated_at=T0 + timedelta(hours=1))
    mid = make_project("Mid", updated_at=T0 + timedelta(minutes=1, microseconds=5))
    for project in (old, new, mid):
        repo.save_project(project)
    assert [p.title for p in repo.list_projects()] == ["New", "Mid", "Old"]


def test_delete_project_removes_its_jobs_and_steps(repo: LibraryRepository) -> None:
    doomed, kept = make_project("Doomed"), make_project("Kept")
    repo.save_project(doomed)
    repo.save_project(kept)
    doomed_jobs = [make_job(doomed), make_job(doomed)]
    kept_job = make_job(kept)
    for job in (*doomed_jobs, kept_job):
        repo.save_job(job)
    for job in doomed_jobs:
        repo.save_step(make_step(job, f"doomed-{job.id}", status=StepStatus.DONE))
    repo.save_step(make_step(kept_job, "kept", status=StepStatus.DONE))

    repo.delete_project(doomed.id)

    assert repo.list_projects() == [kept]
    assert repo.list_jobs() == [kept_job]
    for job in doomed_jobs:
        with pytest.raises(NotFoundError):
            repo.get_job(job.id)
        assert repo.list_steps(job.id) == []
        assert repo.find_done_step(f"doomed-{job.id}") is None
    assert repo.find_done_step("kept") is not None


def test_a_job_needs_its_project(repo: LibraryRepository) -> None:
    with pytest.raises(NotFoundError, match=r"^Project 'missing'"):
        repo.save_job(Job(project_id="missing", engine="local"))
    assert repo.list_jobs() == []


def test_job_round_trip_with_result(repo: LibraryRepository) -> None:
    project = make_project()
    repo.save_project(project)
    job = make_job(
        project,
        status=JobStatus.PARTIAL,
        cost_spent_usd=1.25,
        extra={"resumed": True, "attempt": 2},
        result=RenderResult(
            success_count=1,
            total_segments=2,
            video_urls=["videos/floof_segment_1.mp4"],
            merged_video=MergedVideo(success=False, error="one segment failed"),
            errors={2: "safety filter"},
        ),
    )
    repo.save_job(job)
    assert repo.get_job(job.id) == job


def test_jobs_are_listed_newest_first_and_filtered(repo: LibraryRepository) -> None:
    first, second = make_project("First"), make_project("Second")
    repo.save_project(first)
    repo.save_project(second)
    jobs = {
        "a": make_job(first, status=JobStatus.DONE, created_at=T0),
        "b": make_job(second, status=JobStatus.QUEUED, created_at=T0 + timedelta(seconds=1)),
        "c": make_job(first, status=JobStatus.RUNNING, created_at=T0 + timedelta(seconds=2)),
        "d": make_job(first, status=JobStatus.QUEUED, created_at=T0 + timedelta(seconds=3)),
    }
    for job in jobs.values():
        repo.save_job(job)

    def ids(listed: list[Job]) -> list[str]:
        names = {job.id: name for name, job in jobs.items()}
        return [names[job.id] for job in listed]

    assert ids(repo.list_jobs()) == ["d", "c", "b", "a"]
    assert ids(repo.list_jobs(status={JobStatus.QUEUED, JobStatus.RUNNING})) == ["d", "c", "b"]
    assert ids(repo.list_jobs(project_id=first.id)) == ["d", "c", "a"]
    assert ids(repo.list_jobs(status={JobStatus.QUEUED}, project_id=first.id)) == ["d"]
    assert repo.list_jobs(status=set()) == []

    repo.save_job(jobs["d"].model_copy(update={"status": JobStatus.CANCELLED}))
    assert ids(repo.list_jobs(status={JobStatus.QUEUED})) == ["b"]
    assert repo.get_job(jobs["d"].id).status is JobStatus.CANCELLED


def test_steps_upsert_by_id_and_list_in_saved_order(repo: LibraryRepository) -> None:
    project = make_project()
    repo.save_project(project)
    job = make_job(project)
    repo.save_job(job)
    script = Step(job_id=job.id, kind=StepKind.SCRIPT, key="k-script")
    video = make_step(job, "k-video")
    merge = Step(job_id=job.id, kind=StepKind.MERGE, key="k-merge")
    for step in (script, video, merge):
        repo.save_step(step)

    running = video.model_copy(update={"status": StepStatus.RUNNING, "operation_name": "ops/1"})
    repo.save_step(running)

    assert repo.list_steps(job.id) == [script, running, merge]
    assert repo.get_step_by_key(job.id, "k-video") == running
    assert repo.get_step_by_key(job.id, "k-nothing") is None
    assert repo.get_step_by_key("other-job", "k-video") is None


def test_a_step_needs_its_job(repo: LibraryRepository) -> None:
    with pytest.raises(NotFoundError, match=r"^Job 'missing'"):
        repo.save_step(Step(job_id="missing", kind=StepKind.VIDEO, key="k"))


def test_one_step_per_key_in_a_job(repo: LibraryRepository) -> None:
    project = make_project()
    repo.save_project(project)
    job = make_job(project)
    repo.save_job(job)
    original = make_step(job, "same-inputs")
    repo.save_step(original)
    with pytest.raises(DuplicateError, match="same-inputs"):
        repo.save_step(make_step(job, "same-inputs"))
    assert repo.list_steps(job.id) == [original]


def test_done_steps_are_reused_across_jobs(repo: LibraryRepository) -> None:
    project = make_project()
    repo.save_project(project)
    paid, failed, rerender = make_job(project), make_job(project), make_job(project)
    for job in (paid, failed, rerender):
        repo.save_job(job)
    older = make_step(
        paid, "k-1", status=StepStatus.DONE, result_path="a.mp4", finished_at=T0, cost_usd=3.2
    )
    repo.save_step(older)
    repo.save_step(make_step(failed, "k-2", status=StepStatus.FAILED, error="quota"))
    repo.save_step(make_step(rerender, "k-1", status=StepStatus.PENDING))

    assert repo.find_done_step("k-1") == older
    assert repo.find_done_step("k-2") is None  # failed work is not a result
    assert repo.find_done_step("unknown") is None

    newer = make_step(
        failed, "k-1", status=StepStatus.DONE, result_path="b.mp4", finished_at=T0 + timedelta(1)
    )
    repo.save_step(newer)
    assert repo.find_done_step("k-1") == newer


def test_concurrent_writes_from_threads(repo: LibraryRepository) -> None:
    project = make_project()
    repo.save_project(project)
    threads, rounds = 8, 25
    start = threading.Barrier(threads)

    def writer(worker: int) -> None:
        start.wait()
        for i in range(rounds):
            repo.add_character(make_character(f"w{worker}-{i:02d}"))
            job = make_job(project)
            repo.save_job(job)
            repo.save_step(make_step(job, f"k-{worker}-{i}", status=StepStatus.DONE))
            repo.save_job(job.model_copy(update={"status": JobStatus.DONE}))
            assert repo.find_done_step(f"k-{worker}-{i}") is not None

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(writer, w) for w in range(threads)]:
            future.result()

    assert len(repo.list_characters()) == threads * rounds
    jobs = repo.list_jobs(status={JobStatus.DONE})
    assert len(jobs) == threads * rounds
    assert all(len(repo.list_steps(job.id)) == 1 for job in jobs)


def test_job_changes_report_saved_jobs_and_jobs_whose_steps_were_saved(
    repo: LibraryRepository,
) -> None:
    project = make_project()
    repo.save_project(project)
    first, second = make_job(project), make_job(project)
    repo.save_job(first)
    repo.save_job(second)

    everything = repo.job_changes()
    assert {job.id for job in everything.jobs} == {first.id, second.id}

    step = make_step(second, "k-1", status=StepStatus.RUNNING)
    repo.save_step(step)
    after_step = repo.job_changes(everything.mark)
    assert second.id in {job.id for job in after_step.jobs}

    repo.save_step(step.model_copy(update={"status": StepStatus.DONE}))
    cancelled = first.model_copy(update={"status": JobStatus.CANCELLED})
    repo.save_job(cancelled)
    latest = repo.job_changes(after_step.mark)
    assert {first.id, second.id} <= {job.id for job in latest.jobs}
    assert cancelled in latest.jobs  # as saved now


def test_close_twice_is_harmless(repo: LibraryRepository) -> None:
    repo.close()
    repo.close()


# SQLite specifics


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _user_version(path: Path) -> int:
    db = _raw(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    character, project = make_character(), make_project()
    with SqliteLibrary(path) as library:
        library.add_character(character)
        library.save_project(project)
    with SqliteLibrary(path) as library:
        assert library.list_characters() == [character]
        assert library.get_project(project.id) == project


def test_first_run_creates_the_data_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "data" / "library.db"
    with SqliteLibrary(path) as library:
        library.add_character(make_character())
    assert path.is_file()


def test_connection_settings(tmp_path: Path) -> None:
    with SqliteLibrary(tmp_path / "library.db") as library:
        db = library._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_migrates_a_version_0_database(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    db = _raw(path)
    db.execute("CREATE TABLE unrelated (x)")  # a real, non-empty database at version 0
    db.close()
    assert _user_version(path) == 0

    with SqliteLibrary(path) as library:
        library.add_character(make_character())

    assert _user_version(path) == len(sqlite_library.MIGRATIONS)
    with SqliteLibrary(path) as library:
        assert [c.name for c in library.list_characters()] == ["Floof"]


def test_each_migration_commits_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "library.db"
    SqliteLibrary(path).close()
    base = len(sqlite_library.MIGRATIONS)

    def add_tags(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE tags (name TEXT PRIMARY KEY)")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(
        sqlite_library, "MIGRATIONS", (*sqlite_library.MIGRATIONS, add_tags, broken)
    )
    with pytest.raises(RuntimeError, match="migration bug"):
        SqliteLibrary(path)
    assert _user_version(path) == base + 1
    db = _raw(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "tags" in tables
    assert "half_done" not in tables

    def fixed(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE tags ADD COLUMN colour TEXT")

    monkeypatch.setattr(sqlite_library, "MIGRATIONS", (*sqlite_library.MIGRATIONS[:-1], fixed))
    SqliteLibrary(path).close()
    assert _user_version(path) == base + 2


def test_job_changes_see_other_connections_and_nothing_twice(tmp_path: Path) -> None:
    """The window and `avpe render` hold separate connections to one file."""
    path = tmp_path / "library.db"
    with SqliteLibrary(path) as window, SqliteLibrary(path) as command_line:
        project = make_project()
        window.save_project(project)
        idle = window.job_changes()
        assert idle.jobs == []
        assert window.job_changes(idle.mark) == idle

        job = make_job(project)
        command_line.save_job(job)
        step = make_step(job, "k-1")
        command_line.save_step(step)
        seen = window.job_changes(idle.mark)
        assert seen.jobs == [job] and seen.mark > idle.mark
        assert window.job_changes(seen.mark).jobs == []

        command_line.save_step(step.model_copy(update={"status": StepStatus.DONE}))
        assert [j.id for j in window.job_changes(seen.mark).jobs] == [job.id]


def test_a_deleted_jobs_revision_is_not_handed_out_again(tmp_path: Path) -> None:
    with SqliteLibrary(tmp_path / "library.db") as library:
        kept, doomed = make_project("Kept"), make_project("Doomed")
        library.save_project(kept)
        library.save_project(doomed)
        job = make_job(kept)
        library.save_job(job)
        library.save_job(make_job(doomed))
        mark = library.job_changes().mark
        library.delete_project(doomed.id)

        library.save_job(job.model_copy(update={"status": JobStatus.DONE}))

        assert [j.status for j in library.job_changes(mark).jobs] == [JobStatus.DONE]


def test_jobs_saved_before_revisions_count_as_changed(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    project = make_project()
    with SqliteLibrary(path) as library:
        library.save_project(project)
        library.save_job(make_job(project))
        library.save_job(make_job(project))
    db = _raw(path)  # back to a version-1 library, as an earlier release left it
    for name in ("job_inserted", "job_updated", "step_inserted", "step_updated"):
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE job_revisions")
    db.execute("DROP TABLE revision_counter")
    db.execute("PRAGMA user_version = 1")
    db.close()

    with SqliteLibrary(path) as library:
        changes = library.job_changes()
        assert len(changes.jobs) == 2
        assert library.job_changes(changes.mark).jobs == []


def test_refuses_a_newer_schema_without_touching_it(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with SqliteLibrary(path) as library:
        library.add_character(make_character())
    db = _raw(path)
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute(f"PRAGMA user_version = {len(sqlite_library.MIGRATIONS) + 1}")
    db.close()
    before = path.read_bytes()

    with pytest.raises(SchemaTooNewError, match="newer version of AVPE Desktop"):
        SqliteLibrary(path)

    assert path.read_bytes() == before  # still in rollback-journal mode: nothing rewritten


@pytest.mark.parametrize(
    "content",
    [
        b"This is a creator's notes file, not a database. " * 10,
        b"short",
        b"SQLite format 3\x00" + b"\xff" * 200,  # right magic, garbage header
    ],
    ids=["text", "tiny", "bad-header"],
)
def test_refuses_a_file_that_is_not_a_database(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "library.db"
    path.write_bytes(content)
    stat = path.stat()

    with pytest.raises(LibraryOpenError, match="not an AVPE library database") as caught:
        SqliteLibrary(path)

    assert str(path) in str(caught.value)
    assert path.read_bytes() == content
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.db"]


def test_a_folder_is_not_a_library(tmp_path: Path) -> None:
    with pytest.raises(LibraryOpenError, match="Cannot open the library"):
        SqliteLibrary(tmp_path)


def test_two_open_libraries_share_one_file(tmp_path: Path) -> None:
    """Two windows, or the CLI beside the app: writers wait for each other instead of failing."""
    path = tmp_path / "library.db"
    libraries = [SqliteLibrary(path), SqliteLibrary(path)]
    try:

        def writer(index: int) -> None:
            for i in range(40):
                libraries[index].add_character(make_character(f"lib{index}-{i:02d}"))

        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(writer, i) for i in range(2)]:
                future.result()
        assert len(libraries[0].list_characters()) == 80
        assert len(libraries[1].list_characters()) == 80
    finally:
        for library in libraries:
            library.close()


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with SqliteLibrary(tmp_path / "library.db") as library:
        project = make_project()
        library.save_project(project)
        job = make_job(project)
        library.save_job(job)
        library.save_step(make_step(job, "k"))
        with pytest.raises(DuplicateError):
            library.save_step(make_step(job, "k"))
        assert not library._db.in_transaction
        library.save_step(make_step(job, "k2"))  # the connection is still usable
        assert len(library.list_steps(job.id)) == 2
