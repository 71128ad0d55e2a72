"""Cancelling a render task (the app closing mid-render) also stops the clips it started."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from avpe_desktop.domain import Job, Project, RenderSettings
from avpe_desktop.engines.base import FrameRequest, VideoRequest, VideoStatus
from avpe_desktop.engines.local import local_engine
from avpe_desktop.pipeline.cinematographer import RenderInputs, render_job
from avpe_desktop.pipeline.steps import Ledger
from avpe_desktop.storage.layout import allocate_project_folder
from avpe_desktop.storage.sqlite_library import SqliteLibrary
from avpe_desktop.testing.google_media import sample_character
from avpe_desktop.testing.sample_script import garden_script


class _StallingPainter:
    """Paints the first `budget` keyframes, then waits forever, so a clip is in flight while
    keyframes are still being painted."""

    def __init__(self, inner: object, budget: int) -> None:
        self.inner, self.budget = inner, budget

    async def paint(self, request: FrameRequest) -> bytes:
        if self.budget == 0:
            await asyncio.Event().wait()
        self.budget -= 1
        return await self.inner.paint(request)  # type: ignore[attr-defined]


class _EndlessVideo:
    """A clip that never finishes; records whether its poller was cancelled."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.polls_cancelled = 0

    async def start(self, request: VideoRequest) -> str:
        self.started.set()
        return "ops/endless"

    async def poll(self, operation: str) -> VideoStatus:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.polls_cancelled += 1
            raise
        return VideoStatus(done=False)


async def test_cancelling_the_render_cancels_its_clips(tmp_path: Path) -> None:
    base = local_engine()
    video = _EndlessVideo()
    engine = replace(base, painter=_StallingPainter(base.painter, budget=2), video=video)
    script = garden_script(3)
    inputs = RenderInputs(
        content=script,
        character_png=sample_character(),
        character_description="Floof",
        creature_language="Soft",
        settings=RenderSettings(duration=4),
        layout=allocate_project_folder(tmp_path, "daily_character", script.title),
    )
    library = SqliteLibrary(tmp_path / "library.sqlite3")
    project = Project(title=script.title, folder=inputs.layout.relative, content=script)
    library.save_project(project)
    job = Job(project_id=project.id, engine=engine.name, settings=inputs.settings)
    library.save_job(job)
    ledger = Ledger(library, job, inputs.layout)
    task = asyncio.create_task(render_job(engine, inputs, ledger))
    await asyncio.wait_for(video.started.wait(), timeout=60)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert leftovers == []
    assert video.polls_cancelled == 1
    library.close()
