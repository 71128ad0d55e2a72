"""MongoDB's own promises; the shared contract runs in test_sqlite_library.py's BACKENDS.

Every test talks pymongo over TCP to the session's loopback server (tests/conftest.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

pymongo = pytest.importorskip("pymongo")

from avpe_desktop.domain import (  # noqa: E402
    Character,
    Content,
    Job,
    Project,
    Segment,
    Step,
    StepKind,
    StepStatus,
)
from avpe_desktop.storage import mongo_library  # noqa: E402
from avpe_desktop.storage.mongo_library import MongoLibrary  # noqa: E402
from avpe_desktop.storage.repository import (  # noqa: E402
    LibraryError,
    LibraryOpenError,
    SchemaTooNewError,
)
from avpe_desktop.testing.mongo_server import MongoTestServer  # noqa: E402


def make_character(name: str = "Floof", personality: str = "curious") -> Character:
    return Character.model_validate(
        {"name": name, "image": "image.png", "details": {"personality": personality}}
    )


def make_project(title: str = "Floof's Box") -> Project:
    segment = Segment(
        segment=1,
        first_frame_description="Floof looks at a box",
        last_frame_description="Floof opens the box",
        scene="A quiet room",
        action="Floof steps closer",
    )
    return Project(title=title, folder=title, content=Content(title=title, segments=[segment]))


def make_job(project: Project, **fields: object) -> Job:
    return Job(project_id=project.id, engine="local", **fields)


def make_step(job: Job, key: str, **fields: object) -> Step:
    return Step(job_id=job.id, kind=StepKind.VIDEO, key=key, segment=1, **fields)


@pytest.fixture
def library(mongo_uri: str) -> Iterator[MongoLibrary]:
    with MongoLibrary(mongo_uri) as opened:
        yield opened


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_data_survives_reopening(mongo_uri: str) -> None:
    character, project = make_character(), make_project()
    with MongoLibrary(mongo_uri) as library:
        library.add_character(character)
        library.save_project(project)
    with MongoLibrary(mongo_uri) as library:
        assert library.list_characters() == [character]
        assert library.get_project(project.id) == project


def test_the_uri_database_wins_and_avpe_db_is_the_default(
    mongo_server: MongoTestServer, mongo_uri: str
) -> None:
    with MongoLibrary(mongo_uri, database="ignored") as library:
        assert library.database == mongo_uri.rsplit("/", 1)[1]
    with MongoLibrary(mongo_server.uri) as library:
        assert library.database == "avpe_db"
    with pymongo.MongoClient(mongo_server.uri) as client:
        client.drop_database("avpe_db")


def test_indexes_back_the_queries(library: MongoLibrary, mongo_uri: str) -> None:
    with pymongo.MongoClient(mongo_uri) as client:
        db = client.get_default_database()
        steps = db["steps"].index_information()
        assert steps["one_step_per_key"]["key"] == [("job_id", 1), ("key", 1)]
        assert steps["one_step_per_key"]["unique"] is True
        assert any(
            i["key"] == [("sort_name", 1), ("_id", 1)]
            for i in db["characters"].index_information().values()
        )


def test_search_fields_are_stored_folded_beside_a_readable_document(
    library: MongoLibrary, mongo_uri: str
) -> None:
    library.add_character(make_character("Émile", "Grumpy"))
    with pymongo.MongoClient(mongo_uri) as client:
        row = client.get_default_database()["characters"].find_one()
    assert row["sort_name"] == "émile"
    assert row["search_text"] == "émile\ngrumpy"
    assert row["doc"]["name"] == "Émile"  # a native subdocument other tools can query


def test_free_form_keys_round_trip(library: MongoLibrary) -> None:
    """Dotted and $-prefixed keys are legal in MongoDB documents but not in `$set` paths."""
    project = make_project()
    library.save_project(project)
    job = make_job(project, extra={"a.b": 1, "$x": {"$y": [1, 2]}, "plain": None})
    library.save_job(job)
    library.save_job(job)
    assert library.get_job(job.id) == job


def test_delete_project_cascades_without_transactions(
    library: MongoLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A standalone mongod offers no transactions: children go first instead."""
    monkeypatch.setattr(library, "_transactions", False)
    doomed, kept = make_project("Doomed"), make_project("Kept")
    library.save_project(doomed)
    library.save_project(kept)
    job, other = make_job(doomed), make_job(kept)
    library.save_job(job)
    library.save_job(other)
    library.save_step(make_step(job, "k", status=StepStatus.DONE))
    library.delete_project(doomed.id)
    assert library.list_jobs() == [other]
    assert library.list_steps(job.id) == []
    assert library.find_done_step("k") is None


def test_the_test_server_offers_transactions(library: MongoLibrary) -> None:
    """So the contract's cascade test runs the transactional path."""
    assert library._transactions is True


def test_steps_keep_their_first_saved_place_when_replaced(library: MongoLibrary) -> None:
    project = make_project()
    library.save_project(project)
    job = Job(project_id=project.id, engine="local")
    library.save_job(job)
    steps = [make_step(job, f"k{i}") for i in range(5)]
    for step in reversed(steps):
        library.save_step(step)
    library.save_step(steps[2].model_copy(update={"status": StepStatus.DONE}))
    assert [s.key for s in library.list_steps(job.id)] == ["k4", "k3", "k2", "k1", "k0"]


def test_refuses_a_newer_schema_without_touching_it(mongo_uri: str) -> None:
    with MongoLibrary(mongo_uri) as library:
        library.add_character(make_character())
    with pymongo.MongoClient(mongo_uri) as client:
        meta = client.get_default_database()["meta"]
        meta.update_one({"_id": "schema"}, {"$set": {"version": 99}})
        with pytest.raises(SchemaTooNewError, match="newer version of AVPE Desktop"):
            MongoLibrary(mongo_uri)
        assert meta.find_one({"_id": "schema"})["version"] == 99


def test_an_unreachable_server_fails_fast_with_the_password_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mongo_library, "SERVER_SELECTION_TIMEOUT_MS", 200)
    uri = f"mongodb://creator:hunter2secret@127.0.0.1:{_free_port()}/avpe_db"
    with pytest.raises(LibraryOpenError) as caught:
        MongoLibrary(uri)
    message = str(caught.value)
    assert "Cannot reach the MongoDB library at mongodb://creator:****@127.0.0.1:" in message
    assert "hunter2secret" not in message


def test_a_malformed_uri_is_a_readable_open_error() -> None:
    with pytest.raises(LibraryOpenError, match="cannot be used"):
        MongoLibrary("mongodb://user:pw@host:notaport/")


def test_the_default_timeouts_are_short() -> None:
    assert mongo_library.SERVER_SELECTION_TIMEOUT_MS <= 5_000
    assert mongo_library.CONNECT_TIMEOUT_MS <= 5_000


def test_failures_after_opening_are_library_errors(mongo_uri: str) -> None:
    library = MongoLibrary(mongo_uri)
    library.close()
    with pytest.raises(LibraryError, match=r"^The MongoDB library at mongodb://127\.0\.0\.1"):
        library.list_characters()
