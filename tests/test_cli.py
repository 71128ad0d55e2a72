"""The `avpe` command end to end: real images, the real library on disk, the offline engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import AVPE, paused_demo
from PIL import Image

from avpe_desktop.cli import main
from avpe_desktop.config import app_dirs
from avpe_desktop.domain import Content, Job, JobStatus, Step, StepKind
from avpe_desktop.storage.sqlite_library import SqliteLibrary


def _character_image(path: Path, fmt: str) -> Path:
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    image = Image.new(mode, (96, 128), (0, 0, 0, 0) if mode == "RGBA" else (250, 250, 250))
    for x in range(24, 72):
        for y in range(20, 110):
            image.putpixel((x, y), (200, 120, 220, 255)[: len(mode)])
    image.save(path, format=fmt)
    return path


def _library_characters() -> list[str]:
    with SqliteLibrary(app_dirs().library_db) as library:
        return [c.name for c in library.list_characters()]


def _library_jobs() -> list[tuple[Job, list[Step]]]:
    with SqliteLibrary(app_dirs().library_db) as library:
        return [(job, library.list_steps(job.id)) for job in library.list_jobs()]


@pytest.mark.parametrize(("suffix", "fmt"), [("png", "PNG"), ("jpg", "JPEG"), ("webp", "WEBP")])
def test_character_add_accepts_png_jpeg_webp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, fmt: str
) -> None:
    image = _character_image(tmp_path / f"blob.{suffix}", fmt)
    assert main(["character", "add", str(image), "--name", "Blob"]) == 0
    out = capsys.readouterr().out
    assert "Added Blob" in out
    # The offline analysis in sentences, and what it could not judge said plainly.
    assert "  Body: A " in out and "  Colours: Mostly " in out
    assert "  Personality: Not judged from the image by the offline analyst" in out
    assert "size_px" not in out and "friendly" not in out
    assert main(["character", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "Blob" and listed["has_alpha"] is (fmt != "JPEG")
    assert listed["details"]["video_prompt_description"]
    stored = app_dirs().data / listed["image"]
    assert Image.open(stored).size == (96, 128)
    assert (app_dirs().data / listed["thumbnail"]).is_file()


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"just text", "not an image"), (b"\x89PNG\r\n\x1a\n\0\0\0", "not an image")],
)
def test_character_add_refuses_bad_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: bytes, message: str
) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(payload)
    assert main(["character", "add", str(bad), "--name", "Bad"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _library_characters() == []
    characters_dir = app_dirs().characters
    assert not characters_dir.exists() or not any(characters_dir.iterdir())


def test_duplicate_names_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = _character_image(tmp_path / "a.png", "PNG")
    assert main(["character", "add", str(image), "--name", "Floof", "--no-analyse"]) == 0
    assert main(["character", "add", str(image), "--name", "  floof ", "--no-analyse"]) == 1
    assert "already a character named 'Floof'" in capsys.readouterr().err
    assert _library_characters() == ["Floof"]


def test_show_and_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = _character_image(tmp_path / "a.png", "PNG")
    main(["character", "add", str(image), "--name", "Pip", "--no-analyse"])
    capsys.readouterr()
    assert main(["character", "show", "pip"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Pip"
    assert main(["character", "remove", "Pip"]) == 1
    assert _library_characters() == ["Pip"]
    assert main(["character", "remove", "Pip", "--yes"]) == 0
    assert _library_characters() == []
    assert main(["character", "show", "Pip"]) == 1
    assert "No character called 'Pip'" in capsys.readouterr().err


def test_write_prints_the_seed_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = _character_image(tmp_path / "a.png", "PNG")
    main(["character", "add", str(image), "--name", "Floof"])
    capsys.readouterr()
    out = tmp_path / "content.json"
    argv = ["write", "Floof finds a box", "--character", "Floof", "--segments", "3", "-o", str(out)]
    assert main(argv) == 0
    data = json.loads(out.read_text())
    assert list(data) == ["content"]
    content = Content.from_seed(data)
    assert len(content.segments) == 3 and content.format == "daily_character"


def test_render_reports_bad_json_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = _character_image(tmp_path / "a.png", "PNG")
    main(["character", "add", str(image), "--name", "Floof", "--no-analyse"])
    broken = tmp_path / "broken.json"
    broken.write_text('{"content": {"title": "T", "segments": [')
    assert main(["render", str(broken), "--character", "Floof"]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"content": {"title": "T", "segments": [{"segment": 1}]}}')
    assert main(["render", str(wrong), "--character", "Floof"]) == 1
    err = capsys.readouterr().err
    assert "segments.0.scene" in err and "Traceback" not in err


def test_jobs_lists_resumes_and_refuses_unknown_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs"]) == 0
    assert "No render jobs yet" in capsys.readouterr().out
    assert main(["jobs", "resume"]) == 0
    assert "No unfinished jobs" in capsys.readouterr().out
    assert main(["jobs", "cancel", "nope"]) == 1
    assert "No job with an id starting 'nope'" in capsys.readouterr().err


def test_entry_point_runs_as_a_process(tmp_path: Path) -> None:
    image = _character_image(tmp_path / "a.png", "PNG")
    run = subprocess.run(
        [sys.executable, "-m", "avpe_desktop.cli", "character", "add", str(image), "--name", "Zed"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert _library_characters() == ["Zed"]


def test_the_cli_does_not_need_the_optional_cloudinary_sdk() -> None:
    """The shared error handler names UploadError; that must not make the `cloud` extra a
    requirement of every command."""
    blocked = "import sys; sys.modules['cloudinary'] = None; import avpe_desktop.cli"
    run = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr


def test_ctrl_c_pauses_a_render_and_resume_finishes_it() -> None:
    """The first Ctrl-C lets the call in progress finish and be recorded, saves the job for
    later and exits 130; `avpe jobs resume` then finishes it, reusing every painted
    keyframe."""
    rest = paused_demo()
    assert "pausing after the call in progress" in rest
    assert "paused; `avpe jobs resume` finishes it" in rest
    [(job, _steps)] = _library_jobs()
    assert job.status is JobStatus.QUEUED

    resumed = subprocess.run(
        [*AVPE, "jobs", "resume"], capture_output=True, text=True, timeout=300, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    [(job, steps)] = _library_jobs()
    assert job.status is JobStatus.DONE
    assert job.result is not None and job.result.success_count == 2
    keyframes = [step for step in steps if step.kind is StepKind.KEYFRAME]
    assert keyframes and all(step.attempts == 1 for step in keyframes)
