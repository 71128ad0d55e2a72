"""Rendered projects without a render: short synthetic clips at the size a 720p render has,
so export tests (pipeline and dialog) run in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avpe_desktop.domain import AspectRatio, Project, RenderSettings, frame_size
from avpe_desktop.media.encode import write_video
from avpe_desktop.storage.layout import ProjectLayout, allocate_project_folder
from avpe_desktop.testing.sample_script import garden_script

FPS = 24.0
FRAMES = 12


def synthetic_clip(path: Path, size: tuple[int, int], shade: int = 0) -> Path:
    """Half a second with a subject off-centre, so a crop has something to follow."""
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.dstack([40 + 60 * yy / height + shade, 80 + 40 * xx / width, 70 + 0 * xx])
    frame = frame.astype(np.uint8)
    subject = (xx - 0.3 * width) ** 2 + (yy - 0.5 * height) ** 2 <= (0.15 * height) ** 2
    frame[subject] = (230, 40, 40)
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(int(FRAMES / FPS * 48_000)) / 48_000)
    write_video(path, [frame] * FRAMES, FPS, audio=tone.astype(np.float32))
    return path


def rendered_project(
    workspace: Path, aspect: AspectRatio, title: str = "Floof's Garden"
) -> tuple[Project, ProjectLayout]:
    """A project rendered at 720p in `aspect`: two segment clips and their merge."""
    settings = RenderSettings(aspect_ratio=aspect, duration=4)
    layout = allocate_project_folder(workspace, "daily_character", title).ensure()
    project = Project(
        title=title, folder=layout.relative, content=garden_script(2), settings=settings
    )
    size = frame_size(settings.resolution, aspect)
    for segment, shade in ((1, 0), (2, 30)):
        synthetic_clip(layout.segment_video(segment), size, shade)
    synthetic_clip(layout.merged_video, size)
    return project, layout
