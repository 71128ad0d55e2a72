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


def find_project(library: LibraryRepository, ref: str) -> Project:
    """By title ignoring case (the newest of that title), or by the start of its id, the way
    a creator types it on the command line."""
    ref = ref.strip()
    projects = sorted(library.list_projects(), key=lambda p: p.updated_at, reverse=True)
    for project in projects:
        if project.title.casefold() == ref.casefold():
            return project
    by_id = [project for project in projects if ref and project.id.startswith(ref)]
    if len(by_id) == 1:
        return by_id[0]
    titles = ", ".join(f"'{project.title}'" for project in projects[:5])
    known = f" Recent projects: {titles}." if titles else " The library has no projects yet."
    raise ValueError(f"No project called '{ref}'.{known}")
