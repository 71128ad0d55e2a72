"""A writer killed at random moments never costs a committed transaction or the database."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from avpe_desktop.domain import JobStatus, StepStatus
from avpe_desktop.storage.repository import NotFoundError
from avpe_desktop.storage.sqlite_library import SqliteLibrary

WRITER = Path(__file__).with_name("sqlite_crash_writer.py")
ROUNDS = 6


def _run_and_kill(path: Path, prefix: str, rng: random.Random) -> list[list[str]]:
    """Starts the writer, kills it (SIGKILL on POSIX) once it has committed a random number of
    transactions plus a random few milliseconds, and returns every complete line it printed."""
    wanted = rng.randint(3, 80)
    process = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    try:
        while len(lines) < wanted:
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"writer stopped by itself: {process.stderr.read()}")
            lines.append(line)
        time.sleep(rng.uniform(0, 0.03))
    finally:
        process.kill()
        process.wait()
    tail = process.stdout.read()
    process.stdout.close()
    process.stderr.close()
    # A line cut by the kill has no newline and proves nothing; drop it.
    lines.extend(f"{line}\n" for line in tail.split("\n")[:-1])
    return [line.split() for line in lines]


def _check_database_file(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def _check_reported(library: SqliteLibrary, reports: list[list[str]]) -> None:
    for kind, item_id, *rest in reports:
        if kind == "project":
            library.get_project(item_id)
        elif kind == "character":
            library.get_character(item_id)
        elif kind == "job":
            job = library.get_job(item_id)
            if rest == ["done"]:
                assert job.status is JobStatus.DONE
                assert job.result is not None and job.result.success_count == 1
        elif kind == "step":
            job_id, key = rest
            step = library.get_step_by_key(job_id, key)
            assert step is not None and step.id == item_id and step.status is StepStatus.DONE
            assert library.find_done_step(key) == step
        elif kind == "deleted":
            with pytest.raises(NotFoundError):
                library.get_project(item_id)
            with pytest.raises(NotFoundError):
                library.get_job(rest[0])
        else:
            pytest.fail(f"unexpected report {kind!r}")


def _check_consistent(library: SqliteLibrary) -> None:
    """Every stored document parses, and writes landed in their program order."""
    library.list_characters()
    for project in library.list_projects():
        for job in library.list_jobs(project_id=project.id):
            steps = library.list_steps(job.id)
            if job.status is JobStatus.DONE:  # the step was committed before the job was done
                assert [s.status for s in steps] == [StepStatus.DONE]


def test_killed_writer_loses_nothing_it_committed(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    path = tmp_path / "library.db"
    committed = 0
    for round_number in range(ROUNDS):
        reports = _run_and_kill(path, f"r{round_number}", rng)
        committed += len(reports)
        try:
            _check_database_file(path)
            with SqliteLibrary(path) as library:
                _check_reported(library, reports)
                _check_consistent(library)
        except BaseException as exc:
            exc.add_note(f"random seed {seed}, round {round_number}, {len(reports)} reports")
            raise
    assert committed >= ROUNDS * 3
