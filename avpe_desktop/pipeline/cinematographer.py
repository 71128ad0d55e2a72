"""Content + character -> keyframes, one clip per segment, a thumbnail and a merged MP4.

Keyframes are painted one after another because each depends on the one before (frame
chaining and the dual reference); each segment's clip is started the moment its two frames
exist, so clips render while later keyframes are still being painted. The critical path is
all keyframes + the slowest clip + the merge.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from avpe_desktop.domain import Content, MergedVideo, RenderResult, RenderSettings, Segment
from avpe_desktop.engines.base import Engine, EngineError, FrameRequest, VideoRequest
from avpe_desktop.media.images import fit_onto_canvas
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.pipeline.progress import (
    ProgressCallback,
    ProgressEvent,
    Stage,
    ignore_progress,
)
from avpe_desktop.storage.atomic import atomic_write_bytes
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.workers import run_in_thread

log = logging.getLogger(__name__)

# Relative effort of one unit of each stage, for a progress fraction that moves evenly.
_WEIGHTS = {Stage.KEYFRAME: 1.0, Stage.VIDEO: 4.0, Stage.THUMBNAIL: 1.0, Stage.MERGE: 1.0}


@dataclass(frozen=True)
class RenderInputs:
    content: Content
    character_png: bytes
    character_description: str
    creature_language: str
    settings: RenderSettings
    layout: ProjectLayout


class _Tracker:
    """Turns finished units into an overall fraction and an ETA from the pace so far."""

    def __init__(self, segments: int, merge: bool, callback: ProgressCallback) -> None:
        self.total = (
            (segments + 1) * _WEIGHTS[Stage.KEYFRAME]
            + segments * _WEIGHTS[Stage.VIDEO]
            + _WEIGHTS[Stage.THUMBNAIL]
            + (_WEIGHTS[Stage.MERGE] if merge else 0.0)
        )
        self.done = 0.0
        self.started = time.monotonic()
        self.callback = callback

    def finished(self, stage: Stage, message: str, segment: int | None = None) -> None:
        self.done += _WEIGHTS[stage]
        fraction = min(1.0, self.done / self.total)
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        self.callback(ProgressEvent(stage, fraction, message, segment, eta))


async def render(
    engine: Engine, inputs: RenderInputs, progress: ProgressCallback = ignore_progress
) -> RenderResult:
    layout, content, settings = inputs.layout, inputs.content, inputs.settings
    layout.ensure()
    segments = content.segments
    tracker = _Tracker(len(segments), settings.auto_merge, progress)
    videos: dict[int, asyncio.Task[str]] = {}

    first = await _keyframe(engine, inputs, segments[0].first_frame_description, ())
    atomic_write_bytes(layout.first_frame(1), first)
    tracker.finished(Stage.KEYFRAME, "Painted the opening keyframe", 1)
    for segment in segments:
        last = await _keyframe(engine, inputs, segment.last_frame_description, (first,))
        atomic_write_bytes(layout.last_frame(segment.segment), last)
        tracker.finished(
            Stage.KEYFRAME, f"Painted keyframes of segment {segment.segment}", segment.segment
        )
        videos[segment.segment] = asyncio.create_task(
            _clip(engine, inputs, segment, first, last, tracker)
        )
        first = last
        if segment.segment < len(segments):
            atomic_write_bytes(layout.first_frame(segment.segment + 1), first)

    thumbnail = await _thumbnail(engine, inputs, layout)
    tracker.finished(Stage.THUMBNAIL, "Painted the thumbnail")

    outcomes = await asyncio.gather(*videos.values(), return_exceptions=True)
    paths: list[str] = []
    errors: dict[int, str] = {}
    for number, outcome in zip(videos, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, EngineError):
                raise outcome
            errors[number] = str(outcome)
        else:
            paths.append(outcome)

    merged = await _merge(paths, layout, settings) if settings.auto_merge else None
    if merged is not None:
        tracker.finished(
            Stage.MERGE,
            "Merged the segments" if merged.success else f"Merge failed: {merged.error}",
        )
    result = RenderResult(
        success_count=len(paths),
        total_segments=len(segments),
        video_urls=paths,
        merged_video=merged,
        thumbnail=str(thumbnail) if thumbnail else None,
        errors=errors,
    )
    progress(ProgressEvent(Stage.DONE, 1.0, _summary(result)))
    return result


async def _keyframe(
    engine: Engine, inputs: RenderInputs, description: str, previous: tuple[bytes, ...]
) -> bytes:
    """The seed's fallback: when painting fails, the character image stands in."""
    request = FrameRequest(
        description=description,
        references=(inputs.character_png, *previous),
        resolution=inputs.settings.resolution,
        aspect_ratio=inputs.settings.aspect_ratio.generation_ratio,
        character_description=inputs.character_description,
        seed=inputs.settings.seed or 0,
    )
    try:
        return await engine.painter.paint(request)
    except EngineError as exc:
        log.warning("Keyframe failed (%s); using the character image instead.", exc)
        return await run_in_thread(fit_onto_canvas, inputs.character_png, request.size)


async def _clip(
    engine: Engine,
    inputs: RenderInputs,
    segment: Segment,
    first: bytes,
    last: bytes,
    tracker: _Tracker,
) -> str:
    settings = inputs.settings
    request = VideoRequest(
        prompt=segment.video_prompt(inputs.character_description),
        first_frame=first,
        last_frame=last,
        duration=segment.duration or settings.duration,
        resolution=settings.resolution,
        aspect_ratio=settings.aspect_ratio.generation_ratio,
        negative_prompt=settings.negative_prompt,
        generate_audio=settings.generate_audio,
        seed=settings.seed,
        creature_sounds=tuple(segment.sound_names()),
        creature_language=inputs.creature_language,
    )
    operation = await engine.video.start(request)
    while True:
        status = await engine.video.poll(operation)
        if status.done and status.video is not None:
            break
        await asyncio.sleep(engine.poll_interval)
    path = inputs.layout.segment_video(segment.segment)
    await run_in_thread(atomic_write_bytes, path, status.video)
    tracker.finished(Stage.VIDEO, f"Segment {segment.segment} video ready", segment.segment)
    return str(path)


async def _thumbnail(engine: Engine, inputs: RenderInputs, layout: ProjectLayout) -> str | None:
    first_frame = layout.first_frame(1).read_bytes()
    request = FrameRequest(
        description=f"Thumbnail for '{inputs.content.title}': "
        + inputs.content.segments[0].first_frame_description,
        references=(inputs.character_png, first_frame),
        resolution=inputs.settings.resolution,
        aspect_ratio=inputs.settings.aspect_ratio.generation_ratio,
        character_description=inputs.character_description,
        caption=inputs.content.title,
        seed=inputs.settings.seed or 0,
    )
    try:
        image = await engine.painter.paint(request)
    except EngineError as exc:
        log.warning("Thumbnail failed: %s", exc)
        return None
    await run_in_thread(atomic_write_bytes, layout.thumbnail, image)
    return str(layout.thumbnail)


async def _merge(paths: list[str], layout: ProjectLayout, settings: RenderSettings) -> MergedVideo:
    """A failed merge still leaves the individual clips, which the result lists."""
    if not paths:
        return MergedVideo(success=False, error="no segment video was produced")
    try:
        await run_in_thread(
            merge_videos, paths, layout.merged_video, crossfade_seconds=settings.crossfade_seconds
        )
    except Exception as exc:
        log.warning("Merge failed: %s", exc)
        return MergedVideo(success=False, error=str(exc))
    return MergedVideo(
        success=True, output_filename=layout.merged_video.stem, path=str(layout.merged_video)
    )


def _summary(result: RenderResult) -> str:
    text = f"{result.success_count} of {result.total_segments} segments rendered"
    if result.merged_video and result.merged_video.success:
        text += "; merged video ready"
    return text
