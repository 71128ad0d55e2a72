"""Exporting a rendered project: the finished video where the creator wants it, in the aspect
ratio, size and crossfade they choose.

The picture is copied bit for bit unless pixels must change: a same-ratio, same-size export
of the merged video is a file copy; another crossfade merges the clips again; another ratio
or size reframes or scales. Only a finished file ever appears at the destination.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from avpe_desktop.domain import AspectRatio, Project, RenderResult
from avpe_desktop.domain.settings import ExportSize, ReframeMode
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.probe import probe
from avpe_desktop.media.reframe import output_size, reframe_video
from avpe_desktop.storage.atomic import atomic_output
from avpe_desktop.storage.layout import MAX_FOLDER_BYTES, ProjectLayout, safe_folder_name
from avpe_desktop.workers import run_in_thread


def export_file_name(title: str, aspect: AspectRatio, partial: RenderResult | None = None) -> str:
    """`<title> 9x16.mp4`: exports in different ratios sit side by side instead of one
    overwriting the other, and the name says which is which; a partial video says so too
    (`<title> 9x16 partial 2 of 3.mp4`)."""
    mark = f" partial {partial.success_count} of {partial.total_segments}" if partial else ""
    suffix = f" {aspect.value.replace(':', 'x')}{mark}.mp4"
    return safe_folder_name(title, MAX_FOLDER_BYTES - len(suffix)) + suffix


def copy_atomically(source: Path, destination: Path) -> Path:
    with atomic_output(destination) as tmp:
        shutil.copyfile(source, tmp)
    return destination


def _shape(
    source: Path, destination: Path, aspect: AspectRatio, size: ExportSize, mode: ReframeMode
) -> Path:
    """`source` at `destination` in the asked ratio and size: copied when it already is."""
    info = probe(source)
    target = output_size(info.size, aspect, size, mode)
    if target == info.size:
        return copy_atomically(source, destination)
    return reframe_video(source, destination, aspect, mode=mode, size=target)


async def export_video(
    project: Project,
    layout: ProjectLayout,
    destination: Path,
    aspect: AspectRatio,
    crossfade: float,
    mode: ReframeMode = "crop",
    size: ExportSize = "platform",
) -> Path:
    """The merged video when it is current and has this crossfade, else the rendered segments
    merged again with it; then shaped to `aspect` and `size`."""
    merged = layout.merged_video
    if (
        _current(merged, project, layout)
        and abs(crossfade - project.settings.crossfade_seconds) < 1e-6
    ):
        return await run_in_thread(_shape, merged, destination, aspect, size, mode)
    with tempfile.TemporaryDirectory(dir=layout.root) as scratch:
        source = Path(scratch) / "merged.mp4"
        await run_in_thread(
            merge_videos, _clips(project, layout), source, crossfade_seconds=crossfade
        )
        await run_in_thread(_shape, source, destination, aspect, size, mode)
    return destination


def _current(merged: Path, project: Project, layout: ProjectLayout) -> bool:
    """A whole video made before any of the clips it should hold was rendered again is an
    older script's: an edited script whose new render came out partial leaves one behind,
    and exporting it would pass the old video off as the new one."""
    try:
        made = merged.stat().st_mtime_ns
    except FileNotFoundError:
        return False
    clips = (layout.segment_video(s.segment) for s in project.content.segments)
    return all(made >= clip.stat().st_mtime_ns for clip in clips if clip.exists())


def _clips(project: Project, layout: ProjectLayout) -> list[Path]:
    clips = [layout.segment_video(s.segment) for s in project.content.segments]
    clips = [clip for clip in clips if clip.exists()]
    if not clips:
        raise ValueError("Nothing to export yet: render the project first.")
    return clips
