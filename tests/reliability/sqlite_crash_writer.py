"""Writes to a library until it is killed, reporting each committed transaction on stdout.

Run by test_sqlite_crash.py: `python sqlite_crash_writer.py <library.db> <prefix>`. A line is
printed only after the write it names has returned, i.e. committed; the test holds the
library to every line it read.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from itertools import count

from avpe_desktop.domain import (
    Character,
    Content,
    Job,
    JobStatus,
    Project,
    RenderResult,
    Segment,
    Step,
    StepKind,
    StepStatus,
)
from avpe_desktop.storage.sqlite_library import SqliteLibrary


def report(*fields: str) -> None:
    sys.stdout.write(" ".join(fields) + "\n")  # one write, so a line is whole or absent
    sys.stdout.flush()


def project(project_id: str) -> Project:
    segment = Segment(
        segment=1,
        first_frame_description="Floof looks at a box",
        last_frame_description="Floof opens the box",
        scene="A quiet room",
        action="Floof steps closer",
    )
    title = f"Crash test {project_id}"
    return Project(
        id=project_id,
        title=title,
        folder=f"generated_content/story/{title}",
        content=Content(title=title, segments=[segment]),
    )


def main(path: str, prefix: str) -> None:
    library = SqliteLibrary(path)
    shared = project(f"{prefix}-project")
    library.save_project(shared)
    report("project", shared.id)
    for i in count():
        character = Character(id=f"{prefix}-c{i}", name=f"{prefix} {i}", image="x.png")
        library.add_character(character)
        report("character", character.id)

        job = Job(id=f"{prefix}-j{i}", project_id=shared.id, engine="local")
        job.status = JobStatus.RUNNING
        library.save_job(job)
        report("job", job.id, job.status.value)

        step = Step(
            id=f"{prefix}-s{i}",
            job_id=job.id,
            kind=StepKind.VIDEO,
            key=f"{prefix}-k{i}",
            segment=1,
            status=StepStatus.DONE,
            result_path=f"videos/crash_segment_{i}.mp4",
            finished_at=datetime.now(UTC),
        )
        library.save_step(step)
        report("step", step.id, job.id, step.key)

        job.status = JobStatus.DONE
        job.result = RenderResult(success_count=1, total_segments=1, video_urls=["a.mp4"])
        library.save_job(job)
        report("job", job.id, job.status.value)

        # A cascading delete: a project, its job and its step vanish together or not at all.
        scratch = project(f"{prefix}-scratch{i}")
        library.save_project(scratch)
        scratch_job = Job(id=f"{prefix}-sj{i}", project_id=scratch.id, engine="local")
        library.save_job(scratch_job)
        library.save_step(Step(job_id=scratch_job.id, kind=StepKind.SCRIPT, key="scratch"))
        library.delete_project(scratch.id)
        report("deleted", scratch.id, scratch_job.id)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
