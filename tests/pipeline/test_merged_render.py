"""One 3-segment render on the Google emulator (frames cleaned up afterwards), then what it
left: a merged video as long as its clips with no jump at the joins, and a project whose
re-render is served entirely from steps already paid for."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from pipeline_helpers import SETTINGS, google_on, make_project

from avpe_desktop.domain import Job, JobStatus, Project
from avpe_desktop.media.probe import iter_frames, probe
from avpe_desktop.pipeline.queue import RenderQueue
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.emulator import Emulator

SEGMENTS = 3


@dataclass(frozen=True)
class Rendered:
    emulator: Emulator
    library: SqliteLibrary
    folder: Path
    project: Project
    job: Job
    layout: ProjectLayout


def _queue(emulator: Emulator, library: SqliteLibrary, folder: Path) -> RenderQueue:
    """A queue on a fresh engine, as in a new process (the SDK's async client belongs to the
    event loop that created it, and each test runs its own)."""
    engine = google_on(emulator.base_url)
    return RenderQueue(library, folder / "workspace", folder / "lib", lambda _name: engine)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    folder = tmp_path_factory.mktemp("merged-render")
    settings = SETTINGS.model_copy(update={"cleanup_frames": True})
    with Emulator() as emulator, SqliteLibrary(folder / "library.db") as library:
        project = make_project(
            library, folder / "lib", folder / "workspace", SEGMENTS, settings=settings
        )
        queue = _queue(emulator, library, folder)
        job = asyncio.run(queue.run(queue.submit(project).id))
        assert job.status is JobStatus.DONE, job.error
        layout = ProjectLayout.from_relative(folder / "workspace", project.folder)
        yield Rendered(emulator, library, folder, project, job, layout)


def _grey(frame: np.ndarray) -> np.ndarray:
    small = cv2.resize(frame, (160, 90), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)


def test_merged_video_lasts_as_long_as_its_clips_and_joins_without_a_jump(
    rendered: Rendered,
) -> None:
    clips = [probe(rendered.layout.segment_video(n)) for n in range(1, SEGMENTS + 1)]
    merged = probe(rendered.layout.merged_video)
    frame = 1 / merged.fps
    assert merged.duration == pytest.approx(sum(c.duration for c in clips), abs=frame)
    assert merged.frame_count == sum(c.frame_count for c in clips)

    # Mean absolute change between consecutive frames (grey, 0-255), over the whole video.
    greys = [_grey(f) for f in iter_frames(rendered.layout.merged_video, info=merged)]
    steps = np.array([np.abs(b - a).mean() for a, b in itertools.pairwise(greys)])
    joins = np.cumsum([c.frame_count for c in clips])[:-1]  # first frame of clips 2..n
    for join in joins:
        change = steps[join - 1]  # from the last frame of one clip to the first of the next
        around = np.r_[steps[join - 13 : join - 2], steps[join + 1 : join + 12]]
        assert change < 3.0, (join, change)  # a cut between two keyframes: 10-50 levels
        assert change <= 2 * np.percentile(around, 90) + 1.0, (join, change, around)


def test_cleanup_removes_frames_and_a_rerender_pays_for_nothing(rendered: Rendered) -> None:
    layout = rendered.layout
    assert not layout.frames_dir.exists()
    assert layout.thumbnail.is_file() and layout.merged_video.is_file()
    mark = len(rendered.emulator.requests())

    queue = _queue(rendered.emulator, rendered.library, rendered.folder)
    job = asyncio.run(queue.run(queue.submit(rendered.project).id))
    assert job.status is JobStatus.DONE, job.error
    assert rendered.emulator.requests()[mark:] == []  # not one request: every step reused
    assert job.result is not None and job.result.success_count == SEGMENTS
    assert not layout.frames_dir.exists()
