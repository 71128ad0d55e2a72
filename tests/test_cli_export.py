"""`avpe export`: a rendered project in another ratio or size, named after its title and
ratio, at the platforms' sizes by default; an unknown project is named back in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_helpers import rendered_project

from avpe_desktop.cli import main
from avpe_desktop.config import app_dirs
from avpe_desktop.domain import AspectRatio
from avpe_desktop.media.probe import probe
from avpe_desktop.storage.sqlite_library import SqliteLibrary


@pytest.fixture
def project_in_library() -> Path:
    """A 16:9 720p project in the app's workspace and library; returns its merged video."""
    project, layout = rendered_project(app_dirs().default_workspace, AspectRatio.LANDSCAPE)
    with SqliteLibrary(app_dirs().library_db) as library:
        library.save_project(project)
    return layout.merged_video


def test_exports_in_two_ratios_sit_side_by_side_at_platform_sizes(
    project_in_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports"
    assert main(["export", "floof's garden", "--aspect-ratio", "9:16", "-o", str(out)]) == 0
    assert main(["export", "Floof's Garden", "--aspect-ratio", "1:1", "-o", str(out)]) == 0
    vertical, square = (Path(line) for line in capsys.readouterr().out.splitlines())
    assert vertical == out / "Floof's Garden 9x16.mp4" and probe(vertical).size == (1080, 1920)
    assert square == out / "Floof's Garden 1x1.mp4" and probe(square).size == (1080, 1080)


def test_the_render_size_on_request_and_a_same_ratio_export_is_a_copy(
    project_in_library: Path, tmp_path: Path
) -> None:
    small = tmp_path / "small.mp4"
    argv = ["export", "Floof's Garden", "--aspect-ratio", "9:16", "--size", "rendered"]
    assert main([*argv, "-o", str(small)]) == 0
    assert probe(small).size == (396, 704)
    same = tmp_path / "same.mp4"
    assert main(["export", "Floof's Garden", "-o", str(same)]) == 0
    assert same.read_bytes() == project_in_library.read_bytes()


def test_an_unknown_project_is_named_with_the_ones_there_are(
    project_in_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "Grumble at the beach"]) == 1
    err = capsys.readouterr().err
    assert "No project called 'Grumble at the beach'" in err
    assert "'Floof's Garden'" in err and "Traceback" not in err
