"""New projects get titles the library does not have yet, so the queue and the library can
tell them apart, and the script in the folder carries the same title."""

from __future__ import annotations

from pathlib import Path

from avpe_desktop.domain import Brief, Content, RenderSettings, Segment
from avpe_desktop.projects import create_project, distinct_title
from avpe_desktop.storage.sqlite_library import SqliteLibrary


def content(title: str, action: str = "Nib waves") -> Content:
    frame = "Wide shot in a leafy park, in bright daylight: a calm Nib, in the centre of the frame."
    segment = Segment(
        segment=1,
        first_frame_description=frame,
        last_frame_description=frame.replace("centre", "left"),
        scene="Nib in the park",
        action=action,
        camera="Static shot",
    )
    return Content(title=title, segments=[segment])


def brief(idea: str) -> Brief:
    return Brief(idea=idea, character_name="Nib")


def test_same_title_from_different_ideas_borrows_the_idea(tmp_path: Path) -> None:
    with SqliteLibrary(tmp_path / "library.sqlite3") as library:
        ideas = ["Nib goes to the beach", "Nib plays in the snow", "Nib's walk"]
        made = [
            create_project(
                library, tmp_path, content("Nib's Big Day"), RenderSettings(), None, brief(i)
            )
            for i in ideas
        ]
        titles = [project.title for project, _ in made]
        assert titles == [
            "Nib's Big Day",
            "Nib's Big Day – plays in the snow",
            "Nib's Big Day – walk",
        ]
        for project, layout in made:
            assert Content.from_seed_json(layout.content_json.read_text()).title == project.title
            assert library.get_project(project.id).content.title == project.title


def test_same_idea_twice_gets_a_number_only_as_a_last_resort(tmp_path: Path) -> None:
    with SqliteLibrary(tmp_path / "library.sqlite3") as library:
        b = brief("Nib goes to the beach")
        titles = [
            create_project(
                library,
                tmp_path,
                content("Nib Goes to the Beach", action),
                RenderSettings(),
                None,
                b,
            )[0].title
            for action in ("Nib waves", "Nib jumps", "Nib naps")
        ]
    assert titles == [
        "Nib Goes to the Beach",
        "Nib Goes to the Beach · 2",
        "Nib Goes to the Beach · 3",
    ]


def test_the_same_script_rendered_again_keeps_its_title(tmp_path: Path) -> None:
    """It is the same video: a new title would change its thumbnail, paid for again."""
    with SqliteLibrary(tmp_path / "library.sqlite3") as library:
        script = content("Nib Goes to the Beach")
        first, _ = create_project(library, tmp_path, script, RenderSettings())
        again, layout = create_project(library, tmp_path, script, RenderSettings())
    assert again.title == first.title == "Nib Goes to the Beach"
    assert again.folder != first.folder and layout.root.name.endswith("(2)")


def test_titles_are_compared_without_case_and_kept_within_the_limit() -> None:
    long = "A" * 200
    assert distinct_title("nib's big day", {"Nib's Big Day"}) == "nib's big day · 2"
    made = distinct_title(long, {long}, brief("Nib " + "dances " * 40))
    assert len(made) <= 200 and made.endswith("…")
    assert distinct_title("Fresh", {"Other"}) == "Fresh"
