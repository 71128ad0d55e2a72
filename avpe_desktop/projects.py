"""Creating projects: a folder in the workspace, the script beside it, a library row."""

from __future__ import annotations

from pathlib import Path

from avpe_desktop.domain import Brief, Content, Project, RenderSettings
from avpe_desktop.domain.content import MAX_TITLE
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
    enough to render the project again elsewhere. A title another script in the library has
    is made distinguishable first, so the queue and the library never show two different
    videos under one name; the same script from the same brief rendered again keeps its
    title (its thumbnail, which shows the title, is then reused, not paid for again)."""
    taken = {p.title for p in library.list_projects() if (p.content, p.brief) != (content, brief)}
    title = distinct_title(content.title, taken, brief)
    if title != content.title:
        content = content.model_copy(update={"title": title})
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


_IDEA_IN_TITLE = 60
"""Characters of the idea a title may borrow: enough to tell two scripts apart at a glance."""


def distinct_title(title: str, taken: set[str], brief: Brief | None = None) -> str:
    """`title`, or when the library has it already, the title with the idea it was written
    from ("Grumble's Big Day – goes to the beach"), and " · 2", " · 3"... only when even
    that is taken (the same idea written twice)."""
    lowered = {t.casefold() for t in taken}
    if title.casefold() not in lowered:
        return title
    candidates: list[str] = []
    idea = _idea_words(brief) if brief else ""
    if idea and idea.casefold() not in title.casefold():
        candidates.append(_fit(title, f" – {idea}"))
    base = candidates[0] if candidates else title
    candidates.extend(_fit(base, f" · {n}") for n in range(2, len(taken) + 3))
    return next(c for c in candidates if c.casefold() not in lowered)


def _idea_words(brief: Brief) -> str:
    """The idea without the character's name in front, cut at a word near the limit."""
    words = brief.idea.split()
    if words and words[0].casefold().removesuffix("'s") == brief.character_name.casefold():
        words = words[1:]
    text = " ".join(words).rstrip(".!?")
    if len(text) > _IDEA_IN_TITLE:
        text = text[:_IDEA_IN_TITLE].rsplit(" ", 1)[0] + "…"
    return text


def _fit(title: str, suffix: str) -> str:
    """Title plus suffix within the length a title may have; the suffix is kept."""
    return title[: MAX_TITLE - len(suffix)].rstrip() + suffix


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
