"""Content + character -> keyframes, one clip per segment, a thumbnail and a merged MP4.

Keyframes are painted one after another because each depends on the one before (frame
chaining and the dual reference); each segment's clip is started the moment its two frames
exist, so clips render while later keyframes are still being painted. The critical path is
all keyframes + the slowest clip + the merge.

Every paid call goes through the job's `Ledger` (see `steps`): a result already paid for is
reused, a clip already started is polled by its stored operation name, and the budget and
cancellation are checked before each new call. The seed's fallbacks stay: a keyframe that
cannot be painted becomes the character image on a plain canvas, a failed clip does not stop
the others, and a failed merge still returns the individual clips.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from avpe_desktop.domain import (
    Content,
    RenderResult,
    RenderSettings,
    Segment,
    Step,
    StepKind,
    StepStatus,
)
from avpe_desktop.engines.base import (
    Engine,
    EngineError,
    FrameRequest,
    OperationFailedError,
    OperationNotFoundError,
    ResponseFormatError,
    TransientError,
    VideoRequest,
)
from avpe_desktop.media.images import fit_onto_canvas
from avpe_desktop.pipeline import postprocess
from avpe_desktop.pipeline.costs import BudgetExceededError, BudgetGuard, JobCancelledError, prices
from avpe_desktop.pipeline.progress import (
    ProgressCallback,
    ProgressTracker,
    Stage,
    ignore_progress,
)
from avpe_desktop.pipeline.steps import Ledger, frame_key, publish, video_key
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.workers import run_in_thread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderInputs:
    content: Content
    character_png: bytes
    character_description: str
    creature_language: str
    settings: RenderSettings
    layout: ProjectLayout


class SegmentFailedError(Exception):
    """A segment's clip could not be made; the message is the creator-facing reason."""


async def render_job(
    engine: Engine,
    inputs: RenderInputs,
    ledger: Ledger,
    progress: ProgressCallback = ignore_progress,
    cancelled: Callable[[], bool] = lambda: False,
) -> RenderResult:
    """Runs (or resumes) one job's steps. Raises JobCancelledError when `cancelled()` turns
    true; every result finished by then is kept in the ledger."""
    return await _Render(engine, inputs, ledger, progress, cancelled).run()


class _Render:
    def __init__(
        self,
        engine: Engine,
        inputs: RenderInputs,
        ledger: Ledger,
        progress: ProgressCallback,
        cancelled: Callable[[], bool],
    ) -> None:
        self.engine = engine
        self.inputs = inputs
        self.settings = inputs.settings
        self.layout = inputs.layout
        self.ledger = ledger
        self.cancelled = cancelled
        self.prices = prices(engine, inputs.settings)
        self.budget = BudgetGuard(inputs.settings.budget_usd)
        self.tracker = ProgressTracker(
            len(inputs.content.segments),
            inputs.settings.auto_merge,
            progress,
            ledger.job.id,
            ledger.spent,
        )
        self.budget_error: str | None = None

    async def run(self) -> RenderResult:
        self.layout.ensure()
        segments = self.inputs.content.segments
        videos: dict[int, asyncio.Task[str]] = {}
        thumbnail: str | None = None
        try:
            first = await self._keyframe(segments[0].first_frame_description, (), 1, "opening")
            publish(first, self.layout.first_frame(1))
            for segment in segments:
                number = segment.segment
                last = await self._keyframe(
                    segment.last_frame_description, (first,), number, f"segment {number} last"
                )
                publish(last, self.layout.last_frame(number))
                videos[number] = asyncio.create_task(self._video(segment, first, last))
                first = last
                if number < len(segments):
                    publish(first, self.layout.first_frame(number + 1))
            thumbnail = await self._thumbnail()
        except JobCancelledError:
            await asyncio.gather(*videos.values(), return_exceptions=True)
            raise
        except BaseException:
            # The render task itself was cancelled (the app is closing) or failed: stop the
            # clips too rather than leave them polling unowned. Started Veo operations keep
            # their stored names, so a resume picks them up without paying again.
            for task in videos.values():
                task.cancel()
            await asyncio.gather(*videos.values(), return_exceptions=True)
            raise
        outcomes = await asyncio.gather(*videos.values(), return_exceptions=True)
        paths: list[str] = []
        errors: dict[int, str] = {}
        for number, outcome in zip(videos, outcomes, strict=True):
            if isinstance(outcome, JobCancelledError):
                raise outcome
            if isinstance(outcome, SegmentFailedError):
                errors[number] = str(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                paths.append(outcome)
        merged = None
        if self.settings.auto_merge:
            merged = await postprocess.finish(paths, len(segments), self.layout, self.settings)
            self.tracker.finished(
                Stage.MERGE,
                "Merged the segments" if merged.success else f"Merge failed: {merged.error}",
                failed=not merged.success,
            )
        if not errors and self.settings.cleanup_frames:
            await run_in_thread(postprocess.cleanup_frames, self.layout)
        result = RenderResult(
            success_count=len(paths),
            total_segments=len(segments),
            video_urls=paths,
            merged_video=merged,
            thumbnail=thumbnail,
            errors=errors,
        )
        self.tracker.complete(result.summary())
        return result

    # Keyframes and thumbnail ------------------------------------------------------------------

    def _frame_request(
        self, description: str, previous: tuple[bytes, ...], caption: str | None = None
    ) -> FrameRequest:
        return FrameRequest(
            description=description,
            references=(self.inputs.character_png, *previous),
            resolution=self.settings.resolution,
            aspect_ratio=self.settings.aspect_ratio.generation_ratio,
            character_description=self.inputs.character_description,
            caption=caption,
            seed=self.settings.seed or 0,
        )

    async def _keyframe(
        self, description: str, previous: tuple[bytes, ...], segment: int, label: str
    ) -> bytes:
        """The seed's fallback: when painting fails, the character image stands in. A
        failure is remembered, so a resumed job uses the same stand-in (and the same
        downstream hashes) until `retry_failed` asks for the painting again."""
        request = self._frame_request(description, previous)
        image = await self._paint(StepKind.KEYFRAME, request, segment, f"the {label} keyframe")
        if image is None:
            image = await run_in_thread(fit_onto_canvas, self.inputs.character_png, request.size)
        return image

    async def _thumbnail(self) -> str | None:
        content = self.inputs.content
        first = self.layout.first_frame(1).read_bytes()
        request = self._frame_request(
            f"Thumbnail for '{content.title}': " + content.segments[0].first_frame_description,
            (first,),
            caption=content.title,
        )
        image = await self._paint(StepKind.THUMBNAIL, request, None, "thumbnail")
        if image is None:
            return None
        await run_in_thread(publish, image, self.layout.thumbnail)
        return str(self.layout.thumbnail)

    async def _paint(
        self, kind: StepKind, request: FrameRequest, segment: int | None, what: str
    ) -> bytes | None:
        """The image, reused or painted; None when it failed (now or earlier in this job)."""
        stage = Stage.THUMBNAIL if kind is StepKind.THUMBNAIL else Stage.KEYFRAME
        key = frame_key(self.engine, kind, request)
        async with self.ledger.lock(key):
            step = self.ledger.step(kind, key, segment)
            data = await run_in_thread(self.ledger.result, step)
            if data is not None:
                self.tracker.finished(stage, f"Reused {what}", segment, reused=True)
                return data
            if step.status in (StepStatus.FAILED, StepStatus.SKIPPED):
                self.tracker.finished(stage, f"Kept the stand-in for {what}", segment, failed=True)
                return None
            cost = self.prices.per_image
            try:
                self._before_paid_call(cost, what)
            except BudgetExceededError as exc:
                self.ledger.fail(step, str(exc), StepStatus.SKIPPED)
                self.tracker.finished(stage, str(exc), segment, failed=True)
                return None
            step = self.ledger.begin(step, cost)
            try:
                data = await self.engine.painter.paint(request)
            except EngineError as exc:
                log.warning("Painting %s failed (%s); using a stand-in.", what, exc)
                self.ledger.fail(self.ledger.unbook(step, cost), str(exc))
                self.tracker.finished(stage, f"Could not paint {what}: {exc}", segment, failed=True)
                return None
            await run_in_thread(self.ledger.finish, step, data)
        self.tracker.finished(stage, f"Painted {what}", segment)
        return data

    # Clips ------------------------------------------------------------------------------------

    async def _video(self, segment: Segment, first: bytes, last: bytes) -> str:
        number = segment.segment
        duration = segment.duration or self.settings.duration
        request = VideoRequest(
            prompt=segment.video_prompt(self.inputs.character_description),
            first_frame=first,
            last_frame=last,
            duration=duration,
            resolution=self.settings.resolution,
            aspect_ratio=self.settings.aspect_ratio.generation_ratio,
            negative_prompt=self.settings.negative_prompt,
            generate_audio=self.settings.generate_audio,
            seed=self.settings.seed,
            creature_sounds=tuple(segment.sound_names()),
            creature_language=self.inputs.creature_language,
        )
        key = video_key(self.engine, request)
        async with self.ledger.lock(key):
            step = self.ledger.step(StepKind.VIDEO, key, number)
            data = await run_in_thread(self.ledger.result, step)
            reused = data is not None
            if data is None:
                if step.status in (StepStatus.FAILED, StepStatus.SKIPPED):
                    self.tracker.finished(
                        Stage.VIDEO, f"Segment {number} failed earlier", number, failed=True
                    )
                    raise SegmentFailedError(step.error or "failed")
                data = await self._generate(key, request, number)
        path = self.layout.segment_video(number)
        await run_in_thread(publish, data, path)
        verb = "reused" if reused else "ready"
        self.tracker.finished(Stage.VIDEO, f"Segment {number} video {verb}", number, reused=reused)
        return str(path)

    async def _generate(self, key: str, request: VideoRequest, number: int) -> bytes:
        """Starts the clip unless an operation is already stored, and polls it to the end.
        The operation name is saved before the first poll: from then on a crash costs a poll,
        not a clip."""
        ledger = self.ledger
        cost = self.prices.video(request.duration)
        what = f"segment {number} video"
        while True:
            step = ledger.current(key)
            operation = step.operation_name
            if operation is None:
                try:
                    self._before_paid_call(cost, what)
                except BudgetExceededError as exc:
                    ledger.fail(step, str(exc), StepStatus.SKIPPED)
                    self.tracker.finished(Stage.VIDEO, str(exc), number, failed=True)
                    raise SegmentFailedError(str(exc)) from exc
                step = ledger.begin(step, cost)
                try:
                    operation = await self.engine.video.start(request)
                except EngineError as exc:
                    self._failed(ledger.unbook(step, cost), exc, number, keep_operation=False)
                    raise SegmentFailedError(str(exc)) from exc
                step = ledger.started(step, operation)
            elif step.status is not StepStatus.RUNNING:
                step = ledger.begin(step, 0.0)  # resuming a stored operation costs nothing
            try:
                data = await self._poll(operation, number)
            except OperationNotFoundError as exc:
                log.info("Operation %s is gone (%s); starting the clip again.", operation, exc)
                ledger.forget_operation(step)
                continue
            except EngineError as exc:
                # Only a poll that could not get through keeps the operation: it may still be
                # running (and is paid for), so a retry polls it again. An operation that
                # finished in failure reports that failure to every later poll, whatever
                # its error code, so a retry has to start a new one.
                unreached = isinstance(exc, TransientError) and not isinstance(
                    exc, OperationFailedError
                )
                self._failed(step, exc, number, keep_operation=unreached)
                raise SegmentFailedError(str(exc)) from exc
            await run_in_thread(ledger.finish, ledger.current(key), data)
            return data

    async def _poll(self, operation: str, number: int) -> bytes:
        while True:
            if self.cancelled():
                raise JobCancelledError
            status = await self.engine.video.poll(operation)
            if status.done:
                if status.video is None:
                    raise ResponseFormatError(f"The clip of segment {number} came back empty.")
                return status.video
            self.tracker.working(
                Stage.VIDEO, f"Segment {number} video rendering", number, status.progress
            )
            await asyncio.sleep(self.engine.poll_interval)

    def _failed(self, step: Step, exc: EngineError, number: int, keep_operation: bool) -> None:
        self.ledger.fail(step, str(exc), keep_operation=keep_operation)
        self.tracker.finished(Stage.VIDEO, f"Segment {number} failed: {exc}", number, failed=True)

    def _before_paid_call(self, cost: float, what: str) -> None:
        if self.cancelled():
            raise JobCancelledError
        self.budget.check(self.ledger.spent(), cost, what)
