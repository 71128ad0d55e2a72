"""Paid steps: content-hash keys, and the per-job ledger that never pays for a result twice.

A step's key is the SHA-256 of everything that decides its output: the engine and model, the
text sent, the SHA-256 of every input image and the parameters. Equal keys mean the same
request, so a finished result can be reused by any later job (a retry, a re-render after an
edit, a restart after a crash) and a changed input can never be served a stale result.

Results live as files named by their key in the project's `.steps/` folder, written atomically
before the step row says DONE; a file found there without its row (a crash between the two)
is adopted rather than paid for again, and so is a copy published under a readable name
(frames/, videos/) that still hashes right after `.steps/` was deleted. A video's operation
name is saved the moment `start` returns, so a restart polls the running operation instead of
starting another, and a clip whose file is gone is fetched again from its operation first.

How far an edit reaches follows from the keys, honestly. Keyframes chain: segment i's first
frame *is* segment i-1's last frame, and each last frame is painted with the segment's own
first frame as its second reference (the seed's dual reference). So an edit to segment k's
`last_frame_description` re-paints last frames k, k+1, ..., n (each one's reference image
changed) and re-renders videos k..n; an edit to segment k's scene, action, camera, sounds,
dialogue or duration changes only video k's prompt and re-renders video k alone; segment 1's
`first_frame_description` feeds the opening frame, so editing it repaints every keyframe and
the thumbnail. Segments before the edit are never touched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

from avpe_desktop.domain import Job, Step, StepKind, StepStatus
from avpe_desktop.domain._base import utc_now
from avpe_desktop.engines.base import Engine, FrameRequest, VideoRequest
from avpe_desktop.storage.atomic import atomic_write_bytes
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.repository import LibraryRepository

KEY_VERSION = 1
"""Bump when the pipeline changes what a step's output depends on, so old results go stale."""

SUFFIX = {
    StepKind.KEYFRAME: ".png",
    StepKind.THUMBNAIL: ".png",
    StepKind.VIDEO: ".mp4",
}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_id(role: object) -> str:
    """The model a role object calls (Google roles expose `model`); the class otherwise, so
    two offline implementations never share results."""
    return str(getattr(role, "model", None) or type(role).__name__)


def _key(fields: dict[str, Any]) -> str:
    canonical = json.dumps({"v": KEY_VERSION, **fields}, sort_keys=True, ensure_ascii=False)
    return sha256_hex(canonical.encode("utf-8"))


def frame_key(engine: Engine, kind: StepKind, request: FrameRequest) -> str:
    """Keyframes and thumbnails: every field of the request, images by hash."""
    return _key(
        {
            "kind": kind.value,
            "engine": engine.name,
            "model": model_id(engine.painter),
            "description": request.description,
            "references": [sha256_hex(ref) for ref in request.references],
            "resolution": request.resolution.value,
            "aspect_ratio": request.aspect_ratio.value,
            "character_description": request.character_description,
            "caption": request.caption,
            "seed": request.seed,
        }
    )


def video_key(engine: Engine, request: VideoRequest) -> str:
    return _key(
        {
            "kind": StepKind.VIDEO.value,
            "engine": engine.name,
            "model": model_id(engine.video),
            "prompt": request.prompt,
            "first_frame": sha256_hex(request.first_frame),
            "last_frame": sha256_hex(request.last_frame),
            "duration": request.duration,
            "resolution": request.resolution.value,
            "aspect_ratio": request.aspect_ratio.value,
            "negative_prompt": request.negative_prompt,
            "generate_audio": request.generate_audio,
            "seed": request.seed,
            "creature_sounds": list(request.creature_sounds),
            "creature_language": request.creature_language,
        }
    )


class Ledger:
    """One job's steps, persisted through the library on every change.

    Steps are cached in memory (this process is their only writer while the job runs) and
    written through, so a SIGKILL at any moment leaves the library describing exactly what
    was paid for and where its result is.
    """

    def __init__(self, library: LibraryRepository, job: Job, layout: ProjectLayout) -> None:
        self.library = library
        self.job = job
        self.layout = layout
        self._steps = {step.key: step for step in library.list_steps(job.id)}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, key: str) -> asyncio.Lock:
        """Two segments with identical inputs share one step; the lock makes the second wait
        for the first instead of paying for the same result."""
        return self._locks.setdefault(key, asyncio.Lock())

    @property
    def steps(self) -> list[Step]:
        return list(self._steps.values())

    def spent(self) -> float:
        """USD committed by this job: finished steps plus calls in flight (their cost is
        booked before the call, so concurrent calls cannot overrun a budget together)."""
        return round(sum(step.cost_usd for step in self._steps.values()), 6)

    def step(self, kind: StepKind, key: str, segment: int | None) -> Step:
        """This job's step for `key`, created PENDING on first use."""
        step = self._steps.get(key)
        if step is None:
            step = self._save(Step(job_id=self.job.id, kind=kind, key=key, segment=segment))
        return step

    def result(self, step: Step) -> bytes | None:
        """The step's result bytes when it is already paid for: DONE here or in any job with
        a file that still hashes right (copied into this project, at no cost), or a file under
        its key that no DONE row describes yet (written just before a crash)."""
        own = self.layout.step_result(step.key, SUFFIX[step.kind])
        record = step if step.status is StepStatus.DONE else self.library.find_done_step(step.key)
        if record is not None:
            found = kept_result(record, self.layout)
            if found is not None:
                path, data = found
                if path != own:
                    atomic_write_bytes(own, data)
                self._done(step, own, data, step.cost_usd if record is step else 0.0)
                return data
        elif own.is_file():
            data = own.read_bytes()
            self._done(step, own, data, step.cost_usd)
            return data
        if step.status is StepStatus.DONE:  # its file is gone or damaged: it must be redone
            self._save(step.model_copy(update={"status": StepStatus.PENDING}))
        return None

    def current(self, key: str) -> Step:
        return self._steps[key]

    def begin(self, step: Step, cost: float) -> Step:
        """Books the call's cost before it is made (see `spent`)."""
        return self._save(
            step.model_copy(
                update={
                    "status": StepStatus.RUNNING,
                    "attempts": step.attempts + 1,
                    "cost_usd": step.cost_usd + cost,
                    "error": None,
                    "started_at": utc_now(),
                    "finished_at": None,
                }
            )
        )

    def unbook(self, step: Step, cost: float) -> Step:
        """A call that failed before doing paid work is not charged."""
        return self._save(step.model_copy(update={"cost_usd": max(0.0, step.cost_usd - cost)}))

    def started(self, step: Step, operation: str) -> Step:
        return self._save(step.model_copy(update={"operation_name": operation}))

    def forget_operation(self, step: Step) -> Step:
        return self._save(step.model_copy(update={"operation_name": None}))

    def finish(self, step: Step, data: bytes) -> Path:
        path = atomic_write_bytes(self.layout.step_result(step.key, SUFFIX[step.kind]), data)
        self._done(step, path, data, step.cost_usd)
        return path

    def fail(
        self,
        step: Step,
        error: str,
        status: StepStatus = StepStatus.FAILED,
        keep_operation: bool = False,
    ) -> Step:
        update: dict[str, Any] = {"status": status, "error": error, "finished_at": utc_now()}
        if not keep_operation:
            update["operation_name"] = None
        return self._save(step.model_copy(update=update))

    def _done(self, step: Step, path: Path, data: bytes, cost: float) -> None:
        self._save(
            step.model_copy(
                update={
                    "status": StepStatus.DONE,
                    "result_path": str(path),
                    "result_sha256": sha256_hex(data),
                    "cost_usd": cost,
                    "error": None,
                    "finished_at": utc_now(),
                }
            )
        )

    def _save(self, step: Step) -> Step:
        self.library.save_step(step)
        self._steps[step.key] = step
        return step


def kept_result(record: Step, layout: ProjectLayout) -> tuple[Path, bytes] | None:
    """Where a DONE step's result still is, with its bytes: the file it recorded, its file
    under this project's `.steps/`, or a copy the render published under a readable name
    (frames/, videos/), which outlives a deleted `.steps/`. The recorded hash decides, so a
    file edited since never passes for the result."""
    own = layout.step_result(record.key, SUFFIX[record.kind])
    places = [Path(record.result_path)] if record.result_path else []
    for path in (*places, own, *published_copies(layout, record)):
        data = read_verified(path, record.result_sha256)
        if data is not None:
            return path, data
    return None


def published_copies(layout: ProjectLayout, step: Step) -> tuple[Path, ...]:
    """The readable names a step's result is published under. A keyframe of segment n is
    segment n's last frame and segment n+1's first, and segment 1 also has the opening
    frame; a candidate holding another frame fails the hash check."""
    number = step.segment
    if step.kind is StepKind.THUMBNAIL:
        return (layout.thumbnail,)
    if number is None:
        return ()
    if step.kind is StepKind.VIDEO:
        return (layout.segment_video(number),)
    return (layout.first_frame(number), layout.last_frame(number), layout.first_frame(number + 1))


def read_verified(path: str | Path | None, sha256: str | None) -> bytes | None:
    """The file's bytes when they still hash to `sha256`; None when gone, unreadable or
    changed."""
    if not path or not sha256:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return data if sha256_hex(data) == sha256 else None


def publish(data: bytes, path: Path) -> Path:
    """Copies a result to its readable name (frames/, videos/), skipping identical files so
    a resumed render does not rewrite what is already there."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    return atomic_write_bytes(path, data)
