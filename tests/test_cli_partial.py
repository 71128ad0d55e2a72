"""A render that loses a segment, through `avpe` on the Google engine against the loopback
emulator (whose fault makes the first clip's operation fail): it exits non-zero, its JSON
says which segment failed, its merge is named partial, and `avpe jobs retry` says what the
retry did. Then "render" on what is already rendered says so instead of adding a job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from avpe_desktop.cli import main
from avpe_desktop.context import AppContext
from avpe_desktop.domain import Job, JobStatus
from avpe_desktop.engines.registry import BASE_URL_ENV
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.testing.emulator import Emulator
from avpe_desktop.testing.google_media import sample_character
from avpe_desktop.testing.sample_script import garden_script

GOOGLE = ["--engine", "google"]
CLIP_FAILURE = "The clip could not be rendered"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator() as emu:
        monkeypatch.setenv("GOOGLE_API_KEY", "AIza-test-key-0123456789")
        monkeypatch.setenv(BASE_URL_ENV, emu.base_url)
        yield emu


@pytest.fixture
def script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Floof in the library and a 3-segment script beside the test."""
    image = tmp_path / "floof.png"
    image.write_bytes(sample_character())
    assert main(["character", "add", str(image), "--name", "Floof", "--no-analyse"]) == 0
    path = tmp_path / "garden.json"
    path.write_text(garden_script(3).to_seed_json(), encoding="utf-8")
    capsys.readouterr()
    return path


def _render(script: Path, *extra: str) -> int:
    return main([*GOOGLE, "render", str(script), "--character", "Floof", "--duration", "4", *extra])


def _jobs() -> list[Job]:
    with AppContext.open() as ctx:
        return ctx.library.list_jobs()


def _layout(job: Job) -> ProjectLayout:
    with AppContext.open() as ctx:
        project = ctx.library.get_project(job.project_id)
        return ProjectLayout.from_relative(ctx.workspace, project.folder)


def _paid_clips(emulator: Emulator, since: int) -> int:
    started = emulator.requests("predictLongRunning")
    return sum(1 for r in started if r.status == 200) - since


def test_a_partial_render_exits_non_zero_and_says_which_segment_failed(
    emulator: Emulator, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.fail_operation(13, CLIP_FAILURE)

    assert _render(script, "--json") == 1

    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["success_count"] == 2 and result["total_segments"] == 3
    assert result["failed_segments"] == [1]
    assert CLIP_FAILURE in result["errors"]["1"]
    merged = result["merged_video"]
    assert merged["success"] and merged["partial"]
    assert merged["output_filename"].endswith("_partial_2_of_3")
    (job,) = _jobs()
    assert job.status is JobStatus.PARTIAL
    layout = _layout(job)
    assert (
        Path(merged["path"]) == layout.partial_video(2, 3) and layout.partial_video(2, 3).is_file()
    )
    assert not layout.merged_video.exists()  # nothing passes for the whole video
    assert "Finished with 1 failed segment (segment 1)" in err
    assert f"avpe jobs retry {job.id[:8]}" in err
    assert "Traceback" not in err


def test_retry_says_what_happened_to_each_failed_segment(
    emulator: Emulator, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.fail_operation(13, CLIP_FAILURE)
    assert _render(script) == 1
    out = capsys.readouterr().out
    assert "2 of 3 segments rendered" in out and "Partial video, without segment 1:" in out
    (job,) = _jobs()

    emulator.fail_operation(13, CLIP_FAILURE)
    assert main([*GOOGLE, "jobs", "retry", job.id[:8]]) == 1
    out, err = capsys.readouterr()
    assert "Retrying segment 1 of 'Floof and the Box'" in err
    assert "Segment 1 failed again: Veo could not make the clip" in out and CLIP_FAILURE in out
    assert _jobs()[0].status is JobStatus.PARTIAL

    clips = _paid_clips(emulator, 0)
    assert main([*GOOGLE, "jobs", "retry", job.id[:8]]) == 0
    out = capsys.readouterr().out
    assert "Segment 1 rendered." in out
    assert _paid_clips(emulator, clips) == 1  # only the failed clip was made again
    layout = _layout(job)
    assert layout.merged_video.is_file() and layout.partial_videos() == []
    assert _jobs()[0].status is JobStatus.DONE


def test_render_on_a_rendered_script_says_so_and_needs_again(
    emulator: Emulator, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _render(script) == 0
    (first,) = _jobs()
    capsys.readouterr()
    requests = len(emulator.requests())

    assert _render(script) == 0

    out, err = capsys.readouterr()
    assert "already rendered exactly like this" in err and "--again" in err
    assert str(_layout(first).merged_video) in out
    assert [job.id for job in _jobs()] == [first.id]
    assert len(emulator.requests()) == requests

    assert _render(script, "--again") == 0
    again, _first = _jobs()
    assert again.id != first.id and again.status is JobStatus.DONE
    # Rendering the same script again reuses every result: not one request reaches Google.
    assert len(emulator.requests()) == requests


def test_export_of_a_partial_render_asks_for_partial_and_names_the_file_so(
    emulator: Emulator, script: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.fail_operation(13, CLIP_FAILURE)
    assert _render(script) == 1
    (job,) = _jobs()
    capsys.readouterr()
    out_dir = tmp_path / "exports"
    out_dir.mkdir()

    assert main(["export", "Floof and the Box", "-o", str(out_dir)]) == 1
    err = capsys.readouterr().err
    assert "partial: 2 of 3 segments" in err and f"avpe jobs retry {job.id[:8]}" in err
    assert list(out_dir.iterdir()) == []

    assert main(["export", "Floof and the Box", "-o", str(out_dir), "--partial"]) == 0
    exported = Path(capsys.readouterr().out.strip())
    assert exported.name == "Floof and the Box 16x9 partial 2 of 3.mp4" and exported.is_file()
