"""`avpe jobs resume` finishes a render paused with Ctrl-C after its project folder (or only
its `.steps/`) was deleted: inputs come back from the library, lost results are made again,
and the creator is told what and at what cost first. The offline engine, end to end."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cli_helpers import AVPE, paused_demo
from PIL import Image

from avpe_desktop.cli import main
from avpe_desktop.context import AppContext
from avpe_desktop.domain import Job, JobStatus, Step, StepKind
from avpe_desktop.storage.layout import ProjectLayout


def _job() -> tuple[Job, list[Step], ProjectLayout]:
    with AppContext.open() as ctx:
        [job] = ctx.library.list_jobs()
        project = ctx.library.get_project(job.project_id)
        layout = ProjectLayout.from_relative(ctx.workspace, project.folder)
        return job, ctx.library.list_steps(job.id), layout


def _resume() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AVPE, "jobs", "resume"], capture_output=True, text=True, timeout=300, check=False
    )


def _keyframe_attempts(steps: list[Step]) -> list[int]:
    return sorted(s.attempts for s in steps if s.kind is StepKind.KEYFRAME)


def test_a_paused_job_whose_project_folder_was_deleted_finishes() -> None:
    paused_demo()
    job, steps, layout = _job()
    assert job.status is JobStatus.QUEUED and _keyframe_attempts(steps)
    shutil.rmtree(layout.root)

    resumed = _resume()

    assert resumed.returncode == 0, resumed.stderr
    assert "Errno" not in resumed.stderr and "No such file" not in resumed.stderr
    assert "Files of this job are gone:" in resumed.stderr
    assert "rebuilt for free: the character image, content.json" in resumed.stderr
    assert "to paint again" in resumed.stderr
    assert "cost: nothing (the offline engine is free)" in resumed.stderr
    job, steps, layout = _job()
    assert job.status is JobStatus.DONE, job.error
    assert job.result is not None and job.result.success_count == 2
    assert layout.merged_video.is_file() and layout.content_json.is_file()
    # Each keyframe painted before the pause and lost with the folder was painted once more.
    assert set(_keyframe_attempts(steps)) <= {1, 2} and 2 in _keyframe_attempts(steps)


def test_a_paused_job_whose_steps_folder_was_deleted_reuses_its_published_copies() -> None:
    """The readable copies in frames/ and videos/ still hold the paid results (their hashes
    say so), so nothing is painted again."""
    paused_demo()
    job, steps, layout = _job()
    before = _keyframe_attempts(steps)
    shutil.rmtree(layout.steps_dir)

    resumed = _resume()

    assert resumed.returncode == 0, resumed.stderr
    assert "rebuilt for free: the character image" in resumed.stderr
    assert "to paint again" not in resumed.stderr
    job, steps, layout = _job()
    assert job.status is JobStatus.DONE, job.error
    assert _keyframe_attempts(steps)[: len(before)] == before
    assert all(attempts == 1 for attempts in _keyframe_attempts(steps))


def test_a_job_whose_character_image_is_gone_everywhere_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paused_demo()
    job, _steps, layout = _job()
    shutil.rmtree(layout.root)
    with AppContext.open() as ctx:
        [character] = ctx.library.list_characters()
        (ctx.dirs.data / character.image).unlink()

    assert main(["--engine", "local", "jobs", "resume"]) == 1
    err = capsys.readouterr().err
    assert "Errno" not in err and "Traceback" not in err
    assert "character image is gone from its project folder and the library no longer" in err
    job, _steps, _layout = _job()
    assert job.status is JobStatus.FAILED


def test_a_done_job_whose_videos_were_deleted_retries_for_free(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--engine", "local", "demo", "--segments", "1", "--duration", "4"]) == 0
    job, steps, layout = _job()
    assert job.status is JobStatus.DONE
    assert main(["jobs", "retry", job.id[:8]]) == 1
    assert "only a failed, partial or cancelled job retries" in capsys.readouterr().err
    shutil.rmtree(layout.videos_dir)
    layout.merged_video.unlink()

    assert main(["jobs", "retry", job.id[:8]]) == 0
    err = capsys.readouterr().err
    assert "rebuilt for free: the segment videos, the merged video" in err
    assert layout.merged_video.is_file() and layout.segment_video(1).is_file()
    job, after, _layout = _job()
    assert job.status is JobStatus.DONE
    assert [s.attempts for s in after] == [s.attempts for s in steps]  # nothing made again


def test_rendering_a_character_whose_image_left_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "pip.png"
    Image.new("RGB", (64, 64), (90, 160, 220)).save(image)
    assert main(["character", "add", str(image), "--name", "Pip", "--no-analyse"]) == 0
    script = str(tmp_path / "s.json")
    assert main(["--engine", "local", "write", "idea", "--character", "Pip", "-o", script]) == 0
    with AppContext.open() as ctx:
        [character] = ctx.library.list_characters()
        (ctx.dirs.data / character.image).unlink()
    capsys.readouterr()

    assert main(["--engine", "local", "render", script, "--character", "Pip"]) == 1
    err = capsys.readouterr().err
    assert "Pip's image is missing from the library folder: remove Pip and add" in err
