"""`already_rendered`: the finished job that rendered exactly what a render would now, so
"Render" on it asks instead of adding the same job; an edit, other settings, another
character image or a lost video make a new render worth doing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline_helpers import SETTINGS, make_project

from avpe_desktop.characters import image_path
from avpe_desktop.domain import JobStatus
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.sqlite_library import SqliteLibrary

QueueFactory = Callable[..., RenderQueue]


async def test_only_an_identical_render_with_its_videos_on_disk_counts(
    library: SqliteLibrary, tmp_path: Path, make_queue: QueueFactory
) -> None:
    queue = make_queue()
    project = make_project(library, tmp_path / "lib", tmp_path / "workspace", segments=2)
    assert queue.already_rendered(project) is None
    job = await queue.run(queue.submit(project).id)
    assert job.status is JobStatus.DONE, job.error

    assert queue.already_rendered(project) == job
    segments = list(project.content.segments)
    segments[1] = segments[1].model_copy(update={"action": "Floof dances"})
    edited = project.model_copy(update={"content": project.content.renumbered(segments)})
    assert queue.already_rendered(edited) is None
    assert queue.already_rendered(project, SETTINGS.model_copy(update={"duration": 6})) is None
    character = library.get_character(project.character_id or "")
    picture = image_path(tmp_path / "lib", character)
    original = picture.read_bytes()
    picture.write_bytes(original + b"\0")  # another image under the same name
    assert queue.already_rendered(project) is None
    picture.write_bytes(original)

    queue.layout(project).segment_video(2).unlink()
    assert queue.already_rendered(project) is None
