"""Creating projects: a folder in the workspace, the script beside it, a library row."""

from __future__ import annotations

from pathlib import Path

from avpe_desktop.domain import Brief, Content, Project, RenderSettings
from avpe_desktop.storage.atomic import atomic_write_text
from avpe_desktop.storage.layout import ProjectLayout, allocate_project_folder
from avpe_desktop.storage.repository import LibraryRepository


def create_project(
    library: LibraryRepository,
    workspace: Path,
    content: Content,
    settings: RenderSettings,
    character_id: str | None = None,
    brief: Brief | None = None,
) -> tuple[Project, ProjectLayout]:
    """The script is also written as the seed's JSON in the folder, so the folder alone is
    enough to render the project again elsewhere."""
    layout = allocate_project_folder(
        workspace, content.format or "daily_character", content.title
    ).ensure()
    atomic_write_text(layout.content_json, content.to_seed_json())
    project = Project(
        title=content.title,
        folder=layout.relative,
        character_id=character_id,
        brief=brief,
        content=content,
        settings=settings,
    )
    library.save_project(project)
    return project, layout
