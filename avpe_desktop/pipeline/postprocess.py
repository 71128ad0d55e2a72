"""After the clips: the merged video, its export in the requested aspect ratio, and cleanup.

None of this is paid, so it is simply redone when a job is resumed; every output is written
atomically, so a crash leaves the previous file or the new one, never half of one.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from avpe_desktop.domain import AspectRatio, MergedVideo, RenderSettings
from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.reframe import reframe_video
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.workers import run_in_thread

log = logging.getLogger(__name__)


async def finish(
    paths: Sequence[str], total: int, layout: ProjectLayout, settings: RenderSettings
) -> MergedVideo:
    """Merges the clips (stream copy when they match, else a re-encode with the optional
    crossfade) and, for 1:1 and 4:5, reframes the merge from the generated ratio. A failure
    is reported in the result; the individual clips stay listed beside it.

    When segments are missing the merge is named partial (`..._partial_2_of_3.mp4`) and the
    whole video's name is left alone. Earlier partial merges (and their reframed copies) are
    removed once a newer merge replaces them, so a stale one is never found and watched."""
    if not paths:
        return MergedVideo(success=False, error="no segment video was produced")
    partial = len(paths) < total
    merged = layout.partial_video(len(paths), total) if partial else layout.merged_video
    target = merged
    try:
        await run_in_thread(
            merge_videos, paths, merged, crossfade_seconds=settings.crossfade_seconds
        )
        if not settings.aspect_ratio.is_generated:
            target = await export_aspect(layout, settings.aspect_ratio, settings, merged)
        await run_in_thread(_remove_partial_merges, layout, merged)
    except (MediaError, OSError, ValueError) as exc:
        log.warning("Merge failed: %s", exc)
        return MergedVideo(success=False, error=str(exc), partial=partial)
    return MergedVideo(success=True, output_filename=target.stem, path=str(target), partial=partial)


async def export_aspect(
    layout: ProjectLayout,
    aspect: AspectRatio,
    settings: RenderSettings,
    merged: Path | None = None,
) -> Path:
    """A merged video (the whole one unless another is given) in another aspect ratio, at the
    platform's size for it, beside it (`..._complete_4x5.mp4`)."""
    source = merged or layout.merged_video
    out = layout.reframed_video(aspect.value, source)
    await run_in_thread(
        reframe_video, source, out, aspect, mode=settings.reframe, size=aspect.platform_size
    )
    return out


def _remove_partial_merges(layout: ProjectLayout, keep: Path) -> None:
    for path in layout.partial_videos():
        if path != keep:
            for stale in (path, *path.parent.glob(f"{path.stem}_*.mp4")):
                stale.unlink(missing_ok=True)


def cleanup_frames(layout: ProjectLayout) -> None:
    """Removes the readable keyframe copies (the seed's "frames/ deleted after success").
    The paid originals stay in `.steps/`, so a later edit still reuses them."""
    shutil.rmtree(layout.frames_dir, ignore_errors=True)
